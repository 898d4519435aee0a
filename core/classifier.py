"""Zero-shot garment classifier: CLIP over ONNX Runtime, in process.

At load, the text tower runs once over the prompts' token ids (generated into
``core/category_tokens.py``) and each category keeps the mean of its prompts' unit text
embeddings; per photo only the image tower runs. A category's logit is the logit scale
times the cosine of the photo with each of its prompts, averaged over its prompts, which
is also what the prototype's single graph (``logits_per_image`` over every prompt) gives,
so both kinds of model directory answer the same.

A model directory holds ONNX files and ``manifest.json`` (source, sha256 and size of each
file, logit scale, preprocessing), written by ``python -m tools.model download|export``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from core import photos
from core.errors import UserError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
ROLES = ("image", "text", "full")  # image tower, text tower, the prototype's single graph
# Output names of the towers (ours and Xenova's) and of the single graph; others are searched.
OUTPUT_NAMES = {"image": "image_embeds", "text": "text_embeds", "full": "logits_per_image"}

# A JPEG of more than DRAFT_MIN_PIXELS is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT
# scaling) as long as its shorter side stays at least DRAFT_MIN_SIDE (1.5 x 224): a
# 12-megapixel photo then decodes in about a quarter of the time, and the bicubic resize
# that follows still has 1.5 times the pixels it needs. Smaller photos decode in full.
DRAFT_MIN_SIDE = 336
DRAFT_MIN_PIXELS = 2_000_000
# Beyond this aspect ratio the photo's ends are cut before resizing: only the centre is kept
# anyway, and a 1 x 50 000 sliver must not turn into a 224 x 11 000 000 resize.
MAX_ASPECT = 4


class ModelError(UserError):
    """The model files cannot be used; the message is one sentence for the user."""


class ModelMissingError(ModelError):
    """There is no model in the model directory (nothing downloaded or exported yet)."""


@dataclass(frozen=True)
class CategoryScore:
    code: str
    probability: float


@dataclass(frozen=True)
class Preprocessing:
    """CLIP's image preprocessing: shorter side to ``size`` (bicubic), centre crop, normalise."""

    size: int = 224
    crop: int = 224
    mean: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
    std: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)
    resample: str = "bicubic"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessing:
        prep = cls(
            size=int(data["size"]),
            crop=int(data["crop"]),
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in data["std"]),  # type: ignore[arg-type]
            resample=str(data.get("resample", "bicubic")),
        )
        if prep.resample != "bicubic" or len(prep.mean) != 3 or len(prep.std) != 3:
            raise ValueError(f"unsupported preprocessing {data}")
        return prep


CLIP_PREPROCESSING = Preprocessing()


# --- photo preprocessing ------------------------------------------------------------------


def _open_reduced(data: bytes, min_side: int) -> Image.Image | None:
    """Decode ``data``, a JPEG at reduced size; None when anything is off.

    The same header checks and pixel budget as every upload (``core.photos``): nothing
    is decoded that would hold more than ``photos.MAX_DECODED_PIXELS`` at once.
    """
    try:
        image = photos.read_header(data)
        photos.check_pixels(image, data)
        big = image.format in photos.JPEG_FORMATS and image.width * image.height > DRAFT_MIN_PIXELS
        return photos.decode(image, draft=(min_side, min_side) if big else None)
    except Exception:
        return None


def decode_photo(data: bytes, *, draft: bool = True, name: str = "The photo") -> Image.Image:
    """Decode an uploaded photo to an upright RGB image; PhotoError if it is not usable.

    With ``draft``, a JPEG over ``DRAFT_MIN_PIXELS`` is decoded at 1/2, 1/4 or 1/8 scale,
    never below ``DRAFT_MIN_SIDE`` on its shorter side. An animation's first frame is the photo.
    """
    image = _open_reduced(data, DRAFT_MIN_SIDE) if draft else None
    if image is None:
        # photos.open_image raises PhotoError with the user-facing reason (empty, not an
        # image, truncated, too large...), or decodes in full if only the fast path failed.
        image = photos.open_image(data, name=name)
    with contextlib.suppress(Exception):  # a broken EXIF block is no reason to refuse a photo
        image = ImageOps.exif_transpose(image)
    return photos.to_rgb(image)


def preprocess_image(image: Image.Image, prep: Preprocessing = CLIP_PREPROCESSING) -> np.ndarray:
    """An RGB image to CLIP's ``pixel_values``, float32 of shape (1, 3, crop, crop).

    Same arithmetic as ``transformers.CLIPImageProcessor``: shorter side to ``size`` with
    bicubic, longer side ``int(size * long / short)``, centre crop with floor offsets.
    """
    if image.mode != "RGB":
        image = photos.to_rgb(image)
    width, height = image.size
    short, long = min(width, height), max(width, height)
    if long > short * MAX_ASPECT:
        keep = short * MAX_ASPECT
        if width > height:
            left = (width - keep) // 2
            image = image.crop((left, 0, left + keep, height))
        else:
            top = (height - keep) // 2
            image = image.crop((0, top, width, top + keep))
        width, height = image.size
        long = keep
    new_long = int(prep.size * long / short)
    size = (prep.size, new_long) if width <= height else (new_long, prep.size)
    image = image.resize(size, Image.Resampling.BICUBIC)
    left = (size[0] - prep.crop) // 2
    top = (size[1] - prep.crop) // 2
    image = image.crop((left, top, left + prep.crop, top + prep.crop))
    pixels = np.asarray(image, dtype=np.float32)
    std = np.asarray(prep.std, dtype=np.float32)
    mean = np.asarray(prep.mean, dtype=np.float32)
    pixels = pixels * (1.0 / (255.0 * std)) - mean / std
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


def preprocess(
    data: bytes, prep: Preprocessing = CLIP_PREPROCESSING, *, draft: bool = True
) -> np.ndarray:
    """Uploaded photo bytes to CLIP's ``pixel_values``; PhotoError if the photo is not usable."""
    return preprocess_image(decode_photo(data, draft=draft), prep)


# --- model directory and manifest ---------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The model directory's manifest; ModelMissingError if absent, ModelError if unreadable."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ModelMissingError(f"No model has been downloaded or exported into {model_dir} yet.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
            raise ValueError("unknown manifest format")
        for role, entry in files.items():
            if role not in ROLES or not {"path", "sha256", "bytes"} <= entry.keys():
                raise ValueError(f"bad entry {role}")
            if Path(entry["path"]).name != entry["path"]:
                raise ValueError(f"path outside the model directory: {entry['path']}")
        float(manifest["logit_scale"])
        Preprocessing.from_dict(manifest["preprocessing"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(
            f"The model manifest {path} is damaged; download or export the model again."
        ) from exc
    return manifest


def read_model_file(model_dir: Path, entry: Mapping[str, Any], *, verify: bool = True) -> bytes:
    """A model file's bytes, checked against the manifest's size and sha256."""
    path = Path(model_dir) / entry["path"]
    if not path.is_file():
        raise ModelError(
            f"The model file {entry['path']} is missing from {model_dir}; "
            "download or export the model again."
        )
    data = path.read_bytes()
    if verify and len(data) != int(entry["bytes"]):
        raise ModelError(
            f"The model file {entry['path']} is incomplete ({len(data):,} of "
            f"{int(entry['bytes']):,} bytes); download or export the model again."
        )
    if verify and sha256_bytes(data) != entry["sha256"]:
        raise ModelError(
            f"The model file {entry['path']} is damaged (its checksum does not match the "
            "manifest); download or export the model again."
        )
    return data


@functools.cache
def _x86_without_vnni() -> bool:
    """Whether this is an x86 CPU without VNNI (int8 dot products), from /proc/cpuinfo."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return " avx2" in flags and "vnni" not in flags


def session_options():
    """ONNX Runtime options for our sessions."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: initializer notices are noise for users
    if _x86_without_vnni():
        # There, int8 (u8s8) products can saturate; this makes ONNX Runtime use u8u8 instead.
        # Not set elsewhere: it also slows down CPUs with VNNI (measured: 36 ms against 20).
        options.add_session_config_entry("session.x64quantprecision", "1")
    return options


def open_session(model: bytes | Path, name: str, options=None):
    """An ONNX Runtime CPU session; ModelError if the file is not a usable ONNX model."""
    import onnxruntime as ort

    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(
            source, options or session_options(), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/... types
        raise ModelError(
            f"The model file {name} cannot be loaded by ONNX Runtime; "
            "download or export the model again."
        ) from exc


def output_name(session, role: str, name: str = "") -> str:
    """The output of ``session`` to read for ``role``: the manifest's, the usual one, or the
    only rank-2 output."""
    outputs = session.get_outputs()
    names = [o.name for o in outputs]
    for wanted in (name, OUTPUT_NAMES[role]):
        if wanted and wanted in names:
            return wanted
    rank2 = [o.name for o in outputs if len(o.shape or ()) == 2]
    if len(rank2) == 1:
        return rank2[0]
    raise ModelError(
        f"The {role} model has no output the app recognises (it has {', '.join(names)})."
    )


def _feed(session, available: Mapping[str, np.ndarray], role: str) -> dict[str, np.ndarray]:
    """The inputs that ``session`` declares, in the dtype it declares."""
    feed = {}
    for arg in session.get_inputs():
        if arg.name not in available:
            raise ModelError(
                f"The {role} model expects an input named {arg.name!r} that the app "
                "does not provide."
            )
        value = available[arg.name]
        if arg.type == "tensor(int32)":
            value = value.astype(np.int32)
        elif arg.type == "tensor(int64)":
            value = value.astype(np.int64)
        feed[arg.name] = value
    return feed


def run_image_tower(session, pixel_values: np.ndarray, output: str = "") -> np.ndarray:
    """Image embeddings (N, D) for ``pixel_values`` (N, 3, H, W), not normalised."""
    inputs = session.get_inputs()
    name = inputs[0].name if len(inputs) == 1 else "pixel_values"
    feed = _feed(session, {name: pixel_values}, "image")
    return session.run([output or output_name(session, "image")], feed)[0]


def run_text_tower(
    session, input_ids: np.ndarray, attention_mask: np.ndarray, output: str = ""
) -> np.ndarray:
    """Text embeddings (P, D) for the prompts' ids, not normalised."""
    available = {"input_ids": input_ids, "attention_mask": attention_mask}
    feed = _feed(session, available, "text")
    return session.run([output or output_name(session, "text")], feed)[0]


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (in float64, for a stable dot product afterwards)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


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
    """``run(*args)``, its failures turned into a ModelError saying ``failure``."""
    try:
        return run(*args)
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime's errors: wrong shapes, types, missing ops...
        raise ModelError(f"{failure}; download or export the model again.") from exc


# --- the classifier -----------------------------------------------------------------------


class Classifier:
    """CLIP zero-shot classifier over the categories of ``core/category_tokens.py``.

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

    @classmethod
    def load(cls, model_dir: Path, *, backend: str = "auto", verify: bool = True) -> Classifier:
        """Load the model in ``model_dir``.

        ``backend``: "split" (image and text towers), "full" (the prototype's single graph),
        or "auto" (split when both towers are there). Each file's size and sha256 are checked
        against the manifest unless ``verify`` is false. Raises ModelMissingError when there
        is no model, ModelError when it is incomplete, damaged or unusable.
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
            raise ModelError(
                f"The model in {model_dir} has no {' and '.join(needed)} model file; "
                "download or export the model again."
            )
        from core import category_tokens as tokens  # imported late: `tokens` regenerates it

        input_ids = np.asarray(tokens.INPUT_IDS, dtype=np.int64)
        attention_mask = np.asarray(tokens.ATTENTION_MASK, dtype=np.int64)
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
                **common,
            )

        text_session, text_entry = session_for("text")
        text = _checked(
            f"The text model {text_entry['path']} fails on the category prompts",
            run_text_tower,
            text_session,
            input_ids,
            attention_mask,
            text_entry.get("output", ""),
        )
        del text_session  # only its output is kept: the text tower's memory goes back
        category_embeddings = weights @ unit(text)

        image_session, image_entry = session_for("image")
        output = output_name(image_session, "image", image_entry.get("output", ""))
        # One run on a blank photo: checks the towers belong together and warms the session up.
        probe = np.zeros((1, 3, preprocessing.crop, preprocessing.crop), np.float32)
        width = _checked(
            f"The image model {image_entry['path']} fails on a photo",
            run_image_tower,
            image_session,
            probe,
            output,
        ).shape[-1]
        if width != category_embeddings.shape[1]:
            raise ModelError(
                f"The image model {image_entry['path']} and the text model "
                f"{text_entry['path']} do not belong together; download or export the "
                "model again."
            )
        return cls(
            session=image_session,
            backend="split",
            output=output,
            category_embeddings=category_embeddings,
            logit_scale=float(manifest["logit_scale"]),
            **common,
        )

    def category_logits(self, pixel_values: np.ndarray) -> np.ndarray:
        """Logits (N, C) of the categories for preprocessed photos (N, 3, H, W)."""
        if self.backend == "split":
            image = unit(run_image_tower(self._session, pixel_values, self._output))
            return self.logit_scale * image @ self._category_embeddings.T
        rows = []
        for one in pixel_values:  # the single graph's logits_per_image is for one photo
            feed = _feed(
                self._session,
                {
                    "input_ids": self._input_ids,
                    "attention_mask": self._attention_mask,
                    "pixel_values": one[None],
                },
                "full",
            )
            logits = self._session.run([self._output], feed)[0].astype(np.float64)
            rows.append(logits.reshape(-1) @ self._weights.T)
        return np.stack(rows)

    def probabilities(self, pixel_values: np.ndarray) -> np.ndarray:
        """Probabilities (N, C) of the categories, in the order of ``self.codes``."""
        return softmax(self.category_logits(pixel_values))

    def classify_pixels(self, pixel_values: np.ndarray) -> list[CategoryScore]:
        """Every category with its probability, most likely first, for one preprocessed photo."""
        probabilities = self.probabilities(pixel_values[:1])[0]
        order = np.argsort(-probabilities, kind="stable")
        return [CategoryScore(self.codes[i], float(probabilities[i])) for i in order]

    def classify(self, photo_bytes: bytes) -> list[CategoryScore]:
        """Every category with its probability, most likely first.

        Raises ``core.photos.PhotoError`` when the bytes are not a usable photo.
        """
        return self.classify_pixels(preprocess(photo_bytes, self.preprocessing))
