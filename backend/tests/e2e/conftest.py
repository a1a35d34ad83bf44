"""The exchange as `make run` starts it (its own process, SQLite, a fresh data directory, the built
dashboard) and Debian's Chromium driven by Playwright.

Without Chromium, Playwright or the dashboard build these tests are skipped, saying why; with
HDX_E2E_REQUIRED=1 (CI) they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hdx.web import EXPORT_DIR

CHROMIUM = Path("/usr/bin/chromium")
BACKEND = Path(__file__).resolve().parents[2]
ARTIFACTS = BACKEND / "test-artifacts" / "e2e"
# Both organizations' browsers reach the exchange from 127.0.0.1, so they share one per-address budget
# that a real deployment gives each hospital separately.
STARTUP_SECONDS = 60


def unavailable(reason: str) -> None:
    """Skip, saying why (from a test, a fixture or a module being collected); fail when required."""
    if os.environ.get("HDX_E2E_REQUIRED") == "1":
        pytest.fail(f"browser test required (HDX_E2E_REQUIRED=1) but {reason}")
    pytest.skip(reason, allow_module_level=True)


def require_dashboard() -> None:
    if not (EXPORT_DIR / "index.html").is_file():
        unavailable(f"the dashboard is not built ({EXPORT_DIR}); run `make frontend`")


def require_browser() -> None:
    if not CHROMIUM.is_file():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        unavailable("the playwright package is not installed (make setup)")


@dataclass
class Server:
    url: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_env(data_dir: Path) -> dict[str, str]:
    # Only the embedded defaults, as `make run` has them (rate limits and allowed origins included):
    # no database, Redis or SMTP settings leak in from the caller.
    env = {key: value for key, value in os.environ.items() if not key.startswith("HDX_")}
    env.update(HDX_DATA_DIR=str(data_dir))
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server was not healthy within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots of this run only: earlier runs' files are removed first."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Server]:
    """`hdx migrate` then `hdx run`, the commands of `make run`, on a free port."""
    require_dashboard()
    hdx = Path(sys.executable).with_name("hdx")
    root = tmp_path_factory.mktemp("exchange")
    data_dir = root / "var"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(data_dir)
    migrated = subprocess.run(
        [hdx, "migrate"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    log = artifacts / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [hdx, "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        yield Server(url, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while it is open,
# and the async tests of later directories cannot start theirs until it closes.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    # Chromium's sandbox refuses to start as root, the user CI and containers run as.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield launched
        finally:
            launched.close()
