"""The pages and the API: scoped to the viewer's teams, and 200 whatever Prometheus does."""

import socket
import threading
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.utils import timezone

from apps.clusters.models import Cluster
from apps.deployments.models import Deployment
from tests.monitoring.conftest import make_deployment

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentServer:
    """A TCP server that accepts connections and never answers: a Prometheus that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def cluster(db):
    # No Prometheus needed by most of these tests: each one points the cluster where it wants.
    from tests import factories

    return factories.ClusterFactory(prometheus_url=f"http://127.0.0.1:{_closed_port()}")


@pytest.fixture
def llama(team, environment):
    return make_deployment(team, environment, "llama", "vllm")


def test_an_unreachable_prometheus_is_reported_in_each_panel_of_a_200_page(client, owner, llama):
    client.force_login(owner)
    response = client.get(f"/deployments/{llama.pk}/charts/")
    assert response.status_code == 200
    url = Cluster.objects.get().prometheus_url
    text = response.content.decode()
    message = f"Prometheus at {url} cannot be reached: connection refused."
    assert text.count(message) == 6  # every panel says so in place


@override_settings(PROMETHEUS_TIMEOUT_S=1)
def test_a_prometheus_that_hangs_is_asked_once_not_once_per_panel(
    client, owner, llama, silent_server
):
    Cluster.objects.update(prometheus_url=silent_server.url)
    client.force_login(owner)
    response = client.get(f"/deployments/{llama.pk}/charts/")
    assert response.status_code == 200
    assert f"Prometheus at {silent_server.url} did not answer in 1 s." in response.content.decode()
    assert silent_server.connections == 1
    # Other viewers, meanwhile, get the same answer without asking again.
    assert client.get("/fleet/").status_code == 200
    assert silent_server.connections == 1


def test_a_prometheus_problem_is_reported_on_the_fleet_page_too(client, owner, llama):
    client.force_login(owner)
    response = client.get("/fleet/")
    assert response.status_code == 200
    assert "cannot be reached: connection refused" in response.content.decode()


def test_an_unknown_range_is_a_clear_error(client, owner, llama):
    client.force_login(owner)
    response = client.get(f"/deployments/{llama.pk}/charts/?range=2y")
    assert response.status_code == 400
    assert (
        "Unknown range &#x27;2y&#x27;; use one of 15m, 1h, 6h, 24h, 7d" in response.content.decode()
    )
    assert client.get("/fleet/?range=forever").status_code == 400


def test_another_teams_deployment_is_not_found(client, outsider, llama):
    client.force_login(outsider)
    assert client.get(f"/deployments/{llama.pk}/charts/").status_code == 404
    assert client.get(f"/api/v1/deployments/{llama.pk}/metrics/").status_code == 404


def test_pages_need_a_login(client, llama):
    assert client.get(f"/deployments/{llama.pk}/charts/").status_code == 302
    assert client.get("/fleet/").status_code == 302
    assert client.get(f"/api/v1/deployments/{llama.pk}/metrics/").status_code in (401, 403)


def test_plotly_js_is_served_from_the_plotly_package_and_only_where_there_are_charts(
    client, owner, llama
):
    path = finders.find("vendor/plotly.min.js")
    assert path
    assert path.endswith("plotly/package_data/plotly.min.js")
    client.force_login(owner)
    chart_page = client.get(f"/deployments/{llama.pk}/").content.decode()
    assert "vendor/plotly" in chart_page
    assert 'src="http' not in chart_page  # no script from another host
    assert 'src="//' not in chart_page
    assert "vendor/plotly" not in client.get("/deployments/").content.decode()


def test_the_deployments_list_links_each_deployment_to_its_dashboard(client, teammate, llama):
    client.force_login(teammate)
    response = client.get("/deployments/")
    assert f'href="/deployments/{llama.pk}/"' in response.content.decode()


@pytest.mark.prometheus
def test_the_api_returns_each_panels_series(client, owner, llama, prometheus):
    Cluster.objects.update(prometheus_url=prometheus.url)
    client.force_login(owner)
    # An hour, not 15 minutes: the data set ends when the session's Prometheus started,
    # which may be more than 15 minutes before this test runs in a long session.
    response = client.get(f"/api/v1/deployments/{llama.pk}/metrics/?range=1h")
    assert response.status_code == 200
    body = response.json()
    assert body["range"] == "1h"
    assert body["step"] == 15
    panels = {p["key"]: p for p in body["panels"]}
    assert list(panels) == [
        "gpu_util",
        "gpu_memory",
        "replicas",
        "latency",
        "requests",
        "error_ratio",
    ]
    mean = next(s for s in panels["gpu_util"]["series"] if s["labels"]["stat"] == "mean")
    assert mean["labels"] == {"namespace": "dev-nlp", "deployment": "llama", "stat": "mean"}
    # Data ends when the session started; the last minutes of "now" may be past it.
    assert {value for _, value in mean["points"]} == {60}
    assert panels["gpu_util"]["error"] is None


def test_the_api_reports_a_bad_range_as_400(client, owner, llama):
    client.force_login(owner)
    response = client.get(f"/api/v1/deployments/{llama.pk}/metrics/?range=2y")
    assert response.status_code == 400
    assert "Unknown range '2y'; use one of 15m, 1h, 6h, 24h, 7d" in response.content.decode()


def test_the_api_reports_prometheus_problems_per_panel_with_200(client, owner, llama):
    client.force_login(owner)
    body = client.get(f"/api/v1/deployments/{llama.pk}/metrics/").json()
    assert all("cannot be reached" in p["error"] for p in body["panels"])


class NotPrometheus:
    """Some other web server at the configured URL: a misconfigured PROMETHEUS_URL."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"<html><body>Grafana login</body></html>",
        content_type: str = "text/html",
    ) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_url_that_is_not_prometheus_is_reported_in_place(client, owner, llama):
    other = NotPrometheus()
    try:
        Cluster.objects.update(prometheus_url=other.url)
        client.force_login(owner)
        response = client.get(f"/deployments/{llama.pk}/charts/")
    finally:
        other.close()
    assert response.status_code == 200
    assert f"The server at {other.url} did not answer like Prometheus" in response.content.decode()


# What an internal service might answer: none of it may reach a viewer.
INTERNAL = "internal-admin-token-7f3a9c"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "says"),
    [
        (500, f"<pre>Traceback: {INTERNAL}</pre>", "text/html", "HTTP 500, not a Prometheus"),
        (403, f'{{"message": "{INTERNAL}"}}', "application/json", "HTTP 403, not a Prometheus"),
        (400, f'{{"error": "{INTERNAL}"}}', "application/json", "HTTP 400, not a Prometheus"),
        (
            200,
            f'{{"data": {{"result": [{{"metric": {{}}, "values": [[1, "{INTERNAL}"]]}}]}}}}',
            "application/json",
            "its result is not series",
        ),
        (200, f'{{"data": "{INTERNAL}"}}', "application/json", "no query result in its JSON"),
    ],
)
def test_what_another_server_answers_is_never_echoed(
    client, owner, llama, status, body, content_type, says
):
    other = NotPrometheus(status, body.encode(), content_type)
    try:
        Cluster.objects.update(prometheus_url=other.url)
        client.force_login(owner)
        page = client.get(f"/deployments/{llama.pk}/charts/").content.decode()
        api = client.get(f"/api/v1/deployments/{llama.pk}/metrics/").content.decode()
        fleet = client.get("/fleet/").content.decode()
    finally:
        other.close()
    assert f"The server at {other.url} did not answer like Prometheus ({says}" in page
    for text in (page, api, fleet):
        assert INTERNAL not in text


def test_the_password_in_a_prometheus_url_is_never_shown_or_logged(client, owner, llama, caplog):
    port = _closed_port()
    Cluster.objects.update(prometheus_url=f"http://gantry:s3cret@127.0.0.1:{port}")
    client.force_login(owner)
    with caplog.at_level("WARNING", logger="apps.monitoring"):
        page = client.get(f"/deployments/{llama.pk}/charts/").content.decode()
        api = client.get(f"/api/v1/deployments/{llama.pk}/metrics/").content.decode()
        fleet = client.get("/fleet/").content.decode()
    assert f"Prometheus at http://***@127.0.0.1:{port} cannot be reached" in page
    assert caplog.records, "the failure is logged"
    for text in (page, api, fleet, caplog.text):
        assert "s3cret" not in text
        assert "gantry:" not in text


@pytest.mark.prometheus
def test_a_prometheus_url_with_credentials_works_and_hides_them_in_notes(
    client, owner, team, environment, prometheus
):
    # Prometheus without a web config ignores basic auth: the query goes through.
    with_password = prometheus.url.replace("http://", "http://gantry:s3cret@")
    Cluster.objects.update(prometheus_url=with_password)
    quiet = make_deployment(team, environment, "quiet", "vllm")
    Deployment.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=1))
    client.force_login(owner)
    body = client.get(f"/api/v1/deployments/{quiet.pk}/metrics/").json()
    shown = prometheus.url.replace("http://", "http://***@")
    notes = [panel["note"] for panel in body["panels"]]
    assert all(panel["error"] is None for panel in body["panels"]), body["panels"]
    assert any(f"scraped by the Prometheus at {shown}" in note for note in notes), notes
    page = client.get(f"/deployments/{quiet.pk}/charts/").content.decode()
    assert "s3cret" not in page + str(body)


@pytest.mark.parametrize("url", ["ftp://files.internal/", "file:///etc/passwd"])
def test_a_stored_url_that_is_not_http_is_never_asked(client, owner, llama, url):
    # Written around the model's validation, as a row from before it would be.
    Cluster.objects.update(prometheus_url=url)
    client.force_login(owner)
    body = client.get(f"/api/v1/deployments/{llama.pk}/metrics/").json()
    assert all("only http:// and https:// are allowed" in p["error"] for p in body["panels"])


@pytest.mark.prometheus
def test_a_template_prometheus_rejects_is_reported_in_its_panel(client, owner, llama, prometheus):
    # Written around the model's validation, as a direct database edit would be.
    Cluster.objects.update(prometheus_url=prometheus.url, promql={"requests": "sum(rate(x[5m])"})
    client.force_login(owner)
    response = client.get(f"/deployments/{llama.pk}/charts/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Prometheus at {prometheus.url} rejected the query:" in text
    assert "parse error" in text
    assert text.count("rejected the query") == 1  # the other panels are fine
