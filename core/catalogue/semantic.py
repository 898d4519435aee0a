"""Semantic search: listings found by what their cover photo looks like, through the CLIP
embeddings of ``core.catalogue.embeddings``, and fused with the keyword search of
``core.catalogue.search``.

- A text query's CLIP text embedding (computed by the caller) finds the nearest covers: "red
  summer dress for a wedding" finds "Robe rouge" with none of those words in its text.
- Those semantic matches and the keyword matches are fused by reciprocal rank fusion
  (RRF), so an item found by its words stays found, and one both find ranks first.
- Every filter applies to both; only available listings are shown; the sorts other than
  "Best match" order the fused set.
- Similar items and search by photo are semantic matches of an image embedding.

Rankings depend only on the stored embeddings and the listings' own fields, never on
database-specific scores, so SQLite and PostgreSQL give the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlmodel import Session, select

from core.ai.vectors import VectorIndex
from core.catalogue.embeddings import rescore, stored_vectors
from core.catalogue.search import (
    CatalogueCard,
    CataloguePage,
    CatalogueQuery,
    Cursor,
    PageRequest,
    Sort,
    filter_conditions,
    search_catalogue,
    search_words,
)
from core.models.catalogue import Item, Photo, fold_words

RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al., 2009)
KEYWORD_CAP = 500  # keyword matches taken into the fusion, best first
SEMANTIC_LIMIT = 48  # semantic matches taken into a text search: two pages
# A semantic match counts only within this cosine of the best one. CLIP ViT-B/32 puts a
# photo that fits a description at about 0.30 and a wrong garment at 0.20 or less: beyond
# a gap of 0.05 the matches stop looking like what was asked for.
SEMANTIC_MARGIN = 0.05
# ...and only from this cosine up: below it nothing looks like the words (a wrong garment
# at 0.20 or less, nonsense lower still), and the shop says that nothing matches rather
# than call the least unlike listings matches. Reasoned from CLIP's usual scores, not
# measured here (no real weights on the test machines): see the README's "AI search".
SEMANTIC_FLOOR = 0.22
NEAREST_INSTEAD = 8  # listings shown as "the nearest, not matches" when nothing matches
SIMILAR_LIMIT = 8
PHOTO_LIMIT = 48
_PREFILTER_AFTER = 2  # rounds of a growing candidate pool before filtering first
RESCORE = 200  # candidates rescored exactly: int8's top 200 hold the exact top 24 (bench)


@dataclass(frozen=True)
class SemanticQuery:
    """A query vector (unit, same model as ``index``) and the index to search; ``floor``:
    the least cosine a match has (a text's words; a photo's nearest are all shown)."""

    index: VectorIndex
    vector: np.ndarray
    floor: float | None = None


@dataclass(frozen=True)
class Ranking:
    """The fused results, best first, and which search found each one."""

    ids: tuple[int, ...]
    keyword: frozenset[int] = frozenset()
    semantic: frozenset[int] = frozenset()


def nearest(
    session: Session,
    semantic: SemanticQuery,
    query: CatalogueQuery = CatalogueQuery(),  # noqa: B008 (frozen: safe to share)
    *,
    limit: int,
    exclude: Iterable[int] = (),
    margin: float | None = None,
) -> list[tuple[int, float]]:
    """The available listings nearest to ``semantic.vector`` that pass ``query``'s filters
    (its text aside), nearest first, with their exact cosine; at most ``limit``, and with
    ``margin`` only those within ``margin`` of the best.

    The in-memory index (int8, every listing, sold ones too) gives a pool of candidates; the
    pool grows until ``limit`` of them pass the filters in SQL (after a few rounds, for a
    narrow filter, the listings that pass are read first and only they are scored); the
    first RESCORE that pass are scored again with their float32 embeddings from the
    database, which gives the exact order.
    """
    index, vector = semantic.index, np.asarray(semantic.vector, np.float32)
    excluded = set(exclude)
    filters = replace(query, text="")
    conditions = filter_conditions(session, filters)
    pool = max(4 * limit, RESCORE)
    for _ in range(_PREFILTER_AFTER):
        hits = index.search(vector, pool, exclude=excluded)
        ids = [i for i, _ in hits]
        allowed = _passing(session, filters, ids)
        kept = [i for i in ids if i in allowed]
        if len(kept) >= limit or len(hits) < pool:
            break
        pool *= 8
    else:
        allowed = set(session.exec(select(Item.id).where(*conditions))) - excluded
        kept = [i for i, _ in index.search(vector, max(limit, RESCORE), only=allowed)]
    candidates = kept[: max(limit, RESCORE)]
    scored = rescore(session, index.model, candidates, vector)[:limit]
    if semantic.floor is not None:
        scored = [(i, s) for i, s in scored if s >= semantic.floor]
    if margin is not None and scored:
        best = scored[0][1]
        scored = [(i, s) for i, s in scored if s >= best - margin]
    return scored


def nearest_instead(
    session: Session, semantic: SemanticQuery, query: CatalogueQuery, limit: int = NEAREST_INSTEAD
) -> list[CatalogueCard]:
    """When a search matches nothing: the listings nearest to it all the same (its filters
    applied, no floor), to be shown as such, not as matches."""
    near = nearest(session, replace(semantic, floor=None), query, limit=limit)
    return cards_of(session, [i for i, _ in near])


def _passing(session: Session, filters: CatalogueQuery, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` pass ``filters`` (looked up by id: the ids drive the query)."""
    found: set[int] = set()
    for start in range(0, len(ids), 5000):  # under every database's parameter limit
        only = replace(filters, only_ids=tuple(ids[start : start + 5000]))
        found.update(session.exec(select(Item.id).where(*filter_conditions(session, only))))
    return found


def keyword_ranking(session: Session, query: CatalogueQuery) -> list[int]:
    """The keyword matches of ``query`` (every filter applied), best first: those with more
    of the query's words in their title first, then the newest. At most KEYWORD_CAP."""
    words = search_words(query.text)
    if not words:
        return []
    rows = session.exec(
        select(Item.id, Item.title, Item.created_at)
        .where(*filter_conditions(session, query))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(KEYWORD_CAP)
    ).all()

    def in_title(title: str) -> int:
        parts = [p for word in fold_words(title) for p in ("".join(word), *word)]
        return sum(any(p.startswith("".join(w)) for p in parts) for w in words)

    hits = {item_id: in_title(title) for item_id, title, _ in rows}
    return sorted(hits, key=lambda i: -hits[i])  # stable: newest first among equals


def fuse(*rankings: Sequence[int], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion: each id scores the sum of 1 / (k + rank) over the rankings
    it is in (rank from 1); best first, ties by the first ranking it appears in."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item_id in enumerate(ranking, start=1):
            scores[item_id] = scores.get(item_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda i: -scores[i])


def rank(session: Session, query: CatalogueQuery, semantic: SemanticQuery | None) -> Ranking:
    """What a search shows, best first: the keyword matches of ``query.text`` fused with the
    listings whose cover is nearest to ``semantic`` (when there is a model), each passing
    every filter. Without ``semantic``, the keyword matches alone."""
    keyword = keyword_ranking(session, query)
    near: list[int] = []
    if semantic is not None:
        limit = SEMANTIC_LIMIT if query.text.strip() else PHOTO_LIMIT
        margin = SEMANTIC_MARGIN if query.text.strip() else None
        near = [i for i, _ in nearest(session, semantic, query, limit=limit, margin=margin)]
    ids = fuse(keyword, near) if keyword and near else (keyword or near)
    return Ranking(tuple(ids), frozenset(keyword), frozenset(near))


def search_ranked(
    session: Session,
    query: CatalogueQuery,
    semantic: SemanticQuery | None,
    page: PageRequest = PageRequest(),  # noqa: B008 (frozen: safe to share)
) -> tuple[CataloguePage, Ranking]:
    """One page of a ranked search: in the ranking's order for "Best match", else the
    ranked set in ``query.sort``'s order (keyset pages, as the catalogue)."""
    ranking = rank(session, query, semantic)
    if query.sort is not Sort.RELEVANCE:
        only = replace(query, text="", only_ids=ranking.ids)
        if page.last:  # the remainder, so that the last page's number lines up
            page = replace(page, size=len(ranking.ids) % page.size or page.size)
        return search_catalogue(session, only, page), ranking
    return _page_of(session, ranking.ids, page), ranking


def _page_of(session: Session, ids: Sequence[int], page: PageRequest) -> CataloguePage:
    """The page ``page`` asks for of ranked ``ids``; a cursor's value is its position."""
    size, total = page.size, len(ids)
    position = {item_id: n for n, item_id in enumerate(ids)}

    def at(cursor: Cursor) -> int:  # where the cursor's item is now, or where it was
        return position.get(cursor.id, int(cursor.value))

    if page.last:
        start = max(0, total - (total % size or size))
    elif page.after is not None:
        start = at(page.after) + 1
    elif page.before is not None:
        start = max(0, at(page.before) - size)
    else:
        start = 0
    start = min(start, total)
    shown = list(ids[start : start + size])
    cards = cards_of(session, shown)
    return CataloguePage(
        cards=cards,
        has_previous=start > 0,
        has_next=start + size < total,
        total=total,
        first=Cursor(start, cards[0].item.id) if cards else None,
        last=Cursor(start + len(cards) - 1, cards[-1].item.id) if cards else None,
    )


def cards_of(session: Session, ids: Sequence[int]) -> list[CatalogueCard]:
    """The cards of ``ids`` (their cover thumbnail), in that order."""
    if not ids:
        return []
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(Item.id.in_(list(ids)))
    ).all()
    by_id = {item.id: CatalogueCard(item=item, thumbnail=thumb) for item, thumb in rows}
    return [by_id[i] for i in ids if i in by_id]


def similar_items(
    session: Session, index: VectorIndex, item_id: int, limit: int = SIMILAR_LIMIT
) -> list[CatalogueCard]:
    """The available listings whose cover looks most like ``item_id``'s, nearest first
    (never the item itself); none when the item has no embedding yet."""
    vector = stored_vectors(session, index.model, [item_id]).get(item_id)
    if vector is None:
        return []
    near = nearest(session, SemanticQuery(index, vector), limit=limit, exclude={item_id})
    return cards_of(session, [i for i, _ in near])
