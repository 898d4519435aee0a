"""The marketplace's second half in French through the real pages (AppTest): the cart and
its checkout (French prices, the confirmation, a sale meanwhile named in French), the inbox
and a conversation with an offer (a bad price refused in French), the orders page's
timeline and steps, and a seller's page ("Membre depuis ..."), for people whose browser
speaks French."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.i18n import format_day, use_language
from core.models.accounts import User
from core.models.trade import Order, Review
from core.trade.reviews import leave_review
from core.trade.tracking import RECEIVE_AFTER, TrackingError, confirm_received, mark_shipped
from tests.app_pages.test_cart_orders import fill_cart
from tests.app_pages.test_french import spaced
from tests.app_pages.test_inbox import open_talk, opened_by_core
from tests.app_pages.test_tracking import open_seller, place_order
from tests.apptest import log_in, open_page, texts
from tests.conftest import ROOT
from tests.shop_helpers import app_db, errors, item_by_title, labels, mark_sold, open_item, user_id

CART, ORDERS, INBOX = "app_pages/cart.py", "app_pages/orders.py", "app_pages/inbox.py"
DRESS, HAT = "Red wrap midi dress", "Straw-colour fedora"  # Camille's, €45.00 and €25.00
BUYER, SELLER = "user2@gmail.com", "user1@gmail.com"  # Hugo, Camille
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french(email: str | None = None) -> AppTest:
    """A browser that speaks French (logged in as ``email`` through the real form)."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.context = {"locale": "fr-FR"}
    at.run()
    assert not at.exception, at.exception
    return log_in(at, email) if email else at


def said(at: AppTest) -> str:
    """Everything the page says, markdown escapes removed and French spaces plain."""
    return spaced(texts(at).replace("\\", ""))


def press(at: AppTest, label: str) -> AppTest:
    """Click the button whose label reads ``label`` (French spaces compared as plain)."""
    found = [b for b in at.button if spaced(b.label) == label]
    assert found, (label, labels(at))
    found[0].click().run()
    assert not at.exception, at.exception
    return at


def typed_price(at: AppTest, typed: str, submit: str) -> None:
    (field,) = [t for t in at.text_input if t.label == "Votre prix (EUR)"]
    field.input(typed)
    press(at, submit)


def test_the_cart_and_the_checkout_in_french(app_env):
    fill_cart(app_env, BUYER, [DRESS, HAT])
    dress = item_by_title(app_db(app_env), DRESS)
    at = open_page(french(BUYER), CART)
    assert [t.value for t in at.title] == ["Mon panier"]
    assert "Total : 70,00 €" in [spaced(s.value) for s in at.subheader]
    assert "2 articles à acheter" in said(at)
    assert f"Taille {dress.size} · {dress.brand}" in [c.value.replace("\\", "") for c in at.caption]
    fields = {t.label: t for t in at.text_input}
    assert {"Nom", "Adresse", "Code postal", "Ville"} <= set(fields)
    fields["Ville"].input("")
    press(at, "Acheter pour 70,00 €")
    assert "Saisissez la ville." in errors(at)
    {t.label: t for t in at.text_input}["Ville"].input("Lyon")
    press(at, "Acheter pour 70,00 €")
    assert {"Confirmer l'achat", "Annuler"} <= set(labels(at))  # the confirmation dialog
    assert "**Total : 70,00 €**" in [spaced(m.value) for m in at.markdown]
    assert any(spaced(c.value).startswith("Livraison à Hugo, ") for c in at.caption)
    press(at, "Confirmer l'achat")
    assert [t.value for t in at.title] == ["Mes commandes"]
    (thanks,) = [s.value for s in at.success]
    assert thanks.startswith("Merci ! Votre commande n°") and thanks.endswith(" est passée.")


def test_an_item_sold_during_the_confirmation_is_named_in_french(app_env):
    ids = fill_cart(app_env, BUYER, [DRESS, HAT])
    at = open_page(french(BUYER), CART)
    press(at, "Acheter pour 70,00 €")
    mark_sold(app_db(app_env), ids[0])  # another buyer was faster
    press(at, "Confirmer l'achat")
    assert [spaced(e) for e in errors(at)] == [
        f"L'article « {DRESS} » a été vendu entre-temps. Rien n'a été acheté."
    ]
    assert "Vendu entre-temps : non compté" in said(at)  # the cart flags it
    assert "Total : 25,00 €" in [spaced(s.value) for s in at.subheader]


def test_the_inbox_and_an_offer_in_french(app_env):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    buyer = french(BUYER)
    open_talk(buyer, cid)
    assert "Avec Camille, le vendeur" in said(buyer)
    assert "Prix demandé **45,00 €**" in [spaced(m.value) for m in buyer.markdown]
    (field,) = [t for t in buyer.text_input if t.label == "Votre prix (EUR)"]
    assert field.proto.placeholder == "ex. 35,00"
    typed_price(buyer, "abc", "Envoyer l'offre")
    assert errors(buyer) == ["Saisissez le prix en euros, comme 12,50."]
    typed_price(buyer, "45", "Envoyer l'offre")  # the core's refusal, in French
    assert [spaced(e) for e in errors(buyer)] == [
        "Une offre doit être inférieure au prix demandé (45,00 €) : à ce prix, achetez "
        "simplement l'article."
    ]
    typed_price(buyer, "30,50", "Envoyer l'offre")
    assert "Votre offre a été envoyée." in [s.value for s in buyer.success]
    assert "Votre prix de 30,50 € attend la réponse de Camille." in [
        spaced(i.value).replace("\\", "") for i in buyer.info
    ]
    assert "Vous avez proposé 30,50 €." in said(buyer)  # the event in the conversation

    seller = open_page(french(SELLER), INBOX)
    assert [t.value for t in seller.title] == ["Messages"]
    assert "1 nouveau" in said(seller)  # the unread badge
    previews = [spaced(c.value).replace("\\", "") for c in seller.caption]
    assert any(c.startswith("Hugo a proposé 30,50 €. · ") for c in previews)
    assert "Ouvrir" in [p.label for p in seller.page_link]
    open_talk(seller, cid)
    assert "Avec Hugo, un acheteur" in said(seller)
    assert "Hugo propose 30,50 €." in said(seller)
    assert {"Accepter", "Refuser", "Envoyer la contre-proposition"} <= set(labels(seller))
    press(seller, "Accepter")
    shown = [spaced(s.value).replace("\\", "") for s in seller.success]
    assert "Vous avez accepté 30,50 €." in shown
    assert any(
        s.startswith("Offre acceptée : Hugo peut l'acheter à 30,50 € jusqu'au ") for s in shown
    )

    open_talk(buyer, cid)
    assert "Acheter à ce prix" in labels(buyer)
    assert "Camille a accepté 30,50 €." in said(buyer)
    assert any(
        spaced(s.value).startswith("Offre acceptée : achetez l'article à 30,50 € jusqu'au ")
        for s in buyer.success
    )


def test_a_conversation_not_found_in_french(app_env):
    at = french(BUYER)
    open_talk(at, 999999)
    assert [t.value for t in at.title] == ["Conversation introuvable"]
    assert "Vous n'avez pas de conversation à cette adresse." in said(at)
    assert "Retour aux messages" in [p.label for p in at.page_link]


def test_the_orders_timeline_and_steps_in_french(app_env):
    order_id = place_order(app_env)
    seller = open_page(french(SELLER), ORDERS)
    assert [t.value for t in seller.title] == ["Mes commandes"]
    assert [t.label for t in seller.tabs] == ["Mes achats (0)", "Mes ventes (1)"]
    assert any("Payée : à expédier" in m.value for m in seller.markdown)  # the badge
    assert any(f"**Commande n°{order_id}** · " in m.value for m in seller.markdown)
    assert any(":material/check_circle: **Payée** " in m.value for m in seller.markdown)
    assert any(
        spaced(c.value).startswith("Achetée par Hugo · à expédier à Hugo, ") for c in seller.caption
    )
    (tracking,) = [t for t in seller.text_input if t.label.startswith("Transporteur")]
    assert tracking.label == "Transporteur et numéro de suivi (facultatif)"
    tracking.input("Colissimo 6A1234")
    press(seller, "Marquer comme expédiée")
    assert [s.value for s in seller.success] == ["Marquée comme expédiée : l'acheteur est prévenu."]
    assert any(":material/check_circle: **Expédiée** " in m.value for m in seller.markdown)
    seller_id = user_id(app_db(app_env), SELLER)
    with (  # the core's refusal, in French
        use_language("fr"),
        Session(app_db(app_env)) as s,
        pytest.raises(TrackingError) as refused,
    ):
        mark_shipped(s, seller_id, order_id)
    assert str(refused.value) == "Cette commande est déjà marquée comme expédiée."

    buyer = open_page(french(BUYER), ORDERS)
    with Session(app_db(app_env)) as s:
        shipped_at = s.get(Order, order_id).shipped_at
    expected = spaced(format_day(shipped_at + RECEIVE_AFTER, "fr"))
    assert "suivi : Colissimo 6A1234" in said(buyer)
    assert f"Reçue : automatiquement le {expected}" in said(buyer)
    assert any(":material/check_circle: **Expédiée** " in m.value for m in buyer.markdown)
    assert "Vendu par Camille" in [p.label for p in buyer.page_link]
    press(buyer, "Je l'ai reçue")
    assert [s.value for s in buyer.success] == ["Merci : le vendeur est prévenu."]
    assert any(c.value.startswith("Tout est-il conforme à la description ?") for c in buyer.caption)
    assert "**Évaluez Camille**" in [m.value for m in buyer.markdown]
    press(buyer, "Envoyer l'avis")  # no star chosen
    assert errors(buyer) == ["Choisissez une note de 1 à 5 étoiles."]
    (stars,) = buyer.feedback
    stars.set_value(4)  # the fifth star
    press(buyer, "Envoyer l'avis")
    assert [s.value for s in buyer.success] == ["Merci pour votre avis."]
    assert any(m.value.startswith("Votre avis : **★★★★★** · ") for m in buyer.markdown)
    press(buyer, "Tout est en ordre")
    assert [s.value for s in buyer.success] == ["La commande est terminée."]
    assert any("Terminée" in m.value for m in buyer.markdown)


def test_a_sellers_page_in_french(app_env):
    engine = app_db(app_env)
    order_id = place_order(app_env)
    seller_id, buyer_id = user_id(engine, SELLER), user_id(engine, BUYER)
    with Session(engine) as s:
        mark_shipped(s, seller_id, order_id)
        confirm_received(s, buyer_id, order_id)
        leave_review(s, buyer_id, order_id, 4, "Parfait, merci !")
        joined = s.get(User, seller_id).created_at
        reviewed = s.exec(select(Review.created_at).where(Review.order_id == order_id)).one()
    at = open_seller(french(), str(seller_id))  # a visitor, logged out
    since = f"Membre depuis {MONTHS[joined.month - 1]} {joined.year}"  # a French month
    assert since in [c.value for c in at.caption]
    assert "**★ 4,0 (1 avis)** · **1 vendu** · **11 en vente**" in [m.value for m in at.markdown]
    assert {"En vente", "Avis"} <= {s.value for s in at.subheader}
    assert "Retour à la boutique" in [p.label for p in at.page_link]
    assert "Parfait, merci !" in [t.value for t in at.text]  # as typed
    assert format_day(reviewed, "fr") in [c.value for c in at.caption]  # "2 déc. 2026"

    open_item(at, item_by_title(engine, HAT).id)  # the item page's way to the seller
    assert "Profil vendeur : Camille · ★ 4,0 (1 avis)" in [p.label for p in at.page_link]
    assert "Écrire au vendeur" in labels(at)

    open_seller(at, "999999")
    assert [t.value for t in at.title] == ["Vendeur introuvable"]
    assert "Il n'y a pas de vendeur à cette adresse. Le lien est peut-être mal saisi." in said(at)
