"""The shop, the item page, Favourites, My listings and the log-in form in French, through
the real pages (AppTest), with French prices, dates, plurals and listing errors; and the
core's words for them (conditions, sorts, the results caption, errors) in French."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.catalogue.favourites import FavouriteError, add_favourite
from core.catalogue.listings import InvalidListingError, condition_label
from core.catalogue.search import COUNT_CAP, CataloguePage, PriceRange, Sort, sort_label
from core.catalogue.selling import ListingDraft, check_listing
from core.catalogue.shop import ShopPage
from core.errors import FieldErrors
from core.i18n import format_day, use_language
from core.models.catalogue import Item
from tests.app_pages.test_favourites import heart, like, register_fan
from tests.app_pages.test_french import in_french, logged_in_in_french, spaced
from tests.app_pages.test_search import indexed, model_dir  # noqa: F401 (fixtures, with the model)
from tests.apptest import card_titles, grid, open_page, submit_login, texts
from tests.listing_helpers import add_items
from tests.shop_helpers import (
    ITEM,
    app_db,
    click,
    enabled,
    item_by_title,
    labels,
    mark_sold,
    open_item,
    user_id,
)
from tests.tiny_clip import SHARED_TOKENIZER
from ui.favourites import HEART_ON

DRESS = "Red wrap midi dress"
FAVOURITES = "app_pages/favourites.py"
MY_LISTINGS = "app_pages/my_listings.py"


def said(at) -> str:
    """What the page says, markdown escapes removed and French spaces made plain."""
    return spaced(texts(at).replace("\\", ""))


def results(at) -> str:
    return spaced(next(c.value for c in at.caption if " article" in c.value))


def logged_in_french_browser(email: str, password: str = "tototo") -> AppTest:
    """A browser that speaks French, logged in through the French log-in form."""
    at = in_french()
    submit_login(at, email, password)
    assert at.session_state["user_id"] is not None
    return at


# --- the shop -------------------------------------------------------------------------------


def test_the_shop_in_french_its_filters_sorts_and_results(app_env):
    at = in_french()
    assert [t.value for t in at.title] == ["Vêtements de seconde main"]
    assert [h.value for h in at.header] == ["Filtres"]
    assert results(at) == "24 articles · page 1 sur 1"
    conditions = at.button_group(key="f_conditions")
    assert conditions.label == "État"
    assert conditions.options == [
        "Neuf avec étiquette", "Très bon état", "Bon état", "Satisfaisant"
    ]  # fmt: skip
    assert at.button_group(key="f_categories").label == "Catégorie"
    assert "Robe" in at.button_group(key="f_categories").options
    sizes = at.multiselect(key="f_sizes")
    assert (sizes.label, sizes.placeholder) == ("Taille", "Toutes les tailles")
    assert sizes.options[-1] == "Taille unique"  # "One size", as the sell page says it
    colours = at.multiselect(key="f_colours")
    assert (colours.label, colours.placeholder) == ("Couleur", "Toutes les couleurs")
    assert at.multiselect(key="f_brands").placeholder == "Toutes les marques"
    assert {n.label for n in at.number_input} == {"Prix min. (EUR)", "Prix max. (EUR)"}
    sort = at.selectbox(key="f_sort")
    assert sort.label == "Trier par"
    assert sort.options == ["Les plus récents", "Prix croissant", "Prix décroissant"]
    assert {"Effacer les filtres", "Première", "Précédente", "Suivante", "Dernière"} <= set(
        labels(at)
    )
    assert at.text_input(key="f_text").label == "Rechercher"
    # the cards: French prices, sizes and categories
    page = said(at)
    assert "45,00 €" in page and "Taille unique · Sac" in page

    # a filter and a sort chosen in French (their values stay the codes of the address)
    conditions.set_value(["very_good"]).run()
    at.selectbox(key="f_sort").set_value("price_up").run()
    assert not at.exception, at.exception
    assert at.query_params == {"condition": "very_good", "sort": "price_up"}
    assert at.selectbox(key="f_sort").value == "price_up"
    many = results(at)
    assert many.endswith(" articles · page 1 sur 1"), many
    at.text_input(key="f_text").input("jeans").run()
    assert results(at) == "1 article · page 1 sur 1"  # the singular
    assert card_titles(at) == ["Straight-leg 501 jeans"]
    at.text_input(key="f_text").input("rien-de-tel").run()
    assert "Aucun article ne correspond à « rien-de-tel »." in said(at).replace("\\", "")
    click(at, "Effacer les filtres")
    assert results(at) == "24 articles · page 1 sur 1" and at.query_params == {}


def test_an_upside_down_price_range_said_in_french(app_env):
    at = in_french()
    at.number_input(key="f_low").set_value(100).run()
    at.number_input(key="f_high").set_value(50).run()
    assert results(at) == (
        "4 articles · page 1 sur 1 · prix min. et max. inversés : de 50,00 € à 100,00 €"
    )


@pytest.mark.skipif(
    not SHARED_TOKENIZER.is_dir(), reason="the tiny model has no tokenizer without ../shared"
)
def test_the_ai_search_says_best_match_in_french(indexed):  # noqa: F811 (the fixture)
    at = in_french()
    at.text_input(key="f_text").input("dress").run()
    assert not at.exception, at.exception
    sort = at.selectbox(key="f_sort")
    assert sort.value == "relevance" and sort.options[0] == "Meilleure correspondance"
    assert "Décrivez-le ou nommez-le" in at.text_input(key="f_text").proto.placeholder
    item = item_by_title(indexed, DRESS)
    open_item(at, item.id)
    assert "Articles similaires" in [s.value for s in at.subheader]


# --- the item page --------------------------------------------------------------------------


def test_an_item_page_in_french_then_bought_after_a_french_log_in(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, DRESS)
    at = open_item(in_french(), item.id)
    page = said(at)
    listed = spaced(format_day(item.created_at, "fr"))
    for fact in (
        "### **45,00 €**",
        "**Catégorie :** Robe",
        "**Couleur :** Rouge · **Motif :** Uni",
        "**Taille :** S",
        "**Marque :** Sézane",
        "**État :** Très bon état",
        "**Vendeur :** Camille",
        f"**Mis en vente :** {listed}",
        ":green-badge[:material/storefront: En vente]",
    ):
        assert fact in page, (fact, page)
    assert "Retour à la boutique" in [link.value for link in at.page_link]
    assert heart(at, "heart_item").label == "Ajouter aux favoris"
    assert heart(at, "heart_item").proto.help == "Connectez-vous pour l'ajouter à vos favoris"

    click(at, "Se connecter pour acheter")  # to the log-in form, in French, then back
    assert [t.value for t in at.title] == ["Bon retour parmi nous"]
    submit_login(at, "user2@gmail.com", "tototo")
    assert at.query_params.get("item") == str(item.id)
    at.switch_page(ITEM).run()  # AppTest stays on its last switch_page: the item's page
    click(at, "Ajouter au panier")
    assert "Ajouté à votre panier." in [s.value for s in at.success]
    assert not enabled(at, "Dans votre panier") and "Dans votre panier" in labels(at)
    assert "Aller au panier" in [link.value for link in at.page_link]

    heart(at, "heart_item").click().run()  # a favourite now
    assert heart(at, "heart_item").label == "Dans vos favoris"
    assert heart(at, "heart_item").proto.icon == HEART_ON
    assert heart(at, "heart_item").proto.help == "Retirer de vos favoris"
    assert "1 personne aime cet article" in said(at)


def test_a_missing_item_and_a_sold_one_in_french(app_env):
    at = open_item(in_french(), "999999")
    assert [t.value for t in at.title] == ["Article introuvable"]
    assert "Cet article n'existe pas (il a peut-être été supprimé)." in said(at)
    engine = app_db(app_env)
    item = item_by_title(engine, DRESS)
    mark_sold(engine, item.id)
    at = open_item(in_french(), item.id)
    assert "Cet article est vendu." in said(at)
    assert ":gray-badge[:material/sell: Vendu]" in said(at)


def test_the_seller_deletes_a_listing_from_its_page_in_french(app_env):
    item = item_by_title(app_db(app_env), DRESS)
    at = open_item(logged_in_in_french("user1@gmail.com"), item.id)
    assert {"Modifier", "Supprimer"} <= set(labels(at))
    click(at, "Supprimer")
    assert "sera retiré de la boutique. Cette action est irréversible." in said(at)
    assert "Annuler" in labels(at)
    click(at, "Supprimer", key="confirm_delete")
    assert [t.value for t in at.title] == ["Mes annonces"]
    assert "Votre annonce est supprimée." in [s.value for s in at.success]


# --- My listings and Favourites -------------------------------------------------------------


def test_my_listings_in_french(app_env):
    engine = app_db(app_env)
    seller = user_id(engine, "user1@gmail.com")
    with Session(engine) as s:
        mine = s.exec(select(Item).where(Item.seller_id == seller)).all()
    at = open_page(logged_in_in_french(), MY_LISTINGS)
    assert [t.value for t in at.title] == ["Mes annonces"]
    assert f"{len(mine)} en vente · 0 vendu" in said(at)
    day = spaced(format_day(mine[0].created_at, "fr"))
    assert f"mis en vente le {day}" in said(at)
    assert "Voir" in [link.value for link in at.page_link]
    assert {"Modifier", "Supprimer"} <= set(labels(at))
    mark_sold(engine, mine[0].id)
    mark_sold(engine, mine[1].id)
    at.run()
    assert f"{len(mine) - 2} en vente · 2 vendus" in said(at)
    assert said(at).count(":gray-badge[:material/sell: Vendu]") == 2


def test_my_listings_with_nothing_on_sale_in_french(app_env):
    register_fan(app_db(app_env))  # a new account: nothing listed
    at = open_page(logged_in_french_browser("fan@example.com", "long-enough"), MY_LISTINGS)
    assert [t.value for t in at.title] == ["Mes annonces"]
    assert "Vous n'avez encore rien en vente." in said(at)
    assert "Vendre un article" in [link.value for link in at.page_link]


def test_favourites_in_french(app_env):
    engine = app_db(app_env)
    at = open_page(logged_in_in_french("user2@gmail.com"), FAVOURITES)
    assert [t.value for t in at.title] == ["Favoris"]
    assert "Rien pour l'instant. Touchez le cœur d'un article" in said(at)
    assert "Aller à la boutique" in [link.value for link in at.page_link]
    like(engine, "user2@gmail.com", DRESS)
    at.run()
    assert "1 article" in [spaced(c.value) for c in at.caption]  # the singular, none sold
    like(engine, "user2@gmail.com", "Straw-colour fedora")
    mark_sold(engine, item_by_title(engine, DRESS).id)
    at.run()
    assert "2 articles · 1 vendu" in [spaced(c.value) for c in at.caption]
    assert said(at).count("Vendu") == 1  # the dress's badge
    dress = item_by_title(engine, DRESS)
    card = next(card for card in grid(at) if card["id"] == dress.id)
    assert card["sold"] and card["heart"] == {"on": True, "label": "Retirer de vos favoris"}


# --- the log-in form ------------------------------------------------------------------------


def test_the_log_in_forms_labels_in_french_and_a_log_in_through_them(app_env):
    at = open_page(in_french(), "app_pages/login.py")
    assert "Se connecter" in [s.value for s in at.subheader]  # the form's name
    assert [t.label for t in at.text_input] == ["E-mail", "Mot de passe"]
    assert "Se connecter" in labels(at)
    at.text_input[0].input("user1@gmail.com")
    at.text_input[1].input("tototo")
    click(at, "Se connecter")
    assert at.session_state["user_id"] == user_id(app_db(app_env), "user1@gmail.com")
    assert [t.value for t in at.title] == ["Vêtements de seconde main"]  # back to the shop


def test_the_log_in_forms_labels_stay_english_in_english(app_env):
    from tests.apptest import start_app

    at = open_page(start_app(), "app_pages/login.py")
    assert "Log in" in [s.value for s in at.subheader]
    assert [t.label for t in at.text_input] == ["E-mail", "Password"]


# --- the core's words -----------------------------------------------------------------------


def test_conditions_and_sorts_in_french_and_english():
    with use_language("fr"):
        assert [condition_label(c) for c in ("new_with_tags", "very_good", "good")] == [
            "Neuf avec étiquette",
            "Très bon état",
            "Bon état",
        ]
        assert condition_label("satisfactory") == "Satisfaisant"
        assert sort_label(Sort.RELEVANCE) == "Meilleure correspondance"
        assert sort_label("price_down") == "Prix décroissant"
        assert condition_label("worn_out") == "worn_out"  # an unknown code as it is
    assert condition_label("very_good") == "Very good" and sort_label("newest") == "Newest first"


def caption_of(total: int, number: int | None, pages: int | None, **prices) -> str:
    page = CataloguePage(cards=[], has_previous=False, has_next=False, total=total)
    return spaced(ShopPage(page, number, pages).caption(PriceRange(**prices)))


def test_the_results_caption_with_its_plurals():
    with use_language("fr"):
        assert caption_of(1, 1, 1) == "1 article · page 1 sur 1"
        assert caption_of(0, 1, 1) == "0 article · page 1 sur 1"  # French: 0 is singular
        assert caption_of(999, None, None) == "999 articles"
        assert caption_of(COUNT_CAP + 1, 2, None) == "Plus de 1 000 articles · page 2"
        swapped = caption_of(4, 1, 1, low_cents=5000, high_cents=10000, swapped=True)
        assert swapped == (
            "4 articles · page 1 sur 1 · prix min. et max. inversés : de 50,00 € à 100,00 €"
        )
    assert caption_of(1, 1, 1) == "1 item · page 1 of 1"
    assert caption_of(COUNT_CAP + 1, 3, None) == "1,000+ items · page 3"


def test_listing_errors_in_french():
    with use_language("fr"):
        with pytest.raises(InvalidListingError) as caught:
            check_listing(ListingDraft(), 0)
        errors = caught.value.errors
        assert errors["title"] == "Saisissez un titre."
        assert errors["brand"] == "Saisissez la marque (ou « Sans marque »)."
        assert errors["category"] == "Choisissez une catégorie."
        assert errors["condition"] == "Choisissez l'état."
        assert errors["price"] == "Saisissez un prix."
        assert errors["photos"] == "Ajoutez au moins une photo."
        assert str(caught.value) == "Certains champs demandent votre attention."
        draft = ListingDraft(title="x" * 81, category="dress", size="XXXL", brand="Zara",
                             condition="good", price="12,50", colour="plaid")  # fmt: skip
        for photos, message in (
            (6, "5 photos au maximum : retirez-en une."),
            (8, "5 photos au maximum : retirez-en 3."),
        ):
            with pytest.raises(InvalidListingError) as caught:
                check_listing(draft, photos)
            assert caught.value.errors["photos"] == message
        assert caught.value.errors["title"] == "Le titre peut comporter au plus 80 caractères."
        assert caught.value.errors["size"] == "Choisissez l'une des tailles de cette catégorie."
        assert caught.value.errors["colour"] == (
            "Choisissez l'une des couleurs proposées, ou aucune."
        )
    with pytest.raises(InvalidListingError) as caught:
        check_listing(ListingDraft(), 8)
    assert caught.value.errors["photos"] == "At most 5 photos: remove 3 of them."
    assert str(FieldErrors({})) == "Some fields need your attention."


def test_a_favourite_refused_in_french(engine, seller, buyer):
    (item_id,) = add_items(engine, seller, [{}])
    with Session(engine) as s, use_language("fr"):
        with pytest.raises(FavouriteError) as caught:
            add_favourite(s, seller, item_id)
        assert str(caught.value) == (
            "C'est votre propre article : il ne peut pas faire partie de vos favoris."
        )
        with pytest.raises(FavouriteError) as caught:
            add_favourite(s, buyer, 987654)
        assert str(caught.value) == "Cet article n'existe pas (il a peut-être été supprimé)."


def test_dates_and_moments_in_the_persons_language():
    from ui.widgets import day, moment

    when = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
    with use_language("fr"):
        assert day(when) == "21 nov. 2026"
        assert moment(when) == "21 nov. 2026, 14:05 UTC"  # no browser zone outside the app
    assert day(when) == "21 Nov 2026" and moment(when) == "21 Nov 2026, 14:05 UTC"
