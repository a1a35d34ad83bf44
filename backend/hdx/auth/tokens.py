"""JWT access and refresh tokens (PyJWT, HS256, audience and issuer checked, type claim enforced)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import Unauthorized

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh", "password_reset"]


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    token_type: TokenType
    jti: str
    version: int
    expires_at: datetime
    family: str | None = None


def encode(
    settings: Settings,
    *,
    subject: str,
    token_type: TokenType,
    lifetime: timedelta,
    version: int,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[str, TokenClaims]:
    issued = now or utcnow()
    expires = issued + lifetime
    jti = uuid.uuid4().hex
    payload: dict[str, Any] = {
        "sub": subject,
        "typ": token_type,
        "jti": jti,
        "ver": version,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        **(extra or {}),
    }
    token = jwt.encode(payload, settings.jwt_key(), algorithm=ALGORITHM)
    claims = TokenClaims(subject, token_type, jti, version, expires, (extra or {}).get("fam"))
    return token, claims


def decode(settings: Settings, token: str, expected_type: TokenType) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            settings.jwt_key(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "jti", "typ", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("Token is not meant for this service") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Token is invalid") from exc
    if payload.get("typ") != expected_type:
        raise Unauthorized(f"A {expected_type} token is required")
    return TokenClaims(
        subject=str(payload["sub"]),
        token_type=expected_type,
        jti=str(payload["jti"]),
        version=int(payload.get("ver", 0)),
        expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=utcnow().tzinfo),
        family=payload.get("fam"),
    )
