"""The watcher's pure parts: coalescing, Lease names, what it watches."""

from __future__ import annotations

from apps.deployments import manifests
from apps.deployments.constants import DEPLOYMENT_KINDS, NAMESPACE_KINDS
from apps.deployments.watch.coalesce import RECHECK_FIRST_S, RECHECKS, Coalescer
from apps.deployments.watch.lease import lease_name
from apps.deployments.watch.react import pod_in_trouble
from apps.deployments.watch.runner import sources


def test_many_touches_within_the_window_make_one_decision():
    coalescer = Coalescer(window_s=0.25)
    for at in (0.0, 0.1, 0.2):
        coalescer.touch("d1", at)
    coalescer.touch("d2", 0.1)

    assert coalescer.pop_due(0.2) == []
    assert coalescer.pop_due(0.25) == ["d1"]
    assert coalescer.pop_due(0.35) == ["d2"]
    assert coalescer.pop_due(10.0) == []


def test_a_target_due_sooner_is_not_pushed_back_by_a_later_touch():
    coalescer = Coalescer(window_s=0.25)
    coalescer.touch("d1", 0.0)
    coalescer.touch("d1", 0.0, delay=5.0)

    assert coalescer.pop_due(0.25) == ["d1"]


def test_rechecks_after_acting_back_off_and_stop():
    coalescer = Coalescer(window_s=0.25)
    delays = []
    now = 0.0
    for _ in range(RECHECKS + 1):
        coalescer.acted("d1", now)
        due = coalescer.next_due()
        delays.append(None if due is None else due - now)
        if due is not None:
            assert coalescer.pop_due(due) == ["d1"]
            now = due

    assert delays[:3] == [RECHECK_FIRST_S, RECHECK_FIRST_S * 2, RECHECK_FIRST_S * 4]
    assert delays[-1] is None, "after the last recheck the resync is the net"


def test_lease_names_are_dns_labels_even_for_odd_cluster_names():
    name = lease_name("prod", "GPU cluster #1 (eu-west)" + "x" * 80)

    assert len(name) <= 63
    assert name.startswith("gantry-watch-prod-gpu-cluster-1-eu-west")
    assert name[-1] != "-"


def test_every_managed_kind_is_watched_by_gantrys_labels():
    watched = {s.kind: s for s in sources("prod", [])}

    assert set(DEPLOYMENT_KINDS + NAMESPACE_KINDS) <= set(watched)
    for kind in DEPLOYMENT_KINDS + NAMESPACE_KINDS:
        labels = dict(watched[kind].labels)
        assert labels[manifests.MANAGED_BY] == manifests.MANAGER, kind
        assert labels[manifests.INSTALLATION] == "prod", kind
    assert dict(watched["Event"].fields) == {"type": "Warning"}


def test_with_rights_per_namespace_each_kind_is_watched_in_each_and_namespaces_not_at_all():
    found = {(s.kind, s.namespace) for s in sources("prod", ["a", "b"])}

    assert ("Deployment", "a") in found
    assert ("Deployment", "b") in found
    assert not [kind for kind, _ in found if kind == "Namespace"]
    assert all(namespace in ("a", "b") for _, namespace in found)


def test_a_ready_pod_is_no_trouble_and_a_crash_looping_one_is():
    ready = {
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"restartCount": 0, "state": {"running": {}}}],
        }
    }
    crashing = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ],
        }
    }

    assert not pod_in_trouble(ready)
    assert pod_in_trouble(crashing)


class _ClusterWithoutGatewayAPI:
    """A cluster whose discovery says it has no HTTPRoute CRD; nothing else is asked."""

    def serves(self, kind: str) -> bool:
        return kind != "HTTPRoute"

    def list_at(self, *args, **kwargs):
        raise AssertionError("an HTTPRoute informer must not LIST where the kind is not served")


def test_a_kind_the_cluster_does_not_serve_counts_as_synced_and_empty():
    import threading

    from apps.deployments.watch.informer import Informer, Source

    stop = threading.Event()
    changes = []
    informer = Informer(1, _ClusterWithoutGatewayAPI, Source("HTTPRoute"), changes.append, stop)
    informer.start()
    try:
        assert informer.synced.wait(5), "the watcher would wait for an HTTPRoute list forever"
        assert informer.store == {}
        assert changes == []
    finally:
        stop.set()
        informer.join(5)
