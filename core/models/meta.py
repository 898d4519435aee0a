"""Facts about the database itself."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AppMeta(SQLModel, table=True):
    """Key/value facts about the database itself (e.g. that the demo data was seeded)."""

    __tablename__ = "app_meta"

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=200)
