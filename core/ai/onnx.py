"""ONNX Runtime sessions for the CLIP towers: options, opening a model, finding its inputs
and outputs, running the image and text towers."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from core.ai.errors import ModelError
from core.i18n import _

ROLES = ("image", "text", "full")  # image tower, text tower, the prototype's single graph
# Output names of the towers (ours and Xenova's) and of the single graph; others are searched.
OUTPUT_NAMES = {"image": "image_embeds", "text": "text_embeds", "full": "logits_per_image"}


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
            _(
                "The model file {name} cannot be loaded by ONNX Runtime; download or export "
                "the model again."
            ).format(name=name)
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
        _("The {role} model has no output the app recognises (it has {outputs}).").format(
            role=role, outputs=", ".join(names)
        )
    )


def feed_for(session, available: Mapping[str, np.ndarray], role: str) -> dict[str, np.ndarray]:
    """The inputs that ``session`` declares, in the dtype it declares."""
    feed = {}
    for arg in session.get_inputs():
        if arg.name not in available:
            raise ModelError(
                _(
                    "The {role} model expects an input named {name} that the app does not provide."
                ).format(role=role, name=repr(arg.name))
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
    feed = feed_for(session, {name: pixel_values}, "image")
    return session.run([output or output_name(session, "image")], feed)[0]


def run_text_tower(
    session, input_ids: np.ndarray, attention_mask: np.ndarray, output: str = ""
) -> np.ndarray:
    """Text embeddings (P, D) for the prompts' ids, not normalised."""
    available = {"input_ids": input_ids, "attention_mask": attention_mask}
    feed = feed_for(session, available, "text")
    return session.run([output or output_name(session, "text")], feed)[0]


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (in float64, for a stable dot product afterwards)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
