"""The bell and the notifications page through the real app (AppTest)."""

from __future__ import annotations

from sqlmodel import Session

from core.models.messaging import Conversation
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.apptest import log_in, open_page, start_app, texts
from tests.shop_helpers import app_db, item_by_title, user_id
from ui.widgets import plain

NOTIFICATIONS = "app_pages/notifications.py"


def header_links(at) -> list[str]:
    return [link.value for link in at.page_link if link.value.startswith(("Inbox", "Notif"))]


def hugo_buys(engine, title: str) -> None:
    hugo = user_id(engine, "user2@gmail.com")
    with Session(engine) as s:
        add_to_cart(s, hugo, item_by_title(engine, title).id)
        checkout(s, hugo, Shipping("Hugo", "4 place Bellecour", "69002", "Lyon"),
                 get_cart(s, hugo).confirmation)  # fmt: skip


def test_logged_out_visitors_are_sent_to_log_in_then_back(app_env):
    at = open_page(start_app(), NOTIFICATIONS)
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at)
    assert [t.value for t in at.title] == ["Notifications"]
    assert "Nothing new." in texts(at)


def test_the_bell_counts_a_sale_and_the_page_marks_it_read(app_env):
    engine = app_db(app_env)
    at = log_in(start_app(), "user1@gmail.com")
    assert header_links(at) == ["Notifications"]
    hugo_buys(engine, "Red wrap midi dress")
    at.run()
    assert header_links(at) == ["Notifications (1)"]
    open_page(at, NOTIFICATIONS)
    sold = plain("Hugo bought “Red wrap midi dress”: ship it to them.")  # as markdown shows it
    assert any(sold in m.value and m.value.startswith("**") for m in at.markdown)  # new: bold
    assert "See the order" in [link.value for link in at.page_link]
    at.run()  # seen: read from now on
    assert header_links(at) == ["Notifications"]
    assert any(m.value == sold for m in at.markdown)  # still listed, no longer bold


def test_the_inbox_shows_in_the_header_and_navigation_when_a_message_is_unread(app_env):
    engine = app_db(app_env)
    camille, hugo = user_id(engine, "user1@gmail.com"), user_id(engine, "user2@gmail.com")
    dress = item_by_title(engine, "Red wrap midi dress")
    at = log_in(start_app(), "user1@gmail.com")
    assert "Inbox" not in [h.split(" ")[0] for h in header_links(at)]
    with Session(engine) as s:
        s.add(Conversation(item_id=dress.id, item_title=dress.title, buyer_id=hugo,
                           seller_id=camille, seller_unread=2))  # fmt: skip
        s.commit()
    at.run()
    assert header_links(at) == ["Inbox (2)", "Notifications"]
    pages = {info.get("url_pathname"): info for info in at._registered_pages.values()}
    assert pages["inbox"]["page_name"] == "Inbox (2)"
