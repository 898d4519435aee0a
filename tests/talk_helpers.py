"""Helpers for the conversation and offer tests on a real database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, func
from sqlmodel import Session, select

from core.db import session_scope
from core.messaging.conversations import open_conversation
from core.messaging.messages import send_message
from core.models.catalogue import Item
from core.models.messaging import Conversation, Message, Notification
from core.models.trade import Offer
from core.trade.offer_answers import accept
from core.trade.offers import make_offer


def rows(engine, model, *where) -> list:
    with Session(engine) as s:
        return list(s.exec(select(model).where(*where).order_by(model.id)).all())


def count(engine, model, *where) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def talk(engine, conversation_id: int) -> Conversation:
    with Session(engine) as s:
        return s.get(Conversation, conversation_id)


def offer(engine, offer_id: int) -> Offer:
    with Session(engine) as s:
        return s.get(Offer, offer_id)


def kinds(engine, conversation_id: int) -> list[str]:
    """The kinds of the conversation's messages, oldest first."""
    return [m.kind for m in rows(engine, Message, Message.conversation_id == conversation_id)]


def notices(engine, user_id: int) -> list[str]:
    """The kinds of the user's notifications, oldest first."""
    return [n.kind for n in rows(engine, Notification, Notification.user_id == user_id)]


def at_once(engine, steps: list[Callable[[Session], object]], *, stagger: float = 0.0) -> list:
    """Run each step on its own session and thread (named step-0, step-1...), released
    together (step n ``n * stagger`` seconds later); each result is what the step returned
    or the exception it raised."""
    barrier = threading.Barrier(len(steps))
    results: list = [None] * len(steps)

    def run(n: int) -> None:
        with Session(engine) as s:
            barrier.wait()
            time.sleep(n * stagger)
            try:
                results[n] = steps[n](s)
            except Exception as exc:  # the test looks at it
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n,), name=f"step-{n}") for n in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@contextmanager
def pause_after(engine, step: int, fragment: str, seconds: float = 0.4) -> Iterator[None]:
    """Step ``step`` of ``at_once`` sleeps once right after its first statement containing
    ``fragment`` (its lock taken), so that the other step arrives while it holds it."""
    done = []

    def listener(conn, cursor, statement, params, context, executemany):
        if not done and threading.current_thread().name == f"step-{step}" and fragment in statement:
            done.append(statement)
            time.sleep(seconds)

    event.listen(engine, "after_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", listener)
    assert done, f"step {step} never ran a statement with {fragment!r}"


def opened(engine, buyer, item_id) -> int:
    with Session(engine) as s:
        return open_conversation(s, buyer, item_id)


def send(engine, sender, conversation_id, body="Hello") -> int:
    with Session(engine) as s:
        return send_message(s, sender, conversation_id, body)


def sold(engine, item_id) -> None:
    with session_scope(engine) as s:
        s.get(Item, item_id).status = "sold"


def run(engine, step, *args):
    with Session(engine) as s:
        return step(s, *args)


def status(engine, offer_id) -> str:
    return offer(engine, offer_id).status


def accepted_offer(engine, people, chat, price=4000) -> int:
    """Bea offers ``price``, Sam accepts."""
    offer_id = run(engine, make_offer, people["buyer"], chat, price)
    run(engine, accept, people["seller"], offer_id)
    return offer_id


def item_lock(engine) -> str:
    """The statement that takes an offer step's lock on the item: SQLite's write lock
    (``begin_write``), PostgreSQL's row lock for share."""
    return "FOR SHARE" if engine.dialect.name == "postgresql" else "app_meta"
