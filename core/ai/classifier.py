"""Zero-shot garment classifier: CLIP over ONNX Runtime, in process.

At load, the text tower runs once over the prompts' token ids (generated into
``core/catalogue/category_tokens.py``) and each category keeps the mean of its prompts' unit text
embeddings; per photo only the image tower runs. A category's logit is the logit scale
times the cosine of the photo with each of its prompts, averaged over its prompts, which
is also what the prototype's single graph (``logits_per_image`` over every prompt) gives,
so both kinds of model directory answer the same.

The colour and pattern prompts (``core/catalogue/attribute_tokens.py``) go through the same load of
the text tower (a second batch); each colour and pattern keeps its prompts' mean unit
embedding the same way, so a photo's one image embedding gives its category, its main
colour and its pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.ai.errors import ModelError
from core.ai.model_dir import read_manifest, read_model_file
from core.ai.onnx import (
    feed_for,
    open_session,
    output_name,
    run_image_tower,
    run_text_tower,
    unit,
)
from core.ai.preprocess import Preprocessing, preprocess
from core.i18n import _


@dataclass(frozen=True)
class Score:
    """One option of a prompt set (a category, a colour, a pattern) and its probability."""

    code: str
    probability: float


CategoryScore = Score  # the name the category suggestion has always used


@dataclass(frozen=True)
class Look:
    """What the model sees in one photo: its unit image embedding (float32, None from the
    prototype's single graph, which gives no embedding), and every category, colour and
    pattern with its probability, most likely first in each list."""

    embedding: np.ndarray | None
    categories: list[Score]
    colours: list[Score] = field(default_factory=list)
    patterns: list[Score] = field(default_factory=list)


# The prompt sets of core/catalogue/attribute_tokens.py that a Look gives, in Look's field order.
ATTRIBUTE_SETS = ("colour", "pattern")


@dataclass(frozen=True)
class PromptSet:
    """The options of one prompt set and, per option, its prompts' mean unit text embedding
    (split towers), or the (options, prompts) averaging weights and its prompts' columns
    in the single graph's logits."""

    codes: tuple[str, ...]
    embeddings: np.ndarray | None = None  # (K, D)
    weights: np.ndarray | None = None  # (K, P) over the prompts of this set
    columns: slice | None = None  # its rows among the attribute prompts


def attribute_prompts() -> tuple[np.ndarray, np.ndarray, dict[str, PromptSet]]:
    """The token ids and masks of the colour and pattern prompts, and each set's codes,
    averaging weights and rows among those prompts."""
    from core.catalogue import attribute_tokens as tokens  # imported late: `tokens` regenerates it

    sets = {}
    for name in ATTRIBUTE_SETS:
        rows = [n for n, (set_name, _, _) in enumerate(tokens.PROMPTS) if set_name == name]
        codes = tuple(tokens.CODES[name])
        option_of = tuple(tokens.PROMPTS[n][1] for n in rows)
        columns = slice(rows[0], rows[-1] + 1)  # a set's prompts are generated together
        sets[name] = PromptSet(
            codes, weights=prompt_weights(option_of, len(codes)), columns=columns
        )
    ids = np.asarray(tokens.INPUT_IDS, dtype=np.int64)
    return ids, np.asarray(tokens.ATTENTION_MASK, dtype=np.int64), sets


def prompt_weights(prompt_category: tuple[int, ...], n_categories: int) -> np.ndarray:
    """(C, P) matrix averaging per-prompt values into per-category values."""
    weights = np.zeros((n_categories, len(prompt_category)))
    for prompt, category in enumerate(prompt_category):
        weights[category, prompt] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _checked(failure: str, run, *args):
    """``run(*args)``, its failures turned into a ModelError saying ``failure`` (a whole
    sentence, translated)."""
    try:
        return run(*args)
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime's errors: wrong shapes, types, missing ops...
        raise ModelError(failure) from exc


# --- the classifier -----------------------------------------------------------------------


class Classifier:
    """CLIP zero-shot classifier over the categories of ``core/catalogue/category_tokens.py``.

    Build it with ``Classifier.load(model_dir)``; cache it (``st.cache_resource``).
    """

    def __init__(
        self,
        *,
        session,
        backend: str,
        output: str,
        codes: tuple[str, ...],
        preprocessing: Preprocessing,
        category_embeddings: np.ndarray | None = None,
        logit_scale: float = 100.0,
        input_ids: np.ndarray | None = None,
        attention_mask: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        manifest: Mapping[str, Any] | None = None,
        attribute_sets: Mapping[str, PromptSet] | None = None,
        attribute_ids: np.ndarray | None = None,
        attribute_mask: np.ndarray | None = None,
        extra_embeddings: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self._session = session
        self.backend = backend  # "split" (image tower + cached text) or "full" (single graph)
        self._output = output
        self.codes = codes
        self.preprocessing = preprocessing
        self._category_embeddings = category_embeddings  # (C, D), mean of unit prompt vectors
        self.logit_scale = logit_scale
        self._input_ids = input_ids
        self._attention_mask = attention_mask
        self._weights = weights  # (C, P) for the single graph
        self.manifest = dict(manifest or {})
        # colour and pattern: per option embeddings (split) or weights and columns (full)
        self.attribute_sets = dict(attribute_sets or {})
        self._attribute_ids = attribute_ids  # the single graph's second run, per photo
        self._attribute_mask = attribute_mask
        # other callers' prompts (load's ``extra_prompts``): unit text embeddings (P, D) per
        # prompt, by name; none from the single graph
        self.extra_embeddings = dict(extra_embeddings or {})

    @classmethod
    def load(
        cls,
        model_dir: Path,
        *,
        backend: str = "auto",
        verify: bool = True,
        text_session=None,
        extra_prompts: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> Classifier:
        """Load the model in ``model_dir``.

        ``backend``: "split" (image and text towers), "full" (the prototype's single graph),
        or "auto" (split when both towers are there). Each file's size and sha256 are checked
        against the manifest unless ``verify`` is false. ``text_session``: the text tower's
        session when one is open already (the text encoder's: opening one takes seconds).
        ``extra_prompts``: other prompt sets, by name, as (token ids, attention mask), run
        through the text tower in the same load (a batch each) into ``extra_embeddings``
        (split towers only). Raises ModelMissingError when there is no model, ModelError
        when it is incomplete, damaged or unusable.
        """
        if backend not in ("auto", "split", "full"):
            raise ValueError(f"unknown backend {backend!r}")
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        files = manifest["files"]
        if backend == "auto":
            backend = "split" if {"image", "text"} <= files.keys() else "full"
        needed = ("image", "text") if backend == "split" else ("full",)
        if not set(needed) <= files.keys():
            message = (
                _(
                    "The model in {folder} has no image and text model files; download or "
                    "export the model again."
                )
                if backend == "split"
                else _(
                    "The model in {folder} has no single-graph model file; download or export "
                    "the model again."
                )
            )
            raise ModelError(message.format(folder=model_dir))
        from core.catalogue import (
            category_tokens as tokens,  # imported late: `tokens` regenerates it
        )

        input_ids = np.asarray(tokens.INPUT_IDS, dtype=np.int64)
        attention_mask = np.asarray(tokens.ATTENTION_MASK, dtype=np.int64)
        attribute_ids, attribute_mask, attribute_sets = attribute_prompts()
        weights = prompt_weights(tuple(c for c, _ in tokens.PROMPTS), len(tokens.CODES))
        preprocessing = Preprocessing.from_dict(manifest["preprocessing"])
        common = dict(codes=tuple(tokens.CODES), preprocessing=preprocessing, manifest=manifest)

        def session_for(role: str):
            entry = files[role]
            data = read_model_file(model_dir, entry, verify=verify)
            return open_session(data, entry["path"]), entry

        if backend == "full":
            session, entry = session_for("full")
            return cls(
                session=session,
                backend="full",
                output=output_name(session, "full", entry.get("output", "")),
                input_ids=input_ids,
                attention_mask=attention_mask,
                weights=weights,
                attribute_sets=attribute_sets,
                attribute_ids=attribute_ids,
                attribute_mask=attribute_mask,
                **common,
            )

        if text_session is None:
            text_session, text_entry = session_for("text")
        else:
            text_entry = files["text"]
        # Two batches, categories then attributes, in the one load of the text tower: int8
        # dynamic quantisation scales activations per batch, so one mixed batch would move
        # the category embeddings (and the calibration of the SURE threshold) with the
        # attribute prompts.
        text, attribute_text = (
            _checked(
                _(
                    "The text model {path} fails on the prompts; download or export the "
                    "model again."
                ).format(path=text_entry["path"]),
                run_text_tower,
                text_session,
                ids,
                mask,
                text_entry.get("output", ""),
            )
            for ids, mask in ((input_ids, attention_mask), (attribute_ids, attribute_mask))
        )
        extra_embeddings = {
            name: unit(
                _checked(
                    _(
                        "The text model {path} fails on the prompts; download or export the "
                        "model again."
                    ).format(path=text_entry["path"]),
                    run_text_tower,
                    text_session,
                    np.asarray(ids, np.int64),
                    np.asarray(mask, np.int64),
                    text_entry.get("output", ""),
                )
            )
            for name, (ids, mask) in (extra_prompts or {}).items()
        }
        del text_session  # only its output is kept: the text tower's memory goes back (unless
        # the text encoder shares it)
        category_embeddings = weights @ unit(text)
        attribute_embeddings = unit(attribute_text)
        attribute_sets = {
            name: PromptSet(one.codes, embeddings=one.weights @ attribute_embeddings[one.columns])
            for name, one in attribute_sets.items()
        }

        image_session, image_entry = session_for("image")
        output = output_name(image_session, "image", image_entry.get("output", ""))
        # One run on a blank photo: checks the towers belong together and warms the session up.
        probe = np.zeros((1, 3, preprocessing.crop, preprocessing.crop), np.float32)
        width = _checked(
            _(
                "The image model {path} fails on a photo; download or export the model again."
            ).format(path=image_entry["path"]),
            run_image_tower,
            image_session,
            probe,
            output,
        ).shape[-1]
        if width != category_embeddings.shape[1]:
            raise ModelError(
                _(
                    "The image model {image} and the text model {text} do not belong "
                    "together; download or export the model again."
                ).format(image=image_entry["path"], text=text_entry["path"])
            )
        return cls(
            session=image_session,
            backend="split",
            output=output,
            category_embeddings=category_embeddings,
            logit_scale=float(manifest["logit_scale"]),
            attribute_sets=attribute_sets,
            extra_embeddings=extra_embeddings,
            **common,
        )

    @property
    def embeds(self) -> bool:
        """Whether this model gives image embeddings (the towers do, the single graph not)."""
        return self.backend == "split"

    def embed_pixels(self, pixel_values: np.ndarray) -> np.ndarray:
        """Unit image embeddings (N, D), float64, of preprocessed photos (N, 3, H, W)."""
        if not self.embeds:
            raise ModelError(_("The single-graph model gives no image embeddings."))
        return unit(run_image_tower(self._session, pixel_values, self._output))

    def embed_photos(self, photos: Sequence[bytes]) -> np.ndarray:
        """Unit image embeddings (N, D), float32, of photos' bytes (stored listing photos).

        Raises ``core.catalogue.photo_checks.PhotoError`` when one is not a usable photo."""
        pixels = np.concatenate([preprocess(photo, self.preprocessing) for photo in photos])
        return self.embed_pixels(pixels).astype(np.float32)

    def logits_of(self, embeddings: np.ndarray) -> np.ndarray:
        """Logits (N, C) of the categories for unit image embeddings (N, D)."""
        return self.logit_scale * embeddings @ self._category_embeddings.T

    def attribute_logits(self, name: str, embeddings: np.ndarray) -> np.ndarray:
        """Logits (N, K) of the options of the attribute set ``name`` ("colour", "pattern")
        for unit image embeddings (N, D): the same logit scale as the categories."""
        return self.logit_scale * embeddings @ self.attribute_sets[name].embeddings.T

    def look(self, pixel_values: np.ndarray) -> Look:
        """The embedding, the categories, the colours and the patterns of one preprocessed
        photo, in one image tower run (two runs of the single graph: categories, attributes)."""
        if not self.embeds:
            # the single graph recomputes the text side per run: a second run with the
            # attribute prompts (the prototype's graph, used only when the towers are missing)
            one = pixel_values[0]
            logits = self._full_prompt_logits(one, self._attribute_ids, self._attribute_mask)
            sets = {
                name: self._ranked(softmax(s.weights @ logits[s.columns]), s.codes)
                for name, s in self.attribute_sets.items()
            }
            categories = self.classify_pixels(pixel_values)
            return Look(None, categories, sets.get("colour", []), sets.get("pattern", []))
        embedding = self.embed_pixels(pixel_values[:1])
        probabilities = softmax(self.logits_of(embedding))[0]
        sets = {
            name: self._ranked(softmax(self.attribute_logits(name, embedding))[0], one.codes)
            for name, one in self.attribute_sets.items()
        }
        return Look(
            embedding[0].astype(np.float32),
            self._ranked(probabilities),
            sets.get("colour", []),
            sets.get("pattern", []),
        )

    def look_at(self, photo_bytes: bytes) -> Look:
        """``look`` for a photo's bytes. Raises ``core.catalogue.photo_checks.PhotoError``
        when the bytes are not a usable photo."""
        return self.look(preprocess(photo_bytes, self.preprocessing))

    def _ranked(
        self, probabilities: np.ndarray, codes: tuple[str, ...] | None = None
    ) -> list[Score]:
        codes = codes or self.codes
        order = np.argsort(-probabilities, kind="stable")
        return [Score(codes[i], float(probabilities[i])) for i in order]

    def _full_prompt_logits(
        self, one: np.ndarray, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> np.ndarray:
        """The single graph's logits (P,) of one preprocessed photo (3, H, W) for prompts."""
        feed = feed_for(
            self._session,
            {"input_ids": input_ids, "attention_mask": attention_mask, "pixel_values": one[None]},
            "full",
        )
        return self._session.run([self._output], feed)[0].astype(np.float64).reshape(-1)

    def category_logits(self, pixel_values: np.ndarray) -> np.ndarray:
        """Logits (N, C) of the categories for preprocessed photos (N, 3, H, W)."""
        if self.backend == "split":
            return self.logits_of(self.embed_pixels(pixel_values))
        rows = []
        for one in pixel_values:  # the single graph's logits_per_image is for one photo
            logits = self._full_prompt_logits(one, self._input_ids, self._attention_mask)
            rows.append(logits @ self._weights.T)
        return np.stack(rows)

    def probabilities(self, pixel_values: np.ndarray) -> np.ndarray:
        """Probabilities (N, C) of the categories, in the order of ``self.codes``."""
        return softmax(self.category_logits(pixel_values))

    def classify_pixels(self, pixel_values: np.ndarray) -> list[CategoryScore]:
        """Every category with its probability, most likely first, for one preprocessed photo."""
        return self._ranked(self.probabilities(pixel_values[:1])[0])

    def classify(self, photo_bytes: bytes) -> list[CategoryScore]:
        """Every category with its probability, most likely first.

        Raises ``core.catalogue.photo_checks.PhotoError`` when the bytes are not a usable photo.
        """
        return self.classify_pixels(preprocess(photo_bytes, self.preprocessing))
