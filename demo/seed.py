"""Demo accounts and demo listings, created once on first start.

Only when the DEMO_DATA setting is on (the default for the embedded SQLite file, off for a
server database): the demo accounts' password is public. ``python -m demo.seed --reset``
drops every table, recreates the schema and reseeds.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.accounts.passwords import hash_password
from core.catalogue.selling import photo_row
from core.config import load_settings
from core.db import make_engine, session_scope
from core.models.accounts import Role, User
from core.models.base import utcnow
from core.models.catalogue import Item
from core.models.meta import AppMeta
from core.schema import drop_schema, upgrade_schema
from demo.illustrations import demo_photo
from demo.listings import DEMO_LISTINGS
from demo.markers import DEMO_IDS_KEY, SEEDED_KEY

DEMO_PASSWORD = "tototo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    address: str
    postal_code: str
    city: str
    role: str = Role.MEMBER.value


DEMO_USERS = (
    DemoUser("user1@gmail.com", "Camille", "12 rue des Lilas", "75011", "Paris"),
    # the demo's administrator: the admin page (reports, AI flags, moderation)
    DemoUser("user2@gmail.com", "Hugo", "4 place Bellecour", "69002", "Lyon", Role.ADMIN.value),
)


def seed_demo_data(engine: Engine, *, activity: bool = True) -> bool:
    """Create the demo accounts and listings once; return True if this call seeded.

    The marker row and the data are one transaction: seeding runs at most once per
    database, even when several replicas start at the same moment. With ``activity`` (the
    app's start-up and the reset command), the one process that seeded then adds the
    demo's life (``demo.activity``: members, sales, conversations, offers, reviews).
    """
    with session_scope(engine) as session:
        if session.get(AppMeta, SEEDED_KEY) is not None:
            return False
    now = utcnow()
    password_hash = hash_password(DEMO_PASSWORD)
    try:
        with session_scope(engine) as session:
            session.add(AppMeta(key=SEEDED_KEY, value=now.isoformat()))
            session.flush()  # a concurrent seeder fails here, before any other write
            users = [
                User(
                    email=u.email,
                    display_name=u.display_name,
                    password_hash=password_hash,
                    address=u.address,
                    postal_code=u.postal_code,
                    city=u.city,
                    role=u.role,
                    created_at=now - timedelta(days=60),
                )
                for u in DEMO_USERS
            ]
            session.add_all(users)
            session.flush()
            session.add(AppMeta(key=DEMO_IDS_KEY, value=",".join(str(u.id) for u in users)))
            for n, listing in enumerate(DEMO_LISTINGS):
                listed = now - timedelta(days=len(DEMO_LISTINGS) - n, hours=n * 3)
                item = Item(
                    seller_id=users[listing.seller].id,
                    title=listing.title,
                    description=listing.description,
                    category=listing.category,
                    size=listing.size,
                    brand=listing.brand,
                    condition=listing.condition,
                    price_cents=listing.price_cents,
                    colour=listing.shop_colour,
                    pattern=listing.pattern,
                    created_at=listed,
                    updated_at=listed,
                )
                session.add(item)
                session.flush()
                photo = demo_photo(listing.category, listing.colour)
                session.add(photo_row(item.id, 0, photo))
    except IntegrityError:
        return False  # another process seeded at the same moment; its data stands
    if activity:
        from demo.activity import seed_activity

        with Session(engine, expire_on_commit=False) as session:
            accounts = [session.get(User, u.id) for u in users]
        members = seed_activity(engine, accounts, now)
        with session_scope(engine) as session:  # the members are demo accounts too
            row = session.get(AppMeta, DEMO_IDS_KEY)
            row.value = ",".join(str(i) for i in [*(u.id for u in users), *members])
            session.add(row)
    return True


def create_demo_database(engine: Engine, *, activity: bool = False) -> None:
    """The schema (if needed) and the demo accounts and listings (once): for tests and
    benchmarks, which count on the 24 listings on sale (``activity`` adds the demo's life)."""
    upgrade_schema(engine)
    seed_demo_data(engine, activity=activity)


def reset_database(engine: Engine, *, demo: bool = True) -> None:
    """Drop everything, recreate the schema and (with ``demo``) reseed the demo data."""
    drop_schema(engine)
    upgrade_schema(engine)
    if demo:
        seed_demo_data(engine)


def embed_listings(engine: Engine, model_dir: Path) -> int:
    """Give every listing without one the image embedding of the model in ``model_dir``
    (AI search); 0 when there is no model that gives embeddings. The app does the same in
    the background on its first page view with a model."""
    from core.ai.errors import ModelError
    from core.catalogue.embeddings import index_with_model

    try:
        return index_with_model(engine, model_dir)[1]
    except ModelError:  # no model, a damaged one, or one without embeddings
        return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create or reset the marketplace database.")
    parser.add_argument(
        "--reset", action="store_true", help="drop all data, then recreate and reseed"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    if args.reset:
        reset_database(engine, demo=settings.demo_data)
        print(f"Reset {where}" + (" and seeded the demo data" if settings.demo_data else ""))
    elif not settings.demo_data:
        upgrade_schema(engine)
        print("DEMO_DATA is off: the schema is ready, no demo data seeded.")
    else:
        upgrade_schema(engine)
        seeded = seed_demo_data(engine)
        print("Seeded the demo data." if seeded else "Already seeded; nothing to do.")
    if embedded := embed_listings(engine, settings.model_dir):
        print(f"Embedded {embedded} listings for the AI search.")


if __name__ == "__main__":
    main()
