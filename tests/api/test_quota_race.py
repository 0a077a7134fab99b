"""The quota race: many concurrent requests over HTTP, on real PostgreSQL, never pass a limit.

gunicorn (two processes of eight threads, each thread its own database
connection) takes 50 simultaneous requests of one team whose quota has room for only k of them.
Exactly k succeed; the others get 409 with the quota message; what the team
holds never exceeds the limit. Each scenario repeats with a different k.
"""

import threading
from collections import Counter

import pytest
import requests

from apps.accounts.services import create_token
from apps.deployments import services
from apps.deployments.models import Deployment
from apps.deployments.sizing import demand_of
from apps.quotas import usage
from apps.quotas.models import Quota, QuotaLimit
from tests.api.conftest import H100

CONCURRENT = 50
GPU_KEY = usage.GPU_PREFIX + H100


def fire(calls: list[tuple[str, str, dict]], headers: dict) -> list[requests.Response]:
    """Send every call at the same moment, one thread each, and collect the answers."""
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | None] = [None] * len(calls)
    failures: list[str] = []

    def send(index: int, method: str, url: str, body: dict) -> None:
        with requests.Session() as session:
            barrier.wait()
            try:
                answers[index] = session.request(
                    method, url, json=body, headers=headers, timeout=60
                )
            except requests.RequestException as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, f"{len(failures)} requests got no answer, e.g. {failures[0]}"
    return answers


def held_gpus(team) -> int:
    return int(
        sum((demand_of(d) for d in Deployment.objects.filter(team=team)), usage.NOTHING).get(
            GPU_KEY
        )
    )


@pytest.fixture
def race(gunicorn_url, transactional_db, deployer, team, environment, model_version):
    quota = Quota.objects.create(team=team)
    limit = QuotaLimit.objects.create(quota=quota, resource=H100, limit=0)
    headers = {
        "Authorization": f"Bearer {create_token(actor=None, user=deployer, name='race').plain}"
    }

    def set_room(room: int) -> None:
        Deployment.objects.filter(team=team).delete()
        limit.limit = room
        limit.save()

    def body(name: str) -> dict:
        return {
            "team": team.pk,
            "environment": environment.pk,
            "name": name,
            "model_version": model_version.pk,
            "replicas": 1,
            "gpu_count": 1,
            "gpu_model": H100,
        }

    return {
        "url": gunicorn_url + "/api/v1/deployments/",
        "headers": headers,
        "set_room": set_room,
        "body": body,
        "team": team,
        "deployer": deployer,
        "environment": environment,
        "model_version": model_version,
    }


def assert_exactly(answers, admitted: int, success: int, room: int) -> None:
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {success: admitted, 409: CONCURRENT - admitted}, statuses
    for refused in (a for a in answers if a.status_code == 409):
        error = refused.json()
        assert error["error"] == "quota_exceeded"
        assert error["detail"].startswith(f"quota exceeded for {H100}: limit {room}, in use ")


@pytest.mark.parametrize("room", [7, 1, 23])
def test_concurrent_creates_admit_exactly_the_room_left(race, room):
    race["set_room"](room)
    calls = [("POST", race["url"], race["body"](f"d{i}")) for i in range(CONCURRENT)]
    answers = fire(calls, race["headers"])
    assert_exactly(answers, room, 201, room)
    assert held_gpus(race["team"]) == room


@pytest.mark.parametrize("room", [5, 12, 30])
def test_concurrent_scales_admit_exactly_the_room_left(race, room):
    race["set_room"](room)
    deployments = [
        services.create_deployment(
            actor=race["deployer"],
            team=race["team"],
            environment=race["environment"],
            name=f"s{i}",
            model_version=race["model_version"],
            replicas=0,
            gpu_count=1,
            gpu_model=H100,
        )
        for i in range(CONCURRENT)
    ]
    calls = [("POST", f"{race['url']}{d.pk}/scale/", {"replicas": 1}) for d in deployments]
    answers = fire(calls, race["headers"])
    assert_exactly(answers, room, 200, room)
    assert held_gpus(race["team"]) == room
