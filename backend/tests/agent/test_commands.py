"""`hdx agent init | run | status` as an operator uses them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hdx.agent import diabetes, keystore
from hdx.agent.files import mode_of
from hdx.agent.localnet import LocalExchange, clean_env, hdx_command
from hdx.agent.onboarding import Hospital
from hdx.cli import app

runner = CliRunner()


def test_status_before_init_says_what_to_do(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["agent", "status", "--state-dir", str(tmp_path)])
    assert shown.exit_code == 2
    assert "run `hdx agent init` first" in shown.output


def test_init_registers_keys_and_keeps_them_on_a_second_run(
    tmp_path: Path, exchange: LocalExchange, register: Callable[[int], list[Hospital]]
) -> None:
    (hospital,) = register(1)
    state_dir = tmp_path / "agent"
    args = [
        "agent",
        "init",
        "--server",
        exchange.url,
        "--api-key",
        hospital.api_key,
        "--state-dir",
        str(state_dir),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    keys = keystore.load(state_dir)
    assert "generated new keys" in first.output
    assert keys.x25519_fingerprint in first.output
    assert mode_of(state_dir) == 0o700
    assert {mode_of(path) for path in state_dir.rglob("*") if path.is_file()} == {0o600}

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "reusing keys" in again.output
    assert keystore.load(state_dir) == keys

    shown = runner.invoke(app, ["agent", "status", "--state-dir", str(state_dir)])
    assert shown.exit_code == 0, shown.output
    assert hospital.organization_id in shown.output
    assert keys.ed25519_fingerprint in shown.output
    assert "computations:        0" in shown.output


def test_init_with_a_wrong_api_key_fails_without_saving_a_configuration(
    tmp_path: Path, exchange: LocalExchange
) -> None:
    args = ["agent", "init", "--server", exchange.url, "--api-key", "hdx_wrong", "--state-dir", str(tmp_path)]
    failed = runner.invoke(app, args)
    assert failed.exit_code == 2
    assert "401" in failed.output
    assert not (tmp_path / "config.json").exists()


@pytest.mark.slow
def test_run_once_then_a_policy_with_a_typo_is_refused(
    tmp_path: Path, exchange: LocalExchange, register: Callable[[int], list[Hospital]]
) -> None:
    (hospital,) = register(1)
    state_dir = tmp_path / "agent"
    init = [
        "agent",
        "init",
        "--server",
        exchange.url,
        "--api-key",
        hospital.api_key,
        "--state-dir",
        str(state_dir),
    ]
    assert runner.invoke(app, init).exit_code == 0
    data = diabetes.split(diabetes.diabetes(), tmp_path, 1)[0]
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('[accept]\nanalyses = ["mean"]\n')
    bad.write_text('[accept]\nanalysis = ["mean"]\n')

    def run(policy: Path) -> subprocess.CompletedProcess[str]:
        command = hdx_command(
            "agent",
            "run",
            "--once",
            "--state-dir",
            str(state_dir),
            "--data",
            str(data),
            "--policy",
            str(policy),
        )
        return subprocess.run(
            command, env=clean_env(), capture_output=True, text=True, timeout=120, check=False
        )

    once = run(good)
    assert once.returncode == 0, once.stderr
    assert '"message":"local data loaded"' in once.stderr
    assert '"rows":442' in once.stderr
    refused = run(bad)
    assert refused.returncode == 2
    assert "accept.analysis" in refused.stderr
