"""Pure comparisons of what Gantry applies with what the cluster holds.

Drift is a Gantry-owned field with another value: every field of the applied
manifest must be present, equal, in the live object. Fields Gantry does not set
(defaults the API server fills in, replicas under an HPA, a sidecar someone
injects) are not Gantry's and never count. Quantities compare by value, since
the API server rewrites "0.5" as "500m".
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from apps.core.validators import parse_quantity_value

# Maps whose keys are quantities: the resource requirements and quota limits.
_QUANTITY_MAPS = {"requests", "limits", "hard", "default", "defaultRequest", "max", "min"}
# Maps Gantry owns whole: a limit removed from the team's quota must leave the cluster too.
_EXACT_MAPS = {("ResourceQuota", "hard")}


def differences(desired: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """Paths (e.g. `spec.template.spec.containers[server].image`) where live differs."""
    found: list[str] = []
    kind = desired.get("kind", "")
    for key in ("metadata", "spec"):
        if key in desired:
            _compare(desired[key], live.get(key), key, kind, False, found)
    return found


def _compare(
    want: Any, have: Any, path: str, kind: str, quantities: bool, found: list[str]
) -> None:
    if isinstance(want, dict):
        if not isinstance(have, dict):
            found.append(path)
            return
        leaf = path.rsplit(".", 1)[-1]
        if (kind, leaf) in _EXACT_MAPS and set(want) != set(have):
            found.append(path)
            return
        # The values of a resource map (requests, limits, hard...) are quantities.
        values_are_quantities = leaf in _QUANTITY_MAPS
        for key, value in want.items():
            _compare(value, have.get(key), f"{path}.{key}", kind, values_are_quantities, found)
        return
    if isinstance(want, list):
        _compare_list(want, have, path, kind, found)
        return
    if quantities and isinstance(want, str) and isinstance(have, str):
        if _quantity(want) != _quantity(have):
            found.append(path)
        return
    if want != have:
        found.append(path)


def _compare_list(want: list[Any], have: Any, path: str, kind: str, found: list[str]) -> None:
    if not isinstance(have, list):
        found.append(path)
        return
    if want and all(isinstance(item, dict) and "name" in item for item in want):
        # Lists keyed by name (containers, ports, volumes, env): match items by name, so
        # an item someone else added is theirs, not drift.
        by_name = {item.get("name"): item for item in have if isinstance(item, dict)}
        for item in want:
            _compare(item, by_name.get(item["name"]), f"{path}[{item['name']}]", kind, False, found)
        return
    if len(want) != len(have):
        found.append(path)
        return
    for index, (a, b) in enumerate(zip(want, have, strict=True)):
        _compare(a, b, f"{path}[{index}]", kind, False, found)


def _quantity(value: str) -> Decimal | str:
    try:
        return parse_quantity_value(value)
    except ValidationError:
        return value


def status_digest(deployments: list[dict[str, Any]]) -> str:
    """A fingerprint of what the Deployments' status says, without timestamps.

    Reconcile stores it with the status it wrote; resync recomputes it from its
    LIST and enqueues a status check only for deployments whose digest moved.
    """
    summary = []
    for obj in sorted(deployments, key=lambda o: o["metadata"]["name"]):
        status = obj.get("status") or {}
        summary.append(
            [
                obj["metadata"]["name"],
                obj["metadata"].get("generation"),
                (obj.get("spec") or {}).get("replicas"),
                status.get("observedGeneration"),
                status.get("replicas", 0),
                status.get("updatedReplicas", 0),
                status.get("readyReplicas", 0),
                status.get("availableReplicas", 0),
                status.get("unavailableReplicas", 0),
                sorted(
                    [c.get("type"), c.get("status"), c.get("reason")]
                    for c in status.get("conditions") or []
                ),
            ]
        )
    data = json.dumps(summary, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:32]
