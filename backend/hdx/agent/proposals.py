"""A person's side of a computation over the API: propose it, follow it, read its result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from hdx.agent.onboarding import Hospital

FINAL = frozenset({"completed", "failed", "cancelled", "expired", "awaiting_release"})


class ComputationFailed(Exception):
    pass


def propose(
    http: httpx.Client,
    requester: Hospital,
    participants: Sequence[str],
    analysis: str,
    params: dict[str, Any],
    *,
    protocol: str = "shamir",
    threshold: int | None = None,
    min_participants: int | None = None,
    deadlines: dict[str, float] | None = None,
    epsilon: float | None = None,
    delta: float | None = None,
    dp_mode: str | None = None,
) -> str:
    spec: dict[str, Any] = {
        "title": f"{analysis} over the shared data",
        "analysis": analysis,
        "params": params,
        "participants": list(participants),
        "protocol": protocol,
        "threshold": threshold or len(participants),
        "min_participants": min_participants,
    }
    if deadlines is not None:
        spec["deadlines"] = deadlines
    privacy = {"epsilon": epsilon, "delta": delta, "dp_mode": dp_mode}
    spec |= {name: value for name, value in privacy.items() if value is not None}
    created = http.post("/secure-computations/initialize", json=spec, headers=requester.headers)
    if created.status_code != 201:
        raise ComputationFailed(f"initialize: HTTP {created.status_code} {created.text[:500]}")
    computation_id: str = created.json()["id"]
    return computation_id


def status(http: httpx.Client, reader: Hospital, computation_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = (
        http.get(f"/secure-computations/{computation_id}/status", headers=reader.headers)
        .raise_for_status()
        .json()
    )
    return answer


def result(http: httpx.Client, reader: Hospital, computation: dict[str, Any]) -> dict[str, Any]:
    """The released result of a finished computation; ComputationFailed when it has none."""
    if computation["status"] != "completed":
        raise ComputationFailed(
            f"{computation['analysis']} ended {computation['status']}: {computation['failure_reason']}"
        )
    answer: dict[str, Any] = (
        http.get(f"/secure-computations/result/{computation['result_id']}", headers=reader.headers)
        .raise_for_status()
        .json()
    )
    return answer
