"""The AI suggestion on the sell page: the classifier (loaded by ``ui/warmup.py``) or why
there is none, per-photo suggestions, the rule of who chooses the category, the main colour
and the pattern (the AI, when sure, until the seller has chosen), and the model download
(with a progress bar) when the model is missing, damaged or half downloaded."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from core.ai.classifier import Classifier, Look, Score
from core.ai.download import download
from core.ai.errors import ModelError, ModelMissingError
from core.ai.preprocess import CLIP_PREPROCESSING, preprocess
from core.catalogue import attributes, categories
from core.catalogue.photo_checks import PhotoError, megabytes
from core.catalogue.photos import PreparedPhoto
from core.i18n import N_, _, format_number, format_share
from ui import warmup
from ui.state import get_settings

_log = logging.getLogger(__name__)

MODEL_BYTES = 150_000_000  # about: the download's size, said before it starts
_SUGGESTIONS = "_ai_suggestions"

# The top probability from which the AI's pick is preselected. Over 13 categories, a
# guess is 1/13 = 8 %; at 50 % the pick is at least as likely as the 12 others together,
# so below it the model itself rates "something else" likelier than its pick. Garments
# that sit between two categories (jacket or coat, shirt or T-shirt) split their
# probability near or under 50 % each: those are the photos where a preselected category
# would be a coin toss the seller may not notice, so the bars are shown and the seller
# picks. The stored ai_confidence lets the threshold be checked against what sellers keep.
SURE = 0.5
# Colours: 14 options (a guess is 7 %), the same rule as the categories: preselected when
# the pick is at least as likely as the 13 others together. Below it the probability is
# split between neighbours (navy or black, beige or white, a two-tone garment), exactly
# where a preselected colour would be a guess the seller may not notice.
COLOUR_SURE = 0.5
# Patterns: 8 options (a guess is 12 %), but a higher bar: most garments are plain, so a
# "plain" at 50 % says little more than the base rate, CLIP sees fine stripes or checks
# less well than colours at 224 px, and a wrong pattern puts an item under the wrong shop
# filter. At 60 % the pick is 1.5 times as likely as every other pattern together.
PATTERN_SURE = 0.6


@st.cache_resource(show_spinner=False)
def _download_lock() -> threading.Lock:
    return threading.Lock()


@dataclass(frozen=True)
class ModelStatus:
    classifier: Classifier | None
    problem: str = ""  # one sentence when there is no classifier
    warming: bool = False  # the AI is loading in the background: no classifier yet


def model_status() -> ModelStatus:
    """The classifier, or why there is none: the AI is still warming up, or the model is
    not downloaded yet, stopped halfway, damaged (naming the file) or unusable."""
    ai = warmup.current()
    if ai.warming:
        return ModelStatus(None, warming=True)
    if ai.classifier is not None:
        return ModelStatus(ai.classifier)
    if ai.problem is None or type(ai.problem) is ModelMissingError:
        return ModelStatus(
            None, _("The AI category suggestion is off because its model is not downloaded yet.")
        )
    return ModelStatus(
        None, _("The AI category suggestion is off: {problem}").format(problem=ai.problem)
    )


def warming_up_note() -> None:
    """Where the suggestion will be, while the AI warms up (the page reruns once ready)."""
    warmup.note(
        _(
            "The AI is warming up… Its category suggestion will show here in a moment: fill "
            "in the form meanwhile."
        )
    )


def pixel_values(classifier: Classifier, photo: PreparedPhoto):
    """The classifier's input for a prepared photo: the one the photo picker made from the
    upload's only decode (for CLIP's preprocessing, which every ViT-B/32 manifest states),
    or, for a model that preprocesses otherwise, its own from the stored copy (a second
    decode, of 1600 px at most)."""
    if photo.pixel_values is not None and classifier.preprocessing == CLIP_PREPROCESSING:
        return photo.pixel_values
    return preprocess(photo.image, classifier.preprocessing)


def suggest(classifier: Classifier, key: str, photo: PreparedPhoto) -> Look | None:
    """What the classifier sees in one photo (its embedding, categories, colours and
    patterns, most likely first), computed once per photo (``key``) and session, from the
    photo's pixel values."""
    cache = st.session_state.setdefault(_SUGGESTIONS, {})
    if key not in cache:
        try:
            with st.spinner(_("Looking at your photo...")):
                cache.clear()  # only the current first photo matters
                cache[key] = classifier.look(pixel_values(classifier, photo))
        except PhotoError:
            cache[key] = None  # the photo picker already says what is wrong with it
        except Exception:  # a model that loads but fails at run time: sell without it
            _log.exception("classification failed")
            st.warning(_("The AI suggestion failed for this photo; choose the category yourself."))
            cache[key] = None
    return cache[key]


def is_sure(scores: list[Score], sure: float = SURE) -> bool:
    """Whether the model is sure enough of its top option to preselect it."""
    return bool(scores) and scores[0].probability >= sure


@dataclass(frozen=True)
class Suggested:
    """One field the AI proposes on the sell form: its name, the threshold for preselecting
    it, how its codes are shown, and the caption when the AI is not sure of it (a whole
    sentence per field, marked with N_)."""

    name: str  # "category", "colour", "pattern"
    sure: float
    label: Callable[[str], str]
    only_a_guess: str  # "AI: {label} ({share}): only a guess, so no ... is chosen for you"


CATEGORY = Suggested(
    "category",
    SURE,
    categories.label,
    N_("AI: {label} ({share}): only a guess, so no category is chosen for you"),
)
COLOUR = Suggested(
    "colour",
    COLOUR_SURE,
    attributes.colour_label,
    N_("AI: {label} ({share}): only a guess, so no colour is chosen for you"),
)
PATTERN = Suggested(
    "pattern",
    PATTERN_SURE,
    attributes.pattern_label,
    N_("AI: {label} ({share}): only a guess, so no pattern is chosen for you"),
)


@dataclass(frozen=True)
class Choice:
    """Who chooses one of the sell form's suggested fields (category, colour, pattern): the
    AI's sure pick for the cover (nothing when it is not sure), until the seller chooses
    by hand; from then on the seller's choice stays, whatever the AI proposes for a new
    cover. An edited listing's value is the seller's from the start."""

    field: Suggested
    widget_key: str  # the selectbox's key (its value)
    by_hand_key: str  # True once the seller has chosen
    followed_key: str  # the cover whose suggestion was last applied

    @classmethod
    def of(
        cls, form_id: str, widget_key: str, *, chosen: bool, field: Suggested = CATEGORY
    ) -> Choice:
        # the category's keys are the ones it always had
        part = "" if field is CATEGORY else f"{field.name}_"
        choice = cls(
            field, widget_key, f"_sell_by_hand_{part}{form_id}", f"_sell_suggested_{part}{form_id}"
        )
        st.session_state.setdefault(choice.by_hand_key, chosen)
        return choice

    @property
    def by_hand(self) -> bool:
        return bool(st.session_state.get(self.by_hand_key))

    def is_sure(self, scores: list[Score]) -> bool:
        return is_sure(scores, self.field.sure)

    def follow(self, cover: str, scores: list[Score] | None) -> None:
        """Apply the suggestion for a new cover (before the selectbox is drawn): its sure
        top-1 or nothing, unless the seller has chosen."""
        if not scores or st.session_state.get(self.followed_key) == cover:
            return
        st.session_state[self.followed_key] = cover
        if not self.by_hand:
            st.session_state[self.widget_key] = scores[0].code if self.is_sure(scores) else None

    def chosen_by_hand(self) -> None:
        """The selectbox's on_change: only the seller's own changes call it."""
        st.session_state[self.by_hand_key] = st.session_state.get(self.widget_key) is not None

    def show(self, scores: list[Score], category: str | None) -> None:
        """The top 3 as bars, and a sentence when the AI chose nothing or was overruled."""
        st.caption(_("AI suggestion from your first photo:"))
        for score in scores[:3]:
            label = _("{label}: {share}").format(
                label=self.field.label(score.code), share=format_share(score.probability)
            )
            st.progress(min(max(score.probability, 0.0), 1.0), text=label)
        top = scores[0]
        if self.by_hand:
            if category != top.code:
                st.caption(
                    _("Your choice stays: a suggestion never replaces a category you chose.")
                )
        elif not self.is_sure(scores):
            st.caption(
                _(
                    "The AI is not sure about this photo (its best guess, {label}, has only "
                    "{share}), so no category is chosen for you: pick one."
                ).format(label=self.field.label(top.code), share=format_share(top.probability))
            )

    def show_short(self, scores: list[Score], value: str | None) -> None:
        """One caption: the AI's top pick, and why it is not the field's value."""
        top = scores[0]
        text = _("AI: {label} ({share})")
        if self.by_hand:
            if value != top.code:
                text = _("AI: {label} ({share}), your choice kept")
        elif not self.is_sure(scores):
            text = _(self.field.only_a_guess)
        st.caption(
            text.format(label=self.field.label(top.code), share=format_share(top.probability))
        )


def offer_download(problem: str) -> bool:
    """Say why there is no suggestion and offer the download; True once it is installed."""
    st.info(
        _("{problem} Choose the category yourself, or download the model (about {size}).").format(
            problem=problem, size=megabytes(MODEL_BYTES)
        )
    )
    if not st.button(_("Download the AI model"), icon=":material/download:"):
        return False
    lock = _download_lock()
    if not lock.acquire(blocking=False):
        st.warning(_("The model is being downloaded already; try again in a minute."))
        return False
    try:
        return _download_with_progress(get_settings().model_dir)
    finally:
        lock.release()


def _download_with_progress(model_dir: Path) -> bool:
    # the download reports progress from its own threads: poll it from the script's thread
    state: dict = {"done": 0, "total": 0}

    def work() -> None:
        try:
            download(
                model_dir,
                progress=lambda done, total: state.update(done=done, total=total),
                endpoint=os.environ.get("HF_ENDPOINT") or None,  # a Hub mirror, read now
            )
        except BaseException as exc:  # handed over to the script's thread below
            state["error"] = exc

    bar = st.progress(0.0, text=_("Downloading the AI model..."))
    worker = threading.Thread(target=work, name="model-download", daemon=True)
    # the script's context, read-only: the download's error sentences (made in the thread)
    # come out in the person's language
    add_script_run_ctx(worker, get_script_run_ctx())
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        done, total = state["done"], state["total"]
        if total:
            text = _("Downloading the AI model: {done} of {total} MB").format(
                done=format_number(round(done / 1e6)), total=format_number(round(total / 1e6))
            )
            bar.progress(min(done / total, 1.0), text=text)
    error = state.get("error")
    if error is not None:
        bar.empty()
        if isinstance(error, ModelError):  # the Hub unreachable, a download cut, no such file
            st.error(str(error))
        elif isinstance(error, OSError):  # disk full, no permission on the model folder
            st.error(
                _("The model could not be saved: {reason}.").format(reason=error.strerror or error)
            )
        else:
            _log.error("model download failed", exc_info=error)
            st.error(_("The download failed unexpectedly. Try again later."))
        return False
    # the person asked for the model and watches this bar: the new model loads under it
    bar.progress(1.0, text=_("The AI model is downloaded. Loading it..."))
    ai = warmup.reload()
    while not ai.done.wait(0.2):
        pass
    if ai.classifier is None:
        bar.empty()
        st.error(str(ai.problem or _("The download failed unexpectedly. Try again later.")))
        return False
    bar.progress(1.0, text=_("The AI model is downloaded."))
    return True
