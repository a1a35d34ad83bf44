"""Bodies accepted as JSON or as HTML form fields (the original product's clients send forms)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from hdx.exceptions import BadRequest, Unprocessable, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_body(request: Request, model: type[M]) -> M:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    data: Any
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            data = json.loads(await request.body())
        except ValueError as exc:
            raise BadRequest("The body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise Unprocessable("The JSON body must be an object")
    elif media_type in _FORMS:
        form = await request.form()
        data = {key: value for key, value in form.items() if isinstance(value, str)}
    else:
        raise UnsupportedMediaType("Send the body as application/json or application/x-www-form-urlencoded")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def form_or_json(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting both accepted encodings of `model`."""
    schema = model.model_json_schema(by_alias=True)
    body = _inline(schema, schema.get("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": body} for media_type in ("application/json", *_FORMS[:1])},
        }
    }
