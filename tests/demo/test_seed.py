import io

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from PIL import Image, ImageStat
from sqlmodel import Session, func, select

from core.catalogue import attributes, categories
from core.db import make_engine
from core.models.accounts import User
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.meta import AppMeta
from demo.activity import MEMBERS
from demo.listings import DEMO_LISTINGS
from demo.markers import demo_accounts_exist
from demo.seed import DEMO_PASSWORD, reset_database, seed_demo_data


def _on_sale(s) -> int:
    return s.exec(
        select(func.count()).select_from(Item).where(Item.status == ItemStatus.AVAILABLE.value)
    ).one()


def _count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def test_seeding_creates_the_demo_accounts_and_listings(seeded_engine):
    with Session(seeded_engine) as s:
        assert _count(s, User) == 2
        assert _count(s, Item) == len(DEMO_LISTINGS) == 24
        assert _count(s, Photo) == 24
        emails = {u.email for u in s.exec(select(User))}
        assert emails == {"user1@gmail.com", "user2@gmail.com"}
        items = s.exec(select(Item)).all()
        assert {i.seller_id for i in items} == {u.id for u in s.exec(select(User))}
        # every category of the marketplace has at least one demo listing
        assert {i.category for i in items} == set(categories.BY_CODE)
        for item in items:
            assert item.size in categories.sizes_for(item.category)
            assert item.status == "available"
            assert isinstance(item.price_cents, int) and item.price_cents > 0
            assert item.colour in attributes.COLOURS_BY_CODE
            assert item.pattern in attributes.PATTERNS_BY_CODE
        # the shop's colour filter has something to show for many colours
        assert len({i.colour for i in items}) >= 10
        by_title = {i.title: i for i in items}
        assert (by_title["Red wrap midi dress"].colour, by_title["Camel wool coat"].colour) == (
            "red", "brown"
        )  # fmt: skip
        assert by_title["Black oversized logo tee"].pattern == "printed"


def test_seeding_never_runs_twice(seeded_engine):
    assert seed_demo_data(seeded_engine) is False
    with Session(seeded_engine) as s:
        assert _count(s, User) == 2
        assert _count(s, Item) == 24
        # even when the listings are all gone, the marker keeps the demo data away
        for item in s.exec(select(Item)):
            s.delete(item)
        s.commit()
    assert seed_demo_data(seeded_engine) is False
    with Session(seeded_engine) as s:
        assert _count(s, Item) == 0
        assert _count(s, AppMeta) == 2  # the marker and the demo ids


def test_demo_passwords_are_argon2id_hashes_that_verify(seeded_engine):
    with Session(seeded_engine) as s:
        users = s.exec(select(User)).all()
    for user in users:
        assert user.password_hash.startswith("$argon2id$")
        assert DEMO_PASSWORD not in user.password_hash
        assert PasswordHasher().verify(user.password_hash, DEMO_PASSWORD)  # argon2-cffi itself
        with pytest.raises(VerifyMismatchError):
            PasswordHasher().verify(user.password_hash, "wrong")


def test_demo_photos_are_real_illustrations(seeded_engine):
    with Session(seeded_engine) as s:
        photos = s.exec(select(Photo)).all()
    for photo in photos:
        image = Image.open(io.BytesIO(photo.image))
        assert image.format == "JPEG"
        assert (image.width, image.height) == (photo.width, photo.height)
        thumb = Image.open(io.BytesIO(photo.thumbnail))
        assert max(thumb.size) <= 480 < max(image.size)
        # a drawing, not a flat box: the pixels vary a lot
        assert max(ImageStat.Stat(image).stddev) > 12
        assert not image.getexif()


def test_reset_drops_and_reseeds(seeded_engine):
    with Session(seeded_engine) as s:
        s.delete(s.exec(select(Item)).first())
        s.commit()
        assert _count(s, Item) == 23
    reset_database(seeded_engine)  # with the demo's life: members, sales, conversations
    with Session(seeded_engine) as s:
        assert _on_sale(s) == 24
        assert _count(s, User) == 2 + len(MEMBERS)


def test_reset_command(tmp_path, monkeypatch, capsys):
    from demo.seed import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    main([])
    assert "Seeded" in capsys.readouterr().out
    main([])
    assert "Already seeded" in capsys.readouterr().out
    main(["--reset"])
    assert "seeded the demo data" in capsys.readouterr().out
    with Session(make_engine(f"sqlite:///{tmp_path / 'cli.db'}")) as s:
        assert _on_sale(s) == 24


def test_demo_data_off_gives_an_empty_marketplace(tmp_path, monkeypatch, capsys):
    from demo.seed import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'real.db'}")
    monkeypatch.setenv("DEMO_DATA", "false")
    main([])
    assert "no demo data" in capsys.readouterr().out
    main(["--reset"])
    with Session(make_engine(f"sqlite:///{tmp_path / 'real.db'}")) as s:
        assert _count(s, Item) == _count(s, User) == 0
        assert not demo_accounts_exist(s)


def test_the_app_seeds_only_when_demo_data_is_on(tmp_path, monkeypatch):
    """The app's start-up (ui/state.get_engine) creates the schema, and the demo only if on."""
    import streamlit as st

    from tests.apptest import start_app

    for demo, users in (("false", 0), ("true", 2 + len(MEMBERS))):
        db = tmp_path / f"demo-{demo}.db"
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        monkeypatch.setenv("DEMO_DATA", demo)
        st.cache_resource.clear()
        start_app()
        with Session(make_engine(f"sqlite:///{db}")) as s:
            assert _count(s, User) == users
            assert demo_accounts_exist(s) is (users > 0)
    st.cache_resource.clear()


@pytest.mark.parametrize("category", sorted(categories.BY_CODE))
def test_every_category_has_a_drawing(category):
    from demo.illustrations import draw_garment

    image = draw_garment(category, "navy", size=200)
    assert image.size == (200, 200)
    assert max(ImageStat.Stat(image.convert("L")).stddev) > 15
