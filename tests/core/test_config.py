from pathlib import Path

import pytest

from core.config import DEFAULT_DATA_DIR, DEFAULT_MODEL_DIR, ConfigError, load_settings

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
