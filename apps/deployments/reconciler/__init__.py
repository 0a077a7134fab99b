"""The reconciler: make the cluster match one deployment record, and tell the record
what the cluster says. Read `loop.py` first; each other module is one phase:

- specs.py       records to plain data for `manifests` and `kube`
- namespaces.py  a team's namespace and its quota mirror
- apply.py       server-side apply and pruning
- live.py        reading Deployments, pods and events
- status.py      conditions and replica counts written back, with audit events
- rollback.py    whether a failed rollout should go back
- delete.py      removing what a deleted record owned
"""

from apps.deployments.reconciler.loop import Outcome, reconcile
from apps.deployments.reconciler.namespaces import ensure_namespace, reconcile_namespace
from apps.deployments.reconciler.specs import cluster_ref, namespace_spec, spec_of

__all__ = [
    "Outcome",
    "cluster_ref",
    "ensure_namespace",
    "namespace_spec",
    "reconcile",
    "reconcile_namespace",
    "spec_of",
]
