"""The app in French through the real pages (AppTest): a browser that speaks French, or a
person who switched with EN|FR, reads the log-in, register, sell, profile, insights and
notifications pages, the navigation and the errors in French, with French prices."""

from __future__ import annotations

import json

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.models.catalogue import Item
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.app_pages.test_language import switch
from tests.apptest import log_in, open_page, submit_login, texts
from tests.conftest import ROOT
from tests.shop_helpers import app_db, errors, user_id
from tests.test_navigation import follow_address, registered

NNBSP, NBSP = "\u202f", "\u00a0"


def spaced(text: str) -> str:
    """Babel's French spaces (narrow or not) as plain spaces, to compare."""
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def in_french(url: str | None = None) -> AppTest:
    """A first visit from a browser that speaks French."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.context = {"locale": "fr-FR", **({"url": url} if url else {})}
    at.run()
    assert not at.exception, at.exception
    return at


def logged_in_in_french(email: str = "user1@gmail.com") -> AppTest:
    """Logged in (the log-in form is found by its English labels), then switched to French."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    return switch(log_in(at, email), "fr")


def field(at: AppTest, label: str):
    found = [t for t in at.text_input if t.label == label]
    assert found, (label, [t.label for t in at.text_input])
    return found[0]


def press(at: AppTest, label: str) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert buttons, (label, [b.label for b in at.button])
    buttons[0].click().run()
    assert not at.exception, at.exception
    return at


def test_the_navigation_and_a_missing_page_in_french(app_env):
    at = in_french("http://localhost:8501/nulle-part")
    names = {path: info["page_name"] for path, info in registered(at).items()}
    assert names[""] == "Boutique" and names["login"] == "Se connecter"
    assert names["register"] == "S'inscrire" and names["insights"] == "Statistiques"
    assert names["nulle-part"] == "Page introuvable"
    follow_address(at, "nulle-part")
    assert [t.value for t in at.title] == ["Page introuvable"]
    assert "Il n'y a pas de page à cette adresse." in texts(at)
    assert "Aller à la boutique" in [link.value for link in at.page_link]
    logged = logged_in_in_french()
    names = {path: info["page_name"] for path, info in registered(logged).items()}
    assert names["sell"] == "Vendre" and names["my_listings"] == "Mes annonces"
    assert names["cart"] == "Panier" and names["profile"] == "Profil"
    assert "Notifications" in [link.value for link in logged.page_link]  # the bell


def test_the_log_in_page_and_its_refusal_in_french(app_env):
    at = open_page(in_french(), "app_pages/login.py")
    assert [t.value for t in at.title] == ["Bon retour parmi nous"]
    assert "Pas encore de compte ? Inscrivez-vous" in [link.value for link in at.page_link]
    assert "Mot de passe oublié ?" in [link.value for link in at.page_link]
    assert any("Comptes de démonstration" in c.value for c in at.caption)
    submit_login(at, "user1@gmail.com", "not-the-password")  # the form's labels: ui/auth.py
    assert "E-mail ou mot de passe incorrect." in [e.value for e in at.error]


def test_the_register_page_refuses_two_different_passwords_in_french(app_env):
    at = open_page(in_french(), "app_pages/register.py")
    assert [t.value for t in at.title] == ["Créer un compte"]
    assert field(at, "Mot de passe").proto.help == "8 caractères ou plus."
    field(at, "E-mail").input("camille@example.com")
    field(at, "Nom affiché").input("Camille")
    field(at, "Mot de passe").input("long-enough")
    field(at, "Répétez le mot de passe").input("long-enough-2")
    press(at, "Créer mon compte")
    assert [e.value for e in at.error] == ["Les deux mots de passe sont différents."]
    assert at.session_state["user_id"] is None if "user_id" in at.session_state else True


def test_the_sell_page_in_french_refuses_a_negative_price(app_env):
    at = open_page(logged_in_in_french(), "app_pages/sell.py")
    assert [t.value for t in at.title] == ["Vendre un article"]
    assert {"Titre", "Marque", "Prix (EUR)"} <= {t.label for t in at.text_input}
    boxes = {s.label: s for s in at.selectbox}
    assert {"Catégorie", "Couleur principale", "Motif", "Taille"} <= set(boxes)
    assert "Sous-vêtements" in boxes["Catégorie"].options
    assert "Bleu marine" in boxes["Couleur principale"].options
    assert field(at, "Prix (EUR)").proto.placeholder == "12,50"
    field(at, "Prix (EUR)").input("-3")
    press(at, "Mettre en vente")
    shown = errors(at)
    assert "Saisissez le prix en euros, comme 12,50." in shown
    assert "Remplissez chaque champ comme indiqué ci-dessus." in shown


def test_the_profile_page_in_french(app_env):
    at = open_page(logged_in_in_french(), "app_pages/profile.py")
    assert [t.value for t in at.title] == ["Mon profil"]
    labels = {t.label for t in at.text_input}
    assert {"Nom affiché", "Adresse", "Code postal", "Ville", "Mot de passe actuel"} <= labels
    assert "Se déconnecter" in [b.label for b in at.button]
    field(at, "Code postal").input("12")
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert "Le code postal doit comporter de 4 à 10 chiffres." in [e.value for e in at.error]


def sell_for_1250(engine) -> None:
    """user2 buys one of user1's listings, priced €12.50."""
    seller, buyer = user_id(engine, "user1@gmail.com"), user_id(engine, "user2@gmail.com")
    with Session(engine) as s:
        item = s.exec(select(Item).where(Item.seller_id == seller)).first()
        item.price_cents = 1250
        s.add(item)
        s.commit()
        add_to_cart(s, buyer, item.id)
        ship = Shipping("Camille Martin", "1 rue de la Paix", "75002", "Paris")
        checkout(s, buyer, ship, get_cart(s, buyer).confirmation)
        s.commit()


def test_the_insights_page_in_french_with_french_prices(app_env):
    sell_for_1250(app_db(app_env))
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    open_page(log_in(at), "app_pages/insights.py")
    assert [t.value for t in at.title] == ["Insights"]  # English first: its figures cached
    switch(at, "fr")
    assert [t.value for t in at.title] == ["Statistiques"]
    assert [t.label for t in at.tabs] == ["La place de marché", "Votre boutique", "L'IA"]
    assert "Annonces par catégorie" in [s.value for s in at.subheader]
    metrics = {m.label: spaced(m.value) for m in at.metric}
    assert metrics["Ventes en 12 semaines"] == "12,50 €"
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    at.session_state["insights_tab"] = "Votre boutique"  # a click on the tab
    at.run()
    metrics = {m.label: spaced(m.value) for m in at.metric}
    assert metrics["Chiffre d'affaires"] == "12,50 €"
    assert metrics["Vendus"] == "1"
    specs += [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    titles = json.dumps(specs, ensure_ascii=False)
    assert '"title": "Catégorie"' in titles and '"title": "Semaine du"' in titles
    assert '"Category"' not in titles  # the English charts stay in the English cache
    switch(at, "en")  # the same tab, in English
    assert {m.label: m.value for m in at.metric}["Revenue"] == "€12.50"


def test_notifications_in_french(app_env):
    sell_for_1250(app_db(app_env))  # user1 is told of the sale
    at = open_page(logged_in_in_french(), "app_pages/notifications.py")
    assert [t.value for t in at.title] == ["Notifications"]
    said = texts(at).replace("\\", "")  # markdown escapes
    assert "a acheté « " in said and "expédiez-lui l'article" in said
    assert any(c.value.startswith("Nouveau · ") for c in at.caption)
    assert "Voir la commande" in [link.value for link in at.page_link]


def test_a_start_up_problem_is_said_in_the_browsers_language(app_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////proc/no-such-place/db.sqlite")
    at = in_french()
    assert any(
        "L'application ne peut pas ouvrir sa base de données" in e.value for e in at.error
    ), [e.value for e in at.error]
