"""The operator's part of the config: the admin key of /ui, and how the proxy logs.

    admin: {key: "${ADMIN_KEY}"}          # or key_sha256: <hex SHA-256 of it>; none: /ui is off
    log: {level: info, format: auto}      # json | human | auto (human on a terminal)

Kept apart from config.py so the core config stays about traffic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ADMIN_KEY_MIN = 16  # the key replays and drops dead letters: longer than a client's 8


class Admin(BaseModel):
    """Who may use the operator UI and its JSON API. An empty key (e.g. `${ADMIN_KEY:-}`
    unset) leaves the UI off rather than open."""

    model_config = ConfigDict(extra="forbid")
    key: str | None = Field(None, repr=False)
    key_sha256: str | None = Field(None, repr=False, pattern=r"^[0-9a-fA-F]{64}$")

    @model_validator(mode="after")
    def _one_key(self):
        if self.key is not None and self.key_sha256 is not None:
            raise ValueError("admin needs one of key or key_sha256, not both")
        if self.key and len(self.key.strip()) < ADMIN_KEY_MIN:
            raise ValueError(f"admin.key is shorter than {ADMIN_KEY_MIN} characters")
        return self

    @property
    def enabled(self) -> bool:
        return bool((self.key or "").strip() or self.key_sha256)


class Log(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["debug", "info", "warning", "error"] | None = None  # none: the top-level log_level
    format: Literal["json", "human", "auto"] = "auto"


def log_level(cfg) -> str:
    """`log.level` when given, else the older top-level `log_level`."""
    log = getattr(cfg, "log", None)
    return (log.level if log is not None and log.level else cfg.log_level).lower()


def log_format(cfg) -> str:
    log = getattr(cfg, "log", None)
    return log.format if log is not None else "auto"
