"""The local policy deciding invitations: accept automatically, decline with a reason, or wait.

A TOML file; the agent auto-accepts only what its [accept] table names ("*" names anything) and its
local data can serve. Whatever [decline] names is declined with the reason; everything else is left
pending for a person to answer in the dashboard or API (or declined, with `otherwise = "decline"`).
Without a file nothing is answered automatically. docs/agent.md describes every key, with an example.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hdx.analyses import AnalysisError, get_analysis

ANY = "*"
DpModeName = Literal["central", "distributed"]
DP_MODES: tuple[DpModeName, ...] = ("central", "distributed")


class PolicyError(Exception):
    pass


class AcceptRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requesters: list[str] = Field(default_factory=list)
    analyses: list[str] = Field(default_factory=list)
    protocols: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    min_k: int | None = Field(None, ge=1)
    max_epsilon: float | None = Field(None, gt=0)
    # "central": the exchange (or the result recipient) sees the exact aggregate and noises it;
    # "distributed": this agent noises its own input and nobody sees the exact aggregate.
    dp_modes: list[DpModeName] = Field(default_factory=lambda: list(DP_MODES))
    require_dp: bool = False


class DeclineRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requesters: list[str] = Field(default_factory=list)
    analyses: list[str] = Field(default_factory=list)
    protocols: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    min_k: int | None = Field(None, ge=1)


class Policy(BaseModel):
    """Without a file nothing is accepted automatically: every invitation waits for a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    otherwise: Literal["wait", "decline"] = "wait"
    accept: AcceptRules = Field(default_factory=AcceptRules)
    decline: DeclineRules = Field(default_factory=DeclineRules)


def load(path: Path) -> Policy:
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise PolicyError(f"cannot read the policy {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"{path}: {problems}") from exc


class Verdict(enum.StrEnum):
    accept = "accept"
    decline = "decline"
    wait = "wait"


@dataclass(frozen=True)
class Invitation:
    computation_id: str
    requester_id: str
    requester_name: str
    analysis: str
    protocol: str
    k: int
    epsilon: float | None
    columns: tuple[str, ...]
    dp_mode: str | None = None
    # Why the local data cannot serve the invitation (a column missing, fewer rows than k); None: it can.
    data_problem: str | None = None


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def columns_of(analysis: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    """Every column an analysis reads: its variables, extra columns and filter columns."""
    implementation = get_analysis(analysis)
    try:
        parsed = implementation.parse(params)
    except ValidationError as exc:
        raise AnalysisError(f"params do not fit the {analysis} analysis: {exc}") from exc
    names = list(implementation.columns(parsed))
    names += [f.column for f in parsed.filters if f.column not in names]
    return tuple(names)


def _listed(value: str, names: list[str]) -> bool:
    return ANY in names or value in names


def _requester_listed(invitation: Invitation, names: list[str]) -> bool:
    lowered = {name.casefold() for name in names}
    return ANY in names or invitation.requester_id in names or invitation.requester_name.casefold() in lowered


def decide(policy: Policy, invitation: Invitation) -> Decision:
    refusals = _declined(policy.decline, invitation)
    if refusals:
        return Decision(Verdict.decline, tuple(refusals))
    misses = _unmatched(policy.accept, invitation)
    if invitation.data_problem is not None:
        # Accepting would only stall the computation; whether to decline is the policy's to say.
        misses.insert(0, f"the local data cannot contribute: {invitation.data_problem}")
    if not misses:
        return Decision(Verdict.accept, ("every rule of [accept] is met",))
    verdict = Verdict.decline if policy.otherwise == "decline" else Verdict.wait
    return Decision(verdict, tuple(misses))


def _declined(rules: DeclineRules, inv: Invitation) -> list[str]:
    reasons = []
    if _requester_listed(inv, rules.requesters):
        reasons.append(f"the policy declines requests from {inv.requester_name}")
    if _listed(inv.analysis, rules.analyses):
        reasons.append(f"the policy declines the {inv.analysis} analysis")
    if _listed(inv.protocol, rules.protocols):
        reasons.append(f"the policy declines the {inv.protocol} protocol")
    banned = [c for c in inv.columns if _listed(c, rules.columns)]
    if banned:
        reasons.append(f"the policy does not allow the column(s) {', '.join(banned)}")
    if rules.min_k is not None and inv.k < rules.min_k:
        reasons.append(f"minimum cohort k={inv.k} is below the policy's {rules.min_k}")
    return reasons


def _unmatched(rules: AcceptRules, inv: Invitation) -> list[str]:
    misses = []
    if not _requester_listed(inv, rules.requesters):
        misses.append(f"requester {inv.requester_name} is not in accept.requesters")
    if not _listed(inv.analysis, rules.analyses):
        misses.append(f"analysis {inv.analysis} is not in accept.analyses")
    if not _listed(inv.protocol, rules.protocols):
        misses.append(f"protocol {inv.protocol} is not in accept.protocols")
    unlisted = [c for c in inv.columns if not _listed(c, rules.columns)]
    if unlisted:
        misses.append(f"column(s) {', '.join(unlisted)} not in accept.columns")
    if rules.min_k is not None and inv.k < rules.min_k:
        misses.append(f"minimum cohort k={inv.k} is below accept.min_k={rules.min_k}")
    if inv.epsilon is None and rules.require_dp:
        misses.append("the computation has no differential privacy and accept.require_dp is set")
    if inv.epsilon is not None and rules.max_epsilon is not None and inv.epsilon > rules.max_epsilon:
        misses.append(f"epsilon={inv.epsilon:g} exceeds accept.max_epsilon={rules.max_epsilon:g}")
    if inv.epsilon is not None and (inv.dp_mode or "central") not in rules.dp_modes:
        misses.append(f"dp_mode {inv.dp_mode or 'central'} is not in accept.dp_modes")
    return misses
