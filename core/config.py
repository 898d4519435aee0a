"""Settings from environment variables and ``st.secrets``, with defaults for a local run.

Precedence: an environment variable wins over a secret, which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_MODEL_DIR = ROOT / "assets" / "model"

# name of the setting -> (environment variable / secret key)
_KEYS = {
    "database_url": "DATABASE_URL",
    "cookie_secret": "COOKIE_SECRET",
    "model_dir": "MODEL_DIR",
    "data_dir": "DATA_DIR",
}


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    data_dir: Path
    database_url: str
    cookie_secret: str | None
    model_dir: Path
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
        value = env.get(key) or secrets.get(key) or secrets.get(key.lower())
        return str(value).strip() if value else None

    data_dir = Path(pick("data_dir") or DEFAULT_DATA_DIR)
    database_url = pick("database_url") or f"sqlite:///{data_dir / 'marketplace.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        cookie_secret=pick("cookie_secret"),
        model_dir=Path(pick("model_dir") or DEFAULT_MODEL_DIR),
    )
