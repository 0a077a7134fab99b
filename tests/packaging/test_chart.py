"""helm/gantry as Helm, the values schema and the cluster's own API server read it."""

from __future__ import annotations

import uuid

import pytest
import yaml

from tests.packaging.conftest import CHART, SECRET, by_kind, kubectl, run, set_args

NAMESPACED = {"rbac.scope": "namespaces", "rbac.namespaces": "{dev-nlp,prod-nlp}"}
VARIANTS = {"default": {}, "namespaces": NAMESPACED}


@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_helm_lint_strict_passes(helm_bin, values):
    result = run(
        helm_bin, "lint", "--strict", CHART, *set_args({"existingSecret": SECRET, **values})
    )
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_the_schema_rejects_a_misspelt_value(helm_bin):
    result = run(
        helm_bin, "template", CHART, "--set", f"existingSecret={SECRET}",
        "--set", "web.replica=3", check=False,
    )  # fmt: skip
    assert result.returncode != 0, "a misspelt value (web.replica) was accepted"
    assert "additional properties 'replica' not allowed" in result.stderr, result.stderr


def test_the_schema_accepts_anything_under_global(render):
    objects = render({"global.anything": "x", "global.nested.deep": "1"})
    assert by_kind(objects, "Deployment")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"existingSecret": ""}, "existingSecret is required"),
        ({"rbac.scope": "namespaces"}, "rbac.scope=namespaces needs rbac.namespaces"),
        ({"ingress.enabled": "true"}, "ingress.enabled needs ingress.host"),
        ({"web.replicas": "1"}, "minAvailable must be below web.replicas"),
    ],
)
def test_impossible_values_fail_before_anything_is_rendered(helm_bin, values, message):
    result = run(
        helm_bin, "template", CHART, *set_args({"existingSecret": SECRET, **values}), check=False
    )
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_web_worker_and_beat_run_as_the_issue_asks(render):
    deployments = {d["metadata"]["name"]: d for d in by_kind(render(), "Deployment")}
    web, worker, beat = (deployments[f"gantry-{c}"] for c in ("web", "worker", "beat"))
    assert web["spec"]["replicas"] >= 2
    probes = web["spec"]["template"]["spec"]["containers"][0]
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert (beat["spec"]["replicas"], beat["spec"]["strategy"]["type"]) == (1, "Recreate")
    env = {
        e["name"]: e["value"] for e in worker["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["GANTRY_WORKER_CONCURRENCY"] == "4"
    assert env["DATABASE_URL_FILE"].startswith("/var/run/secrets/gantry/app/")


def test_the_watcher_runs_with_standbys_and_leases_in_the_release_namespace(render):
    deployments = {d["metadata"]["name"]: d for d in by_kind(render(), "Deployment")}
    watcher = deployments["gantry-watcher"]
    assert watcher["spec"]["replicas"] >= 2
    container = watcher["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["manage", "watch_clusters"]
    assert container["livenessProbe"]["exec"]["command"]
    (config,) = by_kind(render(), "ConfigMap")
    assert config["data"]["GANTRY_WATCH_LEASE_NAMESPACE"] == "gantry"
    assert config["data"]["GANTRY_RESYNC_INTERVAL_S"] == "300"


def test_beat_stays_single_whatever_the_values(helm_bin):
    result = run(helm_bin, "template", CHART, "--set", f"existingSecret={SECRET}",
                 "--set", "beat.replicas=3", check=False)  # fmt: skip
    assert result.returncode != 0, "beat.replicas must not exist: two beats double every resync"


def test_the_migration_job_is_a_hook_for_helm_and_argo_cd(render):
    (job,) = by_kind(render(), "Job")
    notes = job["metadata"]["annotations"]
    assert notes["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert notes["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert notes["argocd.argoproj.io/hook"] == "PreSync"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "envFrom" not in container, "a pre-install hook runs before the ConfigMap exists"
    assert {"DATABASE_URL_FILE", "PROMETHEUS_URL"} <= {e["name"] for e in container["env"]}


@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_pod_meets_the_restricted_standard(render, values):
    for obj in by_kind(render(values), "Deployment") + by_kind(render(values), "Job"):
        pod = obj["spec"]["template"]["spec"]
        name = obj["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert c["resources"]["requests"], name
            assert c["resources"]["limits"], name


def rules_of(objects):
    return [
        (tuple(rule["apiGroups"]), resource, tuple(rule["verbs"]))
        for role in by_kind(objects, "ClusterRole") + by_kind(objects, "Role")
        for rule in role["rules"]
        for resource in rule["resources"]
    ]


@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_rbac_never_grants_secrets_wildcards_or_updates(render, values):
    rules = rules_of(render(values))
    assert rules
    for groups, resource, verbs in rules:
        assert "*" not in (*groups, *verbs, resource)
        assert resource not in ("secrets", "configmaps", "pods/exec", "roles", "rolebindings")
        assert not {"update", "deletecollection", "escalate", "bind"} & set(verbs)


@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_leases_are_the_only_rights_in_the_release_namespace(render, values):
    objects = render(values)
    leader = [
        r for r in by_kind(objects, "Role") if r["metadata"]["name"].endswith("-leader-election")
    ]
    assert len(leader) == 1
    assert leader[0]["metadata"]["namespace"] == "gantry"
    assert leader[0]["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "create", "patch"],
        }
    ]
    others = [
        r for r in by_kind(objects, "ClusterRole") + by_kind(objects, "Role") if r not in leader
    ]
    assert not [rule for role in others for rule in role["rules"] if "leases" in rule["resources"]]


def test_namespaced_rbac_has_no_cluster_role_and_one_role_per_namespace(render):
    objects = render(NAMESPACED)
    assert by_kind(objects, "ClusterRole") == [] == by_kind(objects, "ClusterRoleBinding")
    roles = [
        r
        for r in by_kind(objects, "Role")
        if not r["metadata"]["name"].endswith("-leader-election")
    ]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["dev-nlp", "prod-nlp"]
    assert {r for _, r, _ in rules_of(objects)}.isdisjoint({"namespaces", "nodes"})
    (config,) = by_kind(objects, "ConfigMap")
    assert config["data"]["GANTRY_NAMESPACES"] == "dev-nlp,prod-nlp"


# --- PriorityClasses -------------------------------------------------------------------


def classes(objects):
    keep = ("value", "preemptionPolicy", "description")
    return [
        {"name": o["metadata"]["name"], **{k: o[k] for k in keep}}
        for o in by_kind(objects, "PriorityClass")
    ]


def test_the_chart_creates_the_classes_gantry_names(render):
    from apps.deployments import priority

    assert classes(render()) == classes(priority.priority_classes())
    (config,) = by_kind(render(), "ConfigMap")
    assert config["data"]["GANTRY_PRIORITY_CLASSES"] == "true"


@pytest.mark.parametrize(
    "values",
    [NAMESPACED, {"priorityClasses.create": "false"}, {"priorityClasses.enabled": "false"}],
    ids=["namespaces", "not-created", "disabled"],
)
def test_no_class_is_created_without_cluster_scope_or_when_asked_not_to(render, values):
    objects = render(values)
    assert by_kind(objects, "PriorityClass") == []
    (config,) = by_kind(objects, "ConfigMap")
    wanted = "false" if values.get("priorityClasses.enabled") == "false" else "true"
    assert config["data"]["GANTRY_PRIORITY_CLASSES"] == wanted


@pytest.mark.cluster
def test_a_namespaced_install_says_the_classes_are_the_platforms_to_create(kube_cluster, helm_bin):
    # NOTES.txt is rendered by `helm install`, not by `helm template`.
    out = run(
        helm_bin, "install", "gantry", CHART, "--dry-run=client", "--namespace", "gantry",
        "--kubeconfig", kube_cluster.kubeconfig, "--set", f"existingSecret={SECRET}",
        *set_args(NAMESPACED),
    ).stdout  # fmt: skip
    notes = out[out.index("NOTES:") :]
    assert "rbac.scope=namespaces creates nothing cluster-wide" in notes, notes
    assert "a cluster admin must create them" in notes, notes


@pytest.mark.cluster
@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_kube_apiserver_accepts_every_rendered_object(kube_cluster, helm_bin, values):
    """Server-side dry-run: the local kube-apiserver's own schemas and validation."""
    namespace = f"gantry-dry-{uuid.uuid4().hex[:6]}"
    names = {"rbac.namespaces": f"{{{namespace}}}"} if values else {}
    manifest = run(
        helm_bin, "template", "gantry", CHART, "--namespace", namespace,
        *set_args({"existingSecret": SECRET, "ingress.enabled": "true",
                   "ingress.host": "gantry.example.com", "ingress.tlsSecretName": "tls",
                   **values, **names}),
    ).stdout  # fmt: skip
    kubectl(kube_cluster.kubeconfig, "create", "namespace", namespace)
    try:
        out = kubectl(
            kube_cluster.kubeconfig, "apply", "--dry-run=server", "--validate=strict",
            "-n", namespace, "-f", "-", stdin=manifest,
        )  # fmt: skip
    finally:
        kubectl(kube_cluster.kubeconfig, "delete", "namespace", namespace, "--wait=false")
    kinds = {doc["kind"] for doc in yaml.safe_load_all(manifest) if doc}
    assert out.count("(server dry run)") == sum(1 for d in yaml.safe_load_all(manifest) if d)
    assert {"Deployment", "Job", "Ingress", "NetworkPolicy", "PodDisruptionBudget"} <= kinds
