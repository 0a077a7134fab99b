"""Kubeconfigs are read only from GANTRY_KUBECONFIG_DIRS, and a file that is not one is a
contained, quiet failure: ClusterUnreachable for that cluster, nothing of the file shown."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.clusters import kube
from apps.clusters.models import Cluster
from apps.core.lib.paths import is_within

# What no message may show: the words of the files below.
SECRET_WORDS = ("root", "hunter2", "bin/bash", "- a", "\x00")

NOT_KUBECONFIGS = {
    "a directory": None,
    "a password file": "root:x:0:0:root:/root:/bin/bash\nalice:hunter2:1000:1000::/home/alice:\n",
    "YAML garbage": "{{{ : hunter2 ]]]\n\t- [",
    "a YAML list": "- a\n- b\n",
    "a YAML string": "hunter2\n",
    "a mapping of the wrong shapes": "clusters: hunter2\ncontexts: 7\ncurrent-context: [1]\n",
    "binary": "\x00\x01\xff hunter2",
    "empty": "",
}


def test_a_path_inside_an_allowed_directory_is_within(tmp_path):
    assert is_within(str(tmp_path / "a" / "kubeconfig"), [str(tmp_path)])


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "relative/kubeconfig", "", "{d}", "{d}/../outside", "{d}-sibling/kubeconfig"],
)
def test_paths_outside_or_relative_are_not_within(tmp_path, path):
    assert not is_within(path.format(d=tmp_path), [str(tmp_path)])


def test_a_symlink_out_of_an_allowed_directory_is_not_within(tmp_path):
    (tmp_path / "link").symlink_to("/etc/passwd")

    assert not is_within(str(tmp_path / "link"), [str(tmp_path)])


@pytest.mark.parametrize("kind", NOT_KUBECONFIGS)
def test_a_file_that_is_not_a_kubeconfig_is_unreachable_and_quiet(kubeconfig_dir, kind):
    path = kubeconfig_dir / "kubeconfig"
    if NOT_KUBECONFIGS[kind] is None:
        path.mkdir()
    else:
        path.write_bytes(NOT_KUBECONFIGS[kind].encode("latin-1"))
    ref = kube.ClusterRef(name="broken", kubeconfig_path=str(path))

    with pytest.raises(kube.ClusterUnreachable) as caught:
        kube.connect(ref)

    assert caught.value.message == (
        "The kubeconfig of cluster 'broken' is not a readable kubeconfig; a platform admin "
        "must check the file set on the cluster."
    )
    assert caught.value.transient is False


def test_a_missing_kubeconfig_may_appear_later(kubeconfig_dir):
    ref = kube.ClusterRef(name="later", kubeconfig_path=str(kubeconfig_dir / "not-yet"))

    with pytest.raises(kube.ClusterUnreachable, match="not a readable kubeconfig") as caught:
        kube.connect(ref)

    assert caught.value.transient is True


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc", "{d}/../../etc/passwd"])
def test_a_kubeconfig_outside_the_allowed_directories_is_not_read(kubeconfig_dir, path):
    ref = kube.ClusterRef(name="prying", kubeconfig_path=path.format(d=kubeconfig_dir))

    with pytest.raises(kube.ClusterUnreachable) as caught:
        kube.connect(ref)

    assert caught.value.message == (
        "The kubeconfig of cluster 'prying' is outside the directories Gantry reads kubeconfigs "
        "from (GANTRY_KUBECONFIG_DIRS); a platform admin must move it into one of them."
    )
    assert not [word for word in SECRET_WORDS if word in caught.value.message]


def test_the_default_directories_are_the_state_directory_and_the_mounted_secrets():
    from django.conf import settings

    assert settings.GANTRY_KUBECONFIG_DIRS[-1] == "/var/run/secrets/gantry/kubeconfigs"
    assert Path(settings.GANTRY_KUBECONFIG_DIRS[0]) == settings.STATE_DIR.absolute()
    local = settings.STATE_DIR / "cluster" / "kubeconfig"  # where `make cluster` writes it
    assert is_within(str(local), settings.GANTRY_KUBECONFIG_DIRS)


@pytest.mark.django_db
def test_the_cluster_record_refuses_a_kubeconfig_outside_the_directories(settings):
    settings.GANTRY_KUBECONFIG_DIRS = ["/var/run/secrets/gantry/kubeconfigs"]
    cluster = Cluster(name="prying", kubeconfig_path="/etc/passwd")

    with pytest.raises(ValidationError) as caught:
        cluster.full_clean()

    assert caught.value.message_dict["kubeconfig_path"] == [
        "Gantry reads kubeconfigs only from /var/run/secrets/gantry/kubeconfigs "
        "(GANTRY_KUBECONFIG_DIRS); put the file there and give its absolute path, e.g. "
        "/var/run/secrets/gantry/kubeconfigs/gpu-east.yaml."
    ]


@pytest.mark.django_db
def test_the_cluster_record_accepts_a_kubeconfig_inside_them(kubeconfig_dir):
    Cluster(name="fine", kubeconfig_path=str(kubeconfig_dir / "fine.yaml")).full_clean()


def test_the_admin_shows_the_field_error_and_saves_nothing(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:clusters_cluster_add"),
        {"name": "prying", "connection": "kubeconfig", "kubeconfig_path": "/etc/passwd"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["kubeconfig_path"]
    assert errors[0].startswith("Gantry reads kubeconfigs only from ")
    assert not Cluster.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_kubeconfig_outside_the_directories():
    with pytest.raises(CommandError, match="outside GANTRY_KUBECONFIG_DIRS"):
        call_command("seed_demo", kubeconfig="/etc/passwd", stdout=StringIO())

    assert not Cluster.objects.exists()
