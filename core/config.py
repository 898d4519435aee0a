"""Settings from environment variables and ``st.secrets``, with defaults for a local run.

Precedence: an environment variable wins over a secret, which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserError
from core.i18n import _

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_MODEL_DIR = ROOT / "assets" / "model"

# name of the setting -> (environment variable / secret key)
_KEYS = {
    "database_url": "DATABASE_URL",
    "cookie_secret": "COOKIE_SECRET",
    "model_dir": "MODEL_DIR",
    "data_dir": "DATA_DIR",
    "demo_data": "DEMO_DATA",
    "ai_warmup": "AI_WARMUP",
    "admin_emails": "ADMIN_EMAILS",
}
# How the AI (model, text encoder, listings' vector index) is loaded (ui/warmup.py):
# "background": by a thread the process's first page view starts, no page waits for it;
# "off": by the first page that needs it, in its own run (that visitor waits);
# "wait": by the thread, and every page that needs it waits for it (deterministic tests).
AI_WARMUP_MODES = ("background", "off", "wait")
MIN_COOKIE_SECRET_BYTES = 32
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(UserError):
    """A setting that cannot work; the message says which one and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    data_dir: Path
    database_url: str
    cookie_secret: str | None
    model_dir: Path
    # the demo accounts (public passwords) and listings: on for the embedded SQLite only
    demo_data: bool = False
    ai_warmup: str = "background"  # one of AI_WARMUP_MODES
    # the administrators named by the setting (lower-cased); others get users.role 'admin'
    admin_emails: frozenset[str] = frozenset()
    cookie_name: str = "marketplace_auth"
    cookie_expiry_days: float = 30.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secrets() -> dict:
    """``st.secrets`` as a plain dict, or empty when Streamlit or the file is absent."""
    try:
        import streamlit as st

        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets.toml, or not running under Streamlit: both are normal
        return {}


def load_settings(env: dict[str, str] | None = None, secrets: dict | None = None) -> Settings:
    """Build the settings from ``env`` (default ``os.environ``) and ``secrets``."""
    env = dict(os.environ) if env is None else env
    secrets = _secrets() if secrets is None else secrets

    def pick(name: str) -> str | None:
        key = _KEYS[name]
        for value in (env.get(key), secrets.get(key), secrets.get(key.lower())):
            if value is not None and str(value).strip():  # TOML's false is a value too
                return str(value).strip()
        return None

    data_dir = Path(pick("data_dir") or DEFAULT_DATA_DIR)
    database_url = pick("database_url") or f"sqlite:///{data_dir / 'marketplace.db'}"
    secret = pick("cookie_secret")
    if secret is not None and len(secret.encode("utf-8")) < MIN_COOKIE_SECRET_BYTES:
        raise ConfigError(
            _(
                "COOKIE_SECRET is too short: it needs at least {n} bytes. Make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))' (or remove the "
                "setting: the app then keeps a generated one in the database)."
            ).format(n=MIN_COOKIE_SECRET_BYTES)
        )
    demo = pick("demo_data")
    if demo is None:
        demo_data = database_url.startswith("sqlite")  # a server database is for real use
    elif demo.lower() in _TRUE | _FALSE:
        demo_data = demo.lower() in _TRUE
    else:
        raise ConfigError(
            _("DEMO_DATA must be true or false, not {value}.").format(value=repr(demo))
        )
    warmup = (pick("ai_warmup") or "background").lower()
    if warmup not in AI_WARMUP_MODES:
        raise ConfigError(
            _("AI_WARMUP must be background, off or wait, not {value}.").format(value=repr(warmup))
        )
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        cookie_secret=secret,
        model_dir=Path(pick("model_dir") or DEFAULT_MODEL_DIR),
        demo_data=demo_data,
        ai_warmup=warmup,
        admin_emails=parse_admin_emails(pick("admin_emails")),
    )


def parse_admin_emails(raw: str | None) -> frozenset[str]:
    """ADMIN_EMAILS ("a@x.org, b@y.org") as a set of lower-cased e-mails."""
    return frozenset(e.strip().lower() for e in (raw or "").split(",") if e.strip())
