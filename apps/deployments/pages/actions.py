"""The deployment page's actions: each a POST calling one service of
apps.deployments.services (the same the API calls), landing back on the page
with a message. A viewer is refused with 403 before anything is read; a
refusal by the service is shown beside its field and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.accounts.access import require_role
from apps.accounts.choices import Role
from apps.deployments import services
from apps.deployments.models import Deployment
from apps.deployments.pages import forms
from apps.deployments.pages.detail import page_context
from apps.deployments.pages.scope import fetch

Call = Callable[[Deployment, Any, dict[str, Any]], Deployment]


@dataclass(frozen=True)
class Verb:
    form: type[django_forms.Form]
    call: Call
    done: Callable[[Deployment], str]
    tab: str = "overview"  # where it lands, and where a refusal is shown


def _rolling(d: Deployment) -> str:
    return f"generation {d.generation} is rolling out."


VERBS: dict[str, Verb] = {
    "scale": Verb(
        forms.ScaleForm,
        lambda d, actor, a: services.scale(d, actor=actor, **a),
        lambda d: f"Scaling {d.name}: {_rolling(d)}",
    ),
    "resources": Verb(
        forms.ResourcesForm,
        lambda d, actor, a: services.update_deployment(d, actor=actor, **a),
        lambda d: f"Changed the resources of {d.name}: {_rolling(d)}",
    ),
    "canary": Verb(
        forms.CanaryForm,
        lambda d, actor, a: services.set_canary(d, actor=actor, **a),
        lambda d: (
            f"Canary {d.canary_version.version if d.canary_version_id else 'ended'} at "
            f"{d.canary_weight}% for {d.name}: {_rolling(d)}"
        ),
    ),
    "promote": Verb(
        forms.ConfirmForm,
        lambda d, actor, a: services.promote(d, actor=actor),
        lambda d: f"Promoted: {d.name} now serves {d.model_version.version}; {_rolling(d)}",
    ),
    "abort": Verb(
        forms.ConfirmForm,
        lambda d, actor, a: services.abort(d, actor=actor),
        lambda d: f"Aborted the canary: all traffic of {d.name} returns to the stable version.",
    ),
    "stop": Verb(
        forms.ConfirmForm,
        lambda d, actor, a: services.stop(d, actor=actor),
        lambda d: f"Stopping {d.name}: its pods shut down and it holds no quota.",
    ),
    "start": Verb(
        forms.ConfirmForm,
        lambda d, actor, a: services.start(d, actor=actor),
        lambda d: f"Starting {d.name}: {_rolling(d)}",
    ),
    "rollback": Verb(
        forms.RollbackForm,
        lambda d, actor, a: services.rollback(d, a["revision_number"], actor=actor),
        lambda d: f"Rolled {d.name} back as revision {d.generation}; it is rolling out.",
        tab="history",
    ),
    "delete": Verb(
        forms.DeleteForm,
        lambda d, actor, a: services.request_delete(d, actor=actor),
        lambda d: f"Deleting {d.name}: its objects leave the cluster, then the record goes.",
    ),
}
# Forms the Actions tab shows again, with their errors, when refused.
ON_ACTIONS_TAB = {"scale", "resources", "canary", "delete"}


def _form(verb: Verb, data: Any, deployment: Deployment) -> django_forms.Form:
    if verb.form in (forms.CanaryForm, forms.DeleteForm):
        return verb.form(data, deployment=deployment)
    return verb.form(data)


@login_required
def act(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    spec = VERBS.get(verb)
    if spec is None:
        raise Http404("No such action.")
    deployment = fetch(request, pk)  # another team's: 404 before anything else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_role(request.user, deployment.team, Role.DEPLOYER, doing="change deployments")
    form = _form(spec, request.POST, deployment)
    if form.is_valid():
        try:
            changed = spec.call(deployment, request.user, form.arguments())
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, spec.done(changed))
            if verb == "delete":
                return redirect("deployments:list")
            return redirect(f"{reverse('deployments:detail', args=[pk])}?tab={spec.tab}")
    return _refused(request, deployment, verb, spec, form)


def _refused(
    request: HttpRequest, deployment: Deployment, verb: str, spec: Verb, form: django_forms.Form
) -> HttpResponse:
    """The form again with what is wrong (400), or the page's message for a button."""
    if verb not in ON_ACTIONS_TAB:
        for error in form.errors.values():
            for message in error:
                messages.error(request, message)
        return redirect(f"{reverse('deployments:detail', args=[deployment.pk])}?tab={spec.tab}")
    context = page_context(request, deployment, "actions", True)
    context["forms"] = forms.initial_forms(deployment, bound={verb: form})
    context["refused"] = verb
    return render(request, "deployments/detail.html", context, status=400)
