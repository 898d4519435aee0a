"""The schema's integrity rules hold whatever code writes to it."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, func, select

from core.accounts.passwords import hash_password
from core.db import session_scope
from core.models.accounts import User
from core.models.catalogue import MAX_PRICE_CENTS, Item, Photo

HASH = "$2b$12$" + "a" * 53


def _user(email="a@example.com", name="Ann") -> User:
    return User(email=email, display_name=name, password_hash=HASH)


def _item(seller_id, **kw) -> Item:
    fields = dict(
        seller_id=seller_id,
        title="Blue jeans",
        category="pants",
        size="M",
        brand="Levi's",
        price_cents=1000,
    )
    fields.update(kw)
    return Item(**fields)


@pytest.fixture
def seller_id(engine) -> int:
    with session_scope(engine) as s:
        user = _user()
        s.add(user)
        s.flush()
        return user.id


def _insert_fails(engine, obj):
    with pytest.raises((IntegrityError, StatementError)), session_scope(engine) as s:
        s.add(obj)


def test_foreign_keys_are_enforced(engine):
    _insert_fails(engine, _item(seller_id=9999))
    _insert_fails(engine, Photo(item_id=9999, image=b"x", thumbnail=b"x", width=1, height=1))


def test_a_seller_with_items_cannot_be_deleted(engine, seller_id):
    with session_scope(engine) as s:
        s.add(_item(seller_id))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.exec(text("DELETE FROM users WHERE id = :id").bindparams(id=seller_id))


def test_email_is_unique_case_insensitively(engine, seller_id):
    _insert_fails(engine, _user(email="A@Example.COM", name="Other"))
    _insert_fails(engine, _user(email="a@example.com", name="Other"))


@pytest.mark.parametrize("price", [0, -300, MAX_PRICE_CENTS + 1])
def test_price_must_be_positive_and_at_most_100000_eur(engine, seller_id, price):
    _insert_fails(engine, _item(seller_id, price_cents=price))


def test_price_bounds_are_accepted(engine, seller_id):
    with session_scope(engine) as s:
        s.add(_item(seller_id, price_cents=1))
        s.add(_item(seller_id, price_cents=MAX_PRICE_CENTS))


@pytest.mark.parametrize(
    "field",
    [
        {"title": ""},
        {"title": "x" * 81},
        {"brand": ""},
        {"brand": "b" * 41},
        {"size": ""},
        {"size": "s" * 13},
        {"description": "d" * 2001},
        {"status": "stolen"},
        {"condition": "mint"},
        {"ai_confidence": 1.5},
    ],
)
def test_lengths_and_enumerations_are_enforced(engine, seller_id, field):
    _insert_fails(engine, _item(seller_id, **field))


def test_longest_allowed_values_are_accepted(engine, seller_id):
    with session_scope(engine) as s:
        s.add(
            _item(seller_id, title="t" * 80, brand="b" * 40, size="s" * 12, description="d" * 2000)
        )


@pytest.mark.parametrize("field", [{"display_name": ""}, {"password_hash": "plain-text"}])
def test_user_rules(engine, field):
    user = _user(email="new@example.com")
    for key, value in field.items():
        setattr(user, key, value)
    _insert_fails(engine, user)


def test_a_failed_write_leaves_nothing_half_written(engine, seller_id):
    """An item whose second photo breaks a rule: neither the item nor any photo is kept."""
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        item = _item(seller_id)
        s.add(item)
        s.flush()
        s.add(Photo(item_id=item.id, position=0, image=b"a", thumbnail=b"a", width=1, height=1))
        s.flush()
        # same position twice violates ux_photos_item_position
        s.add(Photo(item_id=item.id, position=0, image=b"b", thumbnail=b"b", width=1, height=1))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Item)).one() == 0
        assert s.exec(select(func.count()).select_from(Photo)).one() == 0


def test_deleting_an_item_deletes_its_photos(engine, seller_id):
    with session_scope(engine) as s:
        item = _item(seller_id)
        s.add(item)
        s.flush()
        s.add(Photo(item_id=item.id, image=b"a", thumbnail=b"a", width=1, height=1))
        item_id = item.id
    with session_scope(engine) as s:
        s.delete(s.get(Item, item_id))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Photo)).one() == 0


def test_real_hash_fits_the_schema(engine):
    with session_scope(engine) as s:
        s.add(
            User(email="r@example.com", display_name="R", password_hash=hash_password("pw-123456"))
        )
