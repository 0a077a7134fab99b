"""Reading what runs: the Deployments first, and pods and their events only when the
Deployments' counts say something is off (a converged fleet costs no pod reads)."""

from __future__ import annotations

from typing import Any

from apps.clusters import kube
from apps.deployments import manifests
from apps.deployments.choices import State
from apps.deployments.observe import Observation, needs_pods, observe

NOT_READY = "NotReady"


def read_deployments(
    cluster: kube.Cluster, spec: manifests.DeploymentSpec
) -> dict[str, dict[str, Any] | None]:
    """The live Kubernetes Deployments of `spec`, by track; None where one is missing."""
    live: dict[str, dict[str, Any] | None] = {
        manifests.STABLE: cluster.get("Deployment", spec.name, spec.namespace)
    }
    if spec.has_canary:
        live[manifests.CANARY] = cluster.get("Deployment", spec.canary_name, spec.namespace)
    return live


def observe_live(
    cluster: kube.Cluster, spec: manifests.DeploymentSpec, live: dict[str, Any]
) -> Observation:
    """Deployment status first; pods and events only when the counts say something is off."""
    obs = observe(spec, live)
    if spec.state != State.RUNNING or not needs_pods(obs.tracks):
        return obs
    if not all(track.current for track in obs.tracks):
        # The Deployment controller has not acted on this spec yet (just applied), so
        # no pod can say anything about it: the follow-up looks.
        return obs
    pods = cluster.list(
        "Pod",
        namespace=spec.namespace,
        labels={
            manifests.DEPLOYMENT_ID: str(spec.id),
            manifests.INSTALLATION: spec.installation,
        },
    )
    obs = observe(spec, live, pods)
    if obs.problem and obs.problem.reason == NOT_READY and obs.problem.pod:
        warning = latest_warning(cluster, spec.namespace, obs.problem.pod)
        if warning:
            obs = observe(spec, live, pods, {obs.problem.pod: warning})
    return obs


def latest_warning(cluster: kube.Cluster, namespace: str, pod: str) -> str:
    """The newest Warning event about a pod, e.g. 'Readiness probe failed: ...'."""
    events = cluster.list(
        "Event", namespace=namespace, fields={"involvedObject.name": pod, "type": "Warning"}
    )
    if not events:
        return ""

    def when(event: dict[str, Any]) -> str:
        return event.get("lastTimestamp") or event.get("eventTime") or ""

    return max(events, key=when).get("message", "")
