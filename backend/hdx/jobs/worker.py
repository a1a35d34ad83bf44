"""The broker `hdx worker` runs (taskiq imports it by name in each worker process)."""

from __future__ import annotations

from hdx.config import get_settings
from hdx.jobs.broker import create_broker


def _broker_url() -> str:
    url = get_settings().redis_url
    if not url:
        raise SystemExit("hdx worker needs HDX_REDIS_URL; without Redis the API process runs the jobs itself")
    return url


broker = create_broker(_broker_url())
