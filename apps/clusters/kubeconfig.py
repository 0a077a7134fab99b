"""Credentials of a cluster: its kubeconfig (or in-cluster account) to an API client.

Split from `kube` (which keeps one client per cluster and the verbs): reading a file an
admin named is where untrusted input enters, so its checks stand on their own here.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from apps.clusters.kubetypes import ClusterRef, ClusterUnreachable
from apps.core.lib.paths import is_within

log = logging.getLogger("apps.clusters.kube")


def _new_api_client(ref: ClusterRef) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    if ref.in_cluster:
        k8s_config.load_incluster_config(client_configuration=configuration)
    else:
        k8s_config.load_kube_config(
            config_file=ref.kubeconfig_path,
            context=ref.context or None,
            client_configuration=configuration,
            persist_config=False,
        )
    # Gantry retries with its own backoff (and says so on the record); urllib3's
    # silent retries would only hide an unreachable cluster for longer.
    configuration.retries = False
    # The watcher holds a dozen long watches per cluster besides its short requests.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, 32)
    return k8s.ApiClient(configuration)


def kubeconfig_version(ref: ClusterRef, allowed_dirs: Sequence[str]) -> float:
    """The kubeconfig's mtime, once it is known to be a regular file Gantry may read."""
    if not is_within(ref.kubeconfig_path, allowed_dirs):
        raise ClusterUnreachable(
            cluster=ref.name,
            message=f"The kubeconfig of cluster '{ref.name}' is outside the directories Gantry "
            "reads kubeconfigs from (GANTRY_KUBECONFIG_DIRS); a platform admin must move it "
            "into one of them.",
        )
    try:
        status = os.stat(ref.kubeconfig_path)
    except OSError:
        # Perhaps a Secret not mounted yet: worth trying again.
        raise _unreadable(ref, transient=True) from None
    if not stat.S_ISREG(status.st_mode):
        raise _unreadable(ref)
    return status.st_mtime


def load_api_client(ref: ClusterRef) -> k8s.ApiClient:
    """An API client for `ref`; whatever is wrong with its credentials is ClusterUnreachable."""
    try:
        return _new_api_client(ref)
    except (ConfigException, OSError, ValueError) as exc:
        if ref.in_cluster:
            raise ClusterUnreachable(
                cluster=ref.name,
                message=f"Cannot load the credentials of cluster '{ref.name}': {exc}.",
                transient=True,
            ) from None
        log.warning("cluster %s: kubeconfig did not load (%s)", ref.name, type(exc).__name__)
        raise _unreadable(ref) from None
    except Exception as exc:
        # A file that is YAML but not a kubeconfig (a list, a string, /etc/passwd) fails
        # deep in the loader with TypeError, AttributeError, KeyError and the like. It is
        # this cluster's trouble, never a crash of the sweep over all clusters; the
        # loader's words may quote the file, so only the error's type is logged.
        log.warning("cluster %s: kubeconfig did not load (%s)", ref.name, type(exc).__name__)
        raise _unreadable(ref) from None


def _unreadable(ref: ClusterRef, *, transient: bool = False) -> ClusterUnreachable:
    context = f" with context '{ref.context}'" if ref.context else ""
    return ClusterUnreachable(
        cluster=ref.name,
        message=f"The kubeconfig of cluster '{ref.name}' is not a readable kubeconfig{context}; "
        "a platform admin must check the file set on the cluster.",
        transient=transient,
    )
