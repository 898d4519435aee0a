"""One Alembic revision per schema change, oldest first; never edit a revision that landed."""
