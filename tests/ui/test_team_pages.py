"""Team pages: members through the accounts services, quota bars, the audit log; scoping."""

import pytest

from apps.accounts.choices import Role
from apps.accounts.models import Membership
from apps.deployments.models import Event
from apps.quotas.models import Quota, QuotaLimit
from tests import factories

pytestmark = pytest.mark.django_db


def test_teams_index_lists_only_the_users_teams(client, teammate, team, other_team):
    client.force_login(teammate)
    body = client.get("/teams/").content.decode()
    assert f'href="/teams/{team.pk}/"' in body
    assert f'href="/teams/{other_team.pk}/"' not in body


@pytest.mark.parametrize(
    "path", ["/teams/{pk}/", "/teams/{pk}/quota/", "/teams/{pk}/audit/"], ids=str
)
def test_an_outsider_gets_404(client, outsider, team, path):
    client.force_login(outsider)
    assert client.get(path.format(pk=team.pk)).status_code == 404


def test_a_viewer_reads_members_but_has_no_forms_and_may_not_post(client, teammate, owner, team):
    client.force_login(teammate)
    body = client.get(f"/teams/{team.pk}/").content.decode()
    assert owner.username in body
    assert "Add member" not in body, "a viewer is not offered forms they may not use"
    response = client.post(f"/teams/{team.pk}/members/", {"username": "x", "role": "viewer"})
    assert response.status_code == 403


def test_a_deployer_may_not_change_roles(client, deployer, teammate, team):
    client.force_login(deployer)
    membership = Membership.objects.get(user=teammate, team=team)
    response = client.post(f"/teams/{team.pk}/members/{membership.pk}/", {"role": "admin"})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_an_admin_adds_changes_and_removes_members_and_it_is_audited(client, owner, team):
    newcomer = factories.UserFactory(username="nina")
    client.force_login(owner)
    response = client.post(f"/teams/{team.pk}/members/", {"username": "nina", "role": "viewer"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer, team=team)
    client.post(f"/teams/{team.pk}/members/{membership.pk}/", {"role": "deployer"})
    membership.refresh_from_db()
    assert membership.role == Role.DEPLOYER
    confirm = client.get(f"/teams/{team.pk}/members/{membership.pk}/remove/")
    assert "Remove nina" in confirm.content.decode(), "removing asks first"
    client.post(f"/teams/{team.pk}/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(user=newcomer, team=team).exists()
    verbs = list(Event.objects.filter(team=team).values_list("verb", flat=True))
    assert {"add_member", "change_role", "remove_member"} <= set(verbs)


def test_adding_an_unknown_user_says_so_beside_the_field(client, owner, team):
    client.force_login(owner)
    response = client.post(f"/teams/{team.pk}/members/", {"username": "ghost", "role": "viewer"})
    assert response.status_code == 400
    assert "There is no active user named &#x27;ghost&#x27;" in response.content.decode()


def test_the_last_admin_stays(client, owner, team):
    client.force_login(owner)
    mine = Membership.objects.get(user=owner, team=team)
    response = client.post(f"/teams/{team.pk}/members/{mine.pk}/", {"role": "viewer"}, follow=True)
    assert "needs at least one admin" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN


def test_quota_bars_in_human_units_match_the_api(client, teammate, team, deployment):
    quota = Quota.objects.create(team=team, gpus_total=8, replicas=10, cpu="64", memory="512Gi")
    QuotaLimit.objects.create(quota=quota, resource="NVIDIA-H100-80GB-HBM3", limit=4)
    client.force_login(teammate)
    body = client.get(f"/teams/{team.pk}/quota/", HTTP_HX_REQUEST="true").content.decode()
    api = client.get(f"/api/v1/teams/{team.pk}/quota/").json()["resources"]
    by_name = {row["resource"]: row for row in api}
    assert by_name["cpu"]["used"] == "2"
    assert "2 of 64 cores" in body
    assert by_name["memory"]["used"] == "16Gi"
    assert "16 GiB of 512 GiB" in body
    assert by_name["NVIDIA-H100-80GB-HBM3"]["used"] == "1"
    assert "1 of 4 GPUs" in body
    assert by_name["replicas"]["used"] == "1"
    assert "1 of 10 replicas" in body
    assert "<html" not in body, "htmx gets the section alone"


def test_audit_log_filters_by_actor_and_verb_and_pages(client, owner, team):
    for i in range(30):
        Event.objects.create(
            team=team,
            actor_name="olivia" if i % 2 else "gantry",
            verb="scale" if i % 3 else "create",
            target=f"deployment/x/{i}",
        )
    client.force_login(owner)
    first = client.get(f"/teams/{team.pk}/audit/").content.decode()
    assert first.count("<tr><td>") == 25
    assert 'rel="next"' in first
    filtered = client.get(f"/teams/{team.pk}/audit/?actor=olivia&verb=create").content.decode()
    expected = sum(1 for i in range(30) if i % 2 and not i % 3)
    assert filtered.count("<tr><td>") == expected
    assert client.get(f"/teams/{team.pk}/audit/?cursor=zzz").status_code == 400
