"""The sell page's help through the real page (AppTest) with the tiny CLIP: the price
suggestion from comparable sold listings (never in the price field until clicked), the
note about a listing of one's own that the photo repeats, and the drafted title and
description that follow the picks until the seller edits them."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session, select

from core.ai.classifier import Classifier
from core.ai.model_dir import model_fingerprint
from core.catalogue.embeddings import save_embedding
from core.db import session_scope
from core.models.accounts import User
from core.money import format_eur, price_field_text
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.app_pages.test_sell import TEE, fill, photo_file, seller_on_sell_page, widget, with_model
from tests.apptest import texts
from tests.listing_helpers import add_items, make_user
from tests.shop_helpers import app_db, click, item_by_title
from ui.widgets import plain

__all__ = ["with_model"]  # the fixture, used by name

SOLD_AT = 3000  # every comparable's price: the demo's own listings cannot move the median


def _market(engine, model_dir) -> int:
    """Six T-shirts Léa sold whose covers are the test photo's (as the tiny CLIP sees it),
    and one of Hugo's own on sale with the same cover: Hugo's id."""
    model = Classifier.load(model_dir)
    vector = model.embed_photos([photo_file("tee.jpg", TEE)[1]])[0]
    fingerprint = model_fingerprint(model.manifest)
    lea = make_user(engine, "lea@example.com", "Léa")
    bea = make_user(engine, "bea@example.com", "Bea")
    with Session(engine) as s:
        hugo = s.exec(select(User.id).where(User.email == "user2@gmail.com")).one()
    tees = [dict(title=f"Tee {n}", category="t-shirt", price_cents=SOLD_AT) for n in range(6)]
    sold = add_items(engine, lea, tees)
    (own,) = add_items(engine, hugo, [dict(title="Hugo's red tee", category="t-shirt")])
    rng = np.random.default_rng(0)
    with session_scope(engine) as s:
        for item_id in sold:  # nearly the same photo each time
            save_embedding(s, item_id, fingerprint, vector + rng.normal(0, 0.01, vector.shape))
        save_embedding(s, own, fingerprint, vector)
    with Session(engine) as s:
        for item_id in sold:
            add_to_cart(s, bea, item_id)
        checkout(s, bea, Shipping("Bea", "1 rue", "75002", "Paris"), get_cart(s, bea).confirmation)
    return own


def title(at) -> str:
    return widget(at.text_input, "Title").value


def test_price_suggestion_look_alike_and_drafts(with_model, app_env):
    engine = app_db(app_env)
    own = _market(engine, with_model.quantized_dir)
    at = seller_on_sell_page("user2@gmail.com")
    fill(at, photos=[photo_file("tee.jpg", TEE)])
    shown = texts(at)
    # the cover repeats one of Hugo's listings on sale: said, with a link to it
    assert "Similar to one you already listed" in shown
    assert "“" + plain("Hugo's red tee") + "”" in shown  # shown as typed
    links = {link.proto.label: link.proto.query_string for link in at.get("page_link")}
    assert links["See that listing"] == f"item={own}"
    # the price suggestion, from the sold T-shirts (Hugo's own never counts)
    assert f"typically **{format_eur(SOLD_AT)}**" in shown
    assert "6 sold" in shown
    assert [c.value for c in at.caption].count("Sold today") == 3  # three small cards
    # the title and description drafted from the picks (T-shirt, checked: the AI's)
    assert (title(at), widget(at.text_area, "Description").value) == (
        "Checked t-shirt", "Checked t-shirt."
    )  # fmt: skip
    assert "A draft from your picks: change it as you like." in shown
    fill(at, brand="Zara", size="M")
    assert title(at) == "Checked t-shirt, Zara, size M"
    # the suggestion never fills the price field by itself; one click does
    assert widget(at.text_input, "Price (EUR)").value == ""
    click(at, f"Use {format_eur(SOLD_AT)}")
    assert widget(at.text_input, "Price (EUR)").value == price_field_text(SOLD_AT)
    # a category without enough comparables: no number at all
    fill(at, category="coat")
    assert "No price suggestion" in texts(at) and "Suggested price" not in texts(at)
    assert title(at) == "Checked coat, Zara, size M"  # the draft follows the picks
    fill(at, category="t-shirt", title="My favourite tee")
    widget(at.selectbox, "Pattern").set_value("striped").run()
    assert title(at) == "My favourite tee"  # edited: the seller's from now on
    assert widget(at.text_area, "Description").value == "Striped t-shirt by Zara. Size M."
    fill(at, condition="good")
    click(at, "Put it on sale")
    item = item_by_title(engine, "My favourite tee")
    assert (item.price_cents, item.description) == (
        SOLD_AT, "Striped t-shirt by Zara. Size M. Condition: good."
    )  # fmt: skip
