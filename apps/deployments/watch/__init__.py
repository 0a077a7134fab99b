"""The watcher (`manage.py watch_clusters`): drift, deletions and pod trouble seen as
they happen, instead of at the next resync.

- informer.py  one LIST then WATCH of one kind in one cluster, in a thread (kube only)
- lease.py     leader election per cluster over a coordination.k8s.io/v1 Lease
- react.py     a change to actions, with the resync's own drift and orphan rules
- coalesce.py  many changes to one deployment within a short window: one reconcile
- runner.py    the process: informers and leases per cluster, one loop that acts

Threads only talk to Kubernetes and hand events to the loop; the loop alone reads
the database and queues reconciles. Nothing is kept that the cluster (the informers'
stores) or the database do not hold, so a restarted watcher simply starts over.
"""
