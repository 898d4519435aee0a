"""Settings from environment variables and ``st.secrets``, with defaults for a local run.

Precedence: an environment variable wins over a secret, which wins over the default.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
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
    "app_url": "APP_URL",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_tls": "SMTP_TLS",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_sender": "SMTP_SENDER",
    "flag_not_clothing_threshold": "FLAG_NOT_CLOTHING_THRESHOLD",
    "flag_duplicate_threshold": "FLAG_DUPLICATE_THRESHOLD",
    "admin_emails": "ADMIN_EMAILS",
    "runs_at_once": "RUNS_AT_ONCE",
    "max_sessions": "MAX_SESSIONS",
}
# How much one server process takes (ui/admission.py): script runs drawing at once at most
# (one at a time, more only while those drawing wait on something slow: the others wait
# their turn), and open sessions (tabs) before new visitors see "busy, retrying".
DEFAULT_RUNS_AT_ONCE = 4
DEFAULT_MAX_SESSIONS = 300
# How the AI (model, text encoder, listings' vector index) is loaded (ui/warmup.py):
# "background": by a thread the process's first page view starts, no page waits for it;
# "off": by the first page that needs it, in its own run (that visitor waits);
# "wait": by the thread, and every page that needs it waits for it (deterministic tests).
AI_WARMUP_MODES = ("background", "off", "wait")
# how the SMTP connection is secured -> its usual port
SMTP_TLS_MODES = {"none": 25, "starttls": 587, "ssl": 465}
# The AI flags of new listings (core/moderation/flags.py): a listing is flagged for the
# administrators (never hidden) when its score reaches the threshold.
# "Not clothing": the probability CLIP gives the non-garment subjects (a car, a screenshot, a
# face, food...) against the garment categories, softmax at CLIP's logit scale 100. It is
# nearly all-or-nothing: 0.01 of cosine is one logit, and a garment photo is some 0.05-0.10
# nearer its garment prompt than any other, so its mass on the subjects is under 0.01, and
# a car's is above 0.99. 0.7 leaves the unsure middle (a garment worn in a selfie, a bag
# on a sofa) unflagged: the model must find a non-garment clearly likelier than a garment.
# Reasoned, not measured: no real model was at hand when it was chosen.
DEFAULT_FLAG_NOT_CLOTHING_THRESHOLD = 0.7
# "Duplicate": the cosine of the cover's image embedding with another seller's cover.
# The same photo re-encoded as JPEG or resized gives 0.97-1.00 with CLIP ViT-B/32 (its
# 224 px centre crop erases resizing; int8 towers add ~0.01 of noise); two different
# garments photographed alike (flat lay, white background, same category) reach 0.85-0.93;
# a crop or a new photo of the same garment, 0.90-0.95. 0.95 flags re-used photos and lets
# look-alike garments by.
# Reasoned, not measured: no real model was at hand when it was chosen.
DEFAULT_FLAG_DUPLICATE_THRESHOLD = 0.95
MIN_COOKIE_SECRET_BYTES = 32
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(UserError):
    """A setting that cannot work; the message says which one and how to fix it."""


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server that sends e-mails (password resets); absent: no e-mail is sent."""

    host: str
    port: int
    tls: str  # one of SMTP_TLS_MODES
    user: str | None
    password: str | None = field(default=None, repr=False)
    sender: str = ""


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
    flag_not_clothing_threshold: float = DEFAULT_FLAG_NOT_CLOTHING_THRESHOLD
    flag_duplicate_threshold: float = DEFAULT_FLAG_DUPLICATE_THRESHOLD
    # the administrators named by the setting (lower-cased); others get users.role 'admin'
    admin_emails: frozenset[str] = frozenset()
    cookie_name: str = "marketplace_auth"
    cookie_expiry_days: float = 30.0
    mail: MailSettings | None = None  # None: no SMTP_HOST, resets by e-mail are off
    # the app's public address, for links in e-mails; None: the address the browser shows
    app_url: str | None = None
    runs_at_once: int = DEFAULT_RUNS_AT_ONCE
    max_sessions: int = DEFAULT_MAX_SESSIONS

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
    app_url = pick("app_url")
    if app_url is not None and not app_url.lower().startswith(("http://", "https://")):
        raise ConfigError(
            _("APP_URL must be the app's address, like {example}, not {value}.").format(
                example="https://shop.example.com", value=repr(app_url)
            )
        )
    thresholds = {
        name: _threshold(_KEYS[name], pick(name), default)
        for name, default in (
            ("flag_not_clothing_threshold", DEFAULT_FLAG_NOT_CLOTHING_THRESHOLD),
            ("flag_duplicate_threshold", DEFAULT_FLAG_DUPLICATE_THRESHOLD),
        )
    }
    return Settings(
        app_url=app_url.rstrip("/") if app_url else None,
        mail=_mail_settings(pick),
        data_dir=data_dir,
        database_url=database_url,
        cookie_secret=secret,
        model_dir=Path(pick("model_dir") or DEFAULT_MODEL_DIR),
        demo_data=demo_data,
        ai_warmup=warmup,
        **thresholds,
        admin_emails=parse_admin_emails(pick("admin_emails")),
        runs_at_once=_positive("runs_at_once", pick("runs_at_once"), DEFAULT_RUNS_AT_ONCE),
        max_sessions=_positive("max_sessions", pick("max_sessions"), DEFAULT_MAX_SESSIONS),
    )


def _positive(name: str, value: str | None, default: int) -> int:
    """A whole number of at least 1 (a server limit), or ConfigError saying so."""
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(
            _("{key} must be a whole number of at least 1, not {value}.").format(
                key=_KEYS[name], value=repr(value)
            )
        )
    return number


def _mail_settings(pick) -> MailSettings | None:
    """The SMTP settings, or None without SMTP_HOST; ConfigError for one that cannot work."""
    host = pick("smtp_host")
    if host is None:
        return None
    tls = (pick("smtp_tls") or "starttls").lower()
    if tls not in SMTP_TLS_MODES:
        raise ConfigError(
            _("SMTP_TLS must be none, starttls or ssl, not {value}.").format(value=repr(tls))
        )
    raw_port = pick("smtp_port")
    if raw_port is None:
        port = SMTP_TLS_MODES[tls]
    elif raw_port.isdigit() and 1 <= int(raw_port) <= 65535:
        port = int(raw_port)
    else:
        raise ConfigError(
            _("SMTP_PORT must be a port number (1 to 65535), not {value}.").format(
                value=repr(raw_port)
            )
        )
    user = pick("smtp_user")
    sender = pick("smtp_sender") or user
    if not sender or "@" not in sender:
        raise ConfigError(
            _(
                "SMTP_SENDER must be the e-mail address resets are sent from, like {example}."
            ).format(example="no-reply@example.com")
        )
    return MailSettings(
        host=host, port=port, tls=tls, user=user, password=pick("smtp_password"), sender=sender
    )


def _threshold(key: str, value: str | None, default: float) -> float:
    """A flag threshold: a number (above 1 turns the flag off, 0 flags every listing)."""
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ConfigError(
            _("{key} must be a number such as {example}, not {value}.").format(
                key=key, example=default, value=repr(value)
            )
        )
    return number


def parse_admin_emails(raw: str | None) -> frozenset[str]:
    """ADMIN_EMAILS ("a@x.org, b@y.org") as a set of lower-cased e-mails."""
    return frozenset(e.strip().lower() for e in (raw or "").split(",") if e.strip())
