"""Deployment profiles read from ``YIWANG_*`` environment variables (pydantic-settings).

``embedded``   SQLite in WAL mode with IMMEDIATE transactions, one machine, nothing else to install (default).
``production`` PostgreSQL 15 (``YIWANG_DATABASE_URL``).
``scaleout``   PostgreSQL + Redis (``YIWANG_REDIS_URL``) for cache and fan-out.

Kept apart from ``settings.py`` so the CLI and tests can read the profile without configuring Django.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class YiwangProfile(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIWANG_", extra="ignore")

    profile: Literal["embedded", "production", "scaleout"] = "embedded"
    database_url: str | None = Field(default=None, description="postgres://user:pass@host:port/db")
    redis_url: str | None = Field(default=None, description="redis://host:port/0 (scaleout)")
    # A streaming replica (hot standby) for the public reads that may lag (platform/web/replica.py); optional.
    replica_url: str | None = Field(default=None, description="postgres://… of a hot standby (scaleout)")
    secret_key: str | None = Field(default=None, description="required outside the embedded profile")
    debug: bool = False
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    allowed_hosts: list[str] = ["127.0.0.1", "localhost", "[::1]"]
    # Reverse proxies whose X-Forwarded-For is believed for the client's address (the bid box's upload IP);
    # e.g. ["127.0.0.1", "::1"] behind nginx on the same machine. Empty: the address is REMOTE_ADDR.
    trusted_proxies: list[str] = []
    bind: str = "127.0.0.1:8000"
    # The live-update server (SSE, docs/live.md): its address (default: the web port + 1), the URL pages use
    # when it sits behind a proxy, and the broadcaster (database | postgres | redis; default by profile).
    live_bind: str | None = None
    live_url: str | None = None
    live_broadcaster: str | None = None
    # The site's public address, for links that leave the site (QR codes on PDFs, e-mails).
    public_url: str = "http://127.0.0.1:8000"
    # The platform's signing key (PKCS#8 PEM); None: a key made once in the data directory (docs/adr/0007).
    platform_signing_key: Path | None = Field(default=None, description="PKCS#8 PEM of the platform signing key")
    web_workers: int = 2
    web_threads: int = 4
    log_level: str = "INFO"
    # The platform operator: its 统一社会信用代码 is the PLATFORM_CODE and the prefix of every 统一交易标识码.
    platform_code: str = "12310000900000014L"  # a demo code (valid check character); set the real one in production
    platform_name: str = "上海市公共资源交易平台"
    # The region the platform serves (GB/T 2260); staff administrators over it administer the whole platform.
    platform_region: str = "310000"

    @model_validator(mode="after")
    def _check(self) -> YiwangProfile:
        if self.profile in ("production", "scaleout"):
            if not self.database_url:
                raise ValueError(f"YIWANG_DATABASE_URL is required for the {self.profile} profile")
            if not self.secret_key:
                raise ValueError(f"YIWANG_SECRET_KEY is required for the {self.profile} profile")
        if self.profile == "scaleout" and not self.redis_url:
            raise ValueError("YIWANG_REDIS_URL is required for the scaleout profile")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.profile in ("production", "scaleout")
