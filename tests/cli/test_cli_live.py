"""The `gantry` command against Gantry under gunicorn: what a user types, what they see.

No cluster and no worker here: records change through the API, nothing reconciles
them (tests/cli/test_cli_cluster.py does that).
"""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import revoke_token
from apps.deployments.models import Deployment, Revision
from apps.quotas.models import Quota
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

H100 = "NVIDIA-H100-80GB-HBM3"
FILE = """\
kind: Model
name: llama
team: nlp
framework: transformers
task: text-generation
versions:
  - version: v1
    artifact_uri: s3://models/llama/v1
    runtime: vllm
---
kind: Deployment
name: chat
team: nlp
environment: development
version: llama:v1
replicas: 1
cpu: 500m
memory: 1Gi
"""


@pytest.fixture
def as_deployer(server, deployer, environment, token_of, gantry):
    """gantry(...) with the deployer's token in GANTRY_URL / GANTRY_TOKEN, as CI runs it."""
    env = {"GANTRY_URL": server, "GANTRY_TOKEN": token_of(deployer), "NO_COLOR": "1"}

    def run(*args: str, input: str | None = None):
        return gantry(*args, input=input, env=env)

    run.env = env
    return run


@pytest.fixture
def applied(as_deployer, tmp_path):
    path = tmp_path / "gantry.yaml"
    path.write_text(FILE)
    result = as_deployer("apply", "-f", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_login_reads_the_token_from_stdin_and_keeps_it_private(server, deployer, token_of, gantry):
    result = gantry("login", "--url", server, "--token-stdin", input=token_of(deployer) + "\n")

    assert result.returncode == 0, result.stderr
    assert f"Logged in to {server} as dara" in result.stderr
    config = gantry.config_home / "gantry" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    whoami = gantry("whoami")
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.split() == ["TEAM", "ROLE", "nlp", "deployer"]


def test_login_without_a_terminal_never_prompts(server, gantry):
    result = gantry("login", "--url", server)

    assert result.returncode == 2
    assert "no terminal to ask for the token; pipe it in with --token-stdin" in result.stderr


def test_a_wrong_token_at_login_is_refused_and_not_saved(server, gantry, db):
    result = gantry("login", "--url", server, "--token-stdin", input="gnt_not-a-token\n")

    assert result.returncode == 1
    assert "Log in again" in result.stderr
    assert not (gantry.config_home / "gantry" / "config.toml").exists()


def test_apply_creates_the_file_and_again_changes_nothing(as_deployer, applied):
    deployment = Deployment.objects.get(name="chat")
    revisions = Revision.objects.filter(deployment=deployment).count()

    again = as_deployer("apply", "-f", str(applied))

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "model/llama unchanged",
        "version/llama:v1 unchanged",
        "deployment/chat unchanged",
    ]
    assert Revision.objects.filter(deployment=deployment).count() == revisions
    assert Deployment.objects.get(pk=deployment.pk).generation == deployment.generation


def test_apply_reads_stdin_and_updates_only_what_differs(as_deployer, applied):
    changed = FILE.replace("replicas: 1", "replicas: 2")

    result = as_deployer("apply", "-f", "-", input=changed)

    assert result.returncode == 0, result.stderr
    assert "deployment/chat updated" in result.stdout.splitlines()
    assert Deployment.objects.get(name="chat").replicas == 2


def test_diff_exits_0_without_changes_1_with_them_and_2_on_an_error(as_deployer, applied, tmp_path):
    same = as_deployer("diff", "-f", str(applied))
    changed = as_deployer("diff", "-f", "-", input=FILE.replace("replicas: 1", "replicas: 3"))
    broken = as_deployer("diff", "-f", "-", input=FILE.replace("team: nlp", "team: nobody"))

    assert (same.returncode, same.stdout) == (0, "")
    assert changed.returncode == 1
    assert changed.stdout.splitlines() == ["~ deployment/chat (update)", "    replicas: 1 -> 3"]
    assert broken.returncode == 2
    assert "You are not in a team named 'nobody' (yours: nlp)" in broken.stderr
    assert Deployment.objects.get(name="chat").replicas == 1  # diff changed nothing


def test_apply_dry_run_prints_the_plan_and_creates_nothing(as_deployer):
    result = as_deployer("apply", "-f", "-", "--dry-run", input=FILE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "+ model/llama (create)"
    assert "+ deployment/chat (create)" in result.stdout
    assert not Deployment.objects.exists()


def test_an_invalid_file_names_the_field_and_exits_1(as_deployer):
    result = as_deployer("apply", "-f", "-", input=FILE.replace("replicas: 1", "replicas: many"))

    assert result.returncode == 1
    assert "document 2 (deployment/chat) is not valid" in result.stderr
    assert "replicas: 'many' is not of type 'integer'" in result.stderr


def test_json_output_parses_and_is_what_the_api_answers(as_deployer, applied):
    result = as_deployer("get", "deployments", "-o", "json")

    assert result.returncode == 0, result.stderr
    api = requests.get(
        f"{as_deployer.env['GANTRY_URL']}/api/v1/deployments/",
        headers={"Authorization": f"Bearer {as_deployer.env['GANTRY_TOKEN']}"},
        timeout=30,
    ).json()
    assert json.loads(result.stdout) == api["results"]


def test_names_yaml_and_plain_tables(as_deployer, applied):
    names = as_deployer("get", "deployments", "-o", "name")
    versions = as_deployer("get", "versions", "llama:v1", "-o", "yaml")
    table = as_deployer("get", "deployments")

    assert names.stdout == "deployment/chat\n"
    assert "artifact_uri: s3://models/llama/v1" in versions.stdout
    # Piped and NO_COLOR: plain columns, no escape codes.
    assert "\x1b[" not in table.stdout
    header, row = table.stdout.splitlines()
    assert header.split()[:5] == ["NAME", "TEAM", "ENVIRONMENT", "VERSION", "STATE"]
    assert row.split()[:5] == ["chat", "nlp", "development", "llama:v1", "running"]


def test_scale_stop_start_and_rollback_change_the_record(as_deployer, applied):
    assert as_deployer("scale", "chat", "--replicas", "3").stdout == "deployment/chat scaled\n"
    assert as_deployer("stop", "chat").returncode == 0
    assert Deployment.objects.get(name="chat").state == "stopped"
    assert as_deployer("start", "chat").returncode == 0

    result = as_deployer("rollback", "chat")

    assert result.returncode == 0, result.stderr
    # Stop and start are not what a rollback undoes: the spec before the scale is.
    assert result.stdout == "deployment/chat rolled back to revision 1\n"
    record = Deployment.objects.get(name="chat")
    assert (record.replicas, record.state) == (1, "running")
    history = as_deployer("history", "chat", "-o", "json")
    assert json.loads(history.stdout)[0]["reason"] == "rolled back to revision 1"


def test_a_refused_field_is_printed_one_per_line(as_deployer, applied):
    result = as_deployer("scale", "chat", "--min", "5", "--max", "2")

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert any(line.startswith("  max_replicas: ") or line.startswith("  min_replicas: ")
               for line in lines[1:])  # fmt: skip


def test_over_quota_deploy_exits_1_naming_the_resource_and_creates_nothing(
    as_deployer, team, model_version
):
    Quota.objects.create(team=team, gpus_total=1)
    label = f"{model_version.model.name}:{model_version.version}"

    result = as_deployer(
        "deploy", label, "-e", "development", "--gpus", "2", "--gpu-model", H100, "--cpu", "1"
    )

    assert result.returncode == 1
    assert "error: quota exceeded for gpus: limit 1, in use 0, requested 2" in result.stderr
    assert not Deployment.objects.exists()


def test_wait_without_a_reconciler_times_out_with_exit_2(as_deployer, applied):
    result = as_deployer("wait", "chat", "--for", "available", "--timeout", "2s")

    assert result.returncode == 2
    assert "chat: Waiting for the reconciler to apply generation 1" in result.stderr
    assert "Timed out after 2 s waiting for chat to be available" in result.stderr


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_dead_token_says_to_log_in_again(server, deployer, gantry, token_of, how):
    plain = token_of(deployer)
    token = ApiToken.objects.get(user=deployer)
    if how == "revoked":
        revoke_token(token, actor=deployer)
    else:
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))

    result = gantry("get", "models", env={"GANTRY_URL": server, "GANTRY_TOKEN": plain})

    assert result.returncode == 1
    assert f"Log in again: gantry login --url {server}" in result.stderr


def test_an_unreachable_server_names_the_url(gantry):
    url = f"http://127.0.0.1:{free_port()}"

    result = gantry("get", "models", env={"GANTRY_URL": url, "GANTRY_TOKEN": "x"})

    assert result.returncode == 1
    assert f"Could not reach {url}/api/v1/models/" in result.stderr


def test_quota_shows_limit_used_and_free(as_deployer, team):
    Quota.objects.create(team=team, gpus_total=4)

    result = as_deployer("quota", "nlp", "-o", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["team_name"] == "nlp"
    (gpus,) = [row for row in report["resources"] if row["kind"] == "gpus"]
    assert (gpus["limit"], gpus["used"], gpus["free"]) == ("4", "0", "4")
