"""Reports and blocks through the real pages (AppTest): "Report" on an item page sends one
report and says so; a blocked conversation says so instead of the message box."""

from __future__ import annotations

from sqlmodel import Session, func, select

from core.messaging.conversations import open_conversation
from core.models.moderation import Report
from core.models.trade import CartLine
from core.moderation.blocks import block
from tests.apptest import log_in, start_app, texts
from tests.shop_helpers import app_db, click, item_by_title, open_item, user_id

DRESS = "Red wrap midi dress"  # Camille's (user1)


def reports(engine) -> list[Report]:
    with Session(engine) as s:
        return list(s.exec(select(Report)).all())


def send_report(at, reason: str, details: str = "") -> None:
    form = next(s for s in at.selectbox if s.label == "Reason")
    form.set_value(reason)
    next(t for t in at.text_area if t.label == "Details (optional)").input(details)
    click(at, "Send the report")


def test_report_a_listing_once(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS).id
    at = open_item(log_in(start_app(), "user2@gmail.com"), dress)
    send_report(at, "counterfeit", "Fake label")
    assert "Thank you: your report was sent to the administrators." in texts(at)
    open_item(at, dress)
    send_report(at, "scam")
    assert "You already reported this" in texts(at)
    (report,) = reports(engine)
    assert (report.item_id, report.reason, report.details) == (dress, "counterfeit", "Fake label")


def test_no_report_button_on_ones_own_listing(app_env):
    engine = app_db(app_env)
    at = open_item(log_in(start_app(), "user1@gmail.com"), item_by_title(engine, DRESS).id)
    assert "Send the report" not in [b.label for b in at.button]


def test_a_blocked_conversation_has_no_message_box(app_env):
    engine = app_db(app_env)
    hugo, camille = user_id(engine, "user2@gmail.com"), user_id(engine, "user1@gmail.com")
    with Session(engine) as s:
        chat = open_conversation(s, hugo, item_by_title(engine, DRESS).id)
    at = log_in(start_app(), "user2@gmail.com")
    at.switch_page("app_pages/inbox.py")
    at.query_params["c"] = str(chat)
    at.run()
    assert len(at.chat_input) == 1
    with Session(engine) as s:
        block(s, camille, hugo)
    at.run()
    assert not at.chat_input
    assert "One of you blocked the other" in texts(at)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Report)).one() == 0


def test_add_to_cart_from_a_page_shown_before_the_block_says_why(app_env):
    engine = app_db(app_env)
    hugo, camille = user_id(engine, "user2@gmail.com"), user_id(engine, "user1@gmail.com")
    at = open_item(log_in(start_app(), "user2@gmail.com"), item_by_title(engine, DRESS).id)
    with Session(engine) as s:
        block(s, camille, hugo)
    click(at, "Add to cart")  # the page drawn before the block: its rerun says why
    assert "One of you blocked the other" in texts(at)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(CartLine)).one() == 0


def test_an_item_page_says_a_block_up_front(app_env):
    """Either way: no Add to cart, no message or offer, a sentence instead."""
    engine = app_db(app_env)
    hugo, camille = user_id(engine, "user2@gmail.com"), user_id(engine, "user1@gmail.com")
    dress = item_by_title(engine, DRESS).id
    at = open_item(log_in(start_app(), "user2@gmail.com"), dress)
    assert any(b.label == "Add to cart" for b in at.button)
    with Session(engine) as s:
        block(s, camille, hugo)  # the seller blocked the visitor
    open_item(at, dress)
    assert "One of you blocked the other" in texts(at)
    labels = {b.label for b in at.button}
    assert "Add to cart" not in labels and "Message the seller" not in labels
