"""Semantic search on constructed embeddings, on SQLite and PostgreSQL: the stored
embeddings, the live index, the fusion with keyword matches, filters, sorts, pages, similar
items; embeddings of another model are never used."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import Session, select

from core.ai.vectors import VectorIndex
from core.catalogue import embeddings, semantic
from core.catalogue.address import ShopAddress, ShopFilters
from core.catalogue.search import CatalogueQuery, PageRequest, Sort
from core.catalogue.selling import CoverEmbedding, create_listing, update_listing
from core.catalogue.semantic import SemanticQuery, fuse, nearest, rank, similar_items
from core.catalogue.shop import browse
from core.db import session_scope
from core.models.catalogue import Item, ItemEmbedding
from tests.listing_helpers import add_items, draft, photo

DIM = 16
MODEL = "a" * 16
OTHER = "b" * 16


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def random_units(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([unit(v) for v in rng.normal(size=(n, DIM))])


def store(engine, ids, vectors, model=MODEL) -> None:
    with session_scope(engine) as s:
        for item_id, vector in zip(ids, vectors, strict=True):
            embeddings.save_embedding(s, item_id, model, vector)


def live(engine, model=MODEL):
    index = embeddings.LiveIndex(model, refresh_seconds=0)
    with Session(engine) as s:
        return index, index.current(s)


@pytest.fixture
def shop(engine, seller):
    """Ten listings with random cover embeddings; item 0 is a red dress titled in French."""
    specs = [
        {"title": "Robe rouge", "category": "dress", "price_cents": 4000},
        {"title": "Blue linen shirt", "category": "shirt", "price_cents": 2500},
        {"title": "Linen trousers", "category": "pants", "price_cents": 3000},
        *({"title": f"Plain tee {n}", "price_cents": 1000 + n} for n in range(7)),
    ]
    ids = add_items(engine, seller, specs)
    vectors = random_units(len(ids))
    store(engine, ids, vectors)
    return ids, vectors


def titles(page) -> list[str]:
    return [card.item.title for card in page.cards]


# --- the index ----------------------------------------------------------------------------


def test_the_index_finds_an_equal_vector_first_and_ranks_by_cosine():
    vectors = random_units(200, seed=3)
    index = VectorIndex(DIM)
    index.upsert(range(1, 201), vectors)
    hits = index.search(vectors[41], 10)
    assert hits[0][0] == 42 and hits[0][1] == pytest.approx(1.0, abs=2e-2)
    exact = np.argsort(-(vectors @ vectors[41]))[:10] + 1
    assert [i for i, _ in hits][:3] == list(exact[:3])  # int8: the first ones are clear
    assert len(set(i for i, _ in hits) & set(exact)) >= 9
    assert 42 not in [i for i, _ in index.search(vectors[41], 5, exclude={42})]
    assert next(i for i, _ in index.search(vectors[41], 3, only={7, 42, 99})) == 42
    index.upsert([42], [vectors[0]])  # replaced, not added
    assert len(index) == 200 and index.search(vectors[0], 2)[1][0] in (1, 42)
    index.remove([1, 42, 500])
    assert len(index) == 198 and 42 not in index
    assert all(i not in (1, 42) for i, _ in index.search(vectors[0], 198))
    assert index.nbytes < 1024 * DIM * 2  # int8 rows (room for 1024 at first)


def test_a_zero_or_broken_embedding_is_refused():
    for bad in (np.zeros(DIM), np.full(DIM, np.nan)):
        with pytest.raises(ValueError):
            embeddings.unit_vector(bad)


# --- stored embeddings and the live index -------------------------------------------------


def test_the_live_index_sees_new_replaced_and_deleted_embeddings(engine, shop):
    ids, vectors = shop
    index, current = live(engine)
    assert len(current) == len(ids)
    fresh = random_units(1, seed=9)[0]
    store(engine, [ids[3]], [fresh])  # a new cover for item 3: a new row id
    with Session(engine) as s:
        assert index.current(s).search(fresh, 1)[0][0] == ids[3]
    with session_scope(engine) as s:  # a listing deleted: its embedding goes (cascade)
        s.delete(s.get(Item, ids[5]))
    with Session(engine) as s:
        after = index.current(s)
        assert s.exec(select(ItemEmbedding).where(ItemEmbedding.item_id == ids[5])).all() == []
        # its vector may stay in memory until a restart, but it is never a result
        found = nearest(s, SemanticQuery(after, vectors[5]), limit=len(ids))
        assert ids[5] not in [i for i, _ in found] and len(found) == len(ids) - 1


def test_an_index_waits_its_refresh_interval(engine, shop):
    ids, _ = shop
    index = embeddings.LiveIndex(MODEL, refresh_seconds=3600)
    with Session(engine) as s:
        first = len(index.current(s))
        store(engine, [ids[0]], random_units(1, seed=5))
        assert len(index.current(s)) == first  # not checked again within the interval


def test_embeddings_of_another_model_are_never_used(engine, shop):
    ids, vectors = shop
    store(engine, [ids[1]], [vectors[0]], model=OTHER)
    _, current = live(engine)
    assert [i for i, _ in current.search(vectors[0], 1)] == [ids[0]]
    _, other = live(engine, OTHER)
    assert len(other) == 1
    _, none = live(engine, "c" * 16)
    assert none is None


def test_a_listing_keeps_the_embedding_it_was_sold_with_and_a_new_cover_drops_it(engine, seller):
    vector = random_units(1)[0]
    with Session(engine) as s:
        item = create_listing(
            s, seller, draft(), [photo()], embedding=CoverEmbedding(MODEL, vector * 3)
        )
    with Session(engine) as s:
        row = s.exec(select(ItemEmbedding)).one()
        assert row.item_id == item.id and row.model == MODEL
        assert np.allclose(embeddings.from_blob(row.vector), vector, atol=1e-6)  # stored unit
        photo_id = s.exec(select(Item.id)).one()
        update_listing(s, seller, item.id, draft(title="Same cover"), [_photo_ids(s, item.id)[0]])
        assert len(s.exec(select(ItemEmbedding)).all()) == 1  # same cover: kept
        update_listing(s, seller, item.id, draft(), [photo((10, 200, 10))])
        assert s.exec(select(ItemEmbedding)).all() == []  # a new cover without one: dropped
        assert photo_id == item.id


def _photo_ids(session, item_id) -> list[int]:
    from core.models.catalogue import Photo

    return list(
        session.exec(select(Photo.id).where(Photo.item_id == item_id).order_by(Photo.position))
    )


def test_index_missing_embeds_what_has_no_embedding_of_this_model(engine, shop, seller):
    ids, _ = shop
    new = add_items(engine, seller, [{"title": "Unindexed"}, {"title": "Also unindexed"}])
    seen: list[int] = []

    def embed(images):
        seen.append(len(images))
        return random_units(len(images), seed=len(seen))

    reports = []
    done = embeddings.index_missing(
        engine, MODEL, embed, progress=lambda d, t: reports.append((d, t))
    )
    assert done == 2 and seen == [2] and reports[-1] == (2, 2)
    with Session(engine) as s:
        assert embeddings.items_missing(s, MODEL) == []
        assert set(embeddings.items_missing(s, OTHER)) == set(ids + new)
    assert embeddings.index_missing(engine, MODEL, embed) == 0


# --- search -------------------------------------------------------------------------------


def test_a_description_finds_a_listing_none_of_its_words_are_in(engine, shop):
    _ids, vectors = shop
    _, index = live(engine)
    query = "red summer dress for a wedding"
    with Session(engine) as s:
        plain = browse(s, ShopAddress(ShopFilters(text=query)))
        assert plain.page.cards == []  # the words alone find nothing
        near = SemanticQuery(index, vectors[0])  # the query's embedding is the dress's
        found = browse(s, ShopAddress(ShopFilters(text=query)), near)
    assert titles(found.page)[0] == "Robe rouge"


def test_fusion_keeps_keyword_matches_and_ranks_both_first(engine, shop):
    ids, vectors = shop
    _, index = live(engine)
    # "linen" is in two titles; the query vector is the trousers' cover
    with Session(engine) as s:
        ranking = rank(
            s, CatalogueQuery(text="linen", sort=Sort.RELEVANCE), SemanticQuery(index, vectors[2])
        )
    assert ranking.ids[0] == ids[2]  # found by both
    assert ids[1] in ranking.ids  # found by its word only: kept
    assert ranking.keyword == {ids[1], ids[2]}
    assert fuse([1, 2, 3], [3, 4]) == [3, 1, 2, 4]


def test_filters_and_sold_items_apply_to_semantic_matches(engine, shop, buyer):
    ids, vectors = shop
    _, index = live(engine)
    with session_scope(engine) as s:
        s.get(Item, ids[0]).status = "sold"
    near = SemanticQuery(index, vectors[0])
    with Session(engine) as s:
        hits = nearest(s, near, limit=20)
        assert ids[0] not in [i for i, _ in hits] and len(hits) == len(ids) - 1
        shirts = nearest(s, near, CatalogueQuery(categories=("shirt",)), limit=20)
        assert [i for i, _ in shirts] == [ids[1]]
        cheap = nearest(s, near, CatalogueQuery(max_price_cents=1003), limit=20)
        assert {i for i, _ in cheap} == set(ids[3:7])


def test_words_like_no_cover_match_nothing_and_the_nearest_are_given_as_such(engine, shop):
    ids, vectors = shop
    _, index = live(engine)
    # a query vector at a known cosine from the dress's cover (0.9, then 0.1), and below
    # every other cover's 0.1 too: orthogonal parts only the dress's shares
    others = np.stack([v for n, v in enumerate(vectors) if n])
    away = np.linalg.svd(np.vstack([vectors[0], others]))[2][-1]  # orthogonal to every cover
    away -= away @ vectors[0] * vectors[0]
    away /= np.linalg.norm(away)
    query = CatalogueQuery(text="zqxj", sort=Sort.RELEVANCE)
    with Session(engine) as s:
        close = SemanticQuery(index, unit(0.9 * vectors[0] + np.sqrt(1 - 0.81) * away), 0.22)
        assert rank(s, query, close).ids == (ids[0],)
        far = SemanticQuery(index, unit(0.1 * vectors[0] + np.sqrt(1 - 0.01) * away), 0.22)
        assert rank(s, query, far).ids == ()  # under the floor: not a match
        page = browse(s, ShopAddress(ShopFilters(text="zqxj")), far).page
        assert page.cards == [] and page.total == 0
        # the nearest all the same, nearest first, filters applied
        instead = semantic.nearest_instead(s, far, CatalogueQuery(text="zqxj"), limit=3)
        assert instead[0].item.id == ids[0] and len(instead) == 3
        shirts = semantic.nearest_instead(s, far, CatalogueQuery(categories=("shirt",)))
        assert [c.item.id for c in shirts] == [ids[1]]


def test_a_narrow_filter_still_finds_its_few_matches_among_many(engine, seller):
    ids = add_items(engine, seller, [{"category": "t-shirt"}] * 300 + [{"category": "hat"}] * 3)
    vectors = random_units(len(ids), seed=4)
    store(engine, ids, vectors)
    _, index = live(engine)
    with Session(engine) as s:
        hits = nearest(
            s, SemanticQuery(index, vectors[0]), CatalogueQuery(categories=("hat",)), limit=24
        )
    assert sorted(i for i, _ in hits) == ids[-3:]


def test_every_sort_and_page_applies_to_the_fused_results(engine, seller):
    ids = add_items(engine, seller, [{"price_cents": 100 * (n + 1)} for n in range(30)])
    vectors = random_units(30, seed=2)
    store(engine, ids, vectors)
    _, index = live(engine)
    near = SemanticQuery(index, vectors[7])
    text = "something nobody wrote"
    with Session(engine) as s:
        ranked = rank(s, CatalogueQuery(text=text), near)
        best = browse(s, ShopAddress(ShopFilters(text=text)), near)
        assert best.page.cards[0].item.id == ids[7]
        cheap = browse(s, ShopAddress(ShopFilters(text=text, sort=Sort.PRICE_UP)), near)
        prices = [c.item.price_cents for c in cheap.page.cards]
        assert prices == sorted(prices) and len(prices) == len(ranked.ids)

        # pages of "Best match" through the address, forward and from the last
        seen, address = [], ShopAddress(ShopFilters(text=text))
        pages = [browse(s, address, near)]
        small = PageRequest(size=4)
        shown = semantic.search_ranked(
            s, CatalogueQuery(text=text, sort=Sort.RELEVANCE), near, small
        )
        seen += [c.item.id for c in shown[0].cards]
        while shown[0].has_next:
            after = PageRequest(after=shown[0].last, size=4)
            shown = semantic.search_ranked(
                s, CatalogueQuery(text=text, sort=Sort.RELEVANCE), near, after
            )
            seen += [c.item.id for c in shown[0].cards]
        assert seen == list(ranked.ids)
        params = ShopAddress(ShopFilters(text=text), PageRequest(after=pages[0].page.last), 2)
        again = ShopAddress.from_params(params.params(), semantic=True)
        assert again.page.after == pages[0].page.last
        last = browse(s, ShopAddress(ShopFilters(text=text), PageRequest(last=True)), near)
        remainder = len(ranked.ids) % 24 or 24
        assert [c.item.id for c in last.page.cards] == list(ranked.ids[-remainder:])
        assert last.number == last.pages == (len(ranked.ids) + 23) // 24


def test_similar_items_are_the_nearest_available_others(engine, shop):
    ids, vectors = shop
    _, index = live(engine)
    with session_scope(engine) as s:
        s.get(Item, ids[1]).status = "sold"
    with Session(engine) as s:
        cards = similar_items(s, index, ids[0], limit=4)
    got = [c.item.id for c in cards]
    others = [i for i in np.argsort(-(vectors @ vectors[0])) if ids[i] not in (ids[0], ids[1])]
    assert got == [ids[i] for i in others[:4]]
    assert all(c.thumbnail for c in cards)
    with Session(engine) as s:
        assert similar_items(s, index, 10_000) == []  # no embedding: no row


def test_the_default_sort_is_best_match_only_for_a_semantic_search():
    search = ShopFilters(text="red dress")
    assert search.effective_sort(semantic=True) is Sort.RELEVANCE
    assert search.effective_sort(semantic=False) is Sort.NEWEST  # without a model: as before
    assert ShopFilters().effective_sort(semantic=True) is Sort.NEWEST
    assert ShopFilters(sort=Sort.RELEVANCE).effective_sort() is Sort.NEWEST  # nothing to match
    assert ShopAddress(search).params() == {"q": ["red dress"]}
    assert ShopAddress.from_params({"q": "x", "sort": "relevance"}).filters.sort is Sort.RELEVANCE


def test_nearest_is_exact_after_rescoring_the_int8_pool(engine, seller):
    """int8 alone may swap close neighbours; the rescored pool gives numpy's exact top."""
    ids = add_items(engine, seller, [{}] * 600)
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(600, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store(engine, ids, vectors)
    _, index = live(engine)
    for q in rng.normal(size=(5, DIM)):
        q = unit(q)
        want = [ids[i] for i in np.argsort(-(vectors @ q), kind="stable")[:24]]
        with Session(engine) as s:
            got = [i for i, _ in nearest(s, SemanticQuery(index, q), limit=24)]
        assert got == want


def test_the_index_loads_in_batches(engine, shop, monkeypatch):
    ids, vectors = shop
    monkeypatch.setattr(embeddings, "LOAD_BATCH", 3)  # 10 listings: 4 batches
    _, current = live(engine)
    assert len(current) == len(ids)
    assert current.search(vectors[7], 1)[0][0] == ids[7]
