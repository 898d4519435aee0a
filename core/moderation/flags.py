"""AI flags on new listings: a score, never a verdict. A flag is a ``Report`` (source 'ai',
target 'item') in the administrators' queue; it never hides or changes the listing.

- ``not_clothing``: the cover's image embedding, zero-shot, against the garment categories
  the classifier already has and the non-garment subjects of ``core.moderation.subjects``
  (a car, a screenshot, a face...); the score is the probability mass on the subjects.
- ``duplicate``: the cosine of the cover's embedding with the nearest cover of ANOTHER
  seller's listing (the listings' in-memory index, rescored with the stored float32
  embeddings); the score is that cosine and ``matched_item_id`` that listing. A seller's
  own listings never count (selling two of the same thing is allowed).

Each is flagged when its score reaches its threshold (settings
``FLAG_NOT_CLOTHING_THRESHOLD``, ``FLAG_DUPLICATE_THRESHOLD``: ``core.config``), at most once
per listing and reason. Without a model that gives image embeddings nothing is flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.ai.classifier import Classifier, prompt_weights, softmax
from core.ai.model_dir import model_fingerprint
from core.ai.onnx import unit
from core.catalogue.embeddings import LiveIndex, nearest_covers, stored_vectors
from core.catalogue.photo_checks import PhotoError
from core.config import DEFAULT_FLAG_DUPLICATE_THRESHOLD, DEFAULT_FLAG_NOT_CLOTHING_THRESHOLD
from core.db import begin_write, session_scope
from core.i18n import N_, _, format_share
from core.models.catalogue import Item, Photo
from core.models.moderation import Report, ReportSource, ReportTarget
from core.moderation import flag_tokens

_log = logging.getLogger(__name__)

NOT_CLOTHING = "not_clothing"
DUPLICATE = "duplicate"
REASONS = {  # each AI flag's reason code and its label (translated when shown)
    NOT_CLOTHING: N_("Not clothing?"),
    DUPLICATE: N_("Same photo as another seller's?"),
}
PROMPTS = "non_garments"  # the name of the subjects' prompts in Classifier.extra_embeddings
DUPLICATE_CANDIDATES = 8  # nearest covers (int8) rescored exactly: the best is among them


@dataclass(frozen=True)
class Thresholds:
    """The scores from which a listing is flagged (``core.config.Settings``)."""

    not_clothing: float = DEFAULT_FLAG_NOT_CLOTHING_THRESHOLD
    duplicate: float = DEFAULT_FLAG_DUPLICATE_THRESHOLD

    @classmethod
    def of(cls, settings) -> Thresholds:
        return cls(settings.flag_not_clothing_threshold, settings.flag_duplicate_threshold)


@dataclass(frozen=True)
class Flag:
    """One reason to look at a listing: its code, its score and, for a duplicate, the
    listing whose cover it matched."""

    reason: str
    score: float
    matched_item_id: int | None = None


def flag_prompts() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The subjects' token ids and masks, for ``Classifier.load(extra_prompts=...)``."""
    ids = np.asarray(flag_tokens.INPUT_IDS, np.int64)
    return {PROMPTS: (ids, np.asarray(flag_tokens.ATTENTION_MASK, np.int64))}


def not_clothing_score(classifier: Classifier, vector: np.ndarray) -> float | None:
    """The probability that the photo of unit embedding ``vector`` shows one of the
    non-garment subjects rather than a garment category (softmax over both, at the model's
    logit scale); None when the classifier was loaded without the subjects' prompts."""
    prompts = classifier.extra_embeddings.get(PROMPTS)
    if prompts is None or len(prompts) != len(flag_tokens.PROMPTS):
        return None
    weights = prompt_weights(tuple(i for i, _ in flag_tokens.PROMPTS), len(flag_tokens.CODES))
    subjects = weights @ prompts  # each subject's mean unit prompt, as the categories
    embedding = unit(np.asarray(vector, np.float64).reshape(1, -1))
    garments = classifier.logits_of(embedding)[0]
    others = classifier.logit_scale * (embedding @ subjects.T)[0]
    probabilities = softmax(np.concatenate([garments, others]))
    return float(probabilities[len(garments) :].sum())


def nearest_other_seller(
    session: Session, index: LiveIndex, item_id: int, seller_id: int, vector: np.ndarray
) -> tuple[int, float] | None:
    """The listing of another seller whose cover is nearest to ``vector`` and its exact
    cosine, or None (no other seller's listing has an embedding)."""
    vectors = index.current(session)
    if vectors is None:
        return None
    own = set(session.exec(select(Item.id).where(Item.seller_id == seller_id)))
    scored = nearest_covers(session, vectors, vector, DUPLICATE_CANDIDATES, exclude=own | {item_id})
    if not scored:
        return None
    ids = [i for i, _ in scored]
    sellers = dict(session.exec(select(Item.id, Item.seller_id).where(Item.id.in_(ids))).all())
    return next(
        ((i, s) for i, s in scored if sellers.get(i) is not None and sellers[i] != seller_id),
        None,
    )


def _cover_vector(session: Session, classifier: Classifier, model: str, item_id: int):
    """The listing's stored cover embedding, or one computed now from its cover photo."""
    stored = stored_vectors(session, model, [item_id]).get(item_id)
    if stored is not None:
        return stored
    cover = session.exec(
        select(Photo.image).where(Photo.item_id == item_id, Photo.position == 0)
    ).first()
    if cover is None:
        return None
    try:
        return classifier.embed_photos([cover])[0]
    except PhotoError:
        return None


def find_flags(
    session: Session,
    item_id: int,
    classifier: Classifier | None,
    index: LiveIndex | None,
    *,
    vector: np.ndarray | None = None,
    thresholds: Thresholds = Thresholds(),
) -> list[Flag]:
    """The flags listing ``item_id``'s cover earns (nothing is written). ``vector``: its
    cover's unit embedding when the caller has it (the sell page's suggestion computed it),
    else the stored one, else one computed from the cover photo. None without a model
    that gives image embeddings."""
    if classifier is None or not classifier.embeds:
        return []
    seller_id = session.exec(select(Item.seller_id).where(Item.id == item_id)).first()
    if seller_id is None:
        return []
    model = index.model if index is not None else model_fingerprint(classifier.manifest)
    if vector is None:
        vector = _cover_vector(session, classifier, model, item_id)
        if vector is None:
            return []
    flags = []
    score = not_clothing_score(classifier, vector)
    if score is not None and score >= thresholds.not_clothing:
        flags.append(Flag(NOT_CLOTHING, score))
    match = None
    if index is not None:
        match = nearest_other_seller(session, index, item_id, seller_id, vector)
    if match is not None and match[1] >= thresholds.duplicate:
        flags.append(Flag(DUPLICATE, match[1], match[0]))
    return flags


def save_flags(engine: Engine, item_id: int, flags: list[Flag]) -> list[Report]:
    """Write each flag as an AI report on the listing, unless the listing already has one
    for that reason; the listing itself is left as it is. Returns the new reports."""
    if not flags:
        return []
    with session_scope(engine) as session:
        begin_write(session)
        if session.get(Item, item_id) is None:  # deleted meanwhile: nothing to flag
            return []
        known = set(
            session.exec(
                select(Report.reason).where(
                    Report.source == ReportSource.AI.value, Report.item_id == item_id
                )
            )
        )
        reports = [
            Report(
                source=ReportSource.AI.value,
                target=ReportTarget.ITEM.value,
                reason=flag.reason,
                item_id=item_id,
                score=flag.score,
                matched_item_id=flag.matched_item_id,
            )
            for flag in flags
            if flag.reason not in known
        ]
        session.add_all(reports)
    return reports


def flag_listing(
    engine: Engine,
    item_id: int,
    classifier: Classifier | None,
    index: LiveIndex | None,
    *,
    vector: np.ndarray | None = None,
    thresholds: Thresholds = Thresholds(),
) -> list[Report]:
    """Flag a newly created listing for the administrators when its cover looks like no
    garment or like another seller's cover (``find_flags``, then ``save_flags``). Returns
    the reports written; nothing without a model."""
    with Session(engine) as session:
        flags = find_flags(
            session, item_id, classifier, index, vector=vector, thresholds=thresholds
        )
    reports = save_flags(engine, item_id, flags)
    for report in reports:
        _log.info("listing %d flagged %s (score %.3f)", item_id, report.reason, report.score)
    return reports


# --- what the admin page shows -------------------------------------------------------------


def reason_label(reason: str) -> str:
    """The translated label of an AI flag's reason code (the code itself if unknown)."""
    return _(REASONS[reason]) if reason in REASONS else reason


def explain_score(reason: str, score: float | None, matched_item_id: int | None = None) -> str:
    """One translated sentence saying what an AI flag's score means."""
    share = format_share(max(0.0, min(1.0, score or 0.0)))
    if reason == NOT_CLOTHING:
        return _(
            "The AI puts {share} of its belief on the cover showing something other than "
            "clothing (a car, a screenshot, a face, food...). A suggestion to check, not a "
            "verdict."
        ).format(share=share)
    if reason == DUPLICATE:
        return _(
            "The cover is {share} similar to the cover of listing #{item}, another seller's: "
            "the same photo re-used scores about {same}, two different garments rarely above "
            "{different}. A suggestion to check, not a verdict."
        ).format(
            share=share,
            item=matched_item_id,
            same=format_share(1.0),
            different=format_share(0.93),
        )
    return _("AI score: {share}.").format(share=share)
