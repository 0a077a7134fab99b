"""GET /api/v1/me/: who the token belongs to, with their teams and roles."""


def test_me_names_the_user_and_their_teams_with_roles(api, deployer, other_team):
    response = api(deployer).get("/api/v1/me/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["username"], body["is_superuser"]) == ("dara", False)
    assert [(t["name"], t["role"]) for t in body["teams"]] == [("nlp", "deployer")]


def test_me_without_a_token_is_401(api, db):
    assert api().get("/api/v1/me/").status_code == 401
