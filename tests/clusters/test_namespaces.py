"""A (cluster, namespace) belongs to exactly one (environment, team).

`<prefix>-<team>` is ambiguous: environment `dev` with team `a-b` and environment
`dev-a` with team `b` both make `dev-a-b`. The database refuses the second, and the
admin says why before it gets there.
"""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.accounts.models import Team
from apps.clusters.models import EnvironmentTeam
from tests import factories


@pytest.fixture
def dev(db):
    """Environment `dev` where team `a-b` deploys, into namespace `dev-a-b`."""
    env = factories.EnvironmentFactory(name="development", namespace="dev")
    env.teams.add(factories.TeamFactory(name="a-b"))
    return env


@pytest.fixture
def team_b(db):
    return factories.TeamFactory(name="b")


def inline(*team_pks: int, initial: int = 0, environment=None) -> dict:
    """The environment page's team-access formset, as the browser posts it."""
    data = {
        "team_links-TOTAL_FORMS": str(len(team_pks)),
        "team_links-INITIAL_FORMS": str(initial),
        "team_links-MIN_NUM_FORMS": "0",
        "team_links-MAX_NUM_FORMS": "1000",
    }
    links = list(EnvironmentTeam.objects.filter(environment=environment)) if environment else []
    for index, team_pk in enumerate(team_pks):
        data[f"team_links-{index}-team"] = str(team_pk)
        if index < initial:
            data[f"team_links-{index}-id"] = str(links[index].pk)
            data[f"team_links-{index}-environment"] = str(environment.pk)
    return data


def environment_form(env_name: str, prefix: str, cluster) -> dict:
    return {
        "name": env_name,
        "cluster": cluster.pk,
        "namespace": prefix,
        "tier": "development",
        "exposure": "none",
    }


def test_each_grant_stores_its_namespace(dev):
    (link,) = EnvironmentTeam.objects.all()

    assert (link.cluster_id, link.namespace) == (dev.cluster_id, "dev-a-b")
    assert dev.namespace_for("a-b") == "dev-a-b"


def test_the_database_refuses_a_second_team_in_the_same_namespace(dev, team_b):
    dev_a = factories.EnvironmentFactory(name="dev-a", namespace="dev-a", cluster=dev.cluster)

    with pytest.raises(IntegrityError), transaction.atomic():
        dev_a.teams.add(team_b)

    assert not dev_a.teams.exists()


def test_the_same_namespace_on_another_cluster_is_another_namespace(dev, team_b):
    elsewhere = factories.ClusterFactory(name="elsewhere")
    dev_a = factories.EnvironmentFactory(name="dev-a", namespace="dev-a", cluster=elsewhere)

    dev_a.teams.add(team_b)

    assert dev_a.team_links.get().namespace == "dev-a-b"


def test_the_admin_refuses_granting_a_team_a_taken_namespace(client, superuser, dev, team_b):
    dev_a = factories.EnvironmentFactory(name="dev-a", namespace="dev-a", cluster=dev.cluster)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:clusters_environment_change", args=[dev_a.pk]),
        {**environment_form("dev-a", "dev-a", dev.cluster), **inline(team_b.pk)},
    )

    assert response.status_code == 200
    (errors,) = [f.errors for f in response.context["inline_admin_formsets"][0].formset if f.errors]
    assert errors["team"] == [
        "Team 'b' with namespace prefix 'dev-a' would use namespace 'dev-a-b' on cluster "
        "'local', which already holds team 'a-b' of environment 'development'. Choose another "
        "namespace prefix (e.g. one without a hyphen) or another environment."
    ]
    assert not dev_a.teams.exists()


def test_the_admin_refuses_a_new_environment_whose_team_would_collide(
    client, superuser, dev, team_b
):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:clusters_environment_add"),
        {**environment_form("dev-a", "dev-a", dev.cluster), **inline(team_b.pk)},
    )

    assert response.status_code == 200
    (errors,) = [f.errors for f in response.context["inline_admin_formsets"][0].formset if f.errors]
    assert "would use namespace 'dev-a-b'" in errors["team"][0]
    assert not team_b.environments.exists()


def test_the_admin_refuses_a_prefix_change_that_would_collide(client, superuser, dev, team_b):
    qa = factories.EnvironmentFactory(name="qa", namespace="qa", cluster=dev.cluster)
    qa.teams.add(team_b)
    # qa-b is free; dev-a-b is team a-b's.
    client.force_login(superuser)

    response = client.post(
        reverse("admin:clusters_environment_change", args=[qa.pk]),
        {
            **environment_form("qa", "dev-a", dev.cluster),
            **inline(team_b.pk, initial=1, environment=qa),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["namespace"] == [
        "Team 'b' with namespace prefix 'dev-a' would use namespace 'dev-a-b' on cluster "
        "'local', which already holds team 'a-b' of environment 'development'. Choose another "
        "namespace prefix (e.g. one without a hyphen) or another environment."
    ]
    qa.refresh_from_db()
    assert qa.namespace == "qa"
    assert qa.team_links.get().namespace == "qa-b"


def test_a_prefix_change_moves_the_stored_namespaces(client, superuser, dev, team_b):
    dev.teams.add(team_b)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:clusters_environment_change", args=[dev.pk]),
        {
            **environment_form("development", "devel", dev.cluster),
            **inline(*dev.team_links.values_list("team", flat=True), initial=2, environment=dev),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(EnvironmentTeam.objects.values_list("namespace", flat=True)) == [
        "devel-a-b",
        "devel-b",
    ]


def test_a_team_with_environments_cannot_be_renamed_into_another_namespace(
    client, superuser, dev, team_b
):
    dev_a = factories.EnvironmentFactory(name="dev-a", namespace="dev-a", cluster=dev.cluster)
    team_c = factories.TeamFactory(name="c")
    dev_a.teams.add(team_c)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:accounts_team_change", args=[team_c.pk]),
        {
            "name": "b",
            "display_name": "",
            "description": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "quota-TOTAL_FORMS": "0",
            "quota-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "Team 'c' may deploy into environments whose namespaces are named after it, so its "
        "name cannot change. Change its display name instead, or remove it from its "
        "environments first."
    ]
    assert Team.objects.get(pk=team_c.pk).name == "c"
