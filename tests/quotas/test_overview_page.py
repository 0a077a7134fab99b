"""The platform quota overview through Django's test client: who may see it, that it
lists every team, that its query count does not grow with teams, and that a cluster
out of reach is named on the page rather than failing it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.choices import Role
from apps.deployments import services
from apps.quotas.models import Quota, QuotaLimit
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/platform/quotas/"
H100 = "NVIDIA-H100-80GB-HBM3"


@pytest.fixture(autouse=True)
def _nodes_read_afresh(settings):
    settings.GANTRY_CLUSTER_NODES_CACHE_S = 0


def make_teams(count: int, start: int = 0) -> list:
    """`count` teams, each with a quota and one H100 deployment of its own."""
    teams = []
    for i in range(start, start + count):
        team = factories.TeamFactory(name=f"team-{i}")
        quota = Quota.objects.create(team=team, cpu="64", memory="512Gi", replicas=10)
        QuotaLimit.objects.create(quota=quota, resource=H100, limit=4)
        env = factories.EnvironmentFactory(name=f"env-{i}", namespace=f"e{i}")
        env.teams.add(team)
        services.create_deployment(
            actor=factories.member(team, Role.DEPLOYER, username=f"dep-{i}"),
            team=team,
            environment=env,
            name="chat",
            model_version=factories.ModelVersionFactory(model__team=team),
            cpu="2",
            memory="16Gi",
            gpu_count=1,
            gpu_model=H100,
        )
        teams.append(team)
    return teams


def test_a_superuser_sees_every_teams_bars_in_human_units(client, superuser, team, other_team):
    teams = make_teams(2)
    client.force_login(superuser)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for shown in [*teams, team, other_team]:
        assert f'href="/teams/{shown.pk}/quota/"' in body, f"{shown.name} is missing"
    assert body.count("2 of 64 cores") == 2
    assert body.count("16 GiB of 512 GiB") == 2
    assert body.count("1 of 4 GPUs") == 2
    assert f"Quotas promise 8 {H100} GPUs" in body


@pytest.mark.parametrize("who", ["owner", "staff", "outsider"])
def test_anyone_but_a_superuser_gets_404(client, owner, outsider, who):
    users = {
        "owner": owner,
        "outsider": outsider,
        "staff": factories.UserFactory(username="stella", is_staff=True),
    }
    client.force_login(users[who])
    assert client.get(URL).status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_the_number_of_queries_does_not_grow_with_teams(client, superuser):
    make_teams(2)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    make_teams(4, start=2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_a_cluster_out_of_reach_is_named_and_the_page_still_shows(client, superuser, team):
    factories.ClusterFactory(name="gone", kubeconfig_path="/nonexistent/gone.yaml")
    client.force_login(superuser)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cluster &#x27;gone&#x27; cannot be reached right now" in body
    assert f'href="/teams/{team.pk}/quota/"' in body


def test_sort_by_name_and_an_unknown_sort_is_a_clear_400(client, superuser):
    make_teams(2)
    client.force_login(superuser)
    by_name = client.get(URL + "?sort=name").content.decode()
    assert by_name.index(">team-0</a>") < by_name.index(">team-1</a>")
    bad = client.get(URL + "?sort=full")
    assert bad.status_code == 400
    assert "Unknown sort &#x27;full&#x27;: choose one of fullest, name" in bad.content.decode()


def test_the_admin_index_and_the_navigation_link_to_it_for_superusers_only(client, superuser):
    client.force_login(superuser)
    assert f'href="{URL}"' in client.get("/admin/").content.decode()
    assert f'href="{URL}"' in client.get("/deployments/").content.decode()
    staff = factories.UserFactory(username="stella", is_staff=True)
    client.force_login(staff)
    assert f'href="{URL}"' not in client.get("/deployments/").content.decode()
