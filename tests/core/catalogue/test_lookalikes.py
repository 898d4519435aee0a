""" "Similar to one you already listed" on constructed embeddings (SQLite and PostgreSQL):
only the seller's own listings on sale, from the duplicate threshold."""

from __future__ import annotations

from sqlmodel import Session

from core.catalogue.lookalikes import own_lookalike
from core.models.catalogue import Item
from tests.core.catalogue.test_price_hints import QUERY, at_cosine, index_of, store
from tests.listing_helpers import add_items, make_user


def test_a_cover_like_one_of_the_sellers_own_listings_on_sale_is_named(engine):
    sam = make_user(engine, "sam@example.com", "Sam")
    rita = make_user(engine, "rita@example.com", "Rita")
    jumper, other = add_items(engine, sam, [dict(title="Blue jumper"), dict(title="Red tee")])
    (ritas,) = add_items(engine, rita, [dict(title="Rita's jumper")])
    store(engine, [(jumper, at_cosine(0.97)), (other, at_cosine(0.5)), (ritas, QUERY)])
    with Session(engine) as s:
        index = index_of(engine)
        match = own_lookalike(s, index, QUERY, sam, threshold=0.95)
        assert (match.item_id, match.title) == (jumper, "Blue jumper")
        assert abs(match.similarity - 0.97) < 1e-5
        assert own_lookalike(s, index, QUERY, sam, threshold=0.98) is None  # not alike enough
        # the listing being edited is left out: then the other one is the nearest
        assert own_lookalike(s, index, QUERY, sam, exclude=[jumper], threshold=0.4).item_id == (
            other
        )
        assert own_lookalike(s, index, None, sam) is None
        s.get(Item, jumper).status = "sold"  # a sold one is no listing on sale
        s.commit()
        assert own_lookalike(s, index, QUERY, sam, threshold=0.95) is None
        # nobody else's listing counts, however alike (that is the AI flag's business)
        assert own_lookalike(s, index, QUERY, make_user(engine, "x@example.com")) is None
