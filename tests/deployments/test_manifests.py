"""Manifests: pure functions from a spec to Kubernetes objects, checked against the schema
of the local cluster's Kubernetes version (no cluster needed)."""

from dataclasses import replace
from pathlib import Path

import kubernetes_validate
import pytest

from apps.deployments import manifests as m
from apps.deployments.constants import DEPLOYMENT_KINDS

VERSIONS_ENV = Path(__file__).resolve().parents[2] / "scripts" / "cluster" / "versions.env"
KUBERNETES_VERSION = next(
    line.split("=", 1)[1].strip()
    for line in VERSIONS_ENV.read_text().splitlines()
    if line.startswith("KUBERNETES_VERSION=")
)

VLLM = m.VersionSpec(
    version="v1",
    runtime="vllm",
    artifact_uri="s3://models/llama-3-8b/",
    image="vllm/vllm-openai:v0.6.3",
    port=8000,
    health_path="/health",
)
VLLM_V2 = replace(VLLM, version="v2", artifact_uri="s3://models/llama-3-8b-v2/")
BASE = m.DeploymentSpec(
    id=7,
    name="chat",
    namespace="dev-nlp",
    model="llama-3-8b",
    team="nlp",
    environment="development",
    installation="test",
    generation=1,
    state="running",
    stable=VLLM,
    cpu="2",
    memory="16Gi",
)
H100 = replace(BASE, gpu_count=2, gpu_model="NVIDIA-H100-80GB-HBM3")
MIG = replace(BASE, gpu_count=1, mig_profile="1g.10gb")
HPA = replace(BASE, min_replicas=2, max_replicas=6, autoscaling_target=70)
CUSTOM_HPA = replace(
    HPA, autoscaling_metric="custom", autoscaling_metric_name="vllm:num_requests_waiting"
)
CANARY = replace(BASE, replicas=4, canary=VLLM_V2, canary_weight=25)
STOPPED = replace(HPA, state="stopped")
INGRESS = replace(
    BASE,
    exposure=m.ExposureSpec(
        kind="Ingress", host="chat.dev-nlp.models.example.com", tls_issuer="letsencrypt"
    ),
)
ROUTED_CANARY = replace(
    CANARY,
    exposure=m.ExposureSpec(
        kind="HTTPRoute",
        host="chat.dev-nlp.models.example.com",
        gateway_namespace="gateway-system",
        gateway_name="public",
    ),
)
NAMESPACE = m.NamespaceSpec(
    name="dev-nlp",
    team="nlp",
    environment="development",
    installation="test",
    quota=m.QuotaSpec(gpus=8, cpu="64", memory="512Gi", pods=20, mig=(("1g.10gb", 4),)),
)

SPECS = {
    "plain": BASE,
    "h100": H100,
    "mig": MIG,
    "hpa": HPA,
    "custom-hpa": CUSTOM_HPA,
    "canary": CANARY,
    "stopped": STOPPED,
    "ingress": INGRESS,
    "routed-canary": ROUTED_CANARY,
}
# Custom resources: the local cluster checks them against their CRDs
# (tests/reconciler/test_exposure.py applies them); this package knows built-in kinds only.
CUSTOM_KINDS = {"HTTPRoute"}


def kinds(objects):
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def the(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {kinds(objects)}"
    return found[0]


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("label", SPECS)
def test_every_deployment_object_is_valid_for_the_cluster_version(label):
    for obj in m.deployment_objects(SPECS[label]):
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{label}: {obj['kind']} is invalid at {list(exc.path)}: {exc.message}")


def test_every_namespace_object_is_valid_for_the_cluster_version():
    for obj in m.namespace_objects(NAMESPACE):
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']} is invalid at {list(exc.path)}: {exc.message}")


@pytest.mark.parametrize("label", SPECS)
def test_every_object_carries_the_ownership_labels(label):
    for obj in m.deployment_objects(SPECS[label]):
        labels = obj["metadata"]["labels"]
        assert {k: labels.get(k) for k in m.owner_labels(BASE)} == {
            "app.kubernetes.io/managed-by": "gantry",
            "gantry.dev/installation": "test",
            "app.kubernetes.io/name": "llama-3-8b",
            "app.kubernetes.io/instance": "chat",
            "gantry.dev/deployment-id": "7",
        }, f"{obj['kind']} has labels {labels}"


def test_the_selector_never_changes_whatever_the_spec():
    variants = [BASE, H100, HPA, CANARY, STOPPED, replace(BASE, stable=VLLM_V2, replicas=9)]
    selectors = {str(m.deployment(spec)["spec"]["selector"]) for spec in variants}
    assert selectors == {
        "{'matchLabels': {'gantry.dev/deployment-id': '7', 'gantry.dev/track': 'stable'}}"
    }


def test_the_pod_template_matches_its_selector():
    for track in (m.STABLE, m.CANARY):
        obj = m.deployment(CANARY, track)
        labels = obj["spec"]["template"]["metadata"]["labels"]
        wanted = obj["spec"]["selector"]["matchLabels"]
        assert wanted.items() <= labels.items(), f"{track}: {wanted} not in {labels}"


def test_the_container_comes_from_the_runtime_preset():
    server = container(m.deployment(BASE))
    assert server["image"] == "vllm/vllm-openai:v0.6.3"
    # The weights are downloaded by the init container; the server reads the local copy.
    assert server["args"] == ["--model", "/mnt/models", "--port", "8000"]
    assert server["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert server[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe


def test_requests_and_limits_are_always_set_and_equal():
    resources = container(m.deployment(BASE))["resources"]
    assert resources == {
        "requests": {"cpu": "2", "memory": "16Gi"},
        "limits": {"cpu": "2", "memory": "16Gi"},
    }


def test_an_h100_request_selects_h100_nodes_and_tolerates_the_gpu_taint():
    pod = m.deployment(H100)["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    resources = pod["containers"][0]["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == "2"


def test_a_mig_profile_requests_its_mig_resource():
    pod = m.deployment(MIG)["spec"]["template"]["spec"]
    resources = pod["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/mig-1g.10gb"] == "1"
    assert "nvidia.com/gpu" not in resources["limits"]
    assert "nodeSelector" not in pod
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_a_cpu_deployment_does_not_tolerate_the_gpu_taint():
    pod = m.deployment(BASE)["spec"]["template"]["spec"]
    assert "tolerations" not in pod
    assert "nodeSelector" not in pod


def test_rollouts_never_take_a_ready_pod_away_and_have_a_deadline():
    spec = m.deployment(replace(BASE, progress_deadline_seconds=42))["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    assert spec["progressDeadlineSeconds"] == 42


def test_pods_run_under_the_restricted_security_context():
    pod = m.deployment(BASE)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = pod["containers"][0]["securityContext"]
    assert context == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_a_fixed_single_replica_deployment_is_a_service_and_a_deployment():
    objects = m.deployment_objects(BASE)
    assert kinds(objects) == [("Service", "chat"), ("Deployment", "chat")]
    assert the(objects, "Deployment")["spec"]["replicas"] == 1


def test_the_service_selects_stable_and_canary_pods():
    objects = m.deployment_objects(CANARY)
    wanted = the(objects, "Service")["spec"]["selector"].items()
    for name in ("chat", "chat-canary"):
        pod_labels = the(objects, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert wanted <= pod_labels.items(), f"the Service does not select {name}'s pods"


def test_autoscaling_adds_an_hpa_and_leaves_replicas_to_it():
    objects = m.deployment_objects(HPA)
    assert "replicas" not in the(objects, "Deployment")["spec"]
    hpa = the(objects, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat"}
    assert hpa["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            },
        }
    ]


def test_a_custom_metric_hpa_targets_the_average_per_pod():
    hpa = the(m.deployment_objects(CUSTOM_HPA), "HorizontalPodAutoscaler")["spec"]
    assert hpa["metrics"] == [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "vllm:num_requests_waiting"},
                "target": {"type": "AverageValue", "averageValue": "70"},
            },
        }
    ]


def test_equal_min_and_max_is_a_fixed_count_without_an_hpa():
    objects = m.deployment_objects(replace(BASE, min_replicas=3, max_replicas=3))
    assert "HorizontalPodAutoscaler" not in [o["kind"] for o in objects]
    assert the(objects, "Deployment")["spec"]["replicas"] == 3


def test_a_pdb_comes_with_two_or_more_replicas_only():
    assert "PodDisruptionBudget" not in [o["kind"] for o in m.deployment_objects(BASE)]
    pdb = the(m.deployment_objects(replace(BASE, replicas=2)), "PodDisruptionBudget")
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"gantry.dev/deployment-id": "7"}},
    }


def test_a_canary_at_25_percent_of_4_replicas_runs_3_stable_and_1_canary():
    objects = m.deployment_objects(CANARY)
    stable, canary = the(objects, "Deployment", "chat"), the(objects, "Deployment", "chat-canary")
    assert (stable["spec"]["replicas"], canary["spec"]["replicas"]) == (3, 1)
    downloads = canary["spec"]["template"]["spec"]["initContainers"][0]["args"]
    assert downloads[0] == "s3://models/llama-3-8b-v2/"
    assert canary["spec"]["template"]["metadata"]["labels"]["gantry.dev/track"] == "canary"


def test_a_small_canary_never_takes_the_last_stable_replica():
    spec = replace(BASE, replicas=1, canary=VLLM_V2, canary_weight=10)
    assert m.replica_split(spec) == (1, 1)


def test_a_canary_at_100_percent_takes_all_replicas():
    spec = replace(BASE, replicas=4, canary=VLLM_V2, canary_weight=100)
    assert m.replica_split(spec) == (0, 4)


def test_stopped_is_zero_replicas_without_hpa_or_pdb():
    objects = m.deployment_objects(STOPPED)
    assert kinds(objects) == [("Service", "chat"), ("Deployment", "chat")]
    assert the(objects, "Deployment")["spec"]["replicas"] == 0


def test_a_deployment_being_deleted_wants_nothing():
    assert m.deployment_objects(replace(BASE, state="deleting")) == []


def test_every_kind_any_spec_wants_is_one_that_deletion_and_resync_list():
    listed = set(DEPLOYMENT_KINDS)
    for spec in SPECS.values():
        wanted = {o["kind"] for o in m.deployment_objects(spec)}
        assert wanted <= listed, f"{wanted - listed} would never be cleaned up"


def test_the_template_hash_changes_with_the_pod_and_only_with_it():
    def hash_of(spec):
        return m.deployment(spec)["spec"]["template"]["metadata"]["labels"][
            "gantry.dev/template-hash"
        ]

    assert hash_of(BASE) == hash_of(replace(BASE, replicas=5, generation=9))
    assert hash_of(BASE) != hash_of(replace(BASE, stable=VLLM_V2))


def test_the_namespace_enforces_the_restricted_pod_security_standard():
    labels = m.namespace(NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["gantry.dev/team"] == "nlp"


def test_the_resource_quota_mirrors_the_team_quota():
    quota = m.resource_quota(NAMESPACE)
    assert quota["spec"]["hard"] == {
        "requests.nvidia.com/gpu": "8",
        "requests.cpu": "64",
        "requests.memory": "512Gi",
        "pods": "20",
        "requests.nvidia.com/mig-1g.10gb": "4",
    }


def test_no_team_quota_means_no_resource_quota():
    objects = m.namespace_objects(replace(NAMESPACE, quota=None))
    assert kinds(objects) == [
        ("Namespace", "dev-nlp"),
        ("LimitRange", "gantry-defaults"),
        ("ServiceAccount", "gantry-model-server"),
        ("NetworkPolicy", "gantry-model-servers"),
    ]


def test_the_limit_range_gives_containers_default_requests_and_limits():
    limits = m.limit_range(NAMESPACE)["spec"]["limits"][0]
    assert limits["type"] == "Container"
    assert set(limits) == {"type", "default", "defaultRequest"}


def test_a_namespace_without_named_sources_lets_in_only_its_own_pods():
    fence = the(m.namespace_objects(NAMESPACE), "NetworkPolicy")
    assert fence["spec"]["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert fence["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "gantry"
