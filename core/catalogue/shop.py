"""What the shop shows: the page its address asks for, by keywords (core/catalogue/search.py) or
ranked by meaning too when there is a query vector (core/catalogue/semantic.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from sqlmodel import Session

from core.catalogue.address import ShopAddress
from core.catalogue.search import (
    COUNT_CAP,
    PAGE_SIZE,
    CataloguePage,
    CatalogueQuery,
    PageRequest,
    PriceRange,
    Sort,
    count_matches,
    search_catalogue,
)
from core.catalogue.semantic import SemanticQuery, search_ranked
from core.i18n import _, format_number, ngettext
from core.money import format_eur


@dataclass(frozen=True)
class ShopPage:
    """A page of the shop: its cards, its number and how many pages there are (when known)."""

    page: CataloguePage
    number: int | None
    pages: int | None

    def caption(self, prices: PriceRange = PriceRange()) -> str:  # noqa: B008 (frozen)
        """What the results are, in the person's language: "64 items · page 2 of 3", with
        "min and max price swapped: €50.00 to €100.00" when ``prices`` were typed upside
        down."""
        total = self.page.total
        if self.page.total_is_capped:
            count = _("{n}+ items").format(n=format_number(COUNT_CAP))
        else:
            count = ngettext("{n} item", "{n} items", total).format(n=format_number(total))
        where = ""
        if self.number and self.pages:
            where = _("page {number} of {pages}").format(number=self.number, pages=self.pages)
        elif self.number:
            where = _("page {number}").format(number=self.number)
        return " · ".join(part for part in (count, where, swapped_note(prices)) if part)


def swapped_note(prices: PriceRange) -> str:
    """ "min and max price swapped: €50.00 to €100.00" when the prices were typed upside
    down, else ""."""
    if not prices.swapped:
        return ""
    return _("min and max price swapped: {low} to {high}").format(
        low=format_eur(prices.low_cents), high=format_eur(prices.high_cents)
    )


def browse(
    session: Session, address: ShopAddress, semantic: SemanticQuery | None = None
) -> ShopPage:
    """The page ``address`` asks for. The last page holds the remainder of an exact count
    (64 items: 24, 24, then 16), so that its number lines up with the pages before it.

    ``semantic`` (the search's text or photo embedding, and the index) ranks the results
    by meaning too, fused with the keyword matches.
    """
    query = address.filters.query(semantic is not None)
    if semantic is not None and not query.text.strip() and address.filters.sort is None:
        query = replace(query, sort=Sort.RELEVANCE)  # a search by photo: the nearest first
    request = address.page
    if semantic is not None or query.sort is Sort.RELEVANCE:
        page, _ = search_ranked(session, query, semantic, request)
    else:
        request = _last_page_sized(session, query, request)
        page = search_catalogue(session, query, request)
    pages = None if page.total_is_capped else max(1, math.ceil(page.total / PAGE_SIZE))
    number = pages if request.last else address.number
    if number is not None and pages is not None and number > pages:
        number = None  # an old or edited address: the page is shown, its number is not known
    return ShopPage(page, number, pages)


def _last_page_sized(session: Session, query: CatalogueQuery, request: PageRequest):
    if not request.last:
        return request
    total = count_matches(session, query)
    size = request.size if total > COUNT_CAP else (total % request.size or request.size)
    return PageRequest(last=True, size=size)
