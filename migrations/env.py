"""Alembic's entry point: the target metadata is the SQLModel tables of core.models.

The app runs migrations through ``core.schema.upgrade_schema``, which passes its own
connection (already in a transaction, under the schema lock); the ``alembic`` command line
(developers writing a revision) gets an engine from the app's settings instead.
"""

from __future__ import annotations

from alembic import context

from core.config import load_settings
from core.db import make_engine
from core.schema import configure_options, metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata(), **configure_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(load_settings().database_url)
    try:
        with engine.begin() as connection:
            context.configure(
                connection=connection, target_metadata=metadata(), **configure_options()
            )
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them on a database.")
run_migrations()
