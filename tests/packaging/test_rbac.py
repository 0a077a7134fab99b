"""The chart's RBAC is exactly enough: Gantry reconciles with nothing but its ServiceAccount.

The chart's ServiceAccount, (Cluster)Role and binding are rendered by Helm and applied to
the local cluster; a token of that ServiceAccount (`kubectl create token`) goes into a
kubeconfig, and the reconciler runs a deployment's whole life through it (exposed through
an HTTPRoute): create, scale, canary, roll back, resync, delete. A right missing from the
chart fails here with the API server's Forbidden; `kubectl auth can-i --list` shows no
right beyond the chart's.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from apps.clusters import kube
from apps.deployments import reconciler, resync, services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment
from tests import factories
from tests.packaging.conftest import by_kind, kubectl
from tests.reconciler.conftest import (  # noqa: F401 (fixtures, used by name)
    converge,
    installation,
    is_available,
    names,
    owned,
)

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

RBAC_TEMPLATES = (
    "templates/serviceaccount.yaml",
    "templates/clusterrole.yaml",
    "templates/clusterrolebinding.yaml",
    "templates/role.yaml",
    "templates/rolebinding.yaml",
)
# Every authenticated user may ask what it may do; that is not the chart's.
BUILTIN = ("selfsubject", "[/")
WRITES = ("create", "patch", "delete")


def rendered_rbac(render, namespace: str, values: dict[str, str]) -> list[dict]:
    objects = render(values, namespace)
    keep = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    return [obj for obj in objects if obj["kind"] in keep]


@pytest.fixture(params=["cluster", "namespaces"])
def install(request, kube_cluster, render, installation, settings, tmp_path):  # noqa: F811
    """The chart's RBAC in the local cluster, and a kubeconfig holding only its token."""
    scope = request.param
    suffix = uuid.uuid4().hex[:6]
    release_ns = f"gantry-rbac-{suffix}"
    prefix = f"rb{suffix}"
    team_ns = f"{prefix}-nlp"
    admin = kube_cluster.kubeconfig
    values = {"fullnameOverride": f"gantry-{suffix}"}
    kubectl(admin, "create", "namespace", release_ns)
    if scope == "namespaces":
        values |= {"rbac.scope": "namespaces", "rbac.namespaces": f"{{{team_ns}}}"}
        # The platform makes the namespace, as the chart's README section says.
        kubectl(admin, "create", "namespace", team_ns)
        kubectl(
            admin, "label", "namespace", team_ns, "pod-security.kubernetes.io/enforce=restricted"
        )
        settings.GANTRY_NAMESPACES = [team_ns]
    objects = rendered_rbac(render, release_ns, values)
    kubectl(admin, "apply", "-f", "-", stdin=yaml.safe_dump_all(objects))
    (account,) = by_kind(objects, "ServiceAccount")
    sa = account["metadata"]["name"]
    token = kubectl(admin, "-n", release_ns, "create", "token", sa, "--duration=1h").strip()
    settings.GANTRY_KUBECONFIG_DIRS = [str(tmp_path)]
    path = tmp_path / "gantry-sa.kubeconfig"
    path.write_text(token_kubeconfig(admin, token))
    yield {
        "scope": scope,
        "kubeconfig": str(path),
        "as": f"system:serviceaccount:{release_ns}:{sa}",
        "prefix": prefix,
        "team_ns": team_ns,
        "release_ns": release_ns,
    }
    for obj in objects:
        if obj["kind"].startswith("Cluster"):
            kubectl(admin, "delete", obj["kind"], obj["metadata"]["name"], "--wait=false")
    for ns in {release_ns, team_ns}:
        kubectl(admin, "delete", "namespace", ns, "--wait=false", "--ignore-not-found")


def token_kubeconfig(admin_kubeconfig: str, token: str) -> str:
    admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
    server = admin["clusters"][0]["cluster"]
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "local", "cluster": server}],
            "users": [{"name": "gantry", "user": {"token": token}}],
            "contexts": [{"name": "gantry", "context": {"cluster": "local", "user": "gantry"}}],
            "current-context": "gantry",
        }
    )


def can_i(kube_cluster, who: str, *args: str) -> bool:
    out = kubectl(kube_cluster.kubeconfig, "auth", "can-i", "--as", who, *args, check=False)
    return out.strip().splitlines()[0] == "yes"


def test_can_i_says_yes_to_each_needed_right_and_no_to_the_rest(kube_cluster, install):
    who, ns = install["as"], install["team_ns"]
    kinds = [
        "deployments.apps", "services", "horizontalpodautoscalers.autoscaling",
        "poddisruptionbudgets.policy", "resourcequotas", "limitranges", "serviceaccounts",
        "networkpolicies.networking.k8s.io", "ingresses.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
    ]  # fmt: skip
    needed = [f"{verb} {kind}" for verb in ("get", "list", "watch", *WRITES) for kind in kinds]
    needed += ["get pods", "list pods", "watch pods", "get pods --subresource=log"]
    needed += ["list events", "watch events"]
    needed += ["get gateways.gateway.networking.k8s.io"]
    refused = [
        "get secrets", "list secrets", "create pods", "delete pods",
        "create pods --subresource=exec",
        "get configmaps", "update deployments.apps", "create leases.coordination.k8s.io",
        "deletecollection deployments.apps", "create jobs.batch",
        "create roles.rbac.authorization.k8s.io", "create rolebindings.rbac.authorization.k8s.io",
        "create serviceaccounts --subresource=token", "create gateways.gateway.networking.k8s.io",
        "list gateways.gateway.networking.k8s.io", "create ingressclasses.networking.k8s.io",
    ]  # fmt: skip
    cluster_wide_refused = [
        "delete namespaces", "update namespaces", "create clusterroles.rbac.authorization.k8s.io",
        "create clusterrolebindings.rbac.authorization.k8s.io", "patch nodes", "delete nodes",
        "create persistentvolumes", "create customresourcedefinitions.apiextensions.k8s.io",
        "create validatingwebhookconfigurations.admissionregistration.k8s.io",
        "create storageclasses.storage.k8s.io", "create priorityclasses.scheduling.k8s.io",
    ]  # fmt: skip
    cluster_only = ["create namespaces", "list namespaces", "get nodes"]
    outside = ["list deployments.apps --all-namespaces", "create deployments.apps -n default"]
    missing = [r for r in needed if not can_i(kube_cluster, who, *r.split(), "-n", ns)]
    extra = [r for r in refused if can_i(kube_cluster, who, *r.split(), "-n", ns)]
    extra += [r for r in cluster_wide_refused if can_i(kube_cluster, who, *r.split())]
    # The watchers' Leases: in the release namespace, and only there.
    leases = ("leases.coordination.k8s.io", "-n", install["release_ns"])
    missing += [
        f"{verb} leases" for verb in ("get", "create", "patch")
        if not can_i(kube_cluster, who, verb, *leases)
    ]  # fmt: skip
    if install["scope"] == "cluster":
        missing += [r for r in cluster_only if not can_i(kube_cluster, who, *r.split())]
    else:
        extra += [r for r in cluster_only + outside if can_i(kube_cluster, who, *r.split())]
    assert (missing, extra) == ([], []), f"missing rights: {missing}; rights too many: {extra}"


def test_can_i_list_shows_only_the_charts_rules(kube_cluster, install):
    out = kubectl(
        kube_cluster.kubeconfig, "auth", "can-i", "--list", "--as", install["as"],
        "-n", install["team_ns"],
    )  # fmt: skip
    rows = [line.split()[0] for line in out.splitlines()[1:] if line.strip()]
    resources = sorted(r for r in rows if not r.startswith(BUILTIN))
    expected = [
        "deployments.apps", "events", "horizontalpodautoscalers.autoscaling", "limitranges",
        "poddisruptionbudgets.policy", "pods", "pods/log", "resourcequotas", "serviceaccounts",
        "services", "networkpolicies.networking.k8s.io", "ingresses.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
    ]  # fmt: skip
    if install["scope"] == "cluster":
        expected += ["namespaces", "nodes"]
    assert resources == sorted(expected)
    assert "*" not in out.split("[/")[0], "a wildcard verb or resource"


@pytest.fixture
def sa_cluster_record(install, db):
    return factories.ClusterFactory(
        name=f"sa-{install['scope']}", kubeconfig_path=install["kubeconfig"]
    )


def test_a_whole_life_reconciles_with_only_the_charts_rights(
    install, sa_cluster_record, kube_cluster, team, deployer, model_version, settings
):
    # Exposed through an HTTPRoute: the route and the canary's Service need rights too.
    env = factories.EnvironmentFactory(
        name="development",
        namespace=install["prefix"],
        cluster=sa_cluster_record,
        exposure="httproute",
        domain="models.example.com",
        gateway="gateway-system/public",
    )
    env.teams.add(team)
    assert env.namespace_for(team.name) == install["team_ns"]
    admin = kube.connect(
        kube.ClusterRef(name="admin", kubeconfig_path=kube_cluster.kubeconfig),
        kubeconfig_dirs=[str(Path(kube_cluster.kubeconfig).parent)],
    )

    deployment = services.create_deployment(
        actor=deployer, team=team, environment=env, name="chat", model_version=model_version,
        replicas=2, cpu="500m", memory="1Gi",
    )  # fmt: skip
    record = converge(deployment, is_available, what="created with the SA's token", timeout=90)
    assert names(owned(admin, record, "Deployment")) == ["chat"]
    assert names(owned(admin, record, "HTTPRoute")) == ["chat"]

    services.scale(record, actor=deployer, min_replicas=2, max_replicas=4, autoscaling_target=60)
    record = converge(record, is_available, what="autoscaled", timeout=90)
    assert names(owned(admin, record, "HorizontalPodAutoscaler")) == ["chat"]

    v2 = factories.ModelVersionFactory(model=model_version.model, version="canary")
    services.set_canary(record, actor=deployer, version=v2, weight=25)
    record = converge(record, is_available, what="the canary Available", timeout=90)
    assert names(owned(admin, record, "Deployment")) == ["chat", "chat-canary"]
    assert names(owned(admin, record, "Service")) == ["chat", "chat-canary"]

    services.rollback(record, 1, actor=deployer)
    record = converge(
        record,
        lambda r: is_available(r) and names(owned(admin, r, "Deployment")) == ["chat"],
        what="rolled back to revision 1",
        timeout=90,
    )
    assert owned(admin, record, "HorizontalPodAutoscaler") == []

    plan = resync.resync_cluster(sa_cluster_record)
    assert not plan.unreachable, f"resync as the SA: {plan}"
    assert not plan.reconcile, f"resync as the SA: {plan}"
    synced = record.condition(ConditionType.SYNCED)
    assert synced["status"] == "True", synced

    services.request_delete(record, actor=deployer)
    for _ in range(120):
        reconciler.reconcile(record.pk)
        if not Deployment.objects.filter(pk=record.pk).exists():
            break
    else:
        pytest.fail(f"never deleted: {Deployment.objects.get(pk=record.pk).conditions}")
    assert [names(owned(admin, record, k)) for k in ("Deployment", "Service", "HTTPRoute")] == [
        [],
        [],
        [],
    ]
