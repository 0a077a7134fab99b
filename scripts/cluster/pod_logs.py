"""Give each simulated pod logs of its own, so that `kubectl logs` tells its failure apart.

KWOK serves pods/log from files, picked by a per-pod `Logs` object when there is one and
by a `ClusterLogs` rule otherwise; a `ClusterLogs` rule matches names only, never images,
so it cannot tell a crash loop from an OOM. This watcher sees every pod start on a KWOK
node and, for each container, writes its log from the template of the failure its image
tag asks for (logs/*.log), shifted so the first line falls at the pod's start time (so
`--since` and `--since-time` select lines as on a real node), then applies a `Logs`
object, owned by the pod, naming the files. A pod's files go when the pod goes; its
`Logs` object goes with it through the garbage collector.

Started by up.sh as the component "pod-logs"; standard library only, so it starts in
milliseconds without the project's virtualenv.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import ssl
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIELD_MANAGER = "gantry-pod-logs"
SKIPPED_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease"}
# image tag -> (current log, previous log) templates; None: no such log.
# A crash-looping container's current log is its last instance's, as a kubelet shows it.
TEMPLATES: dict[str, tuple[str | None, str | None]] = {
    "": ("model-server.log", None),
    "crash-loop": ("crash-loop.previous.log", "crash-loop.previous.log"),
    "oom": ("oom.previous.log", "oom.previous.log"),
    "never-ready": ("never-ready.log", None),
    "pull-error": (None, None),  # never started: nothing printed
}
CRI_LINE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z (.*)", re.DOTALL)
# vLLM's own clock inside a line: "INFO 05-01 12:00:14 api_server.py:232] ..."
SERVER_CLOCK = re.compile(
    r"^((?:stdout|stderr) [PF] (?:INFO|WARNING|ERROR|DEBUG) )\d\d-\d\d \d\d:\d\d:\d\d"
)


def log(message: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {message}", flush=True)


class Template:
    """A CRI-format log whose lines are kept as offsets (ns) from its first line."""

    def __init__(self, path: Path) -> None:
        # (offset, text before the server's clock, text after it); before is None when
        # the line has no clock of its own
        self.lines: list[tuple[int, str | None, str]] = []
        first = None
        for raw in path.read_text().splitlines(keepends=True):
            match = CRI_LINE.fullmatch(raw)
            if not match:
                raise ValueError(f"{path}: not a CRI log line: {raw[:80]!r}")
            seconds = datetime.fromisoformat(match[1]).replace(tzinfo=UTC).timestamp()
            at = int(seconds) * 10**9 + int(match[2])
            first = at if first is None else first
            clock = SERVER_CLOCK.match(match[3])
            if clock:
                self.lines.append((at - first, clock[1], match[3][clock.end() :]))
            else:
                self.lines.append((at - first, None, match[3]))

    def render(self, start: datetime) -> str:
        base = int(start.timestamp()) * 10**9 + start.microsecond * 1000
        out = []
        last = stamp = clock = None
        for offset, before, after in self.lines:
            second, fraction = divmod(base + offset, 10**9)
            if second != last:
                moment = time.gmtime(second)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
                clock = time.strftime("%m-%d %H:%M:%S", moment)
                last = second
            if before is None:
                out.append(f"{stamp}.{fraction:09d}Z {after}")
            else:  # the server's own clock says the time of the line
                out.append(f"{stamp}.{fraction:09d}Z {before}{clock}{after}")
        return "".join(out)


def stage_of(image: str) -> str:
    """The failure an image's tag asks for (kwok-stages.yaml), "" for none."""
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return tag if tag in TEMPLATES else ""


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Api:
    """Just enough of a Kubernetes client: JSON over one TLS connection, reopened on error."""

    def __init__(self, server: str, ca: str, cert: str, key: str) -> None:
        host, _, port = server.removeprefix("https://").partition(":")
        self.host, self.port = host, int(port or 443)
        self.context = ssl.create_default_context(cafile=ca)
        self.context.load_cert_chain(cert, key)
        self.conn: http.client.HTTPSConnection | None = None

    def connect(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=timeout
        )

    def request(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        if self.conn is None:
            self.conn = self.connect(timeout=30)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type or "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        if response.status >= 300:
            raise ApiError(response.status, payload.decode(errors="replace")[:300])
        return json.loads(payload) if payload else None

    def watch(self, path: str, query: dict[str, str]):
        """Yield the events of a watch until the server ends it."""
        conn = self.connect(timeout=330)
        try:
            conn.request(
                "GET", f"{path}?{urlencode(query)}", headers={"Accept": "application/json"}
            )
            response = conn.getresponse()
            if response.status != 200:
                raise ApiError(response.status, response.read().decode(errors="replace")[:300])
            for line in response:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class Watcher:
    def __init__(self, api: Api, templates: Path, out: Path) -> None:
        self.api = api
        self.out = out
        self.templates = {
            name: Template(templates / name)
            for pair in TEMPLATES.values()
            for name in pair
            if name is not None
        }
        self.done: set[str] = set()  # uids whose logs are written and applied

    def handle(self, pod: dict[str, Any]) -> None:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        uid = meta["uid"]
        if (
            uid in self.done
            or meta["namespace"] in SKIPPED_NAMESPACES
            or meta.get("deletionTimestamp")
            or not spec.get("nodeName")
            or not status.get("startTime")
        ):
            return
        entries = self.write(uid, spec.get("containers") or [], parse_time(status["startTime"]))
        if entries:
            self.apply(meta, entries)
        self.done.add(uid)

    def write(self, uid: str, containers: list[dict[str, Any]], start: datetime) -> list[dict]:
        directory = self.out / uid
        entries = []
        for container in containers:
            current, previous = TEMPLATES[stage_of(container.get("image") or "")]
            if current is None:
                continue
            directory.mkdir(parents=True, exist_ok=True)
            entry: dict[str, Any] = {"containers": [container["name"]], "follow": False}
            for field, template, suffix in (
                ("logsFile", current, ".log"),
                ("previousLogsFile", previous, ".previous.log"),
            ):
                if template is not None:
                    path = directory / f"{container['name']}{suffix}"
                    path.write_text(self.templates[template].render(start))
                    entry[field] = str(path)
            entries.append(entry)
        return entries

    def apply(self, meta: dict[str, Any], entries: list[dict]) -> None:
        name, namespace = meta["name"], meta["namespace"]
        body = {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Logs",
            "metadata": {
                "name": name,
                "namespace": namespace,
                # the garbage collector deletes it with the pod, even while we are down
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "Pod", "name": name, "uid": meta["uid"]}
                ],
            },
            "spec": {"logs": entries},
        }
        path = f"/apis/kwok.x-k8s.io/v1alpha1/namespaces/{namespace}/logs/{name}"
        query = urlencode({"fieldManager": FIELD_MANAGER, "force": "true"})
        try:
            self.api.request("PATCH", f"{path}?{query}", body, "application/apply-patch+yaml")
        except ApiError as exc:
            # 404: the namespace is gone; 403: it is terminating. Nothing left to serve.
            if exc.status not in (403, 404):
                raise

    def forget(self, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        self.done.discard(uid)
        shutil.rmtree(self.out / uid, ignore_errors=True)

    def resync(self) -> str:
        """Handle every pod as listed now; drop files of pods gone. Returns the list's version."""
        listed = self.api.request("GET", "/api/v1/pods?fieldSelector=spec.nodeName%21%3D")
        uids = {p["metadata"]["uid"] for p in listed["items"]}
        self.done &= uids
        for stale in self.out.iterdir() if self.out.is_dir() else ():
            if stale.name not in uids:
                shutil.rmtree(stale, ignore_errors=True)
        for pod in listed["items"]:
            self.handle(pod)
        return listed["metadata"]["resourceVersion"]

    def run(self) -> None:
        version = ""
        backoff = 0.5
        while True:
            try:
                if not version:
                    version = self.resync()
                    log(f"listed pods; {len(self.done)} with logs")
                query = {
                    "watch": "1",
                    "resourceVersion": version,
                    "allowWatchBookmarks": "true",
                    "timeoutSeconds": "300",
                    "fieldSelector": "spec.nodeName!=",
                }
                for event in self.api.watch("/api/v1/pods", query):
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":
                        version = ""  # e.g. 410 Gone: the version is too old, list again
                        break
                    version = obj["metadata"].get("resourceVersion") or version
                    if kind == "DELETED":
                        self.forget(obj)
                    elif kind in ("ADDED", "MODIFIED"):
                        self.handle(obj)
                backoff = 0.5
            except (OSError, http.client.HTTPException, ApiError, ValueError, KeyError) as exc:
                log(f"{type(exc).__name__}: {exc}; listing again in {backoff:.1f}s")
                # A pod whose event failed half-way would wait for its next change, which
                # a Running pod may never have: list again, as after a 410 Gone.
                version = ""
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="https://127.0.0.1:PORT")
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--templates", required=True, type=Path, help="scripts/cluster/logs")
    parser.add_argument("--out", required=True, type=Path, help="where pods' logs are written")
    args = parser.parse_args()
    api = Api(args.server, args.ca, args.cert, args.key)
    log(f"writing pods' logs under {args.out}")
    try:
        Watcher(api, args.templates, args.out).run()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
