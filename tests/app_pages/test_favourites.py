"""The hearts on the shop's cards and the item page, the Favourites page and the counts in
My listings, through the real pages (AppTest)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.accounts import accounts, sessions
from core.catalogue.favourites import add_favourite
from core.models.catalogue import Favourite, Item
from tests.apptest import (
    grid,
    grid_event,
    grid_keys,
    log_in,
    open_page,
    press_heart,
    start_app,
    submit_login,
    texts,
)
from tests.shop_helpers import (
    CATALOGUE,
    ITEM,
    app_db,
    item_by_title,
    labels,
    mark_sold,
    open_item,
    user_id,
)
from ui.favourites import HEART_ON

FAVOURITES, LISTINGS = "app_pages/favourites.py", "app_pages/my_listings.py"
# user1 sells these (demo data); user2 is the one who likes them
DRESS, FEDORA = "Red wrap midi dress", "Straw-colour fedora"
USER2_ITEM = "Navy summer dress with belt"


CARD = "heart_card_"  # heart_card_<id>: the heart of a card in a grid (ui/card_grid.py)


def heart(at, key: str):
    """The item page's heart button (``heart_item``)."""
    found = [b for b in at.button if b.key == key]
    assert len(found) == 1, (key, [b.key for b in at.button])
    return found[0]


def card_hearts(at) -> dict[str, bool]:
    """The hearts of the page's cards, heart_card_<id> -> filled, in order."""
    return {
        f"{CARD}{card['id']}": card["heart"]["on"]
        for key in grid_keys(at)
        for card in grid(at, key)
        if card["heart"] is not None
    }


def heart_on(at, key: str) -> bool:
    """Whether the heart ``key`` (heart_item, or a card's heart_card_<id>) is filled."""
    if key.startswith(CARD):
        return card_hearts(at)[key]
    return heart(at, key).proto.icon == HEART_ON


def has_heart(at, key: str) -> bool:
    return key in card_hearts(at) if key.startswith(CARD) else any(b.key == key for b in at.button)


def press(at, key: str):
    if key.startswith(CARD):
        item_id = int(key.removeprefix(CARD))
        grid_key = next(k for k in grid_keys(at) if any(c["id"] == item_id for c in grid(at, k)))
        return press_heart(at, item_id, grid_key)
    heart(at, key).click().run()
    assert not at.exception, at.exception
    return at


def liked(engine, email: str) -> set[int]:
    with Session(engine) as s:
        uid = user_id(engine, email)
        return set(s.exec(select(Favourite.item_id).where(Favourite.user_id == uid)).all())


def like(engine, email: str, *titles: str) -> None:
    with Session(engine) as s:
        for title in titles:
            add_favourite(s, user_id(engine, email), item_by_title(engine, title).id)


def stay_on_the_item(at) -> None:
    """After the log-in page switched back to the item: AppTest would run the page its own
    last ``switch_page`` named (the log-in page) again, where a browser stays on the item's
    address; name the item's page, keeping the address's query."""
    at.switch_page(ITEM)


def text_of(at) -> str:
    """What the page says, markdown escapes removed ("Straw-colour", not "Straw\\-colour")."""
    return texts(at).replace("\\", "")


def register_fan(engine) -> None:
    with Session(engine) as s:
        accounts.register_user(s, "fan@example.com", "Fay", "long-enough", "long-enough")


def test_a_cards_heart_toggles_and_persists(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = log_in(start_app(), "user2@gmail.com")
    open_page(at, CATALOGUE)
    key = f"heart_card_{dress.id}"
    assert not heart_on(at, key)
    press(at, key)
    assert heart_on(at, key)
    assert liked(engine, "user2@gmail.com") == {dress.id}
    assert at.title[0].value == "Second-hand clothes"  # still the shop, same address
    again = open_page(log_in(start_app(), "user2@gmail.com"), CATALOGUE)  # another visit
    assert heart_on(again, key)
    press(again, key)
    assert not heart_on(again, key)
    assert liked(engine, "user2@gmail.com") == set()


def test_a_forged_heart_changes_nothing(app_env):
    """What a browser could send instead of a card's heart: an item this grid does not show
    (one the search left out, the viewer's own), an id or a wish that is not one, another
    event. Nothing is favourited, and the page is drawn as before."""
    engine = app_db(app_env)
    at = log_in(start_app(), "user2@gmail.com")
    open_page(at, CATALOGUE)
    at.query_params.update({"q": "dress"})
    at.run()
    shown = {card["id"] for card in grid(at)}
    fedora = item_by_title(engine, FEDORA).id  # user1's, not a dress: not on this page
    own = item_by_title(engine, USER2_ITEM).id  # shown, but the viewer's own: no heart
    assert fedora not in shown and own in shown
    one = next(iter(shown - {own}))
    for value in (
        {"item": fedora, "on": True},
        {"item": own, "on": True},
        {"item": str(one), "on": True},
        {"item": True, "on": True},
        {"item": one, "on": "yes"},
        {"item": one},
        [one, True],
        "heart",
        None,
    ):
        grid_event(at, "heart", value)
        assert liked(engine, "user2@gmail.com") == set(), value
        assert {card["id"] for card in grid(at)} == shown
    grid_event(at, "other", {"item": one, "on": True})
    assert liked(engine, "user2@gmail.com") == set()


def test_a_heart_keeps_the_shops_search_and_page(app_env):
    engine = app_db(app_env)
    at = log_in(start_app(), "user2@gmail.com")
    open_page(at, CATALOGUE)
    at.query_params.update({"q": "dress", "sort": "price_up"})
    at.run()
    shown = list(card_hearts(at))
    assert shown
    press(at, shown[0])
    assert at.query_params.get("q") == "dress" and at.query_params.get("sort") == "price_up"
    assert list(card_hearts(at)) == shown
    assert liked(engine, "user2@gmail.com") == {int(shown[0].removeprefix("heart_card_"))}


def test_the_item_pages_heart_and_how_many_people_like_it(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = open_item(log_in(start_app(), "user2@gmail.com"), dress.id)
    assert heart(at, "heart_item").label == "Add to favourites"
    assert not heart_on(at, "heart_item")
    assert "like this" not in texts(at) and "likes this" not in texts(at)
    press(at, "heart_item")
    assert heart(at, "heart_item").label == "In your favourites"
    assert heart_on(at, "heart_item")
    assert "1 person likes this" in texts(at)
    assert at.query_params.get("item") == str(dress.id)
    # persisted: another visit sees it, and logged-out visitors see the count too
    later = open_item(log_in(start_app(), "user2@gmail.com"), dress.id)
    assert heart(later, "heart_item").label == "In your favourites"
    assert "1 person likes this" in texts(open_item(start_app(), dress.id))
    press(at, "heart_item")
    assert heart(at, "heart_item").label == "Add to favourites"
    assert liked(engine, "user2@gmail.com") == set()


def test_the_seller_sees_the_count_but_has_no_heart(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    like(engine, "user2@gmail.com", DRESS)
    register_fan(engine)  # a third person likes it too
    like(engine, "fan@example.com", DRESS)
    at = open_item(log_in(start_app(), "user1@gmail.com"), dress.id)
    assert not has_heart(at, "heart_item")
    assert "2 people like this" in texts(at)
    at.query_params.clear()
    open_page(at, CATALOGUE)  # no heart on one's own cards, a heart on the others'
    own = item_by_title(engine, FEDORA).id
    other = item_by_title(engine, USER2_ITEM).id
    assert not has_heart(at, f"heart_card_{own}") and not has_heart(at, f"heart_card_{dress.id}")
    assert has_heart(at, f"heart_card_{other}")


def test_logged_out_the_item_pages_heart_asks_to_log_in_then_comes_back_and_keeps_it(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = start_app()
    at.switch_page(ITEM)
    # the shop's address it was opened from (repeated keys too) and the item
    at.query_params.update({"colour": ["red", "blue"], "q": "dress", "item": str(dress.id)})
    at.run()
    assert not heart_on(at, "heart_item")
    press(at, "heart_item")
    assert "Welcome back" in [t.value for t in at.title]
    assert liked(engine, "user2@gmail.com") == set()  # nothing done before logging in
    log_in(at, "user2@gmail.com")
    assert at.query_params.get("item") == str(dress.id)  # back on the item
    assert at.query_params.get("colour") == ["red", "blue"] and at.query_params.get("q") == "dress"
    # the heart clicked before logging in is kept, once
    assert heart(at, "heart_item").label == "In your favourites"
    assert liked(engine, "user2@gmail.com") == {dress.id}
    stay_on_the_item(at)
    press(at, "heart_item")  # and the heart works as for anyone logged in
    assert heart(at, "heart_item").label == "Add to favourites"
    assert liked(engine, "user2@gmail.com") == set()


def test_logged_out_a_cards_heart_is_kept_after_log_in_back_on_the_same_search(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = start_app()
    at.switch_page(CATALOGUE)
    at.query_params.update({"q": "dress"})
    at.run()
    press(at, f"heart_card_{dress.id}")
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at, "user2@gmail.com")
    assert at.title[0].value == "Second-hand clothes" and at.query_params.get("q") == "dress"
    assert heart_on(at, f"heart_card_{dress.id}")  # kept from before
    assert liked(engine, "user2@gmail.com") == {dress.id}


def test_an_item_sold_while_the_page_was_open_is_not_added(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = open_item(log_in(start_app(), "user2@gmail.com"), dress.id)
    mark_sold(engine, dress.id)  # bought by someone else meanwhile
    press(at, "heart_item")
    assert [t.value for t in at.toast] == [
        "This item is already sold: it can no longer be added to favourites."
    ]
    assert not has_heart(at, "heart_item")  # a sold item: no new favourite
    assert "This item is sold." in texts(at)
    assert liked(engine, "user2@gmail.com") == set()


def test_a_sold_favourite_can_be_taken_out_on_its_page(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    like(engine, "user2@gmail.com", DRESS)
    mark_sold(engine, dress.id)
    at = open_item(log_in(start_app(), "user2@gmail.com"), dress.id)
    assert "This item is sold." in texts(at) and "Add to cart" not in labels(at)
    assert heart_on(at, "heart_item") and "1 person likes this" in texts(at)
    press(at, "heart_item")
    assert not has_heart(at, "heart_item")  # sold: it cannot be added again
    assert liked(engine, "user2@gmail.com") == set()


# --- the Favourites page ------------------------------------------------------------------


def test_the_favourites_page_lists_them_and_a_sold_one_as_sold(app_env):
    engine = app_db(app_env)
    dress, fedora = item_by_title(engine, DRESS), item_by_title(engine, FEDORA)
    like(engine, "user2@gmail.com", DRESS, FEDORA)
    mark_sold(engine, dress.id)
    at = open_page(log_in(start_app(), "user2@gmail.com"), FAVOURITES)
    assert at.title[0].value == "Favourites"
    page = text_of(at)
    assert DRESS in page and FEDORA in page
    assert "2 items · 1 sold" in page
    assert page.count("Sold") == 1  # the badge on the dress's card
    assert not {"Add to cart", "Buy"} & set(labels(at))  # nothing to buy here
    assert heart_on(at, f"heart_card_{dress.id}")  # sold: still removable
    press(at, f"heart_card_{dress.id}")
    assert DRESS not in text_of(at) and FEDORA in text_of(at)
    assert liked(engine, "user2@gmail.com") == {fedora.id}
    press(at, f"heart_card_{fedora.id}")
    assert "Nothing here yet" in " ".join(i.value for i in at.info)
    assert liked(engine, "user2@gmail.com") == set()


def test_a_deleted_listing_leaves_the_favourites_page(app_env):
    engine = app_db(app_env)
    like(engine, "user2@gmail.com", DRESS, FEDORA)
    with Session(engine) as s:
        s.delete(s.get(Item, item_by_title(engine, DRESS).id))
        s.commit()
    at = open_page(log_in(start_app(), "user2@gmail.com"), FAVOURITES)
    assert DRESS not in text_of(at) and FEDORA in text_of(at)


def test_no_favourites_yet_leads_to_the_shop(app_env):
    at = open_page(log_in(start_app(), "user2@gmail.com"), FAVOURITES)
    assert "Nothing here yet" in " ".join(i.value for i in at.info)
    assert "Go to the shop" in [link.label for link in at.get("page_link")]


def test_logged_out_the_favourites_page_asks_to_log_in_then_back(app_env):
    at = open_page(start_app(), FAVOURITES)
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at, "user2@gmail.com")
    assert at.title[0].value == "Favourites"


# --- My listings ----------------------------------------------------------------------------


def test_my_listings_shows_how_many_people_like_each_listing(app_env):
    engine = app_db(app_env)
    register_fan(engine)
    like(engine, "user2@gmail.com", DRESS, FEDORA)
    like(engine, "fan@example.com", DRESS)
    at = open_page(log_in(start_app(), "user1@gmail.com"), LISTINGS)
    captions = [c.value for c in at.caption if "listed" in c.value]
    assert len(captions) == 12
    assert sorted(c.rsplit("♥ ", 1)[1] for c in captions) == ["0"] * 10 + ["1", "2"]


# --- the cost of a page ----------------------------------------------------------------------


@pytest.fixture
def statements():
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_the_hearts_of_a_shop_page_are_one_query(app_env, statements):
    engine = app_db(app_env)
    like(engine, "user2@gmail.com", DRESS, FEDORA)
    at = open_page(log_in(start_app(), "user2@gmail.com"), CATALOGUE)
    statements.clear()
    at.run()  # one run of the shop: 24 cards
    cards = card_hearts(at)
    assert len(cards) == 12  # user1's items; user2's own have no heart
    assert sum(cards.values()) == 2
    hearts = [s for s in statements if "favourites" in s]
    assert len(hearts) == 1, hearts


def test_a_heart_click_after_the_session_ended_elsewhere_asks_to_log_in(app_env):
    """A session that ended elsewhere: the click changes nothing yet; the heart, now a
    logged-out visitor's, asks to log in, then comes back to the item and keeps it."""
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    at = open_item(submit_login(start_app(), "user2@gmail.com", "tototo"), dress.id)
    with Session(engine) as s:  # e.g. a password change in another browser
        sessions.end_other_sessions(s, user_id(engine, "user2@gmail.com"))
    press(at, "heart_item")
    assert liked(engine, "user2@gmail.com") == set()
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at, "user2@gmail.com")
    assert at.query_params.get("item") == str(dress.id)
    assert heart(at, "heart_item").label == "In your favourites"  # what was clicked, kept
    assert liked(engine, "user2@gmail.com") == {dress.id}
