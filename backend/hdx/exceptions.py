"""The error tree services raise, and the handlers that render every error as {"error", "detail"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
        names = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 401: "unauthorized"}
        error = names.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(error, exc.detail), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "The server could not complete this request; it has been logged."),
            status_code=500,
        )

    app.add_exception_handler(HdxError, hdx_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
