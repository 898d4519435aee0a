"""Ratings and the way to a seller's page, shared by the item page, the orders and the
seller's own page."""

from __future__ import annotations

from core.reviews import STARS, Rating
from ui import pages
from ui.widgets import plain


def stars(rating: int) -> str:
    """A rating as stars: 4 -> ★★★★☆."""
    return "★" * rating + "☆" * (STARS - rating)


def rating_text(rating: Rating) -> str:
    """'★ 4.7 (12 reviews)', or 'No reviews yet'."""
    if rating.average is None:
        return "No reviews yet"
    reviews = "review" if rating.count == 1 else "reviews"
    return f"★ {rating.average:.1f} ({rating.count} {reviews})"


def seller_link(seller_id: int, name: str, rating: Rating) -> None:
    """A link to the seller's page: "Sam's page · ★ 4.7 (12 reviews)"."""
    pages.SELLER.link(
        f"{plain(name)}'s page · {rating_text(rating)}",
        query={"id": str(seller_id)},
        icon=":material/storefront:",
    )
