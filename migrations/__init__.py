"""Alembic migrations of the app's schema: ``env.py`` and one revision per change in
``versions/``. The app applies them at start-up (``core.schema.upgrade_schema``)."""
