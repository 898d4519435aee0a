"""A French browser's journey in Chromium: the app speaks French from the first page
(navigator.language is fr-FR), prices and dates are French, a new account is made and buys
through French forms, the photo uploader and the charts speak French too, and the EN | FR
switch changes the language on the spot. Every page it sees passes axe-core at 1280 px."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.e2e.conftest import CARD, DESKTOP, Person, assert_accessible, chart_problems
from tests.shop_helpers import jpeg
from ui.i18n import LANGUAGE_COOKIE, SWITCH_KEY

TITLE = "Mustard merino crewneck"  # Camille's, 32.00
PRICE = re.compile(r"32,00\s€")  # Babel's French: a no-break space before the euro sign
DAY_MONTH = re.compile(r"\d\d \S+$")  # "08 nov." or "08 Nov"
FRENCH_DAY = re.compile(  # "08 nov.", a chart's week
    r"\d\d (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.)"
)


# What Streamlit (1.67) writes itself in English, in text people see or attributes screen
# readers read (ui/widget_words.py); found by what they hold, on the page as drawn.
STREAMLIT_ENGLISH = re.compile(
    r"^(Skip to main content|Sidebar|Collapse sidebar|Expand sidebar|Show password|"
    r"Hide password|Choose date|Show data|Download as PNG|Copy Vega-Lite spec|Fullscreen|"
    r"Add files|file upload|Open|Choose an option|Snapshot|visualization|dd|yyyy|"
    r"Press Enter to submit form|Press Enter to apply|Take Photo|Clear photo|"
    r"Help for .*|Fullscreen: .*|Remove .*|(month|day|year), .*|.*, [0-9.]+KB)$"
)
SPOKEN = """() => {
  const out = [];
  for (const node of document.body.querySelectorAll('*')) {
    if (node.closest('[aria-hidden=true]')) continue;
    for (const name of ['aria-label', 'aria-roledescription', 'placeholder', 'alt', 'title']) {
      const value = node.getAttribute(name);
      if (value) out.push(value.trim());
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const shown = text.parentElement;
    if (shown && !shown.closest('[aria-hidden=true], script, style')
        && shown.checkVisibility()) out.push(text.data.trim());
  }
  return out;
}"""


def streamlit_english(someone: Person) -> list[str]:
    return sorted({w for w in someone.page.evaluate(SPOKEN) if STREAMLIT_ENGLISH.match(w)})


@pytest.fixture
def french(browser, app_url, request):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    someone = Person(context, app_url, f"{request.node.name}-fr")
    yield someone
    if getattr(request.node, "failed_call", False):
        someone.shot("failure")
    context.close()


def test_a_french_browser_shops_registers_and_buys_in_french(french):
    french.goto("/")
    nav = french.page.get_by_test_id("stTopNav")
    nav.get_by_role("link", name="Boutique").wait_for()
    assert nav.get_by_role("link", name="Se connecter").count() == 1
    french.page.get_by_role("heading", name="Vêtements de seconde main").wait_for()
    french.shot("the shop in French")
    assert_accessible(french, "the shop in French")
    assert streamlit_english(french) == []
    french.visit("/login")
    french.page.get_by_role("button", name="Se connecter", exact=True).wait_for()
    assert_accessible(french, "the log-in page in French")
    # Streamlit's own words in French: its skip link, a help's name, the password's eye
    assert streamlit_english(french) == []
    french.page.get_by_role("button", name="Afficher le mot de passe").first.wait_for()

    # a new account, through the French form
    french.visit("/register")
    french.page.get_by_role("heading", name="Créer un compte").wait_for()
    french.page.get_by_role("textbox", name="E-mail").fill(f"lou-{uuid.uuid4().hex[:8]}@ex.fr")
    french.page.get_by_role("textbox", name="Nom affiché").fill("Lou")
    french.page.get_by_role("textbox", name="Mot de passe", exact=True).fill("assez-long")
    french.page.get_by_label("Répétez le mot de passe").fill("pas-pareil")
    french.page.get_by_role("button", name="Créer mon compte").click()
    french.settle()
    assert "Les mots de passe" in french.text() or "mot de passe" in french.text().lower()
    french.shot("a French refusal")
    french.page.get_by_label("Répétez le mot de passe").fill("assez-long")
    french.page.get_by_role("button", name="Créer mon compte").click()
    french.settle()
    french.page.get_by_role("link", name="Profil").first.wait_for(timeout=20_000)
    deadline = time.monotonic() + 20  # the re-login cookie comes a moment later
    while not any(c["name"] == "marketplace_auth" for c in french.context.cookies()):
        assert time.monotonic() < deadline, "registered, but the browser never got the cookie"
        time.sleep(0.2)

    # find the crewneck, open it: its facts and price in French
    french.visit("/")
    french.page.get_by_label("Rechercher").fill("merino")
    french.page.get_by_label("Rechercher").press("Enter")
    french.settle()
    card = french.page.locator(CARD).filter(has_text=TITLE).first
    assert PRICE.search(card.inner_text())
    card.locator("a.open").click()
    french.settle()
    french.page.get_by_role("heading", name=TITLE).wait_for()
    facts = french.text()
    assert "Taille" in facts and "État" in facts and PRICE.search(facts)
    french.shot("the item in French")
    assert_accessible(french, "the item in French")
    french.page.get_by_role("button", name="Ajouter au panier").click()
    french.settle()
    french.page.get_by_role("link", name="Aller au panier").first.click()
    french.settle()

    # the cart and the checkout in French
    french.page.get_by_role("heading", name="Mon panier").wait_for()
    french.page.get_by_role("textbox", name="Adresse").fill("5 rue Sainte-Catherine")
    french.page.get_by_role("textbox", name="Code postal").fill("33000")
    french.page.get_by_role("textbox", name="Ville").fill("Bordeaux")
    french.shot("the cart in French")
    assert_accessible(french, "the cart in French")
    french.page.get_by_role("button", name=re.compile(r"Acheter pour 32,00\s€")).click()
    french.settle()
    french.page.get_by_text("Confirmez votre commande").wait_for()
    french.shot("the confirmation in French")
    french.page.get_by_role("button", name="Confirmer l'achat").click()
    french.settle()
    french.page.get_by_role("heading", name="Mes commandes").wait_for(timeout=20_000)
    assert "Merci ! Votre commande" in french.text()
    assert re.search(r"\d{1,2} [a-zéû]+\.? 20\d\d", french.text()), "a French date"
    french.shot("the order in French")
    assert_accessible(french, "the orders in French")

    # the photo uploader: its button and a file's size in French, not Streamlit's English
    french.visit("/sell")
    uploader = french.page.get_by_test_id("stFileUploader").first
    button = uploader.locator('[data-testid="stFileUploaderDropzone"] button[kind="secondary"]')
    button.and_(french.page.locator('[aria-label="Choisir des photos"]')).wait_for()
    drawn = button.evaluate(
        "b => getComputedStyle(b.querySelector('[data-testid=stMarkdownContainer]'), '::after')"
        ".content"
    )
    assert drawn == '"Choisir des photos"'
    assert "Upload" not in uploader.inner_text() and "per file" not in uploader.inner_text()
    assert_accessible(french, "the sell page in French")
    uploader.locator("input[type=file]").set_input_files(
        {"name": "pull.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    # the run that took the photo has drawn its preview (a CI run once read the uploader
    # before it, and found two chips, both still unstyled)
    french.page.get_by_role("img", name="Votre photo 1 sur 1").wait_for()
    french.settle()
    size = french.page.get_by_test_id("stFileChip").locator('[data-testid="stFileChipName"] + div')
    size.wait_for()
    assert size.evaluate("e => getComputedStyle(e).fontSize") == "0px"  # "2.1KB" hidden
    shown = size.evaluate("e => getComputedStyle(e, '::after').content")
    assert re.fullmatch(r'"\d+,\d\s?ko"', shown), shown
    # what screen readers read: Streamlit's own labels are "file upload", "pull.jpg, 2.1KB",
    # "Remove pull.jpg" and "Add files" (ui/widget_words.py)
    chip = french.page.get_by_test_id("stFileChip")
    french.page.wait_for_function(
        "() => document.querySelector('[data-testid=stFileChip]')"
        ".getAttribute('aria-label').endsWith('ko')"
    )
    assert re.fullmatch(r"pull\.jpg, \d+(,\d)?\s?ko", chip.get_attribute("aria-label"))
    assert uploader.get_by_role("button", name="Retirer pull.jpg").count() == 1
    assert uploader.get_by_role("button", name="Ajouter des photos").count() == 1
    assert uploader.locator("input[type=file]").get_attribute("aria-label") == "Choisir des photos"
    french.shot("a photo in the French uploader")
    assert_accessible(french, "the sell page with a photo, in French")
    # the camera: Streamlit writes "Take Photo" and asks for the camera in English
    french.page.get_by_text("Prendre des photos avec l'appareil photo").click()
    camera = french.page.get_by_test_id("stCameraInput")
    camera.get_by_role("button", name="Prendre la photo").wait_for()
    said = camera.inner_text()
    assert not re.search(r"Take Photo|Clear photo|your camera|allow access", said), said
    assert streamlit_english(french) == []

    # the profile's birthday ("jj/mm/aaaa", "mois, Date de naissance") and a form's hint
    french.visit("/profile")
    french.page.get_by_role("textbox", name="Ville").click()
    french.page.keyboard.type("Bordeaux")
    french.page.get_by_text("Appuyez sur Entrée pour envoyer le formulaire").wait_for()
    assert streamlit_english(french) == []

    french.visit("/inbox")
    assert_accessible(french, "the inbox in French")

    # the charts' dates in French ("08 nov.", not "08 Nov"), drawn whole at 1280 px
    french.visit("/insights")
    labels = '[data-testid="stVegaLiteChart"] g.role-axis g.role-axis-label text'
    french.page.locator(labels).first.wait_for()
    # a week's day and month, in either language ("08 nov." / "08 Nov"): all in French
    days = [t for t in french.page.locator(labels).all_text_contents() if DAY_MONTH.match(t)]
    assert days and all(FRENCH_DAY.fullmatch(day) for day in days), days
    assert chart_problems(french) == []
    # read out in French: each chart by its description, none of Vega's English labels
    # ("X-axis titled ... for a time scale", "bar mark container", "legend", "visualization")
    charts = french.page.locator('[data-testid="stVegaLiteChart"][role="graphics-document"]')
    french.page.wait_for_function(
        "() => { const charts = [...document.querySelectorAll("
        "'[data-testid=stVegaLiteChart][role=graphics-document]')]; return charts.length > 0 "
        "&& charts.every(c => c.getAttribute('aria-roledescription') === 'graphique'); }"
    )
    assert charts.first.get_attribute("aria-label").startswith("Graphique en barres : ")
    french.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] > svg')]"
        ".every(svg => svg.getAttribute('aria-hidden') === 'true')"
    )
    spoken = french.page.evaluate(  # what is not hidden from screen readers
        "() => [...document.querySelectorAll("
        "'[data-testid=stVegaLiteChart], [data-testid=stVegaLiteChart] *')]"
        ".filter(e => !e.closest('[aria-hidden=true]')).flatMap(e => "
        "[e.getAttribute('aria-label'), e.getAttribute('aria-roledescription')]).filter(Boolean)"
    )
    assert not [w for w in spoken if re.search(r"axis|scale|mark|legend|visuali", w)], spoken
    charts.first.hover()  # its toolbar: "Afficher les données", "Plein écran"...
    french.page.get_by_role("button", name="Plein écran").first.wait_for()
    assert streamlit_english(french) == []
    assert_accessible(french, "the insights in French")
    french.shot("the insights in French")

    # the switch: English at once, on the same page
    french.visit("/orders")
    switch = french.page.locator(f".st-key-{SWITCH_KEY}")
    switch.locator("button").filter(has_text=re.compile(r"^EN$")).click()
    french.settle()
    french.page.get_by_role("heading", name="My orders").wait_for()
    assert "€32.00" in french.text()
    # Streamlit's own words back in its English, those set in French included
    french.page.wait_for_function(
        "() => document.querySelector('[data-testid=stSkipToContent]').textContent.trim() "
        "=== 'Skip to main content'"
    )
    spoken = french.page.evaluate(SPOKEN)
    assert not [w for w in spoken if re.match(r"Aide : |Fermer le menu|Menu latéral", w)]
    french.shot("switched to English")


def test_a_visitors_language_survives_a_reload_before_any_log_in(person):
    """An English browser, logged out, switches to French: a reload and another page stay
    French (the browser keeps the choice), and switching back to English sticks the same."""
    visitor = person("switcher")
    visitor.goto("/")
    visitor.page.get_by_role("heading", name="Second-hand clothes").wait_for()
    switch = visitor.page.locator(f".st-key-{SWITCH_KEY}")
    switch.locator("button").filter(has_text=re.compile(r"^FR$")).click()
    visitor.settle()
    visitor.page.get_by_role("heading", name="Vêtements de seconde main").wait_for()
    deadline = time.monotonic() + 10  # the cookie is written by the page a moment later
    while not any(c["name"] == LANGUAGE_COOKIE for c in visitor.context.cookies()):
        assert time.monotonic() < deadline, "the browser never kept the language"
        time.sleep(0.2)
    visitor.goto("/")  # a reload: a new session
    visitor.page.get_by_role("heading", name="Vêtements de seconde main").wait_for()
    visitor.goto("/login")
    visitor.page.get_by_role("heading", name="Bon retour parmi nous").wait_for()
    switch.locator("button").filter(has_text=re.compile(r"^EN$")).click()
    visitor.settle()
    visitor.page.get_by_role("heading", name="Welcome back").wait_for()
    time.sleep(1)  # the new choice written
    visitor.goto("/login")
    visitor.page.get_by_role("heading", name="Welcome back").wait_for()
