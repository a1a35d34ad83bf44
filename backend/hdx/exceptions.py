"""The error tree services raise, and the handlers that render every error as {"error", "detail"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hdx.db import unreachable_reason

logger = logging.getLogger("hdx.errors")


class HdxError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, message: str, *, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail if detail is not None else message
        self.headers = headers


class BadRequest(HdxError):
    status_code = 400
    error = "bad_request"


class Unauthorized(HdxError):
    status_code = 401
    error = "unauthorized"

    def __init__(self, message: str = "Not authenticated", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(HdxError):
    status_code = 403
    error = "forbidden"


class NotFound(HdxError):
    status_code = 404
    error = "not_found"


class Conflict(HdxError):
    status_code = 409
    error = "conflict"


class Gone(HdxError):
    status_code = 410
    error = "gone"


class PayloadTooLarge(HdxError):
    status_code = 413
    error = "payload_too_large"


class UnsupportedMediaType(HdxError):
    status_code = 415
    error = "unsupported_media_type"


class Unprocessable(HdxError):
    status_code = 422
    error = "validation_error"


class Locked(HdxError):
    status_code = 423
    error = "locked"


class TooManyRequests(HdxError):
    status_code = 429
    error = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, detail: Any = None) -> None:
        super().__init__(message, detail=detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(HdxError):
    status_code = 503
    error = "service_unavailable"


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        items.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid value")})
    return items


def install_error_handlers(app: FastAPI) -> None:
    async def hdx_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HdxError)
        return JSONResponse(
            error_body(exc.error, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(error_body("validation_error", _validation_detail(exc)), status_code=422)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        names = {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }
        error = names.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(error, exc.detail), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    app.add_exception_handler(HdxError, hdx_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


# Seconds a client should wait before trying again while the database cannot be reached.
DATABASE_RETRY_AFTER = 5


class UnhandledErrorMiddleware:
    """Answers every exception no handler took: 503 when the database cannot be reached, 500 otherwise.

    Added inside the request context so these answers carry the request id and the security headers,
    and their one log line names the request. (An `Exception` handler would run in Starlette's
    outermost middleware, outside all of that, and re-raise for the server to log a second time.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            response = _answer(exc, scope)
            # Once a response has started nothing else can be sent: the server closes the connection.
            if not started:
                await response(scope, receive, send)


def _answer(exc: Exception, scope: Scope) -> JSONResponse:
    where = {"method": scope["method"], "path": scope["path"]}
    reason = unreachable_reason(exc)
    if reason is not None:
        # An outage, not a bug: one warning per request, without a stack trace.
        logger.warning("database unreachable: %s", reason, extra=where)
        return JSONResponse(
            error_body(
                "service_unavailable",
                f"The database cannot be reached right now; try again in {DATABASE_RETRY_AFTER} seconds.",
            ),
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    logger.error("unhandled error", exc_info=exc, extra=where)
    return JSONResponse(
        error_body("internal_error", "The server could not complete this request; it has been logged."),
        status_code=500,
    )
