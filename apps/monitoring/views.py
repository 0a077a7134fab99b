"""Pages with charts: a deployment's charts (a fragment of the deployment page,
`deployments:detail`, loaded by htmx) and the fleet overview.

Each view is a scoped fetch, one service call and a render. A Prometheus that
is slow, down or misconfigured never fails the page: each panel says so in place.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from apps.monitoring import services
from apps.monitoring.prometheus import DEFAULT_RANGE, RANGES, RangeError
from apps.monitoring.sparklines import page_sparklines, parse_ids


def _range(request: HttpRequest) -> str:
    return request.GET.get("range", DEFAULT_RANGE)


def _bad_range(request: HttpRequest, template: str, context: dict, exc: RangeError) -> HttpResponse:
    context.update(range_error=str(exc), ranges=tuple(RANGES), selected_range=DEFAULT_RANGE)
    return render(request, template, context, status=400)


@login_required
def deployment_charts(request: HttpRequest, pk: int) -> HttpResponse:
    """The charts of the deployment page's Overview tab, as an HTML fragment."""
    deployment = get_object_or_404(services.visible_deployments(request.user), pk=pk)
    context = {"deployment": deployment}
    try:
        dashboard = services.deployment_dashboard(deployment, _range(request))
    except RangeError as exc:
        return _bad_range(request, "monitoring/_charts.html", context, exc)
    context.update(dashboard=dashboard, ranges=dashboard.ranges, selected_range=_range(request))
    return render(request, "monitoring/_charts.html", context)


@login_required
def fleet_page(request: HttpRequest) -> HttpResponse:
    try:
        dashboard = services.fleet_dashboard(request.user, _range(request))
    except RangeError as exc:
        return _bad_range(request, "monitoring/fleet.html", {}, exc)
    context = {
        "dashboard": dashboard,
        "ranges": dashboard.ranges,
        "selected_range": _range(request),
    }
    return render(request, "monitoring/fleet.html", context)


@login_required
def sparklines(request: HttpRequest) -> HttpResponse:
    """The GPU sparklines of a deployments-list page's rows, swapped into them by htmx."""
    sparks = page_sparklines(request.user, parse_ids(request.GET.get("ids", "")))
    return render(request, "monitoring/_sparklines.html", {"sparks": sorted(sparks.items())})
