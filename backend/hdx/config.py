"""One settings object for the whole service, read from HDX_* environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HDX_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    env: Environment = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None

    # Secrets. In development they are generated once and kept under data_dir (mode 0600);
    # anywhere else they must be given explicitly.
    jwt_secret: SecretStr | None = None
    master_key: SecretStr | None = None
    master_key_file: Path | None = None

    jwt_issuer: str = "hdx"
    jwt_audience: str = "hdx-api"
    access_token_minutes: int = 15
    refresh_idle_minutes: int = 30
    refresh_max_hours: int = 12

    otp_ttl_minutes: int = 10
    otp_max_attempts: int = 5

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "HDX <no-reply@hdx.local>"

    # Unset: the dashboard's dev server (`npm run dev`, port 3000) and `make run`'s address; outside
    # production the dev server is also allowed under 127.0.0.1, the other name browsers open it by.
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_default: str = "300/minute;5000/hour"
    rate_limit_login: str = "10/minute;100/hour"
    # Per client address and per account. A hospital's staff often share one NAT address, so the
    # address window is wide; guessing a code is bounded by otp_max_attempts per code.
    rate_limit_otp: str = "20/minute;200/hour"
    rate_limit_password_reset: str = "5/minute;30/hour"
    rate_limit_enabled: bool = True
    trusted_proxies: list[str] = Field(default_factory=list)

    # WebSocket hub: the server pings every heartbeat and drops a client silent for the timeout after it.
    ws_heartbeat_seconds: float = 20.0
    ws_heartbeat_timeout_seconds: float = 10.0
    ws_auth_timeout_seconds: float = 5.0
    ws_metrics_seconds: float = 5.0
    # Messages waiting for one client; a client that falls this far behind is disconnected.
    ws_send_queue: int = 256

    # Background jobs (deadline sweep, hosted agent): "embedded" runs them in the API process,
    # "taskiq" enqueues them on Redis for `hdx worker`. Unset: taskiq exactly when redis_url is set.
    jobs: Literal["embedded", "taskiq"] | None = None
    sweep_interval_seconds: float = 30.0

    # Any other request body (JSON, forms); uploads and protocol messages have their own limits below.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    max_upload_bytes: int = 10 * 1024 * 1024
    # One protocol message (a sealed share, a masked vector, a ciphertext batch).
    max_message_bytes: int = 64 * 1024 * 1024
    max_invalid_share: float = 0.05
    min_cohort_k: int = 5

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'hdx.db'}"
        if self.jobs == "taskiq" and not self.redis_url:
            raise ValueError("HDX_JOBS=taskiq needs HDX_REDIS_URL for its broker")
        if self.master_key_file is None:
            self.master_key_file = self.data_dir / "master.key"
        if "cors_origins" not in self.model_fields_set:
            self.cors_origins = ["http://localhost:3000", "http://localhost:8000"]
            if self.env != "production":
                self.cors_origins.insert(1, "http://127.0.0.1:3000")
        if self.env == "production":
            if self.jwt_secret is None or len(self.jwt_secret.get_secret_value()) < 32:
                raise ValueError("HDX_JWT_SECRET must be set (32+ characters) in production")
            if self.master_key is None and not self.master_key_file.exists():
                raise ValueError(
                    "HDX_MASTER_KEY or an existing HDX_MASTER_KEY_FILE is required in production"
                )
        return self

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def job_runner(self) -> Literal["embedded", "taskiq"]:
        return self.jobs or ("taskiq" if self.redis_url else "embedded")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def jwt_key(self) -> str:
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return _read_or_create_secret(self.data_dir / "jwt.key", 48).hex()

    def master_key_bytes(self) -> bytes:
        if self.master_key is not None:
            raw = bytes.fromhex(self.master_key.get_secret_value())
            if len(raw) != 32:
                raise ValueError("HDX_MASTER_KEY must be 64 hex characters (32 bytes)")
            return raw
        assert self.master_key_file is not None
        if self.env == "production":
            return _read_secret(self.master_key_file, 32)
        return _read_or_create_secret(self.master_key_file, 32)


def _read_secret(path: Path, size: int) -> bytes:
    raw = bytes.fromhex(path.read_text().strip())
    if len(raw) != size:
        raise ValueError(f"{path} must hold {size} bytes as hex")
    return raw


def _read_or_create_secret(path: Path, size: int) -> bytes:
    if path.exists():
        return _read_secret(path, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(size)
    # O_EXCL: two processes starting at once must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path, size)
    with os.fdopen(fd, "w") as handle:
        handle.write(value.hex())
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
