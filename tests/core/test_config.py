from pathlib import Path

import pytest

from core.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MODEL_DIR,
    DEFAULT_RUNS_AT_ONCE,
    ConfigError,
    load_settings,
)

SECRET = "s" * 32


def test_defaults_are_a_local_sqlite_file_under_data():
    s = load_settings(env={}, secrets={})
    assert s.data_dir == DEFAULT_DATA_DIR
    assert s.database_url == f"sqlite:///{DEFAULT_DATA_DIR / 'marketplace.db'}"
    assert s.is_sqlite
    assert s.cookie_secret is None
    assert s.model_dir == DEFAULT_MODEL_DIR


def test_secrets_are_read_and_env_wins():
    secrets = {"DATABASE_URL": "postgresql://a@b/c", "COOKIE_SECRET": "from-secrets" + SECRET}
    s = load_settings(env={}, secrets=secrets)
    assert s.database_url == "postgresql://a@b/c"
    assert s.cookie_secret == "from-secrets" + SECRET
    assert not s.is_sqlite
    s = load_settings(
        env={"COOKIE_SECRET": "from-env" + SECRET, "MODEL_DIR": "/m"}, secrets=secrets
    )
    assert s.cookie_secret == "from-env" + SECRET
    assert s.model_dir == Path("/m")


def test_data_dir_moves_the_default_database(tmp_path):
    s = load_settings(env={"DATA_DIR": str(tmp_path)}, secrets={})
    assert s.database_url == f"sqlite:///{tmp_path / 'marketplace.db'}"


def test_demo_data_is_on_for_the_embedded_sqlite_only_unless_set():
    assert load_settings(env={}, secrets={}).demo_data is True
    server = {"DATABASE_URL": "postgresql://a@b/c"}
    assert load_settings(env=server, secrets={}).demo_data is False
    assert load_settings(env={**server, "DEMO_DATA": "true"}, secrets={}).demo_data is True
    assert load_settings(env={"DEMO_DATA": "off"}, secrets={}).demo_data is False
    assert load_settings(env={}, secrets={"DEMO_DATA": False}).demo_data is False  # TOML false
    assert load_settings(env={}, secrets={"DEMO_DATA": "no"}).demo_data is False
    with pytest.raises(ConfigError, match="DEMO_DATA"):
        load_settings(env={"DEMO_DATA": "maybe"}, secrets={})


@pytest.mark.parametrize("secret", ["short", "x" * 31, "é" * 15])
def test_a_short_cookie_secret_is_refused_with_a_clear_message(secret):
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_settings(env={"COOKIE_SECRET": secret}, secrets={})
    assert load_settings(env={"COOKIE_SECRET": "é" * 16}, secrets={}).cookie_secret == "é" * 16


def test_smtp_settings_turn_resets_by_e_mail_on():
    assert load_settings(env={}, secrets={}).mail is None  # no SMTP_HOST: off
    mail = load_settings(
        env={"SMTP_HOST": "smtp.example.com", "SMTP_USER": "shop@example.com"},
        secrets={"SMTP_PASSWORD": "pw"},
    ).mail
    assert (mail.host, mail.port, mail.tls, mail.user, mail.password, mail.sender) == (
        "smtp.example.com", 587, "starttls", "shop@example.com", "pw", "shop@example.com",
    )  # fmt: skip
    assert "pw" not in repr(mail)
    mail = load_settings(
        env={"SMTP_HOST": "h", "SMTP_TLS": "SSL", "SMTP_SENDER": "a@b.c"}, secrets={}
    ).mail
    assert (mail.port, mail.tls, mail.user, mail.sender) == (465, "ssl", None, "a@b.c")
    local = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_TLS": "none"}
    assert load_settings(env={**local, "SMTP_SENDER": "a@b.c"}, secrets={}).mail.port == 2525
    for bad, word in (
        ({"SMTP_TLS": "maybe"}, "SMTP_TLS"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"SMTP_PORT": "x"}, "SMTP_PORT"),
        ({"SMTP_SENDER": ""}, "SMTP_SENDER"),  # no sender and no user to send as
    ):
        with pytest.raises(ConfigError, match=word):
            load_settings(env={**local, "SMTP_SENDER": "a@b.c", **bad}, secrets={})


def test_app_url_is_an_http_address():
    assert load_settings(env={}, secrets={}).app_url is None
    env = {"APP_URL": "https://shop.example.com/"}
    assert load_settings(env=env, secrets={}).app_url == "https://shop.example.com"
    with pytest.raises(ConfigError, match="APP_URL"):
        load_settings(env={"APP_URL": "javascript:alert(1)"}, secrets={})


def test_a_server_limit_is_a_whole_number_of_at_least_one():
    s = load_settings(env={}, secrets={})
    assert (s.runs_at_once, s.max_sessions) == (DEFAULT_RUNS_AT_ONCE, DEFAULT_MAX_SESSIONS)
    s = load_settings(env={"RUNS_AT_ONCE": "3"}, secrets={"MAX_SESSIONS": 50})
    assert (s.runs_at_once, s.max_sessions) == (3, 50)
    for bad in ("0", "-2", "many", "1.5"):
        with pytest.raises(ConfigError, match="MAX_SESSIONS must be a whole number"):
            load_settings(env={"MAX_SESSIONS": bad}, secrets={})
