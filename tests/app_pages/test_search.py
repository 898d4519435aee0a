"""AI search on the pages (AppTest, the tiny CLIP): similar items on the item page, search
by photo in the shop, a search ranked by meaning; and none of it without a model."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlmodel import Session, select

from core.ai.classifier import Classifier
from core.ai.model_dir import model_fingerprint
from core.catalogue.embeddings import index_missing
from core.db import make_engine
from core.models.catalogue import Item, Photo
from tests.app_pages.test_catalogue import open_shop
from tests.apptest import card_titles, start_app, texts
from tests.tiny_clip import SHARED_TOKENIZER


@pytest.fixture
def model_dir(app_env, tiny):
    target = app_env.parent / "model"
    shutil.copytree(tiny.quantized_dir, target)
    return target


@pytest.fixture
def indexed(app_env, model_dir):
    """Every demo listing embedded by the tiny model, as the app's background job does."""
    classifier = Classifier.load(model_dir)
    engine = make_engine(f"sqlite:///{app_env / 'marketplace.db'}")
    done = index_missing(engine, model_fingerprint(classifier.manifest), classifier.embed_photos)
    assert done > 20
    yield engine
    engine.dispose()


def cover(engine, title: str) -> tuple[int, bytes]:
    with Session(engine) as s:
        item = s.exec(select(Item).where(Item.title == title)).one()
        image = s.exec(
            select(Photo.image).where(Photo.item_id == item.id, Photo.position == 0)
        ).one()
        return item.id, image


def similar_titles(at) -> list[str]:
    """The titles of the cards under "Similar items"."""
    headers = [h.value for h in at.subheader]
    if "Similar items" not in headers:
        return []
    return card_titles(at, "similar")


def test_the_item_page_shows_similar_available_items(indexed):
    item_id, _ = cover(indexed, "Black leather biker jacket")
    with Session(indexed) as s:
        sold = {i.title for i in s.exec(select(Item).where(Item.status == "sold"))}
    at = open_shop({"item": str(item_id)})
    shown = similar_titles(at)
    assert 1 <= len(shown) <= 4
    assert "Black leather biker jacket" not in shown
    assert not set(shown) & sold


def test_without_a_model_there_are_no_similar_items(app_env):
    at = open_shop({"item": "3"})
    assert "Similar items" not in [h.value for h in at.subheader]
    assert not at.exception


def _photo_uploader(at):
    found = [u for u in at.get("file_uploader") if "look like a photo" in u.label]
    assert found, "no photo search uploader"
    return found[0]


def test_a_photo_finds_the_listing_it_shows_first(indexed):
    _, image = cover(indexed, "Straw-colour fedora")
    at = start_app()
    _photo_uploader(at).set_value([("hat.jpg", image, "image/jpeg")]).run()
    assert not at.exception, at.exception
    assert "look like your photo" in texts(at)
    shown = card_titles(at)
    assert shown[0] == "Straw-colour fedora" and len(shown) > 1
    assert at.selectbox(key="f_sort").value == "relevance"  # "Best match"
    assert at.query_params == {}  # the photo is not in the address: it is not kept

    # filters still apply to a photo search
    at.button_group(key="f_categories").set_value(["shoes"]).run()
    assert "Straw-colour fedora" not in card_titles(at) and card_titles(at)

    next(b for b in at.button if b.label == "Clear the photo").click().run()
    assert "look like your photo" not in texts(at)
    assert at.selectbox(key="f_sort").value == "newest"


def test_a_file_that_is_not_a_photo_is_said_and_changes_nothing(indexed):
    at = start_app()
    before = card_titles(at)
    _photo_uploader(at).set_value([("notes.jpg", b"not a photo at all", "image/jpeg")]).run()
    assert not at.exception, at.exception
    assert any("is not a photo" in e.value for e in at.error)
    assert card_titles(at) == before


def test_without_a_model_photo_search_says_how_to_get_one(app_env):
    at = start_app()
    assert "Search by photo needs the AI model" in texts(at)
    assert not [u for u in at.get("file_uploader") if "look like a photo" in u.label]


def test_a_new_listing_is_saved_with_the_embedding_the_suggestion_computed(model_dir, app_env):
    import numpy as np

    from core.catalogue.embeddings import from_blob
    from core.models.catalogue import ItemEmbedding
    from tests.app_pages.test_sell import GOOD, fill, photo_file
    from tests.apptest import log_in, open_page
    from tests.shop_helpers import app_db, click, item_by_title
    from ui.pages import SELL

    at = open_page(log_in(start_app(), "user2@gmail.com"), SELL.path)
    fill(at, photos=[photo_file("red.jpg", (200, 20, 20)), photo_file("blue.jpg", (20, 20, 200))])
    look = next(iter(at.session_state["_ai_suggestions"].values()))
    fill(at, **GOOD)
    click(at, "Put it on sale")
    engine = app_db(app_env)
    item = item_by_title(engine, GOOD["title"])
    classifier = Classifier.load(model_dir)
    with Session(engine) as s:
        row = s.exec(select(ItemEmbedding).where(ItemEmbedding.item_id == item.id)).one()
        photos = s.exec(select(Photo).where(Photo.item_id == item.id).order_by(Photo.position))
        second = list(photos)[1]
    assert row.model == model_fingerprint(classifier.manifest)
    assert np.allclose(from_blob(row.vector), look.embedding, atol=1e-6)  # no second inference

    # an edit that makes the second photo the cover saves that photo's embedding
    at.query_params.clear()
    at.query_params["edit"] = str(item.id)
    at.switch_page(SELL.path).run()
    buttons = [b for b in at.button if b.label == "Make cover"]
    assert buttons, [b.label for b in at.button]
    buttons[-1].click().run()
    click(at, "Save the changes")
    assert list_photos(engine, item.id)[0].image == second.image  # the new cover
    want = classifier.embed_photos([second.image])[0]
    with Session(engine) as s:
        row = s.exec(select(ItemEmbedding).where(ItemEmbedding.item_id == item.id)).one()
    assert np.allclose(from_blob(row.vector), want, atol=1e-3)


def list_photos(engine, item_id):
    with Session(engine) as s:
        return list(s.exec(select(Photo).where(Photo.item_id == item_id).order_by(Photo.position)))


@pytest.mark.skipif(
    not SHARED_TOKENIZER.is_dir(), reason="the tiny model has no tokenizer without ../shared"
)
def test_a_search_with_a_model_is_ranked_by_meaning_and_keeps_its_keyword_matches(indexed):
    from core.catalogue.address import ShopAddress, ShopFilters
    from core.catalogue.shop import browse

    with Session(indexed) as s:  # what the keywords alone find (no query vector)
        page = browse(s, ShopAddress(ShopFilters(text="leather"))).page
        keyword_only = [card.item.title for card in page.cards]
    assert keyword_only
    at = open_shop({"q": "leather"})
    assert at.selectbox(key="f_sort").value == "relevance"  # "Best match", the default
    assert at.query_params == {"q": "leather"}  # the default is not written
    shown = card_titles(at)
    assert set(keyword_only) <= set(shown)
    # words no listing holds still find the nearest listings
    described = open_shop({"q": "something to wear at a summer wedding"})
    assert card_titles(described) or card_titles(described, "nearest")
    # the other sorts order the same results
    cheap = open_shop({"q": "leather", "sort": "price_up"})
    assert sorted(card_titles(cheap)) == sorted(shown)


def test_without_a_model_a_search_is_by_keywords_and_newest_first(app_env):
    at = open_shop({"q": "leather"})
    assert at.selectbox(key="f_sort").value == "newest"
    options = at.selectbox(key="f_sort").options
    assert "Newest first" in options and "Best match" not in options


def test_the_photo_search_uploader_speaks_french(model_dir):
    """Streamlit writes the uploader's button ("Upload") and limit ("200MB per file") in
    English: the shop's photo search shows ours, in the person's language."""
    from tests.app_pages.test_french import in_french

    at = in_french()
    assert any("ressemblent" in u.label for u in at.get("file_uploader"))
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert '"Choisir une photo"' in styles and re.search(r'"Jusqu.à 25\sMo"', styles), styles
