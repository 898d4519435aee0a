"""Two app processes behind nginx on one PostgreSQL (``python -m tools.servers``): what a person
would notice. Every tab talks to a server as a browser does, over Streamlit's websocket
(``tools/streamlit_tab.py``); each check goes through one process and looks through the other.

Skipped without PostgreSQL (TEST_DATABASE_URL) or without nginx (CI installs both).
"""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlmodel import Session, select

from core.accounts import sessions
from core.accounts.accounts import LOCKED_MESSAGE, register_user
from core.catalogue.photos import prepare_photo
from core.catalogue.selling import ListingDraft, create_listing
from core.models.catalogue import Item, ItemStatus
from core.models.trade import OrderLine
from core.trade.cart import add_to_cart
from demo.seed import create_demo_database
from tests.concurrency import run_async
from tests.conftest import PG_URL, _close, _emptied_postgres
from tests.shop_helpers import jpeg, user_id
from tools.servers import ServersError, nginx_binary, running_servers
from tools.streamlit_tab import Run, Tab

CONFIRM = "Confirm the purchase"
MAX_SESSIONS = 4  # per process: a few tabs make the crowd of the busy page's test
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="several servers need PostgreSQL: TEST_DATABASE_URL"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """nginx and two app processes on the worker's PostgreSQL database, with the demo data."""
    try:
        nginx_binary()
    except ServersError as exc:
        pytest.skip(str(exc))
    engine = _emptied_postgres()
    create_demo_database(engine)
    work = tmp_path_factory.mktemp("servers")
    env = dict(
        os.environ, DATABASE_URL=PG_URL, DEMO_DATA="true", AI_WARMUP="off",
        MODEL_DIR=str(work / "no-model"), DATA_DIR=str(work), MAX_SESSIONS=str(MAX_SESSIONS),
    )  # fmt: skip
    with running_servers(2, env=env, work_dir=work / "run") as servers:
        yield servers, engine
    _close(engine)


def cookie_for(engine, email: str) -> dict[str, str]:
    """A browser's re-login cookie: a live session of ``email`` (as a log-in leaves)."""
    with Session(engine) as session:
        token = sessions.start_session(session, user_id(engine, email))
        secret = sessions.cookie_secret(session, None)
    return {"marketplace_auth": sessions.encode_cookie(token, secret)}


async def search(tab: Tab, words: str) -> Run:
    shop = await tab.open("", "")
    return await tab.rerun(
        path="", query="", widgets={shop.widget_id("text_input", "Search"): words}
    )


def test_every_tab_through_nginx_stays_on_its_process(cluster):
    """Sticky sessions: an item page's photo is a media file kept by the process that drew
    it; each tab fetches it through nginx (Tab raises on a 404 from the other process)."""
    servers, engine = cluster
    item = min(i.id for i in Session(engine).exec(select(Item)))

    async def visit() -> str:
        async with Tab(servers.url) as tab:
            page = await tab.open("item", f"item={item}")
            assert not page.exceptions and tab.media_bytes > 0
            return tab.cookies["st_route"]

    async def crowd():
        return await asyncio.gather(*(visit() for _ in range(MAX_SESSIONS)))

    assert len(set(run_async(crowd()))) == MAX_SESSIONS  # as many browsers, as many routing cookies


def test_a_listing_saved_through_one_server_is_found_through_the_other(cluster):
    """The listing is saved as the sell page saves it (core.catalogue.selling, the same
    database as server A: a browser's upload is not simulated here); server B, whose shop
    was open before, finds it by its words at once (no per-process copy hides it)."""
    servers, engine = cluster
    a, b = servers.app_urls

    async def before_and_after():
        async with Tab(b) as tab_b:
            before = await search(tab_b, "zebra")
            with Session(engine) as session:
                create_listing(
                    session,
                    user_id(engine, "user1@gmail.com"),
                    ListingDraft(title="Zebra print scarf", category="hat", size="One size",
                                 brand="Sezane", condition="good", price="15"),
                    [prepare_photo(jpeg())],
                )  # fmt: skip
            after = await search(tab_b, "zebra")
        async with Tab(a) as tab_a:
            on_a = await search(tab_a, "zebra")
        return before, after, on_a

    before, after, on_a = run_async(before_and_after())
    assert "Zebra print scarf" not in before.text()
    assert "Zebra print scarf" in after.text() and "Zebra print scarf" in on_a.text()


def test_log_out_through_one_server_ends_the_session_on_the_other(cluster):
    servers, engine = cluster
    a, b = servers.app_urls
    cookie = cookie_for(engine, "user1@gmail.com")

    async def both():
        async with Tab(a, cookie) as tab_a, Tab(b, cookie) as tab_b:
            profile_a = await tab_a.open("profile", "")
            profile_b = await tab_b.open("profile", "")
            assert profile_a.widget_id("button", "Log out") and profile_b.widget_id(
                "button", "Log out"
            )
            await tab_a.rerun(widgets={profile_a.widget_id("button", "Log out"): ("trigger", True)})
            again_b = await tab_b.open("profile", "")
        async with Tab(b, cookie) as new_tab_b:  # the same cookie, replayed on the other
            new_b = await new_tab_b.open("profile", "")
        return again_b, new_b

    again_b, new_b = run_async(both())
    for page in (again_b, new_b):
        assert page.widget_id("button", "Log out") is None
        assert page.widget_id("text_input", "E-mail")  # sent to the log-in page


def test_a_sale_raced_through_both_servers_sells_once(cluster):
    """Two buyers confirm the same item at the same moment, one on each process."""
    servers, engine = cluster
    a, b = servers.app_urls
    seller = user_id(engine, "user2@gmail.com")
    with Session(engine) as session:
        item_id = session.exec(
            select(Item.id).where(
                Item.seller_id == seller, Item.status == ItemStatus.AVAILABLE.value
            )
        ).first()
        for buyer in ("user1@gmail.com", "user3@gmail.com"):
            if buyer == "user3@gmail.com":
                register_user(session, buyer, "Third", "tototo-3", "tototo-3")
            add_to_cart(session, user_id(engine, buyer), item_id)

    async def confirm_ready(url: str, email: str) -> tuple[Tab, Run]:
        tab = Tab(url, cookie_for(engine, email))
        await tab.connect()
        cart = await tab.open("cart", "")
        fields = {
            cart.widget_id("text_input", label): value
            for label, value in (("Name", "Someone"), ("Address", "1 rue de la Paix"),
                                 ("Postal code", "75002"), ("City", "Paris"))
        }  # fmt: skip
        buy = next(w for w in cart.elements if w.WhichOneof("type") == "button"
                   and w.button.label.startswith("Buy for"))  # fmt: skip
        dialog = await tab.rerun(widgets={**fields, buy.button.id: ("trigger", True)})
        if dialog.widget_id("button", CONFIRM) is None:  # the dialog's own run
            dialog = await tab.rerun()
        return tab, dialog

    async def race():
        (tab_a, dialog_a), (tab_b, dialog_b) = await asyncio.gather(
            confirm_ready(a, "user1@gmail.com"), confirm_ready(b, "user3@gmail.com")
        )
        ends = await asyncio.gather(
            *(tab.rerun(widgets={dialog.widget_id("button", CONFIRM): ("trigger", True)})
              for tab, dialog in ((tab_a, dialog_a), (tab_b, dialog_b)))
        )  # fmt: skip
        await tab_a.close()
        await tab_b.close()
        return ends

    ends = run_async(race())
    assert not any(end.exceptions for end in ends)
    thanked = ["Your order" in end.text() and "is placed" in end.text() for end in ends]
    assert sorted(thanked) == [False, True]  # one buyer thanked, the other told on the cart
    with Session(engine) as session:
        lines = session.exec(select(OrderLine).where(OrderLine.item_id == item_id)).all()
        assert len(lines) == 1
        assert session.get(Item, item_id).status == ItemStatus.SOLD.value


def test_log_in_limits_hold_across_both_servers(cluster):
    """Five wrong passwords, taking turns between the processes, lock the e-mail on both."""
    servers, _engine = cluster
    a, b = servers.app_urls

    async def attempt(url: str, password: str) -> Run:
        async with Tab(url) as tab:
            form = await tab.open("login", "")
            widgets = {
                form.widget_id("text_input", "E-mail"): "user1@gmail.com",
                form.widget_id("text_input", "Password"): password,
                form.widget_id("button", "Log in"): ("trigger", True),
            }
            return await tab.rerun(widgets=widgets)

    async def guesses():
        for n in range(5):
            wrong = await attempt((a, b)[n % 2], f"wrong-{n}")
            assert LOCKED_MESSAGE not in wrong.text()
        return await attempt(b, "tototo")  # the right one, on the other process

    assert LOCKED_MESSAGE in run_async(guesses()).text()


def test_past_max_sessions_a_new_tab_is_told_busy_then_let_in_by_itself(cluster):
    servers, _engine = cluster
    a = servers.app_urls[0]

    async def crowd():
        tabs = [Tab(a) for _ in range(MAX_SESSIONS)]
        for tab in tabs:
            await tab.connect()
            assert (await tab.open("", "")).widget_id("text_input", "Search")
        late = Tab(a)
        await late.connect()
        busy = await late.open("", "")
        await tabs[0].close()  # one leaves: room for one
        (retry,) = late.auto_reruns  # what the browser reruns every few seconds
        inside = await late.rerun(fragment_id=retry)
        for tab in [*tabs[1:], late]:
            await tab.close()
        return busy, inside

    busy, inside = run_async(crowd())
    assert "Busy right now" in busy.text() and not busy.exceptions
    assert busy.widget_id("text_input", "Search") is None  # none of the shop: not let in
    assert inside.widget_id("text_input", "Search")  # the shop, without a reload


def test_a_photo_the_browser_lists_but_this_process_never_got_is_said(cluster):
    """After a restart (or a move to another process) the browser still lists an uploaded
    photo whose bytes were in the stopped process: the sell page says so, instead of
    leaving it listed and silently unused."""
    servers, engine = cluster

    async def moved() -> Run:
        async with Tab(servers.app_urls[1], cookie_for(engine, "user1@gmail.com")) as tab:
            form = await tab.open("sell", "")
            uploader = next(e.file_uploader.id for e in form.elements
                            if e.WhichOneof("type") == "file_uploader")  # fmt: skip
            listed = ("files", [("a-file-of-the-stopped-process", "coat.jpg", 8_200)])
            title = form.widget_id("text_input", "Title")
            return await tab.rerun(widgets={uploader: listed, title: "Blue wool coat"})

    page = run_async(moved())
    assert not page.exceptions
    assert any("did not reach the server" in t and "add it again" in t for t in page.texts())
