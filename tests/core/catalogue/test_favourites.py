"""Favourites on a real database (SQLite, and PostgreSQL when configured): the rules, sold
and deleted listings, two tabs adding at once, and the counts."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, text
from sqlmodel import Session, select

from core.catalogue.favourites import (
    FavouriteError,
    add_favourite,
    favourite_count,
    favourite_counts,
    favourite_ids,
    favourites,
    item_hearts,
    remove_favourite,
    seller_favourite_counts,
    set_favourite,
)
from core.catalogue.selling import delete_listing
from core.db import session_scope
from core.models.base import utcnow
from core.models.catalogue import Favourite, Item, ItemStatus
from tests.listing_helpers import add_items, make_user


@pytest.fixture
def people(engine) -> dict[str, int]:
    return {
        "seller": make_user(engine, "seller@example.com", "Sam"),
        "fan": make_user(engine, "fan@example.com", "Fay"),
        "other": make_user(engine, "other@example.com", "Otto"),
    }


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    ids = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress"), dict(title="Blue jeans"), dict(title="Green hat")],
    )
    own = add_items(engine, people["fan"], [dict(title="Fan's own coat")])
    return {"dress": ids[0], "jeans": ids[1], "hat": ids[2], "own": own[0]}


def rows(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Favourite)).one()


def watch(engine, statements: list[str]) -> None:
    """Record every query the engine runs from now on (SQLite's BEGIN left out)."""

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement != "BEGIN":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)


def mark_sold(engine, item_id) -> None:
    with session_scope(engine) as s:
        s.get(Item, item_id).status = ItemStatus.SOLD.value


def test_adding_is_idempotent_and_removing_too(engine, people, items):
    fan = people["fan"]
    with Session(engine) as s:
        add_favourite(s, fan, items["dress"])
        add_favourite(s, fan, items["dress"])  # a double click, another tab: no error
        assert favourite_ids(s, fan, [items["dress"], items["jeans"]]) == {items["dress"]}
        remove_favourite(s, fan, items["dress"])
        remove_favourite(s, fan, items["dress"])  # not a favourite any more: nothing happens
        assert favourite_ids(s, fan, [items["dress"]]) == set()
    assert rows(engine) == 0


def test_set_favourite_does_what_the_heart_showed(engine, people, items):
    fan = people["fan"]
    with Session(engine) as s:
        set_favourite(s, fan, items["dress"], True)
        set_favourite(s, fan, items["dress"], True)  # a tab that was behind: still added
        assert favourite_ids(s, fan, [items["dress"]]) == {items["dress"]}
        set_favourite(s, fan, items["dress"], False)
        set_favourite(s, fan, items["dress"], False)
        assert favourite_ids(s, fan, [items["dress"]]) == set()


def test_ones_own_item_and_an_unknown_item_are_refused(engine, people, items):
    with Session(engine) as s:
        with pytest.raises(FavouriteError, match="your own item"):
            add_favourite(s, people["fan"], items["own"])
        with pytest.raises(FavouriteError, match="does not exist"):
            add_favourite(s, people["fan"], 999_999)
        assert not s.in_transaction()  # the explanation's read left nothing open
        add_favourite(s, people["fan"], items["dress"])  # the next write works
    assert rows(engine) == 1


def test_a_sold_item_stays_a_favourite_and_can_be_removed_but_not_added(engine, people, items):
    fan, other = people["fan"], people["other"]
    with Session(engine) as s:
        add_favourite(s, fan, items["dress"])
    mark_sold(engine, items["dress"])
    with Session(engine) as s:
        with pytest.raises(FavouriteError, match="already sold"):
            add_favourite(s, other, items["dress"])
        add_favourite(s, fan, items["dress"])  # already one of the fan's: nothing to refuse
        (entry,) = favourites(s, fan)
        assert entry.item.id == items["dress"] and entry.is_sold
        remove_favourite(s, fan, items["dress"])
        assert favourites(s, fan) == []


def test_a_deleted_listing_leaves_the_favourites(engine, people, items):
    fan = people["fan"]
    with Session(engine) as s:
        add_favourite(s, fan, items["dress"])
        add_favourite(s, fan, items["jeans"])
        delete_listing(s, people["seller"], items["dress"])
        assert [e.item.title for e in favourites(s, fan)] == ["Blue jeans"]
        assert favourite_count(s, items["dress"]) == 0
    assert rows(engine) == 1


def test_the_favourites_page_is_newest_first_with_covers_and_only_the_users(engine, people, items):
    fan, other = people["fan"], people["other"]
    with Session(engine) as s:
        for name in ("hat", "dress", "jeans"):
            add_favourite(s, fan, items[name])
        add_favourite(s, other, items["hat"])
    with session_scope(engine) as s:  # added one minute apart, the dress last
        base = utcnow() - timedelta(hours=1)
        for minutes, name in enumerate(("hat", "jeans", "dress")):
            row = s.exec(
                select(Favourite).where(Favourite.user_id == fan, Favourite.item_id == items[name])
            ).one()
            row.created_at = base + timedelta(minutes=minutes)
    with Session(engine) as s:
        entries = favourites(s, fan)
        assert [e.item.title for e in entries] == ["Red dress", "Blue jeans", "Green hat"]
        assert all(e.thumbnail and not e.is_sold for e in entries)
        assert [e.item.title for e in favourites(s, other)] == ["Green hat"]
        assert favourites(s, people["seller"]) == []


def test_counts_in_one_grouped_query(engine, people, items):
    fan, other = people["fan"], people["other"]
    with Session(engine) as s:
        add_favourite(s, fan, items["dress"])
        add_favourite(s, other, items["dress"])
        add_favourite(s, other, items["jeans"])
    statements = []
    watch(engine, statements)
    with Session(engine) as s:
        counts = favourite_counts(s, [items["dress"], items["jeans"], items["hat"]])
        assert len(statements) == 1
        assert counts == {items["dress"]: 2, items["jeans"]: 1}
        assert favourite_counts(s, []) == {}
        assert favourite_count(s, items["dress"]) == 2
        statements.clear()
        assert seller_favourite_counts(s, people["seller"]) == counts
        assert seller_favourite_counts(s, people["fan"]) == {}  # nobody likes the coat
        assert len(statements) == 2
        assert favourite_count(s, items["hat"]) == 0


def test_item_hearts_counts_and_says_whether_the_viewer_is_one(engine, people, items):
    with Session(engine) as s:
        add_favourite(s, people["other"], items["dress"])
        mine = item_hearts(s, items["dress"], people["fan"])
        assert (mine.count, mine.favourited) == (1, False)
        add_favourite(s, people["fan"], items["dress"])
        mine = item_hearts(s, items["dress"], people["fan"])
        assert (mine.count, mine.favourited) == (2, True)
        nobody = item_hearts(s, items["dress"], None)  # logged out: the count only
        assert (nobody.count, nobody.favourited) == (2, False)
        none = item_hearts(s, items["hat"], people["fan"])
        assert (none.count, none.favourited) == (0, False)


def test_the_hearts_of_a_page_are_one_query(engine, people, items):
    with Session(engine) as s:
        add_favourite(s, people["fan"], items["jeans"])
    statements = []
    watch(engine, statements)
    ids = [items["dress"], items["jeans"], items["hat"], items["own"]]
    with Session(engine) as s:
        assert favourite_ids(s, people["fan"], ids) == {items["jeans"]}
        assert len(statements) == 1
        assert favourite_ids(s, None, ids) == set()  # logged out: no query at all
        assert favourite_ids(s, people["fan"], []) == set()
        assert len(statements) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_adding_at_once_make_one_favourite(engine, people, items, attempt):
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def tab() -> None:
        with Session(engine) as s:
            barrier.wait()
            try:
                add_favourite(s, people["fan"], items["dress"])
            except BaseException as exc:  # reported by the assertions below
                errors.append(exc)

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert rows(engine) == 1


def _waiting_on_a_lock(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def _until_it_waits(engine, done: list, what: str) -> None:
    """Return once the other thread waits on a lock (PostgreSQL shows it), or after a moment
    on SQLite (whose busy wait shows nowhere)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 10
    while _waiting_on_a_lock(engine) == 0 and not done:
        assert time.monotonic() < deadline, f"{what} never waited"
        time.sleep(0.02)


def test_a_favourite_added_by_another_tab_while_inserting_is_no_error(engine, people, items):
    """The unique constraint's path: the other tab's row is not committed yet when this one
    checks and inserts; PostgreSQL makes this insert wait, then fails it with a unique
    violation, which is read as "already a favourite". (SQLite makes this tab wait for the
    write lock, then it finds the row.)"""
    fan, dress = people["fan"], items["dress"]
    done: list[BaseException | None] = []
    with engine.connect() as other_tab:
        other_tab.execute(insert(Favourite).values(user_id=fan, item_id=dress, created_at=utcnow()))

        def this_tab() -> None:
            with Session(engine) as s:
                try:
                    add_favourite(s, fan, dress)
                    done.append(None)
                except BaseException as exc:  # reported by the assertions below
                    done.append(exc)

        thread = threading.Thread(target=this_tab)
        thread.start()
        _until_it_waits(engine, done, "the insert")  # then commit the other tab's
        assert done == []  # still waiting for the other tab
        other_tab.commit()
        thread.join(30)
    assert done == [None]
    assert rows(engine) == 1


def test_an_item_sold_while_adding_it_is_refused_not_added(engine, people, items):
    """The sale has marked the item sold but not committed yet when the heart is clicked:
    the favourite waits for the sale, then reads the item again and is refused (PostgreSQL
    read the committed row, "available", and added it)."""
    fan, dress = people["fan"], items["dress"]
    done: list[BaseException | None] = []
    with engine.connect() as sale:
        if engine.dialect.name == "sqlite":
            sale.exec_driver_sql("UPDATE app_meta SET value = value WHERE 0")  # the write lock
        sale.execute(text("UPDATE items SET status = 'sold' WHERE id = :id"), {"id": dress})

        def heart() -> None:
            with Session(engine) as s:
                try:
                    add_favourite(s, fan, dress)
                    done.append(None)
                except BaseException as exc:  # reported by the assertions below
                    done.append(exc)

        thread = threading.Thread(target=heart)
        thread.start()
        _until_it_waits(engine, done, "the favourite")  # then commit the sale
        sale.commit()
        thread.join(30)
    assert len(done) == 1 and isinstance(done[0], FavouriteError), done
    assert "already sold" in str(done[0])
    assert rows(engine) == 0
