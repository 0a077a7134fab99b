"""Default PromQL templates of the dashboards; settings.GANTRY_PROMQL starts from these.

Each cluster's Prometheus labels things its own way, so every template can be
replaced: globally by a JSON file named in GANTRY_PROMQL_FILE, and per cluster in
the admin (Cluster.promql). Templates are checked at start-up (apps.monitoring.checks).

A template is a PromQL expression in which `${name}` is either another template
(expanded in place) or a variable that the dashboards fill in:

  ${namespaces}   regex of the Kubernetes namespaces in view, e.g. `dev-nlp|prod-nlp`
  ${deployments}  regex of the Kubernetes Deployment names in view (`.+` on the fleet page)
  ${window}       rate() window, e.g. `60s`: the step, but at least PROMETHEUS_RATE_WINDOW_S
  ${range}        the whole range of the page, e.g. `3600s`
  ${step}         the page's step between points, e.g. `60s`
  ${rank_step}    a coarse step, about 6 points over the range, for subqueries that rank
  ${top}          how many series a panel shows at most, for `topk`, e.g. `50`
  ${histogram}    the serving runtime's request-duration histogram, without `_bucket`

Runtime-specific templates are named `<name>.<runtime>` (e.g. `histogram.vllm`,
`errors.triton`) and win over `<name>` for deployments of that runtime; the
default `histogram.<runtime>` comes from the runtime's preset in
apps/registry/runtimes.py. `${1}`, `$1` (label_replace) are left alone.

Series are grouped by (namespace, deployment); a panel with several lines tells
them apart with a `stat` or `quantile` label, so that a panel is one query.
"""

from pathlib import Path


def _dcgm(metric: str, mig: bool | None) -> str:
    """`metric` of the pods in view, with dcgm-exporter's two label forms made one.

    Scraped with honor_labels, dcgm-exporter's `pod`/`namespace` labels name the
    GPU's pod. Scraped through a pod or service monitor, they clash with the
    target's own and arrive as `exported_pod`/`exported_namespace`: those are
    copied back. MIG slices carry a GPU_I_ID label; whole GPUs do not.
    """
    gpu = {True: ', GPU_I_ID!=""', False: ', GPU_I_ID=""', None: ""}[mig]
    direct = f'{metric}{{namespace=~"${{namespaces}}", pod=~"${{pod_regex}}"{gpu}}}'
    exported = (
        f'{metric}{{exported_namespace=~"${{namespaces}}", exported_pod=~"${{pod_regex}}"{gpu}}}'
    )
    return (
        f"{direct} or label_replace(label_replace({exported}, "
        '"namespace", "$1", "exported_namespace", "(.+)"), "pod", "$1", "exported_pod", "(.+)")'
    )


def _by_deployment(expr: str) -> str:
    """`expr` (series with a `pod` label) with a `deployment` label taken from the pod name."""
    return f'label_replace({expr}, "deployment", "$1", "pod", "${{pod_regex}}")'


def _tagged(label: str, parts: dict[str, str]) -> str:
    """One query for several lines: each part tagged with `label`="<key>", joined by `or`."""
    return " or ".join(
        f'label_replace({expr}, "{label}", "{value}", "", "")' for value, expr in parts.items()
    )


def _quantile(q: str) -> str:
    return (
        f"histogram_quantile({q}, sum by (namespace, deployment, le) ("
        + _by_deployment(
            'rate(${histogram}_bucket{namespace=~"${namespaces}", pod=~"${pod_regex}"}[${window}])'
        )
        + "))"
    )


_REQUESTS = (
    "sum by (namespace, deployment) ("
    + _by_deployment(
        'rate(${histogram}_count{namespace=~"${namespaces}", pod=~"${pod_regex}"}[${window}])'
    )
    + ")"
)
_ERRORS = "sum by (namespace, deployment) (" + _by_deployment("rate(${errors}[${window}])") + ")"

DEFAULT_PROMQL: dict[str, str] = {
    # --- fragments -------------------------------------------------------------
    # How a pod's name maps to its Deployment: `<deployment>-<replicaset hash>-<pod hash>`.
    # A regular expression (fully anchored by Prometheus) whose first group is the name.
    "pod_regex": "(${deployments})-[a-z0-9]+-[a-z0-9]+",
    # Percent busy of each GPU in view: DCGM_FI_DEV_GPU_UTIL for whole GPUs, and
    # DCGM_FI_PROF_GR_ENGINE_ACTIVE (a 0-1 ratio) for MIG slices, where GPU_UTIL is not
    # reported per slice.
    "gpu_util_series": (
        f"({_dcgm('DCGM_FI_DEV_GPU_UTIL', mig=False)}) or "
        f"100 * ({_dcgm('DCGM_FI_PROF_GR_ENGINE_ACTIVE', mig=True)})"
    ),
    # Percent busy of each pod (the mean of its GPUs), labelled with its deployment.
    "gpu_util_pods": _by_deployment("avg by (namespace, pod) (${gpu_util_series})"),
    "gpu_util_mean": "avg by (namespace, deployment) (${gpu_util_pods})",
    "gpu_util_max": "max by (namespace, deployment) (${gpu_util_pods})",
    # Requests that failed, as a counter selector; vLLM and most Python servers export
    # http_requests_total with `status` as "5xx" or "503".
    "errors": 'http_requests_total{namespace=~"${namespaces}", pod=~"${pod_regex}", status=~"5.."}',
    "requests_per_s": _REQUESTS,
    # --- panels of a deployment's page (range queries) --------------------------
    "gpu_util": _tagged("stat", {"mean": "${gpu_util_mean}", "max": "${gpu_util_max}"}),
    # GiB of GPU memory in use, summed over the deployment's GPUs (FB_USED is in MiB).
    "gpu_memory": (
        "sum by (namespace, deployment) ("
        + _by_deployment(_dcgm("DCGM_FI_DEV_FB_USED", mig=None))
        + ") / 1024"
    ),
    "replicas": _tagged(
        "stat",
        {
            "desired": "max by (namespace, deployment) (kube_deployment_spec_replicas"
            '{namespace=~"${namespaces}", deployment=~"${deployments}"})',
            "available": "max by (namespace, deployment) (kube_deployment_status_replicas_available"
            '{namespace=~"${namespaces}", deployment=~"${deployments}"})',
            # The HPA is found by its target, whatever it is named.
            "hpa_desired": "max by (namespace, deployment) (label_replace("
            "kube_horizontalpodautoscaler_status_desired_replicas"
            '{namespace=~"${namespaces}"} * on (namespace, horizontalpodautoscaler) '
            "group_left (scaletargetref_name) max by (namespace, horizontalpodautoscaler, "
            "scaletargetref_name) (kube_horizontalpodautoscaler_info"
            '{namespace=~"${namespaces}", scaletargetref_kind="Deployment", '
            'scaletargetref_name=~"${deployments}"}), '
            '"deployment", "$1", "scaletargetref_name", "(.+)"))',
        },
    ),
    "latency": _tagged(
        "quantile", {"p50": _quantile("0.5"), "p95": _quantile("0.95"), "p99": _quantile("0.99")}
    ),
    "requests": "${requests_per_s}",
    # Percent of requests that failed; 0 (not "no data") while nothing failed.
    "error_ratio": f"100 * ({_ERRORS} or ${{requests_per_s}} * 0) / ${{requests_per_s}}",
    # --- panels of the fleet page ----------------------------------------------
    # The heatmap's lines: ${deployments} names the busiest ones (see fleet_gpu_top's rank).
    "fleet_gpu_util": "${gpu_util_mean}",
    # Instant, at the end of the range: GPUs (or MIG slices) held, how busy they are, and
    # the busiest over the range.
    "fleet_gpu_top": _tagged(
        "stat",
        {
            "gpus": "count by (namespace, deployment) ("
            + _by_deployment("${gpu_util_series}")
            + ")",
            "mean": "${gpu_util_mean}",
            # The ${top} busiest over the range, which the heatmap shows: a mean on a coarse
            # step ranks them at a fraction of the cost of the lines themselves.
            "rank": "topk(${top}, avg_over_time((${gpu_util_mean})[${range}:${rank_step}]))",
        },
    ),
    # Instant: GPUs and MIG slices requested by running pods, per namespace and resource
    # (kube-state-metrics writes nvidia.com/mig-1g.10gb as nvidia_com_mig_1g_10gb); the
    # fleet page counts each slice as its share of a GPU and sums them per team.
    "fleet_gpus_allocated": (
        "sum by (namespace, resource) (kube_pod_container_resource_requests"
        '{namespace=~"${namespaces}", resource=~"nvidia_com_gpu|nvidia_com_mig_.+"} '
        "* on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_status_phase"
        '{namespace=~"${namespaces}", phase="Running"}) == 1))'
    ),
    # Instant: p95 latency over the whole range, per deployment.
    "fleet_latency_p95": (
        "histogram_quantile(0.95, sum by (namespace, deployment, le) ("
        + _by_deployment(
            'increase(${histogram}_bucket{namespace=~"${namespaces}", pod=~"${pod_regex}"}'
            "[${range}])"
        )
        + "))"
    ),
}


def load_overrides(path: str) -> dict[str, str]:
    """Templates replacing the defaults, from the JSON file GANTRY_PROMQL_FILE names."""
    if not path:
        return {}
    import json

    from django.core.exceptions import ImproperlyConfigured

    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ImproperlyConfigured(
            f"GANTRY_PROMQL_FILE={path} cannot be read: {exc.strerror}."
        ) from None
    except ValueError as exc:
        raise ImproperlyConfigured(f"GANTRY_PROMQL_FILE={path} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ImproperlyConfigured(
            f"GANTRY_PROMQL_FILE={path} must hold a JSON object of template name to PromQL "
            'text, e.g. {"errors": "http_requests_total{status=~\\"5..\\"}"}.'
        )
    return data
