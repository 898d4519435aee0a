"""The AI flags of a listing just put on sale (``core.moderation.flags``): run by the sell
page right after the sale is saved, with the model the warm-up loaded and the cover
embedding the category suggestion already computed. A flag only puts the listing in the
administrators' queue; a failure here is logged and the sale goes on, never a traceback."""

from __future__ import annotations

import logging

from core.catalogue.selling import CoverEmbedding
from core.moderation.flags import Thresholds, flag_listing
from ui import search
from ui.state import get_engine, get_settings

_log = logging.getLogger(__name__)


def flag_new_listing(item_id: int, cover: CoverEmbedding | None) -> int:
    """Flag listing ``item_id`` if its cover looks like no garment or like another seller's
    cover; how many flags were written. Nothing while there is no model (or it is still
    warming up); never raises."""
    try:
        found = search.search_model()
        if found is None:
            return 0
        same_model = cover is not None and cover.model == found.fingerprint
        reports = flag_listing(
            get_engine(),
            item_id,
            found.classifier,
            found.index,
            vector=cover.vector if same_model else None,
            thresholds=Thresholds.of(get_settings()),
        )
        return len(reports)
    except Exception:  # the sale is saved: a flag that fails must not undo it or show
        _log.exception("the AI flags of listing %d failed", item_id)
        return 0
