from pathlib import Path

from core.config import DEFAULT_DATA_DIR, DEFAULT_MODEL_DIR, load_settings


def test_defaults_are_a_local_sqlite_file_under_data():
    s = load_settings(env={}, secrets={})
    assert s.data_dir == DEFAULT_DATA_DIR
    assert s.database_url == f"sqlite:///{DEFAULT_DATA_DIR / 'marketplace.db'}"
    assert s.is_sqlite
    assert s.cookie_secret is None
    assert s.model_dir == DEFAULT_MODEL_DIR


def test_secrets_are_read_and_env_wins():
    secrets = {"DATABASE_URL": "postgresql://a@b/c", "COOKIE_SECRET": "from-secrets"}
    s = load_settings(env={}, secrets=secrets)
    assert s.database_url == "postgresql://a@b/c"
    assert s.cookie_secret == "from-secrets"
    assert not s.is_sqlite
    s = load_settings(env={"COOKIE_SECRET": "from-env", "MODEL_DIR": "/m"}, secrets=secrets)
    assert s.cookie_secret == "from-env"
    assert s.model_dir == Path("/m")


def test_data_dir_moves_the_default_database(tmp_path):
    s = load_settings(env={"DATA_DIR": str(tmp_path)}, secrets={})
    assert s.database_url == f"sqlite:///{tmp_path / 'marketplace.db'}"
