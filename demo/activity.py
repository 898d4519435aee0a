"""The demo marketplace's life: three more members, a few months of sales with reviews,
conversations with an accepted offer, orders at every step, favourites and the AI's
suggestions, so that a visitor logged in as a demo account sees the whole loop (favourite,
ask, offer, buy, ship, receive, review) and the insights page has something to show.

Every step goes through the app's own functions (``core``), so the demo obeys the same
rules, notifications and counters as real use; each scene is then dated in the past
(``_Scene``): timestamps written during a scene are set to the scene's moment.

What the two demo accounts find (seeded once, with the listings):
- Camille (user1@gmail.com): a sale to Hugo to ship, one shipped, two completed with
  reviews; a purchase received, to review; Hugo's offer countered and accepted; a question
  from Léa unread; Hugo's favourites on her listings.
- Hugo (user2@gmail.com): Camille's dress at the accepted price in his cart for 48 hours; a
  purchase to wait for, one shipped (to confirm), one completed and reviewed; Yanis's
  offer on his jacket waiting for his answer.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from core.accounts.passwords import hash_password
from core.catalogue.categories import BY_CODE
from core.catalogue.favourites import add_favourite
from core.catalogue.selling import photo_row
from core.messaging.conversations import open_conversation
from core.messaging.messages import send_message
from core.models.accounts import User
from core.models.base import utcnow
from core.models.catalogue import Item, ItemStatus
from core.models.messaging import Notification
from core.moderation.reports import report_item, report_member
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import checkout, shipping_from_profile
from core.trade.offer_answers import accept, counter
from core.trade.offers import make_offer
from core.trade.reviews import leave_review
from core.trade.tracking import complete_order, confirm_received, mark_shipped
from demo.illustrations import demo_photo
from demo.listings import PRICE_HISTORY, SHOP_COLOURS

ACCEPTED_FOR = timedelta(hours=48)


@dataclass(frozen=True)
class Member:
    email: str
    display_name: str
    address: str
    postal_code: str
    city: str


MEMBERS = (
    Member("lea.demo@example.com", "Léa", "8 cours de l'Intendance", "33000", "Bordeaux"),
    Member("yanis.demo@example.com", "Yanis", "21 rue Esquermoise", "59000", "Lille"),
    Member("ines.demo@example.com", "Inès", "3 quai de la Fosse", "44000", "Nantes"),
)

# (seller, category, drawing colour, title, brand, size, condition, price in cents)
# sellers: 0 Camille, 1 Hugo, 2 Léa, 3 Yanis, 4 Inès
HISTORY = (
    (2, "sweater", "grey", "Grey merino crew-neck", "COS", "M", "very_good", 3200),
    (3, "shoes", "white", "White leather sneakers", "Veja", "42", "good", 5500),
    (4, "bag", "black", "Black crossbody bag", "Sandro", "One size", "very_good", 7800),
    (2, "skirt", "burgundy", "Burgundy corduroy mini skirt", "Mango", "S", "good", 1500),
    (3, "jacket", "denim", "Classic denim jacket", "Levi's", "L", "good", 3800),
    (4, "dress", "green", "Green floral summer dress", "Rouje", "S", "very_good", 6400),
    (2, "coat", "camel", "Camel wool coat", "Max Mara", "M", "very_good", 18000),
    (3, "t-shirt", "black", "Black band tee", "Vintage", "L", "satisfactory", 900),
    (4, "pants", "beige", "Beige linen trousers", "Arket", "M", "new_with_tags", 4200),
    (2, "shirt", "sky", "Sky-blue oxford shirt", "Uniqlo", "M", "good", 1400),
    (3, "hat", "navy", "Navy wool beanie", "Carhartt WIP", "One size", "very_good", 1200),
    (4, "shoes", "black", "Black ankle boots", "Minelli", "38", "good", 4900),
    (2, "shorts", "denim", "Denim shorts", "Levi's", "W28", "good", 1700),
    (3, "sweater", "mustard", "Mustard cable knit", "& Other Stories", "S", "very_good", 3500),
    (4, "jacket", "black", "Black biker jacket", "The Kooples", "S", "good", 15000),
    (2, "bag", "camel", "Tan suede shoulder bag", "Mango", "One size", "good", 2600),
    # the demo accounts' own past listings
    (0, "shirt", "white", "Striped Breton top", "Saint James", "S", "very_good", 3000),
    (0, "skirt", "navy", "Navy pleated midi skirt", "Sézane", "S", "very_good", 5200),
    (0, "sweater", "pink", "Pink mohair cardigan", "Sézane", "M", "good", 6900),
    (0, "shoes", "beige", "Beige ballet flats", "Repetto", "38", "good", 7500),
    (1, "pants", "olive", "Olive cargo trousers", "Carhartt WIP", "32", "good", 4500),
)

_DATED = {  # the timestamps a scene dates, by table
    "items": ("updated_at",),
    "cart_lines": ("added_at",),
    "favourites": ("created_at",),
    "conversations": ("created_at", "last_message_at"),
    "messages": ("created_at",),
    "offers": ("created_at", "answered_at"),
    "orders": ("created_at", "shipped_at", "received_at", "completed_at"),
    "notifications": ("created_at",),
    "reviews": ("created_at",),
    "reports": ("created_at",),
}


class _Scene:
    """Date what one scene writes: every timestamp set after the scene began is set to the
    scene's moment (scenes run oldest first), and an accepted offer expires 48 hours after
    the scene's moment."""

    def __init__(self, engine: Engine, moment: datetime):
        self.engine, self.moment = engine, moment

    def __enter__(self) -> _Scene:
        self.began = utcnow()
        return self

    def __exit__(self, kind, *_):
        if kind is not None:
            return
        tables = SQLModel.metadata.tables
        with self.engine.begin() as conn:
            for name, columns in _DATED.items():
                for column in (tables[name].c[c] for c in columns):
                    conn.execute(
                        update(tables[name])
                        .where(column >= self.began)
                        .values({column: self.moment})
                    )
            expires = tables["offers"].c.expires_at
            conn.execute(
                update(tables["offers"])
                .where(expires >= self.began + ACCEPTED_FOR - timedelta(minutes=5))
                .values({expires: self.moment + ACCEPTED_FOR})
            )


def _buy(engine: Engine, buyer: User, item_id: int) -> int:
    """``buyer`` buys ``item_id`` alone (at their accepted offer's price if any)."""
    with Session(engine) as s:
        add_to_cart(s, buyer.id, item_id)
        cart = get_cart(s, buyer.id)
        wanted = tuple(c for c in cart.confirmation if c.item_id == item_id)
        (order,) = checkout(s, buyer.id, shipping_from_profile(buyer), wanted)
        return order.id


def _ship(engine, seller: User, order_id: int, tracking: str = "") -> None:
    with Session(engine) as s:
        mark_shipped(s, seller.id, order_id, tracking)


def _receive(engine, buyer: User, order_id: int) -> None:
    with Session(engine) as s:
        confirm_received(s, buyer.id, order_id)


def _complete(engine, buyer: User, order_id: int, rating: int | None, comment: str = "") -> None:
    with Session(engine) as s:
        if rating is not None:
            leave_review(s, buyer.id, order_id, rating, comment)
        complete_order(s, buyer.id, order_id)


def _say(engine, sender: User, conversation_id: int, body: str) -> None:
    with Session(engine) as s:
        send_message(s, sender.id, conversation_id, body)


def _ask(engine, buyer: User, item_id: int, body: str) -> int:
    with Session(engine) as s:
        conversation_id = open_conversation(s, buyer.id, item_id)
        send_message(s, buyer.id, conversation_id, body)
        return conversation_id


def _suggest(engine: Engine, seed: int = 3) -> None:
    """Give every listing the AI's first suggestion as sellers met it: mostly right and
    sure; sometimes a neighbouring category, less sure, which the seller changed. Its
    colour and pattern picks likewise: mostly the seller's, sometimes a neighbouring colour
    the seller changed; a pick where the seller said nothing stays unsaid."""
    rng = random.Random(seed)
    mistaken = {"skirt": "dress", "coat": "jacket", "shorts": "pants", "sweater": "shirt"}
    near_colours = {"navy": "blue", "blue": "navy", "beige": "white", "brown": "beige",
                    "pink": "red", "red": "pink", "grey": "white", "green": "grey"}  # fmt: skip
    with Session(engine) as s:
        for item in s.exec(select(Item).order_by(Item.id)).all():
            if item.category in mistaken and rng.random() < 0.5:
                item.ai_category, item.ai_confidence = (
                    mistaken[item.category],
                    rng.uniform(0.3, 0.55),
                )
            else:
                item.ai_category, item.ai_confidence = item.category, rng.uniform(0.55, 0.98)
            colour = item.colour or rng.choice(list(near_colours))
            swap = item.colour in near_colours and rng.random() < 0.2
            item.ai_colour = near_colours[colour] if swap else colour
            item.ai_pattern = item.pattern if item.pattern not in (None, "printed") else "plain"
            s.add(item)
        s.commit()


def seed_activity(engine: Engine, accounts: list[User], now: datetime | None = None) -> list[int]:
    """Add the demo's life to a database holding the demo accounts and listings; returns
    the ids of the members it adds (the caller records them with the demo accounts')."""
    now = now or utcnow()
    rng = random.Random(11)
    with Session(engine, expire_on_commit=False) as s:
        members = [
            User(email=m.email, display_name=m.display_name,
                 password_hash=hash_password(secrets.token_urlsafe(24)),  # nobody logs in
                 address=m.address, postal_code=m.postal_code, city=m.city,
                 created_at=now - timedelta(days=120 - 10 * n))
            for n, m in enumerate(MEMBERS)
        ]  # fmt: skip
        s.add_all(members)
        s.commit()
        people = [*accounts, *members]
        camille, hugo, lea, yanis, ines = people
        history = []
        for n, (seller, category, colour, title, brand, size, condition, price) in enumerate(
            HISTORY
        ):
            assert category in BY_CODE, category
            listed = now - timedelta(days=84 - n * 3.5, hours=rng.randint(0, 20))
            item = Item(seller_id=people[seller].id, title=title, category=category, size=size,
                        brand=brand, condition=condition, price_cents=price,
                        description=f"{brand}, size {size}.", created_at=listed,
                        updated_at=listed)  # fmt: skip
            s.add(item)
            s.flush()
            s.add(photo_row(item.id, 0, demo_photo(category, colour)))
            history.append(item)
        s.commit()
        base = {
            item.title: item
            for item in s.exec(select(Item).where(Item.seller_id.in_([camille.id, hugo.id])))
        }

    def item_of(title: str) -> int:
        found = next((i for i in history if i.title == title), None) or base[title]
        return found.id

    # months of sales between members (for the charts and the sellers' ratings)
    buyers = [lea, yanis, ines, camille, hugo]
    comments = ["Parfait, envoi rapide.", "As described, thank you!", "Très bon contact.",
                "Lovely, fits well.", "", "Conforme à la description."]  # fmt: skip
    for n, item in enumerate(history[:16]):
        moment = item.created_at + timedelta(days=rng.uniform(1, 6))
        if moment > now - timedelta(days=3):
            moment = now - timedelta(days=3)
        buyer = next(b for b in buyers[n % 5 :] + buyers if b.id != item.seller_id)
        if buyer is camille or buyer is hugo:
            buyer = lea if item.seller_id != lea.id else yanis
        seller = next(p for p in people if p.id == item.seller_id)
        with _Scene(engine, moment):
            order = _buy(engine, buyer, item.id)
        with _Scene(engine, moment + timedelta(days=1)):
            _ship(engine, seller, order, f"Colissimo 6A{rng.randint(10**10, 10**11 - 1)}")
        with _Scene(engine, moment + timedelta(days=3)):
            _receive(engine, buyer, order)
            _complete(engine, buyer, order, rng.choice([5, 5, 4, 4, 3]), rng.choice(comments))

    # the members' sales that the price suggestion rests on (no review: lighter to seed)
    members_only = [lea, yanis, ines]
    for n, (seller_n, category, colour, title, brand, size, condition, price) in enumerate(
        PRICE_HISTORY
    ):
        seller, buyer = people[seller_n], members_only[(seller_n - 1) % 3]
        listed = now - timedelta(days=82 - n * 4.5, hours=rng.randint(0, 20))
        with Session(engine) as s:
            item = Item(seller_id=seller.id, title=title, category=category, size=size,
                        brand=brand, condition=condition, price_cents=price,
                        colour=SHOP_COLOURS[colour], pattern="plain",
                        description=f"{brand}, size {size}.", created_at=listed,
                        updated_at=listed)  # fmt: skip
            s.add(item)
            s.flush()
            s.add(photo_row(item.id, 0, demo_photo(category, colour)))
            s.commit()
            item_id = item.id
        moment = min(listed + timedelta(days=rng.uniform(2, 8)), now - timedelta(days=3))
        with _Scene(engine, moment):
            order = _buy(engine, buyer, item_id)
        with _Scene(engine, moment + timedelta(days=2)):
            _ship(engine, seller, order)
            _receive(engine, buyer, order)
            _complete(engine, buyer, order, None)

    # Camille's sales: two completed, one shipped, one to ship
    for title, buyer, days, rating, comment in (
        ("Navy pleated midi skirt", ines, 40, 5, "Parfaite, merci Camille !"),
        ("Pink mohair cardigan", lea, 25, 4, "Very soft, a little pilling as said."),
    ):
        with _Scene(engine, now - timedelta(days=days)):
            order = _buy(engine, buyer, item_of(title))
        with _Scene(engine, now - timedelta(days=days - 1)):
            _ship(engine, camille, order, "Mondial Relay 91827364")
        with _Scene(engine, now - timedelta(days=days - 3)):
            _receive(engine, buyer, order)
            _complete(engine, buyer, order, rating, comment)
    with _Scene(engine, now - timedelta(days=4)):
        shipped = _buy(engine, yanis, item_of("Beige ballet flats"))
    with _Scene(engine, now - timedelta(days=3)):
        _ship(engine, camille, shipped, "Colissimo 6A19283746501")

    # Hugo asks about Camille's dress, offers, she counters, he accepts: his price for 48 h
    with _Scene(engine, now - timedelta(hours=26)):
        dress = item_of("Red wrap midi dress")
        talk = _ask(engine, hugo, dress, "Hello! Is the dress still available? I'd wear it to "
                    "a wedding in June.")  # fmt: skip
    with _Scene(engine, now - timedelta(hours=25)):
        _say(engine, camille, talk, "Yes it is! Worn twice, no marks at all.")
    with _Scene(engine, now - timedelta(hours=24)), Session(engine) as s:
        offer = make_offer(s, hugo.id, talk, 3500)
    with _Scene(engine, now - timedelta(hours=23)), Session(engine) as s:
        countered = counter(s, camille.id, offer, 4000)
    with _Scene(engine, now - timedelta(hours=3)):
        with Session(engine) as s:
            accept(s, hugo.id, countered)
            add_to_cart(s, hugo.id, dress)
        _say(engine, hugo, talk, "Deal, thank you! I'll buy it tonight.")

    # Hugo's purchases: one from Camille to be shipped, one shipped by Inès, one done
    with _Scene(engine, now - timedelta(days=1)):
        _buy(engine, hugo, item_of("Striped Breton top"))
    with _Scene(engine, now - timedelta(days=6)):
        boots = _buy_new(engine, ines, hugo, "shoes", "camel", "Tan chelsea boots", "Clarks",
                         "43", "good", 5200, now - timedelta(days=20))  # fmt: skip
    with _Scene(engine, now - timedelta(days=2)):
        _ship(engine, ines, boots, "Chronopost XY123456789FR")
    with _Scene(engine, now - timedelta(days=20)):
        cap = _buy_new(engine, yanis, hugo, "hat", "black", "Black wool cap", "Carhartt WIP",
                       "One size", "very_good", 1800, now - timedelta(days=33))  # fmt: skip
    with _Scene(engine, now - timedelta(days=19)):
        _ship(engine, yanis, cap, "Colissimo 6A77788899900")
    with _Scene(engine, now - timedelta(days=17)):
        _receive(engine, hugo, cap)
        _complete(engine, hugo, cap, 5, "Exactly as in the photos, thanks Yanis!")
    with _Scene(engine, now - timedelta(days=30)):
        cargo = _buy(engine, lea, item_of("Olive cargo trousers"))
    with _Scene(engine, now - timedelta(days=29)):
        _ship(engine, hugo, cargo, "Colissimo 6A55566677788")
    with _Scene(engine, now - timedelta(days=26)):
        _receive(engine, lea, cargo)
        _complete(engine, lea, cargo, 4, "Good trousers, quick shipping.")

    # Camille bought from Léa: received yesterday, hers to review
    with _Scene(engine, now - timedelta(days=6)):
        scarf = _buy_new(engine, lea, camille, "bag", "red", "Red leather clutch", "Longchamp",
                         "One size", "very_good", 4800, now - timedelta(days=15))  # fmt: skip
    with _Scene(engine, now - timedelta(days=5)):
        _ship(engine, lea, scarf, "Mondial Relay 55512345")
    with _Scene(engine, now - timedelta(hours=20)):  # completes by itself 2 days after
        _receive(engine, camille, scarf)

    # Yanis offers for Hugo's jacket: waiting for Hugo's answer
    with _Scene(engine, now - timedelta(hours=5)):
        jacket = next(
            t for t, i in base.items() if i.seller_id == hugo.id and i.category == "jacket"
        )
        talk = _ask(engine, yanis, item_of(jacket), "Hi Hugo, would you take a bit less?")
        with Session(engine) as s:
            price = s.get(Item, item_of(jacket)).price_cents
            make_offer(s, yanis.id, talk, max(100, price * 8 // 10 // 100 * 100))
    # Léa's question to Camille, unread
    with _Scene(engine, now - timedelta(minutes=40)):
        tee = next(
            t for t, i in base.items() if i.seller_id == camille.id and i.category == "t-shirt"
        )
        _ask(engine, lea, item_of(tee), "Bonjour ! Is it see-through at all? Merci.")

    # favourites: Hugo likes three of Camille's listings, Camille two of Hugo's, members some
    with _Scene(engine, now - timedelta(days=2)), Session(engine) as s:
        on_sale = s.exec(
            select(Item.id, Item.seller_id)
            .where(Item.status == ItemStatus.AVAILABLE.value)
            .order_by(Item.id)
        ).all()
        for item_id, seller_id in on_sale:
            fans = [p for p in people if p.id != seller_id]
            for fan in rng.sample(fans, rng.randint(0, 2)):
                add_favourite(s, fan.id, item_id)
        for item_id, seller_id in on_sale:
            if seller_id == camille.id and rng.random() < 0.3:
                add_favourite(s, hugo.id, item_id)
    _report(engine, now, lea, ines, yanis, camille)
    _suggest(engine)
    with engine.begin() as conn:  # what is older than three days was seen then
        seen = now - timedelta(days=3)
        conn.execute(
            update(Notification)
            .where(Notification.created_at < seen, Notification.read_at.is_(None))
            .values(read_at=seen)
        )
    return [m.id for m in members]


def _report(engine, now, lea: User, ines: User, yanis: User, camille: User) -> None:
    """Two open reports, so that the demo's admin page (Hugo) has a queue: Léa reports one of
    Camille's listings, Inès reports Yanis."""
    with Session(engine) as s:
        item_id = s.exec(
            select(Item.id)
            .where(Item.seller_id == camille.id, Item.status == ItemStatus.AVAILABLE.value)
            .order_by(Item.id.desc())
        ).first()
    with _Scene(engine, now - timedelta(hours=5)), Session(engine) as s:
        if item_id is not None:
            report_item(s, lea.id, item_id, "counterfeit", "The logo looks printed on, not sewn.")
    with _Scene(engine, now - timedelta(hours=2)), Session(engine) as s:
        report_member(s, ines.id, yanis.id, "spam", "Sent me the same message five times.")


def _buy_new(engine, seller: User, buyer: User, category, colour, title, brand, size,
             condition, price, listed) -> int:  # fmt: skip
    """A listing of ``seller`` made at ``listed``, bought by ``buyer`` now (the scene's)."""
    with Session(engine) as s:
        item = Item(seller_id=seller.id, title=title, category=category, size=size, brand=brand,
                    condition=condition, price_cents=price, description=f"{brand}, size {size}.",
                    created_at=listed, updated_at=listed)  # fmt: skip
        s.add(item)
        s.flush()
        s.add(photo_row(item.id, 0, demo_photo(category, colour)))
        s.commit()
        item_id = item.id
    return _buy(engine, buyer, item_id)
