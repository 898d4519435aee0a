"""SQLModel tables, one module per domain (money in integer cents). Importing this package
registers every table on ``SQLModel.metadata`` (what the schema and the migrations read),
with the full-text search's event and DDL (``core.models.catalogue``).

Integrity rules live in the schema too (CHECK, UNIQUE, FOREIGN KEY), so that no code path,
replica or manual edit can store what the app forbids. Code imports a table from its module
(``from core.models.catalogue import Item``): nothing is re-exported here.
"""

from core.models import accounts, catalogue, messaging, meta, moderation, trade  # noqa: F401
