"""docs/agent.md against the code: its example policy loads and decides as the page says, its key
table lists every key with the default the code applies, and the CLI help says what the page says."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from hdx.agent.commands import agent_app
from hdx.agent.policy import AcceptRules, DeclineRules, Invitation, Policy, Verdict, decide, load

PAGE = Path(__file__).resolve().parents[3] / "docs" / "agent.md"


def page() -> str:
    return PAGE.read_text()


def example() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", page(), flags=re.DOTALL)
    assert len(blocks) == 1, "docs/agent.md shows one example policy"
    text: str = blocks[0]
    return text


def table(header: str) -> list[list[str]]:
    """The rows of the markdown table that starts with `header`, as lists of cells."""
    lines = page().splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def every_key() -> dict[str, Any]:
    """Each key of the policy file with the default the code applies (None: unset)."""
    tables: dict[str, type[BaseModel]] = {"accept": AcceptRules, "decline": DeclineRules}
    keys: dict[str, Any] = {"otherwise": Policy.model_fields["otherwise"].get_default()}
    for name, model in tables.items():
        for field, info in model.model_fields.items():
            keys[f"{name}.{field}"] = info.get_default(call_default_factory=True)
    return keys


def test_the_key_table_lists_every_key_with_the_default_the_code_applies() -> None:
    documented = {row[0].strip("`"): row[2] for row in table("| key | type | default | meaning |")}
    expected = {
        key: "unset" if default is None else f"`{json.dumps(default)}`"
        for key, default in every_key().items()
    }
    assert documented == expected


def test_the_example_loads_and_sets_every_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(example())
    load(path)
    raw = tomllib.loads(example())
    written = {"otherwise"} | {f"{name}.{key}" for name in ("accept", "decline") for key in raw[name]}
    assert written == set(every_key())


def test_the_example_decides_as_the_page_says(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(example())
    policy = load(path)
    # The rows of the page's table, in its order.
    invitations = [
        {"requester_name": "North Hospital", "analysis": "mean", "columns": ("bmi",)},
        {
            "requester_name": "North Hospital",
            "analysis": "mean",
            "protocol": "secagg",
            "columns": ("bmi",),
            "epsilon": 0.5,
            "dp_mode": "distributed",
        },
        {
            "requester_name": "North Hospital",
            "analysis": "mean",
            "columns": ("bmi",),
            "epsilon": 0.5,
            "dp_mode": "central",
        },
        {"requester_name": "South Clinic", "analysis": "count", "columns": ("weight",), "k": 20},
        {
            "requester_name": "South Clinic",
            "analysis": "logistic",
            "protocol": "secagg",
            "columns": ("outcome", "bmi"),
            "k": 20,
        },
        {"requester_name": "North Hospital", "analysis": "histogram", "columns": ("glucose",), "k": 3},
    ]
    said = [row[1] for row in table("| invitation | decision |")]
    assert len(said) == len(invitations)
    for changes, decision in zip(invitations, said, strict=True):
        fields: dict[str, Any] = {
            "computation_id": "c1",
            "requester_id": "org-1",
            "protocol": "shamir",
            "k": 10,
            "epsilon": None,
        }
        made = decide(policy, Invitation(**(fields | changes)))
        if decision == "accepted":
            assert made.verdict is Verdict.accept, changes
        else:
            verdict, reason = decision.split(": ", 1)
            assert made.verdict is {"waits": Verdict.wait, "declined": Verdict.decline}[verdict], changes
            assert reason == f"`{made.reason}`", changes


def test_the_cli_help_says_what_happens_without_a_policy_as_the_page_does() -> None:
    run = typer.main.get_command(agent_app).commands["run"]  # type: ignore[attr-defined]
    help_text = next(param.help for param in run.params if param.name == "policy")
    assert "without one every invitation waits for a person" in help_text
    options = {row[0]: row[1] for row in table("| option of `hdx agent run` | what it does |")}
    assert "without it every invitation waits for a person" in options["`--policy FILE`"]
    assert "Without `--policy` the agent answers nothing on its own" in page()
