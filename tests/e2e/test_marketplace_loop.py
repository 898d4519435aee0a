"""The marketplace's loop between two people, in Chromium: user2 favourites an item of
user1, asks about it (a pasted message over the limit is refused and kept in the box) and
offers a price; user1 counters (under the offer: refused, with a sentence); user2 accepts
and buys at that price; user1, told of the sale, ships from the notification (her sales
open, the bell at zero); user2 confirms and reviews; the review is on user1's seller page,
with her sales by month, and the parka's page shows its price history with the accepted
offer. A screenshot at each step (test-artifacts/e2e)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import CARD

TITLE = "Green hooded parka"  # Camille's, 75.00
OFFER, COUNTER = "60", "68,00"
REVIEW = "Warm, and exactly as described."


def _open_the_item(someone) -> None:
    someone.visit("/")
    someone.page.get_by_label("Search").fill("hooded parka")
    someone.page.get_by_label("Search").press("Enter")
    someone.settle()
    someone.page.locator(CARD).filter(has_text=TITLE).first.locator("a.open").click()
    someone.settle()
    someone.page.get_by_role("heading", name=TITLE).wait_for()


def _order(someone):
    return someone.page.locator('[class*="st-key-order_"]').filter(has_text=TITLE).first


def test_favourite_ask_offer_counter_buy_ship_receive_review(person, logged_in):
    hugo = person("user2", state=logged_in("user2@gmail.com", "tototo"))
    camille = person("user1", state=logged_in("user1@gmail.com", "tototo"))

    # Hugo favourites Camille's parka
    _open_the_item(hugo)
    parka = hugo.page.url
    assert hugo.page.get_by_role("heading", name="Price history").count() == 0  # none yet
    hugo.page.get_by_role("button", name="Add to favourites").click()
    hugo.settle()
    hugo.page.get_by_role("button", name="In your favourites").wait_for()
    hugo.shot("favourited")
    hugo.visit("/favourites")
    hugo.page.get_by_text(TITLE).first.wait_for()
    hugo.shot("favourites page")

    # the parka's card in the shop has its heart filled; a press (the keyboard's) takes it
    # out of his favourites in place, the focus staying on the heart; a click puts it back
    hugo.visit("/?q=hooded+parka")
    heart = hugo.page.locator(CARD).filter(has_text=TITLE).first.locator("button.heart")
    expect(heart).to_have_attribute("aria-label", "Remove from your favourites")
    heart.focus()
    hugo.page.keyboard.press("Enter")
    hugo.settle()
    expect(heart).to_have_attribute("aria-label", "Add to your favourites")
    assert heart.evaluate("button => button.getRootNode().activeElement === button")
    heart.click()
    hugo.settle()
    expect(heart).to_have_attribute("aria-label", "Remove from your favourites")

    # he asks about it, then offers 60
    _open_the_item(hugo)
    hugo.page.get_by_role("button", name="Message the seller").click()
    hugo.settle()
    box = hugo.page.get_by_placeholder("Write to Camille")
    pasted = "Is the parka warm enough? " * 40  # 1040 characters, over the 1000 a message takes
    box.fill(pasted)
    box.press("Enter")
    hugo.settle()
    hugo.page.get_by_text("A message can be at most 1000 characters").wait_for()
    assert box.input_value() == pasted  # back in the box to be shortened, not lost
    box.fill("Hello! Is the parka warm enough for Lyon's winter?")
    box.press("Enter")
    hugo.settle()
    hugo.page.get_by_text("warm enough for Lyon").wait_for()
    hugo.page.get_by_label("Your price (EUR)").fill(OFFER)
    hugo.page.get_by_role("button", name="Send the offer").click()
    hugo.settle()
    hugo.page.get_by_text("Your offer was sent.").wait_for()
    conversation = hugo.page.url
    assert re.search(r"/inbox\?c=\d+$", conversation), conversation
    hugo.shot("message and offer")

    # Camille sees it in her inbox and counters at 68
    camille.visit("/inbox")
    camille.page.get_by_text(TITLE).first.wait_for()
    camille.shot("inbox")
    camille.page.goto(conversation)
    camille.settle()
    camille.page.get_by_text("warm enough for Lyon").wait_for()
    camille.page.get_by_label("Your price (EUR)").fill("55")  # under Hugo's own 60
    camille.page.get_by_role("button", name="Send the counter-offer").click()
    camille.settle()
    camille.page.get_by_text("must be above the buyer's offer of €60.00").wait_for()
    camille.page.get_by_label("Your price (EUR)").fill(COUNTER)
    camille.page.get_by_role("button", name="Send the counter-offer").click()
    camille.settle()
    camille.page.get_by_text("Your counter-offer was sent.").wait_for()
    camille.shot("counter-offer")

    # Hugo accepts and buys at 68
    hugo.page.goto(conversation)
    hugo.settle()
    hugo.page.get_by_role("button", name="Accept").click()
    hugo.settle()
    hugo.page.get_by_role("button", name="Buy at this price").wait_for()
    hugo.shot("accepted")
    hugo.page.get_by_role("button", name="Buy at this price").click()
    hugo.settle()
    hugo.page.get_by_text("My cart").wait_for()
    while True:  # other journeys share the server: keep only the parka in the cart
        rows = hugo.page.locator(  # a cart line: its photo, text and buttons in a row
            '[data-testid="stMain"] [data-testid="stHorizontalBlock"]:has([data-testid="stImage"])'
        )
        others = rows.filter(has_not_text=TITLE)
        if not others.count():
            break
        others.first.get_by_role("button", name="Remove").click()
        hugo.settle()
    assert "€75.00" in hugo.text() and "€68.00" in hugo.text()  # struck and offered
    hugo.shot("cart at the offer price")
    hugo.page.get_by_role("button", name="Buy for €68.00").click()
    hugo.settle()
    hugo.page.get_by_role("button", name="Confirm the purchase").click()
    hugo.settle()
    hugo.page.get_by_text("My purchases").wait_for(timeout=20_000)
    assert "€68.00" in _order(hugo).inner_text()
    hugo.shot("bought at the offer price")

    # Camille, told of the sale, ships it: the notification opens her sales (she has
    # purchases too), and the bell says nothing new on the page that shows them
    camille.visit("/notifications")
    assert "Notifications (" not in camille.page.locator(".st-key-badges").inner_text()
    camille.page.get_by_role("link", name="See the order").first.click()
    camille.settle()
    sales_tab = camille.page.get_by_role("tab", name=re.compile("My sales"))
    assert sales_tab.get_attribute("aria-selected") == "true"
    sale = _order(camille)
    sale.get_by_label("Carrier and tracking number (optional)").fill("Colissimo 6A12345678901")
    sale.get_by_role("button", name="Mark as shipped").click()
    camille.settle()
    camille.page.get_by_role("tab", name=re.compile("My sales")).click()
    _order(camille).get_by_text("Colissimo 6A12345678901").wait_for()
    camille.shot("shipped")

    # Hugo confirms and reviews
    hugo.visit("/orders")
    _order(hugo).get_by_text("Colissimo 6A12345678901").wait_for()
    _order(hugo).get_by_role("button", name="I received it").click()
    hugo.settle()
    review = _order(hugo)
    review.get_by_role("radio", name="5 out of 5 stars").click()
    review.get_by_label("Comment (optional)").fill(REVIEW)
    review.get_by_role("button", name="Send the review").click()
    hugo.settle()
    hugo.page.get_by_text("Thank you for your review.").wait_for()
    hugo.shot("reviewed")

    # the review is on Camille's seller page
    _order(hugo).get_by_role("link", name="Sold by Camille").click()
    hugo.settle()
    hugo.page.get_by_text(REVIEW).wait_for()
    assert "★" in hugo.text()
    # her sales by month: this month's bar (Vega names each bar from its tooltip; other
    # journeys on the same server may sell her items too)
    hugo.page.get_by_role("heading", name="Sales by month").wait_for()
    bars = hugo.page.get_by_test_id("stVegaLiteChart").first.locator("g.mark-rect path")
    bars.first.wait_for(state="attached")  # a month without a sale: a bar 0 px high
    labels = bars.evaluate_all("bars => bars.map(b => b.getAttribute('aria-label'))")
    sold = [int(m.group(1)) for label in labels if (m := re.search(r"Items sold: (\d+)", label))]
    assert sum(sold) >= 1, labels
    hugo.shot("seller page with the review")

    # the parka's price history: asked 75.00, an offer accepted at 68.00
    hugo.page.goto(parka)
    hugo.settle()
    hugo.page.get_by_role("heading", name="Price history").wait_for()
    chart = hugo.page.get_by_test_id("stVegaLiteChart").first
    mark = 'path[aria-label*="Price (€): {price};"][aria-label$="What: {what}"]'
    chart.locator(mark.format(price=68, what="Offer accepted")).wait_for()
    assert chart.locator(mark.format(price=75, what="Asking price")).count() >= 2  # then, now
    hugo.shot("the price history")
    camille.visit("/notifications")
    camille.page.get_by_text("reviewed you").first.wait_for()
    camille.shot("notified of the review")
