"""The Cluster admin: only superusers point Gantry's servers at a Prometheus URL."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.clusters.models import Cluster
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_URL = "http://gantry:s3cret@prometheus.internal:9090"


@pytest.fixture
def cluster():
    return factories.ClusterFactory(prometheus_url=SECRET_URL)


@pytest.fixture
def staff(db):
    """Staff allowed to change clusters in Django's permissions, but not a superuser."""
    user = factories.UserFactory(username="stella", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_cluster", "change_cluster"])
    )
    return user


def _form(cluster: Cluster, **changes: str) -> dict[str, str]:
    values = {
        "name": cluster.name,
        "description": cluster.description,
        "connection": cluster.connection,
        "kubeconfig_path": cluster.kubeconfig_path,
        "kubeconfig_context": cluster.kubeconfig_context,
        "prometheus_url": cluster.prometheus_url,
        "promql": "{}",
        "is_active": "on",
    }
    values.update(changes)
    return values


def test_a_superuser_sets_the_prometheus_url(client, superuser, cluster):
    client.force_login(superuser)
    url = reverse("admin:clusters_cluster_change", args=[cluster.pk])
    response = client.post(url, _form(cluster, prometheus_url="https://prom.example.com"))
    assert response.status_code == 302, response.content.decode()
    cluster.refresh_from_db()
    assert cluster.prometheus_url == "https://prom.example.com"


def test_a_superuser_is_refused_a_url_that_is_not_http(client, superuser, cluster):
    client.force_login(superuser)
    url = reverse("admin:clusters_cluster_change", args=[cluster.pk])
    response = client.post(url, _form(cluster, prometheus_url="ftp://files.internal/"))
    assert response.status_code == 200
    assert "only http:// and https:// are allowed" in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.prometheus_url == SECRET_URL


def test_other_staff_cannot_change_the_prometheus_url(client, staff, cluster):
    client.force_login(staff)
    url = reverse("admin:clusters_cluster_change", args=[cluster.pk])
    client.post(url, _form(cluster, prometheus_url="http://169.254.169.254/latest/meta-data"))
    cluster.refresh_from_db()
    assert cluster.prometheus_url == SECRET_URL


def test_other_staff_never_see_the_password(client, staff, cluster):
    client.force_login(staff)
    response = client.get(reverse("admin:clusters_cluster_change", args=[cluster.pk]))
    assert "s3cret" not in response.content.decode()
