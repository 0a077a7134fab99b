"""The environments endpoint: what a team may deploy into, and where its pods may connect."""

from tests import factories


def test_an_environment_shows_its_egress_restriction(api, team, deployer):
    environment = factories.EnvironmentFactory(
        restrict_egress=True,
        egress_cidrs="10.0.0.0/8, 192.168.1.10/32",
        egress_namespaces="vector-db",
    )
    environment.teams.add(team)

    response = api(deployer).get(f"/api/v1/environments/{environment.pk}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["restrict_egress"] is True
    assert body["egress_cidrs"] == ["10.0.0.0/8", "192.168.1.10/32"]
    assert body["egress_namespaces"] == ["vector-db"]


def test_egress_is_open_unless_restricted(api, team, deployer):
    environment = factories.EnvironmentFactory()
    environment.teams.add(team)

    body = api(deployer).get(f"/api/v1/environments/{environment.pk}/").json()

    assert (body["restrict_egress"], body["egress_cidrs"], body["egress_namespaces"]) == (
        False,
        [],
        [],
    )
