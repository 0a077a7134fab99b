"""The staff-escalation matrix: every admin add, change and delete page, for staff of every role,
on their own team's records and on another team's.

Staff here hold every Django permission there is, the worst a careless grant can do, so
what refuses them is Gantry's rule, not a missing tick: clusters, environments, quotas, teams,
users and groups are the platform's, changed by superusers only; other pages write through
the services, which check the team role. A refused page answers 403 (or the admin's
redirect), GET and POST alike, and no request changes a single row. The pages come from
admin.site's registry, so a page added later is in the matrix, or the matrix fails until
its records are named in TARGETS below.
"""

from collections.abc import Callable
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, Membership
from apps.accounts.services import create_token
from apps.deployments import services
from apps.deployments.models import Deployment, Event, Revision
from apps.quotas.models import Quota, QuotaLimit
from apps.registry.models import Model, ModelVersion
from tests import factories

PAGES = sorted(model._meta.label_lower for model in admin.site._registry)
ROLES = [Role.VIEWER, Role.DEPLOYER, Role.ADMIN]
ACTIONS = ["add", "change", "delete"]

# What staff may do on their own team's records, by page and action: the rest is refused.
ALLOWED = {
    ("accounts.membership", "add"): {Role.ADMIN},
    ("accounts.membership", "change"): {Role.ADMIN},
    ("accounts.membership", "delete"): {Role.ADMIN},
    ("registry.model", "add"): {Role.DEPLOYER, Role.ADMIN},
    ("registry.model", "change"): {Role.DEPLOYER, Role.ADMIN},
    ("registry.modelversion", "add"): {Role.DEPLOYER, Role.ADMIN},
    ("registry.modelversion", "change"): {Role.DEPLOYER, Role.ADMIN},
    ("accounts.apitoken", "add"): set(ROLES),  # tokens for themselves only
}


class World:
    """Two teams' worth of every record the admin shows, and the staff member under test."""

    def __init__(self, role: str, team, other_team, deployer, outsider) -> None:
        self.team, self.other_team = team, other_team
        self.staff = factories.member(team, role, username="stan", is_staff=True)
        self.staff.user_permissions.set(Permission.objects.all())
        self.outsider = outsider
        self.teammate = factories.member(team, Role.VIEWER, username="theo")
        self.newcomer = factories.UserFactory(username="nina")
        self.group = Group.objects.create(name="platform")
        self.environments = {}
        self.deployments = {}
        for whose, owner_team, actor in [("own", team, deployer), ("other", other_team, None)]:
            cluster = factories.ClusterFactory(name=f"{whose}-cluster")
            env = factories.EnvironmentFactory(name=f"{whose}-env", cluster=cluster)
            env.teams.add(owner_team)
            quota = Quota.objects.create(team=owner_team, gpus_total=8)
            QuotaLimit.objects.create(quota=quota, resource="NVIDIA-L4", limit=4)
            version = factories.ModelVersionFactory(model__team=owner_team)
            self.environments[whose] = env
            self.deployments[whose] = services.create_deployment(
                actor=actor,
                team=owner_team,
                environment=env,
                name=f"{whose}-chat",
                model_version=version,
            )
        # Sign-in records of the staff member ("own": lifting their own lockout) and another.
        self.sign_ins = {
            whose: {
                model: model.objects.create(
                    username=username,
                    ip_address="127.0.0.1",
                    user_agent="test",
                    http_accept="*/*",
                    path_info="/login/",
                    attempt_time=timezone.now(),
                    **extra,
                )
                for model, extra in (
                    (AccessAttempt, {"get_data": "", "post_data": "", "failures_since_start": 5}),
                    (AccessLog, {}),
                    (AccessFailureLog, {}),
                )
            }
            for whose, username in (("own", "stan"), ("other", "oscar"))
        }
        self.tokens = {
            "own": create_token(actor=None, user=self.staff, name="mine").token,
            "other": create_token(actor=None, user=self.outsider, name="theirs").token,
        }

    def team_of(self, whose: str):
        return self.team if whose == "own" else self.other_team

    def model_of(self, whose: str) -> Model:
        return Model.objects.filter(team=self.team_of(whose)).first()


# The record each page's change and delete pages are tried on, for "own" and "other".
TARGETS: dict[str, Callable[[World, str], Any]] = {
    "accounts.team": lambda w, whose: w.team_of(whose),
    "accounts.membership": lambda w, whose: (
        Membership.objects.get(user=w.teammate)
        if whose == "own"
        else Membership.objects.get(user=w.outsider)
    ),
    "accounts.apitoken": lambda w, whose: w.tokens[whose],
    "auth.user": lambda w, whose: w.staff if whose == "own" else w.outsider,
    "auth.group": lambda w, whose: w.group,
    "clusters.cluster": lambda w, whose: w.environments[whose].cluster,
    "clusters.environment": lambda w, whose: w.environments[whose],
    "quotas.quota": lambda w, whose: Quota.objects.get(team=w.team_of(whose)),
    "registry.model": lambda w, whose: w.model_of(whose),
    "registry.modelversion": lambda w, whose: ModelVersion.objects.filter(
        model__team=w.team_of(whose)
    ).first(),
    "deployments.deployment": lambda w, whose: w.deployments[whose],
    "deployments.revision": lambda w, whose: Revision.objects.filter(
        deployment=w.deployments[whose]
    ).first(),
    "deployments.event": lambda w, whose: Event.objects.filter(team=w.team_of(whose)).first(),
    "axes.accessattempt": lambda w, whose: w.sign_ins[whose][AccessAttempt],
    "axes.accesslog": lambda w, whose: w.sign_ins[whose][AccessLog],
    "axes.accessfailurelog": lambda w, whose: w.sign_ins[whose][AccessFailureLog],
}


def body(world: World, page: str, whose: str) -> dict:
    """A POST that would escalate if it were accepted: every field such pages have."""
    team = world.team_of(whose)
    user = world.staff if whose == "own" else world.outsider
    return {
        "name": "pwned",
        "username": world.staff.username,
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "on",
        "groups": [world.group.pk],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)[:5]),
        "permissions": list(Permission.objects.values_list("pk", flat=True)[:5]),
        "password1": "a-new-password-nobody-knows",
        "password2": "a-new-password-nobody-knows",
        "team": team.pk,
        "user": user.pk if page == "accounts.apitoken" else world.newcomer.username,
        "role": Role.ADMIN,
        "model": world.model_of(whose).pk,
        "version": "v99",
        "artifact_uri": "s3://models/pwned/",
        "runtime": "vllm",
        "framework": "other",
        "task": "other",
        "expires_in_days": "30",
        "namespace": "pwned",
        "tier": "production",
        "cluster": world.environments[whose].cluster_id,
        "connection": "kubeconfig",
        "kubeconfig_path": "/etc/passwd",
        "gpus_total": "999",
        "replicas": "999",
        "post": "yes",  # the delete page's confirmation
    }


def snapshot() -> dict:
    """Every row of every table (sessions aside: signing in writes one)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model is Session:
            continue
        rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


def url(page: str, action: str, obj: Any) -> str:
    name = f"admin:{page.replace('.', '_')}_{action}"
    return reverse(name) if action == "add" else reverse(name, args=[obj.pk])


def refused_redirect(response) -> bool:
    """The admin's own refusals: to the login page, or to its index ("does not exist")."""
    return response.status_code == 302 and (
        response.url.startswith(reverse("admin:login")) or response.url == reverse("admin:index")
    )


@pytest.fixture
def world_for(team, other_team, deployer, outsider) -> Callable[[str], World]:
    return lambda role: World(role, team, other_team, deployer, outsider)


CASES = [
    (page, action, role, whose)
    for page in PAGES
    for action in ACTIONS
    for role in ROLES
    for whose in ["own", "other"]
]


@pytest.mark.parametrize(("page", "action", "role", "whose"), CASES)
def test_staff_never_change_what_their_role_does_not_allow(
    client, world_for, page, action, role, whose
):
    world = world_for(role)
    assert page in TARGETS, f"name the records of the new admin page {page} in TARGETS"
    obj = None if action == "add" else TARGETS[page](world, whose)
    allowed = role in ALLOWED.get((page, action), set())
    client.force_login(world.staff)
    before = snapshot()

    shown = client.get(url(page, action, obj))
    posted = client.post(url(page, action, obj), body(world, page, whose))

    if allowed and (whose == "own" or action == "add"):
        assert shown.status_code == 200, f"{page} {action} should open for a {role}"
    elif action == "change" and whose == "own" and shown.status_code == 200:
        # Their own team's record, shown read-only.
        assert shown.context["has_change_permission"] is False
    else:
        assert shown.status_code == 403 or refused_redirect(shown), shown.status_code
    if allowed and whose == "own":
        return  # a permitted write; the services' own tests pin what it does
    if allowed and action == "add":
        # A page they may use, asked about another team's (or user's) records: a form error.
        assert posted.status_code == 200
        assert posted.context["adminform"].form.errors
    else:
        assert posted.status_code == 403 or refused_redirect(posted), posted.status_code
    assert snapshot() == before


def test_the_matrix_covers_every_registered_page():
    assert set(PAGES) == set(TARGETS), "every admin page needs its records in TARGETS"
    for key in ALLOWED:
        assert key[0] in PAGES


@pytest.mark.parametrize("role", ROLES)
def test_a_staff_member_cannot_make_themselves_a_superuser(client, world_for, role):
    world = world_for(role)
    client.force_login(world.staff)

    response = client.post(
        reverse("admin:auth_user_change", args=[world.staff.pk]),
        {**body(world, "auth.user", "own"), "username": "stan", "date_joined_0": "2026-01-01"},
    )

    assert response.status_code == 403
    world.staff.refresh_from_db()
    assert (world.staff.is_superuser, world.staff.groups.count()) == (False, 0)


def test_a_viewer_cannot_rename_their_team_or_raise_its_quota(client, world_for):
    world = world_for(Role.VIEWER)
    client.force_login(world.staff)
    quota = Quota.objects.get(team=world.team)

    renamed = client.post(
        reverse("admin:accounts_team_change", args=[world.team.pk]), {"name": "mine-now"}
    )
    raised = client.post(
        reverse("admin:quotas_quota_change", args=[quota.pk]), {"gpus_total": "999"}
    )

    assert (renamed.status_code, raised.status_code) == (403, 403)
    quota.refresh_from_db()
    world.team.refresh_from_db()
    assert (world.team.name, quota.gpus_total) == ("nlp", 8)


def test_staff_see_their_own_teams_environment_but_not_others(client, world_for):
    world = world_for(Role.ADMIN)
    client.force_login(world.staff)

    own = world.environments["own"]
    own.teams.add(world.other_team)  # a neighbour whose name is not theirs to see

    listing = client.get(reverse("admin:clusters_environment_changelist")).content.decode()
    page = client.get(reverse("admin:clusters_environment_change", args=[own.pk]))

    assert "own-env" in listing
    assert "other-env" not in listing
    assert page.context["has_change_permission"] is False
    assert f"{own.namespace}-vision" not in page.content.decode()
    assert f"{own.namespace}-nlp" in page.content.decode()
    assert client.get(reverse("admin:clusters_cluster_changelist")).status_code == 403


def test_a_team_admin_adds_a_member_by_username(client, world_for):
    world = world_for(Role.ADMIN)
    client.force_login(world.staff)

    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": "nina", "team": world.team.pk, "role": Role.VIEWER},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=world.newcomer).team == world.team


def test_a_superuser_still_changes_platform_objects(client, superuser, world_for):
    world = world_for(Role.ADMIN)
    client.force_login(superuser)
    quota = Quota.objects.get(team=world.team)
    limit = QuotaLimit.objects.get(quota=quota)

    response = client.post(
        reverse("admin:quotas_quota_change", args=[quota.pk]),
        {
            "team": world.team.pk,
            "gpus_total": "16",
            "replicas": "",
            "cpu": "",
            "memory": "",
            "limits-TOTAL_FORMS": "1",
            "limits-INITIAL_FORMS": "1",
            "limits-0-id": limit.pk,
            "limits-0-quota": quota.pk,
            "limits-0-kind": limit.kind,
            "limits-0-resource": limit.resource,
            "limits-0-limit": limit.limit,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    quota.refresh_from_db()
    assert quota.gpus_total == 16


@pytest.mark.parametrize("role", [Role.DEPLOYER, Role.ADMIN])
def test_deployments_stay_read_only_for_staff(client, world_for, role):
    world = world_for(role)
    client.force_login(world.staff)
    own = world.deployments["own"]

    response = client.post(reverse("admin:deployments_deployment_delete", args=[own.pk]))

    assert response.status_code == 403
    assert Deployment.objects.filter(pk=own.pk).exists()
    assert ApiToken.objects.filter(user=world.staff).count() == 1
