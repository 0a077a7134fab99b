"""kube.py against the local cluster: plain data in and out, errors that say what to do."""

import os
import re
import socket
from pathlib import Path

import pytest

from apps.clusters import kube

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster(kube_cluster) -> kube.Cluster:
    return kube.connect(kube.ClusterRef(name="local", kubeconfig_path=kube_cluster.kubeconfig))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable(kube_cluster, kubeconfig_dir) -> kube.Cluster:
    """A cluster whose kubeconfig points at a port nobody listens on."""
    text = Path(kube_cluster.kubeconfig).read_text()
    path = kubeconfig_dir / "gone.kubeconfig"
    path.write_text(re.sub(r"https://127\.0\.0\.1:\d+", f"https://127.0.0.1:{closed_port()}", text))
    return kube.connect(kube.ClusterRef(name="gone", kubeconfig_path=str(path)))


def service(namespace: str, port: int = 80) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {"ports": [{"port": port}]},
    }


def test_apply_returns_the_stored_object(cluster, kube_namespace):
    stored = cluster.apply(service(kube_namespace))

    assert stored["metadata"]["uid"]
    assert stored["spec"]["ports"][0]["port"] == 80


def test_applying_the_same_object_twice_writes_once(cluster, kube_namespace):
    first = cluster.apply(service(kube_namespace))
    second = cluster.apply(service(kube_namespace))

    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_an_invalid_object_is_a_permanent_error_with_the_api_message(cluster, kube_namespace):
    with pytest.raises(kube.KubeError) as caught:
        cluster.apply(service(kube_namespace, port=70000))

    assert (caught.value.status, caught.value.transient) == (422, False)
    assert "must be between 1 and 65535" in caught.value.message


def test_a_missing_namespace_is_not_found(cluster):
    with pytest.raises(kube.NotFound):
        cluster.apply(service("no-such-namespace-here"))


def test_get_of_a_missing_object_is_none(cluster, kube_namespace):
    assert cluster.get("Service", "nothing", kube_namespace) is None


def test_list_items_carry_their_kind_and_api_version(cluster, kube_namespace):
    cluster.apply(service(kube_namespace))

    (item,) = cluster.list("Service", namespace=kube_namespace)

    assert (item["kind"], item["apiVersion"]) == ("Service", "v1")


def test_list_selects_by_label(cluster, kube_namespace):
    labelled = service(kube_namespace)
    labelled["metadata"]["labels"] = {"team": "nlp"}
    cluster.apply(labelled)

    assert cluster.list("Service", namespace=kube_namespace, labels={"team": "vision"}) == []
    assert len(cluster.list("Service", namespace=kube_namespace, labels={"team": "nlp"})) == 1


def test_deleting_what_is_gone_says_so(cluster, kube_namespace):
    cluster.apply(service(kube_namespace))

    assert cluster.delete("Service", "probe", kube_namespace) is True
    assert cluster.delete("Service", "probe", kube_namespace) is False


def test_a_delete_of_a_version_that_changed_since_is_refused_and_keeps_the_object(
    cluster, kube_namespace
):
    seen = cluster.apply(service(kube_namespace))
    relabelled = service(kube_namespace)
    relabelled["metadata"]["labels"] = {"gantry.dev/deployment-id": "2"}
    cluster.apply(relabelled)  # say, a new record of the same name took it over

    with pytest.raises(kube.KubeError) as caught:
        cluster.delete(
            "Service", "probe", kube_namespace, resource_version=seen["metadata"]["resourceVersion"]
        )

    assert caught.value.status == 409
    assert cluster.get("Service", "probe", kube_namespace) is not None, "the new version must stay"


def test_a_field_another_manager_owns_is_a_conflict(cluster, kube_namespace):
    theirs, mine = service(kube_namespace), service(kube_namespace)
    theirs["metadata"]["labels"] = {"tier": "gold"}
    mine["metadata"]["labels"] = {"tier": "silver"}
    cluster.apply(theirs, field_manager="someone-else")

    with pytest.raises(kube.FieldConflict) as caught:
        cluster.apply(mine)

    assert caught.value.transient is False
    assert caught.value.conflicts == [
        kube.Conflict(manager="someone-else", field=".metadata.labels.tier")
    ]


def test_an_unreachable_cluster_is_a_transient_error_naming_it(unreachable):
    with pytest.raises(kube.ClusterUnreachable) as caught:
        unreachable.get("Namespace", "default")

    assert caught.value.transient is True
    assert "Cannot reach cluster 'gone'" in caught.value.message
    assert "connection refused" in caught.value.message


def test_a_missing_kubeconfig_is_unreachable_not_a_crash(kubeconfig_dir):
    ref = kube.ClusterRef(name="nowhere", kubeconfig_path=str(kubeconfig_dir / "missing"))

    with pytest.raises(kube.ClusterUnreachable, match="not a readable kubeconfig"):
        kube.connect(ref)


def test_the_client_of_a_cluster_is_reused(kube_cluster):
    ref = kube.ClusterRef(name="local", kubeconfig_path=kube_cluster.kubeconfig)

    assert kube.connect(ref) is kube.connect(ref)


def test_a_changed_kubeconfig_gets_a_new_client(kube_cluster, kubeconfig_dir):
    path = kubeconfig_dir / "kubeconfig"
    path.write_text(Path(kube_cluster.kubeconfig).read_text())
    ref = kube.ClusterRef(name="local-copy", kubeconfig_path=str(path))
    first = kube.connect(ref)

    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))

    assert kube.connect(ref) is not first
