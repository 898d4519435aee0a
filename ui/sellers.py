"""Ratings and the way to a seller's page, shared by the item page, the orders and the
seller's own page."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from core.i18n import FORMAT_LOCALES, _, current_language, format_number, ngettext
from core.trade.reviews import STARS, Rating
from ui import pages
from ui.widgets import plain


def stars(rating: int) -> str:
    """A rating as stars: 4 -> ★★★★☆."""
    return "★" * rating + "☆" * (STARS - rating)


def rating_text(rating: Rating) -> str:
    """'★ 4.7 (12 reviews)' ('★ 4,7 (12 avis)' in French), or 'No reviews yet'."""
    if rating.average is None:
        return _("No reviews yet")
    return ngettext("★ {rating} ({n} review)", "★ {rating} ({n} reviews)", rating.count).format(
        rating=format_number(rating.average, digits=1), n=format_number(rating.count)
    )


def member_since(moment: datetime) -> str:
    """'Member since November 2026' ('Membre depuis novembre 2026')."""
    month = format_date(moment.date(), format="LLLL y", locale=FORMAT_LOCALES[current_language()])
    return _("Member since {month}").format(month=month)


def seller_link(seller_id: int, name: str, rating: Rating) -> None:
    """A link to the seller's page: "Sam's page · ★ 4.7 (12 reviews)"."""
    pages.SELLER.link(
        _("{name}'s page · {rating}").format(name=plain(name), rating=rating_text(rating)),
        query={"id": str(seller_id)},
        icon=":material/storefront:",
    )
