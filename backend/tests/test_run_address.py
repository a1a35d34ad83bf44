"""Where `make run` and `hdx run` listen: HDX_HOST and HDX_PORT, defaults unchanged."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from hdx.agent.localnet import Processes, clean_env, free_port, hdx_command
from hdx.config import Settings
from tests.conftest import BACKEND

REPO = BACKEND.parent


def _make_run_command(*assignments: str, **environment: str) -> str:
    """The `hdx run` line that `make run` would execute (make -n prints it and runs nothing)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        ["make", "-n", "run", *assignments],
        cwd=REPO,
        env=clean_env(**environment),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    [line] = [line for line in printed.splitlines() if "/bin/hdx run" in line]
    return line.split("/bin/hdx ", 1)[1]


def test_make_run_listens_on_all_interfaces_at_8000_by_default() -> None:
    assert _make_run_command() == "run --host 0.0.0.0 --port 8000"


def test_make_run_takes_the_address_from_the_environment_or_the_command_line() -> None:
    assert _make_run_command(HDX_HOST="127.0.0.1", HDX_PORT="8123") == "run --host 127.0.0.1 --port 8123"
    assert _make_run_command("HDX_PORT=9001") == "run --host 0.0.0.0 --port 9001"
    assert _make_run_command("HDX_HOST=::1", "HDX_PORT=9002") == "run --host ::1 --port 9002"


@pytest.mark.slow
def test_hdx_run_listens_where_hdx_host_and_hdx_port_say(
    settings: Settings, clean_state: None, tmp_path: Path
) -> None:
    assert settings.jwt_secret is not None
    port = free_port()
    environment = clean_env(
        HDX_ENV="test",
        HDX_DATA_DIR=str(tmp_path / "var"),
        HDX_DATABASE_URL=settings.database_url,
        HDX_JWT_SECRET=settings.jwt_secret.get_secret_value(),
        HDX_HOST="127.0.0.1",
        HDX_PORT=str(port),
        HDX_LOG_LEVEL="WARNING",
    )
    log = tmp_path / "run.log"
    with Processes() as processes:
        process = processes.start("hdx run", hdx_command("run"), env=environment, log=log, cwd=BACKEND)
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
                time.sleep(0.2)
    assert response.status_code == 200
