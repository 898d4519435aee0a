"""Per-run cost of the badges at 10 000 users and 1 000 000 messages (issue 12).

Every run of a logged-in page reads three counts for the navigation and the bell: the
cart's lines, the unread messages over the person's conversations and the unread
notifications (``core.messaging.badges.badges``: one statement of index reads). The header's timed
refresh reads the last two (``unread_counts``). Side by side in one run, on a small and a
large marketplace built the same way:
- ``cart_only``: what a run read before this issue (the cart's COUNT), the baseline;
- ``badges``: the three counts; ``refresh``: the header's two;
- ``naive_unread``: counting unread messages from the messages themselves (what the unread
  counters kept on each conversation avoid), for contrast;
for 300 people drawn at random plus the busiest person (most conversations).
Prints one JSON object on its last line, with ``goals_met``.

    python bench/inbox.py [--users 10000] [--messages 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

GOAL_MS = 5.0
CHUNK = 50_000


def _ms(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * q))] * 1000, 3)


def build(url: str, users: int, messages: int, seed: int = 7) -> dict:
    """A marketplace of ``users`` people and 5 listings each, ``messages`` messages in
    conversations of about 5 messages (a tenth of the conversations with something unread
    on one side), a notification per two messages (one in twenty unread) and a cart line per
    person."""
    from sqlalchemy import insert, text

    from core.db import make_engine
    from core.models.accounts import User
    from core.models.base import utcnow
    from core.models.catalogue import Item
    from core.models.messaging import Conversation, Message, Notification
    from core.models.trade import CartLine
    from core.schema import drop_schema, upgrade_schema

    rng = random.Random(seed)
    engine = make_engine(url)
    drop_schema(engine)
    upgrade_schema(engine)
    now = utcnow()
    n_items = max(10, users * 5)
    n_conversations = max(1, messages // 5)
    n_notifications = messages // 2

    def chunks(rows_of, total):
        for start in range(0, total, CHUNK):
            yield [rows_of(n) for n in range(start, min(total, start + CHUNK))]

    with engine.begin() as conn:
        for rows in chunks(
            lambda n: dict(
                email=f"member{n}@example.com",
                display_name=f"Member {n}",
                password_hash="$2b$12$" + "x" * 53,
                created_at=now,
                password_changed_at=now,
            ),
            users,
        ):
            conn.execute(insert(User.__table__), rows)
        sellers = [rng.randrange(1, users + 1) for _ in range(n_items)]
        for rows in chunks(
            lambda n: dict(
                seller_id=sellers[n], title=f"Item {n}", description="", category="dress",
                size="M", brand="Brand", condition="good", price_cents=1000 + n % 5000,
                status="available", revision=1, search_text=f"item {n}", brand_key="brand",
                created_at=now, updated_at=now,
            ),
            n_items,
        ):  # fmt: skip
            conn.execute(insert(Item.__table__), rows)
        talks = []
        for _ in range(n_conversations):
            item = rng.randrange(n_items)
            buyer = rng.randrange(1, users + 1)
            while buyer == sellers[item]:
                buyer = rng.randrange(1, users + 1)
            talks.append((item + 1, buyer, sellers[item]))
        talks = list({(i, b): (i, b, s) for i, b, s in talks}.values())  # one per item, buyer

        def conversation(n):
            item, buyer, seller = talks[n]
            unread = rng.random() < 0.1
            side = rng.random() < 0.5
            return dict(
                item_id=item, item_title=f"Item {item}", buyer_id=buyer, seller_id=seller,
                buyer_unread=rng.randint(1, 4) if unread and side else 0,
                seller_unread=rng.randint(1, 4) if unread and not side else 0,
                created_at=now, last_message_at=now,
            )  # fmt: skip

        for rows in chunks(conversation, len(talks)):
            conn.execute(insert(Conversation.__table__), rows)

        def message(n):
            c = rng.randrange(len(talks))
            _, buyer, seller = talks[c]
            return dict(
                conversation_id=c + 1, sender_id=buyer if n % 2 else seller, kind="text",
                body=f"Hello, is it still available? ({n})",
                created_at=now - timedelta(seconds=messages - n),
            )  # fmt: skip

        for rows in chunks(message, messages):
            conn.execute(insert(Message.__table__), rows)

        def notification(n):
            return dict(
                user_id=rng.randrange(1, users + 1), kind="message", item_title="Item",
                created_at=now, read_at=None if rng.random() < 0.05 else now,
            )  # fmt: skip

        for rows in chunks(notification, n_notifications):
            conn.execute(insert(Notification.__table__), rows)
        cart = {(rng.randrange(1, users + 1), rng.randrange(1, n_items + 1)) for _ in range(users)}
        conn.execute(
            insert(CartLine.__table__),
            [dict(user_id=u, item_id=i, added_at=now) for u, i in cart],
        )
        conn.execute(text("ANALYZE"))  # both databases: plan with real statistics
    counts: dict[int, int] = {}
    for _, b, s in talks:
        counts[b] = counts.get(b, 0) + 1
        counts[s] = counts.get(s, 0) + 1
    busiest = max(counts, key=counts.get)
    return {
        "engine": engine,
        "users": users,
        "messages": messages,
        "conversations": len(talks),
        "notifications": n_notifications,
        "busiest": busiest,
        "busiest_conversations": counts[busiest],
    }


def naive_unread(session, user_id: int) -> int:
    """Unread messages counted from the messages: those of the others after the person's
    last message in each conversation (a stand-in for "last read")."""
    from sqlalchemy import and_, func, or_, select

    from core.models.messaging import Conversation, Message

    mine = (
        select(Message.conversation_id, func.max(Message.id).label("last"))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            or_(Conversation.buyer_id == user_id, Conversation.seller_id == user_id),
            Message.sender_id == user_id,
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    return session.exec(
        select(func.count())
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(mine, mine.c.conversation_id == Message.conversation_id, isouter=True)
        .where(
            or_(Conversation.buyer_id == user_id, Conversation.seller_id == user_id),
            Message.sender_id != user_id,
            or_(mine.c.last.is_(None), and_(Message.id > mine.c.last)),
        )
    ).one()


def measure(world: dict, people: int = 300, seed: int = 11) -> dict:
    from sqlmodel import Session

    from core.messaging.badges import badges, unread_counts
    from core.trade.cart import cart_size

    rng = random.Random(seed)
    who = [rng.randrange(1, world["users"] + 1) for _ in range(people)] + [world["busiest"]] * 20
    timings = {"cart_only": [], "badges": [], "refresh": [], "naive_unread": []}
    calls = {
        "cart_only": cart_size,
        "badges": badges,
        "refresh": unread_counts,
        "naive_unread": naive_unread,
    }
    with Session(world["engine"]) as session:
        for call in calls.values():  # warm the caches once
            call(session, who[0])
        for person in who:
            for name, call in calls.items():  # interleaved: the same noise for each
                if name == "naive_unread" and len(timings[name]) >= 60:
                    continue  # slow: a sample is enough
                start = time.perf_counter()
                call(session, person)
                timings[name].append(time.perf_counter() - start)
            session.rollback()
        busiest = []
        for _ in range(50):
            start = time.perf_counter()
            badges(session, world["busiest"])
            busiest.append(time.perf_counter() - start)
    out = {f"{name}_p50_ms": _ms(xs, 0.5) for name, xs in timings.items()}
    out.update({f"{name}_p95_ms": _ms(xs, 0.95) for name, xs in timings.items()})
    out["badges_busiest_p50_ms"] = _ms(busiest, 0.5)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--small-users", type=int, default=100)
    parser.add_argument("--small-messages", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    args = parser.parse_args()
    summary = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, users, messages in (
            ("small", args.small_users, args.small_messages),
            ("large", args.users, args.messages),
        ):
            url = args.database_url or f"sqlite:///{Path(tmp) / f'{label}.db'}"
            start = time.perf_counter()
            world = build(url, users, messages)
            built = time.perf_counter() - start
            figures = measure(world)
            world["engine"].dispose()
            row = {
                "size": label,
                "users": users,
                "messages": messages,
                "conversations": world["conversations"],
                "notifications": world["notifications"],
                "busiest_conversations": world["busiest_conversations"],
                "build_s": round(built, 1),
                **figures,
            }
            print(json.dumps(row), flush=True)
            summary[label] = row
    large, small = summary["large"], summary["small"]
    summary["badges_growth"] = round(large["badges_p50_ms"] / small["badges_p50_ms"], 2)
    summary["badges_over_cart_only"] = round(large["badges_p50_ms"] / large["cart_only_p50_ms"], 2)
    summary["goals_met"] = {
        "badges_p95_under_5ms_at_scale": large["badges_p95_ms"] < GOAL_MS,
        "refresh_p95_under_5ms_at_scale": large["refresh_p95_ms"] < GOAL_MS,
        "busiest_person_under_5ms": large["badges_busiest_p50_ms"] < GOAL_MS,
        "flat_small_to_large_under_2x": summary["badges_growth"] < 2.0,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
