"""JSON log lines, each carrying the request id of the request that wrote it."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

from hdx.kit.context import request_id_var

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# uvicorn writes request lines to uvicorn.access and WebSocket handshakes to uvicorn.error.
_SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")
WITHHELD = "..."


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            # Stack traces go to the log, never to the client.
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def without_query_values(target: str) -> str:
    """`/me?access_token=eyJ...&page=2` -> `/me?access_token=...&page=...`: parameter names only."""
    path, separator, query = target.partition("?")
    if not separator:
        return target
    names = [pair.partition("=")[0] for pair in query.split("&") if pair]
    return f"{path}?" + "&".join(f"{name}={WITHHELD}" for name in names)


class QueryValuesWithheld(logging.Filter):
    """Request targets are logged without their query values: tokens, codes and personal data passed in a
    URL (however the parameter is named) never reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_query_values(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True


_QUERY_VALUES_WITHHELD = QueryValuesWithheld()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", *_SERVER_LOGGERS):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # the service's level, whatever an earlier server set up
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if _QUERY_VALUES_WITHHELD not in logger.filters:
            logger.addFilter(_QUERY_VALUES_WITHHELD)
