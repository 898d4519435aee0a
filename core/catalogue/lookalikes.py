""" "Similar to one you already listed": the seller's own listing on sale whose cover the new
cover nearly duplicates, so that nobody lists the same jumper twice by mistake.

The same measure as the AI's duplicate flag (``core.moderation.flags``, which looks at
other sellers' listings): the cosine of the two covers' image embeddings, through the
listings' in-memory index rescored exactly, from the same threshold
(``FLAG_DUPLICATE_THRESHOLD``: the same photo re-encoded or resized scores about 0.97-1.00).
A note for the seller, never a refusal: selling two of the same thing is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, select

from core.ai.vectors import VectorIndex
from core.catalogue.embeddings import nearest_covers
from core.config import DEFAULT_FLAG_DUPLICATE_THRESHOLD
from core.models.catalogue import Item, ItemStatus

CANDIDATES = 4  # nearest own covers (int8) rescored exactly: the best is among them


@dataclass(frozen=True)
class Lookalike:
    """The seller's listing on sale whose cover looks like the new one."""

    item_id: int
    title: str
    similarity: float


def own_lookalike(
    session: Session,
    index: VectorIndex | None,
    vector: np.ndarray | None,
    seller_id: int,
    *,
    exclude: Iterable[int] = (),
    threshold: float = DEFAULT_FLAG_DUPLICATE_THRESHOLD,
) -> Lookalike | None:
    """The seller's listing on sale (not those in ``exclude``: the one being edited) whose
    cover is nearest to ``vector``, if its cosine reaches ``threshold``; else None."""
    if index is None or vector is None:
        return None
    own = session.exec(
        select(Item.id).where(
            Item.seller_id == seller_id, Item.status == ItemStatus.AVAILABLE.value
        )
    ).all()
    if not own:
        return None
    near = nearest_covers(session, index, vector, CANDIDATES, only=own, exclude=exclude)
    if not near or near[0][1] < threshold:
        return None
    item_id, similarity = near[0]
    title = session.exec(select(Item.title).where(Item.id == item_id)).first()
    return None if title is None else Lookalike(item_id, title, similarity)
