"""The seller's writes on a real database (core/catalogue/selling.py), with their rules:
validation, one transaction, only the seller, not sold, revisions."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from core.catalogue import listings
from core.catalogue.listings import (
    InvalidListingError,
    ListingNotFoundError,
    ListingSoldError,
    NotYourListingError,
    get_item_view,
    get_own_listing,
)
from core.catalogue.photos import PreparedPhoto
from core.catalogue.selling import (
    ListingDraft,
    check_listing,
    create_listing,
    delete_listing,
    update_listing,
)
from core.db import session_scope
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.trade import CartLine
from tests.listing_helpers import add_items, draft, found, photo

# --- selling ------------------------------------------------------------------------------


def test_create_listing_stores_item_photos_and_ai_suggestion(engine, seller):
    with Session(engine) as s:
        item = create_listing(
            s,
            seller,
            draft(
                title="  Blue   jeans ",
                price="24,50",
                ai_category="shorts",
                ai_confidence=0.61,
                colour="navy",
                ai_colour="blue",
                ai_pattern="plain",
            ),
            [photo(), photo((0, 0, 200))],
        )
    with Session(engine) as s:
        stored = s.get(Item, item.id)
        assert (stored.title, stored.price_cents, stored.category) == ("Blue jeans", 2450, "pants")
        assert (stored.ai_category, stored.ai_confidence) == ("shorts", pytest.approx(0.61))
        # the AI's colour and pattern are kept next to the seller's choice
        assert (stored.colour, stored.ai_colour, stored.pattern, stored.ai_pattern) == (
            "navy",
            "blue",
            None,
            "plain",
        )
        photos = s.exec(select(Photo).where(Photo.item_id == item.id).order_by(Photo.position))
        assert [p.position for p in photos] == [0, 1]
    assert found(engine, text="jeans") == {item.id}


def test_every_field_is_checked_at_once():
    with pytest.raises(InvalidListingError) as err:
        check_listing(ListingDraft(), 0)
    assert set(err.value.errors) == {
        "title", "category", "size", "brand", "condition", "price", "photos"
    }  # fmt: skip
    assert err.value.errors["photos"] == "Add at least one photo."


@pytest.mark.parametrize(
    ("changes", "photos", "field", "words"),
    [
        (dict(title="x" * 81), 1, "title", "at most 80"),
        (dict(description="x" * 2001), 1, "description", "at most 2000"),
        (dict(category="socks"), 1, "category", "Choose a category"),
        (dict(size="42"), 1, "size", "sizes of this category"),
        (dict(category="shoes", size="M"), 1, "size", "sizes of this category"),
        (dict(brand="   "), 1, "brand", "Enter the brand"),
        (dict(condition="worn out"), 1, "condition", "Choose the condition"),
        (dict(price="free"), 1, "price", "number of euros"),
        (dict(price="0"), 1, "price", "more than 0"),
        (dict(price="100001"), 1, "price", "at most"),
        (dict(), 6, "photos", "At most 5 photos: remove one."),
        (dict(), 7, "photos", "remove 2 of them"),
    ],
)
def test_field_rules(changes, photos, field, words):
    with pytest.raises(InvalidListingError) as err:
        check_listing(draft(**changes), photos)
    assert list(err.value.errors) == [field]
    assert words in err.value.errors[field]


def test_nothing_is_stored_when_a_photo_cannot_be(engine, seller):
    broken = PreparedPhoto(image=b"x", thumbnail=b"x", width=None, height=None)  # NOT NULL
    with pytest.raises(Exception), Session(engine) as s:  # noqa: B017
        create_listing(s, seller, draft(), [photo(), broken])
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Item)).one() == 0
        assert s.exec(select(func.count()).select_from(Photo)).one() == 0


def test_unknown_ai_suggestion_is_dropped(engine, seller):
    clean = check_listing(
        draft(ai_category="spaceship", ai_confidence=0.9, ai_colour="ultraviolet", ai_pattern="x"),
        1,
    )
    assert (clean.ai_category, clean.ai_confidence) == (None, None)
    assert (clean.ai_colour, clean.ai_pattern) == (None, None)
    clean = check_listing(draft(ai_category="dress", ai_confidence=1.7), 1)
    assert clean.ai_confidence == 1.0


# --- the seller's edits ---------------------------------------------------------------------


def photo_colours(engine, item_id) -> list[tuple[int, int, int]]:
    with Session(engine) as s:
        rows = s.exec(select(Photo).where(Photo.item_id == item_id).order_by(Photo.position))
        return [Image.open(io.BytesIO(p.image)).getpixel((5, 5)) for p in rows]


def near(colours, wanted) -> bool:
    return len(colours) == len(wanted) and all(
        all(abs(a - b) < 12 for a, b in zip(c, w, strict=True))
        for c, w in zip(colours, wanted, strict=True)
    )


def test_update_changes_fields_search_and_photos(engine, seller, listing):
    with Session(engine) as s:
        red, green = [p.id for p in get_own_listing(s, seller, listing).photos]
        update_listing(
            s,
            seller,
            listing,
            draft(title="Wide corduroy trousers", brand="Carhartt", price="30"),
            [green, photo((0, 0, 255)), red],
        )
    assert near(photo_colours(engine, listing), [(0, 255, 0), (0, 0, 255), (255, 0, 0)])
    with Session(engine) as s:
        item = s.get(Item, listing)
        assert (item.title, item.brand, item.price_cents) == (
            "Wide corduroy trousers", "Carhartt", 3000
        )  # fmt: skip
    assert found(engine, text="corduroy") == {listing}
    assert found(engine, text="jeans") == set()
    assert found(engine, brands=("carhartt",)) == {listing}
    with Session(engine) as s:  # and a photo removed
        first = get_own_listing(s, seller, listing).photos[0].id
        update_listing(s, seller, listing, draft(), [first])
    assert near(photo_colours(engine, listing), [(0, 255, 0)])


def test_update_keeps_the_ai_suggestion_unless_a_new_one_comes(engine, seller):
    with Session(engine) as s:
        item = create_listing(s, seller, draft(ai_category="pants", ai_confidence=0.8), [photo()])
        keep = [p.id for p in get_own_listing(s, seller, item.id).photos]
        update_listing(s, seller, item.id, draft(category="shorts", size="S"), keep)
        stored = s.get(Item, item.id)
        s.refresh(stored)
        assert (stored.category, stored.ai_category) == ("shorts", "pants")
        keep = [p.id for p in get_own_listing(s, seller, item.id).photos]
        new_cover = draft(ai_category="dress", ai_confidence=0.4, ai_colour="red")
        update_listing(s, seller, item.id, new_cover, keep)
        s.refresh(stored)
        assert (stored.ai_category, stored.ai_colour) == ("dress", "red")


def snapshot(engine, item_id):
    with Session(engine) as s:
        item = s.get(Item, item_id)
        photos = s.exec(select(Photo.id).where(Photo.item_id == item_id)).all()
        return (item.title, item.price_cents, item.status, sorted(photos)) if item else None


def test_another_user_cannot_edit_or_delete(engine, listing, buyer):
    before = snapshot(engine, listing)
    with Session(engine) as s:
        keep = [p.id for p in get_item_view(s, listing).photos]
        with pytest.raises(NotYourListingError):
            update_listing(s, buyer, listing, draft(title="Stolen"), keep)
        with pytest.raises(NotYourListingError):
            delete_listing(s, buyer, listing)
        with pytest.raises(NotYourListingError):
            get_own_listing(s, buyer, listing)
    assert snapshot(engine, listing) == before


def test_a_sold_listing_cannot_be_edited_or_deleted(engine, seller, listing):
    with session_scope(engine) as s:
        s.get(Item, listing).status = ItemStatus.SOLD.value
    before = snapshot(engine, listing)
    with Session(engine) as s:
        keep = [p.id for p in get_item_view(s, listing).photos]
        with pytest.raises(ListingSoldError):
            update_listing(s, seller, listing, draft(title="New title"), keep)
        with pytest.raises(ListingSoldError):
            delete_listing(s, seller, listing)
        with pytest.raises(ListingSoldError):
            get_own_listing(s, seller, listing)
    assert snapshot(engine, listing) == before


def test_invalid_edits_change_nothing(engine, seller, listing):
    before = snapshot(engine, listing)
    with Session(engine) as s:
        with pytest.raises(InvalidListingError):
            update_listing(s, seller, listing, draft(price="-3"), [photo()])
        with pytest.raises(InvalidListingError) as err:  # not a photo of this item
            update_listing(s, seller, listing, draft(title="Other"), [999_999])
        assert "changed" in err.value.errors["photos"]
        with pytest.raises(InvalidListingError):
            update_listing(s, seller, listing, draft(), [])
        with pytest.raises(ListingNotFoundError):
            update_listing(s, seller, 999_999, draft(), [photo()])
    assert snapshot(engine, listing) == before


def test_delete_removes_photos_cart_lines_and_search_entry(engine, seller, buyer, listing):
    with session_scope(engine) as s:
        s.add(CartLine(user_id=buyer, item_id=listing))
    with Session(engine) as s:
        delete_listing(s, seller, listing)
        with pytest.raises(ListingNotFoundError):
            delete_listing(s, seller, listing)
    with Session(engine) as s:
        assert s.get(Item, listing) is None
        assert s.exec(select(func.count()).select_from(Photo)).one() == 0
        assert s.exec(select(func.count()).select_from(CartLine)).one() == 0
    assert found(engine, text="jeans") == set()


def test_concurrent_writers_wait_their_turn(engine, seller, buyer):
    # SQLite has one writer at a time: the others must wait, not fail ("database is locked")
    import threading

    ids = add_items(engine, seller, [{} for _ in range(4)])
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with Session(engine) as s:
                barrier.wait()
                if n < 4:
                    create_listing(s, seller, draft(title=f"New {n}"), [photo()])
                else:
                    keep = []
                    delete_listing(s, seller, ids[n - 4]) if n % 2 else None
                    if not n % 2:
                        with Session(engine) as r:
                            keep = [p.id for p in get_item_view(r, ids[n - 4]).photos]
                        update_listing(s, seller, ids[n - 4], draft(title=f"Edit {n}"), keep)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert found(engine, text="new") and found(engine, text="edit")


# --- revisions and ids that never change meaning ------------------------------------------


def test_every_edit_bumps_the_revision_and_a_stale_form_is_refused(engine, seller, listing):
    with Session(engine) as s:
        opened = get_own_listing(s, seller, listing)  # two tabs open the edit form
        assert opened.item.revision == 1
        keep = [p.id for p in opened.photos]
        update_listing(s, seller, listing, draft(title="First tab"), keep, revision=1)
        assert s.get(Item, listing).revision == 2
        with pytest.raises(listings.StaleListingError, match="changed elsewhere"):
            update_listing(s, seller, listing, draft(title="Second tab"), keep, revision=1)
        s.rollback()
        assert s.get(Item, listing).title == "First tab"
        update_listing(s, seller, listing, draft(title="Same photos"), keep)  # no form revision
        assert s.get(Item, listing).revision == 3


def test_a_stale_form_keeping_a_photo_that_is_gone_is_refused(engine, seller, listing):
    with Session(engine) as s:
        red, green = [p.id for p in get_own_listing(s, seller, listing).photos]
        update_listing(s, seller, listing, draft(), [green])  # the other tab drops red
        with pytest.raises(listings.InvalidListingError) as info:
            update_listing(s, seller, listing, draft(), [red, green])
        assert "photo of this listing has changed" in info.value.errors["photos"]


def test_ids_of_deleted_rows_are_never_given_again(engine, seller):
    """Before: on SQLite the next listing (and photo) took the deleted one's id, so an old
    link /?item=ID opened someone else's item."""
    with Session(engine) as s:
        first = create_listing(s, seller, draft(), [photo()])
        first_photo = get_own_listing(s, seller, first.id).photos[0].id
        delete_listing(s, seller, first.id)
        second = create_listing(s, seller, draft(), [photo()])
        second_photo = get_own_listing(s, seller, second.id).photos[0].id
    assert second.id > first.id
    assert second_photo > first_photo
    with Session(engine) as s, pytest.raises(ListingNotFoundError):
        get_item_view(s, first.id)


@pytest.mark.parametrize("bad", ["a\x00b", "\x1bescape", "lone\ud800"])
def test_control_characters_in_a_listing_are_field_messages(engine, seller, bad):
    with pytest.raises(listings.InvalidListingError) as info:
        check_listing(draft(title=bad, brand=bad, description=bad, price=f"1{bad}"), 1)
    assert set(info.value.errors) == {"title", "brand", "description", "price"}
    assert all("control characters" in m for m in info.value.errors.values())
    ok = check_listing(draft(description="Line one\nline two\ttabbed"), 1)
    assert ok.description == "Line one\nline two\ttabbed"  # line breaks are text


def test_a_refused_edit_leaves_no_transaction_open(engine, seller, buyer, listing):
    with Session(engine) as s:
        with pytest.raises(NotYourListingError):
            update_listing(s, buyer, listing, draft(), [photo()])
        assert not s.in_transaction()
