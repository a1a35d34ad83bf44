"""What keeps an API process small: clients loaded only when configured, one allocator arena."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hdx.config import Settings
from tests.conftest import BACKEND


def python(code: str, **env: str) -> str:
    """Run `code` in a fresh interpreter (nothing imported yet) and return what it printed."""
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | env
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BACKEND,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_exchange_without_redis_loads_neither_redis_nor_taskiq(settings: Settings) -> None:
    code = f"""
import asyncio, sys
from asgi_lifespan import LifespanManager
from hdx.app import create_app
from hdx.config import Settings

settings = Settings(
    env="test", data_dir={str(settings.data_dir)!r}, database_url={settings.database_url!r},
    jwt_secret="test-secret-" + "x" * 40, rate_limit_enabled=False,
)

async def main() -> None:
    async with LifespanManager(create_app(settings)):
        pass

asyncio.run(main())
print("loaded:", [name for name in ("redis", "taskiq", "aiohttp") if name in sys.modules])
"""
    assert python(code) == "loaded: []"


def test_polars_gets_one_jemalloc_arena_unless_the_operator_chose() -> None:
    code = "import hdx, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"
    assert python(code).split(",")[-1] == "narenas:1"
    chosen = python(code, _RJEM_MALLOC_CONF="narenas:4")
    assert "narenas:4" in chosen.split(",")
    assert "narenas:1" not in chosen


ARENAS = """
import ctypes, threading
import hdx

def allocate() -> None:
    held = [bytearray(100_000) for _ in range(20)]
    del held

threads = [threading.Thread(target=allocate) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
report = libc.fopen({path!r}.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(report))
libc.fclose(ctypes.c_void_p(report))
print(open({path!r}).read().count("<heap nr="))
"""


def test_python_threads_share_one_glibc_arena_unless_the_operator_chose(tmp_path: Path) -> None:
    if not os.confstr("CS_GNU_LIBC_VERSION"):
        pytest.skip("arenas are glibc's")
    code = ARENAS.format(path=str(tmp_path / "malloc.xml"))
    assert python(code) == "1"
    assert int(python(code, MALLOC_ARENA_MAX="4")) > 1
