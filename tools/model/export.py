"""Export CLIP to ONNX towers and quantise them: ``python -m tools.model export``.

The prototype's notebook as a command: from a CLIP checkpoint (or the ViT-B/32
architecture with random weights) export the image tower (``pixel_values`` ->
``image_embeds``), the text tower (``input_ids``, ``attention_mask`` -> ``text_embeds``)
and, on request, the single graph (``input_ids``, ``pixel_values`` -> ``logits_per_image``);
quantise them with ONNX Runtime dynamic quantisation; check them against PyTorch on
sample photos; install them with CLIP's ``tokenizer.json`` (text search tokenises at run
time) and their manifest. Build time only: needs torch,
transformers and onnx.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.ai.classifier import prompt_weights, softmax
from core.ai.errors import ModelError
from core.ai.model_dir import (
    TOKENIZER_NAME,
    file_entry,
    install_files,
    tokenizer_entry,
    write_manifest,
)
from core.ai.onnx import open_session, run_image_tower, run_text_tower, unit
from core.ai.preprocess import preprocess, preprocess_image
from core.ai.tokenizer import load_tokenizer
from core.catalogue import category_tokens
from tools.model.progress import TextBar
from tools.model.tokens import shared_tokenizer

OPSET = 17
FILE_NAMES = {"image": "vision_model", "text": "text_model", "full": "model"}
# The fp32 ONNX graph must reproduce PyTorch; anything above this is an exporter bug.
FP32_TOLERANCE = 1e-3


def load_clip(checkpoint: str | None = None, *, untrained: bool = False, seed: int = 0):
    """A CLIPModel in eval mode: a checkpoint (Hub id or folder), or ViT-B/32 untrained."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    if untrained:
        torch.manual_seed(seed)
        return CLIPModel(CLIPConfig()).eval()  # CLIPConfig's defaults are ViT-B/32
    try:
        return CLIPModel.from_pretrained(checkpoint).eval()
    except Exception as exc:  # offline, wrong id, not a CLIP checkpoint
        raise SystemExit(f"Cannot load the CLIP checkpoint {checkpoint!r}: {exc}") from exc


def _towers(model):
    import torch

    class ImageTower(torch.nn.Module):
        def __init__(self, clip) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, pixel_values):
            pooled = self.clip.vision_model(pixel_values=pixel_values).pooler_output
            return self.clip.visual_projection(pooled)

    class TextTower(torch.nn.Module):
        def __init__(self, clip) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, input_ids, attention_mask):
            out = self.clip.text_model(input_ids=input_ids, attention_mask=attention_mask)
            return self.clip.text_projection(out.pooler_output)

    class FullGraph(torch.nn.Module):
        def __init__(self, clip) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, input_ids, pixel_values):
            return self.clip(input_ids=input_ids, pixel_values=pixel_values).logits_per_image

    return ImageTower(model).eval(), TextTower(model).eval(), FullGraph(model).eval()


def _prompt_arrays() -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(category_tokens.INPUT_IDS, dtype=np.int64)
    return ids, np.asarray(category_tokens.ATTENTION_MASK, dtype=np.int64)


@contextlib.contextmanager
def _quiet():
    """Silence the exporters' tracer and deprecation chatter (not errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(previous)


def export_onnx(model, out_dir: Path, *, full_graph: bool = False) -> dict[str, Path]:
    """Export the float32 towers (and the single graph) of ``model`` into ``out_dir``."""
    import torch

    image, text, full = _towers(model)
    ids, mask = (torch.from_numpy(a) for a in _prompt_arrays())
    size = model.config.vision_config.image_size
    pixels = torch.zeros(1, 3, size, size)
    jobs = [
        ("image", image, (pixels,), ["pixel_values"], ["image_embeds"],
         {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}),
        ("text", text, (ids, mask), ["input_ids", "attention_mask"], ["text_embeds"],
         {"input_ids": {0: "prompts", 1: "sequence"},
          "attention_mask": {0: "prompts", 1: "sequence"}, "text_embeds": {0: "prompts"}}),
    ]  # fmt: skip
    if full_graph:
        jobs.append(
            ("full", full, (ids, pixels), ["input_ids", "pixel_values"], ["logits_per_image"],
             {"input_ids": {0: "prompts", 1: "sequence"}, "pixel_values": {0: "batch"},
              "logits_per_image": {0: "batch", 1: "prompts"}})
        )  # fmt: skip
    paths = {}
    for role, module, args, inputs, outputs, axes in jobs:
        path = out_dir / f"{FILE_NAMES[role]}.onnx"
        with _quiet(), torch.no_grad():
            # TorchScript exporter: the dynamo one needs onnxscript, and gives the same graph here
            torch.onnx.export(
                module,
                args,
                str(path),
                dynamo=False,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
            )
        paths[role] = path
    return paths


def quantize(paths: dict[str, Path], out_dir: Path, weight_type: str = "int8") -> dict[str, Path]:
    """ONNX Runtime dynamic quantisation (8-bit weights, activations quantised at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    kind = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}[weight_type]
    quantized = {}
    for role, path in paths.items():
        target = out_dir / f"{FILE_NAMES[role]}_{weight_type}.onnx"
        with _quiet():
            quantize_dynamic(path, target, weight_type=kind)
        quantized[role] = target
    return quantized


# --- check against PyTorch ----------------------------------------------------------------


@dataclass
class CheckRow:
    name: str
    top1_agreement: float  # fraction of photos whose top category equals PyTorch's
    max_probability_gap: float  # largest |p_onnx - p_torch| over photos and categories


def sample_photos(folder: Path | None, limit: int = 24) -> list[np.ndarray]:
    """``pixel_values`` of up to ``limit`` photos of ``folder``, or of generated pictures."""
    if folder is not None:
        files = sorted(
            p for p in Path(folder).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")
        )
        step = max(1, len(files) // limit)
        photos = [preprocess(p.read_bytes()) for p in files[::step][:limit]]
        if photos:
            return photos
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    photos = []
    for i in range(8):
        image = Image.new(
            "RGB", (320 + 40 * i, 400), tuple(int(v) for v in rng.integers(0, 255, 3))
        )
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y = (int(v) for v in rng.integers(0, 300, 2))
            colour = tuple(int(v) for v in rng.integers(0, 255, 3))
            draw.ellipse((x, y, x + 40 + 10 * i, y + 80), fill=colour)
        photos.append(preprocess_image(image))
    return photos


def torch_probabilities(model, pixel_values: np.ndarray) -> np.ndarray:
    """The categories' probabilities by PyTorch, aggregated as the classifier does."""
    import torch

    ids, mask = _prompt_arrays()
    with torch.no_grad():
        out = model(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            pixel_values=torch.from_numpy(pixel_values),
        )
    logits = out.logits_per_image.double().numpy()
    return softmax(logits @ _weights().T)


def _weights() -> np.ndarray:
    return prompt_weights(tuple(c for c, _ in category_tokens.PROMPTS), len(category_tokens.CODES))


def onnx_probabilities(
    image_path: Path | None,
    text_path: Path | None,
    pixel_values: np.ndarray,
    logit_scale: float,
    *,
    full_path: Path | None = None,
) -> np.ndarray:
    """The categories' probabilities by an image tower and a text tower, or by a single graph."""
    weights = _weights()
    ids, mask = _prompt_arrays()
    if full_path is not None:
        session = open_session(full_path, full_path.name)
        rows = [
            session.run(None, {"input_ids": ids, "pixel_values": photo[None]})[0][0]
            for photo in pixel_values
        ]
        return softmax(np.asarray(rows, dtype=np.float64) @ weights.T)
    text = unit(run_text_tower(open_session(text_path, text_path.name), ids, mask))
    image = unit(run_image_tower(open_session(image_path, image_path.name), pixel_values))
    return softmax(logit_scale * image @ (weights @ text).T)


def compare(name: str, reference: np.ndarray, probabilities: np.ndarray) -> CheckRow:
    agree = float(np.mean(reference.argmax(1) == probabilities.argmax(1)))
    return CheckRow(name, agree, float(np.abs(reference - probabilities).max()))


def check_export(
    model,
    fp32: dict[str, Path],
    final: dict[str, Path],
    photos: Sequence[np.ndarray],
) -> list[CheckRow]:
    """Compare the ONNX models with PyTorch on ``photos``: each quantised tower alone, both,
    and the single graph. Raises RuntimeError if the float32 export itself is off."""
    pixels = np.concatenate(list(photos))
    scale = float(model.logit_scale.detach().exp())
    reference = torch_probabilities(model, pixels)
    rows = [
        compare(
            "float32 towers",
            reference,
            onnx_probabilities(fp32["image"], fp32["text"], pixels, scale),
        )
    ]
    if rows[0].max_probability_gap > FP32_TOLERANCE:
        raise RuntimeError(
            f"The float32 ONNX export differs from PyTorch by {rows[0].max_probability_gap:.2e}."
        )
    if final != fp32:
        rows += [
            compare("quantised image tower", reference,
                    onnx_probabilities(final["image"], fp32["text"], pixels, scale)),
            compare("quantised text tower", reference,
                    onnx_probabilities(fp32["image"], final["text"], pixels, scale)),
            compare("quantised towers (shipped)", reference,
                    onnx_probabilities(final["image"], final["text"], pixels, scale)),
        ]  # fmt: skip
    if "full" in final:
        label = "single graph" + (" (quantised)" if final != fp32 else "")
        rows.append(
            compare(
                label,
                reference,
                onnx_probabilities(None, None, pixels, scale, full_path=final["full"]),
            )
        )
    return rows


def format_check(rows: Sequence[CheckRow], photos: int) -> str:
    lines = [f"check against PyTorch on {photos} photos:", f"  {'model':30} top-1 agree  max |dp|"]
    lines += [f"  {r.name:30} {r.top1_agreement:10.0%}  {r.max_probability_gap:8.4f}" for r in rows]
    return "\n".join(lines)


# --- the tokenizer ------------------------------------------------------------------------


def write_tokenizer(tokenizer: str | Path, target: Path, *, vocab_size: int) -> Path:
    """CLIP's ``tokenizer.json`` from ``tokenizer`` (a folder or Hub id) into ``target``:
    the folder's own file copied as is, else transformers' tokenizer saved. Refused (with a
    sentence) if it is not CLIP's or has more tokens than the model's vocabulary."""
    source = Path(tokenizer) / TOKENIZER_NAME
    if source.is_file():
        shutil.copyfile(source, target)
    else:
        from tools.model.tokens import load_tokenizer as load_clip_tokenizer

        load_clip_tokenizer(str(tokenizer)).backend_tokenizer.save(str(target))
    try:
        loaded = load_tokenizer(target.read_bytes(), str(tokenizer))
    except ModelError as exc:
        raise SystemExit(str(exc)) from exc
    if loaded.get_vocab_size() > vocab_size:
        raise SystemExit(
            f"The tokenizer {tokenizer} has {loaded.get_vocab_size()} tokens but the model "
            f"only {vocab_size}: they do not belong together."
        )
    return target


# --- the whole export ---------------------------------------------------------------------


def export_model(
    model,
    model_dir: Path,
    *,
    quantise: bool = True,
    weight_type: str = "int8",
    full_graph: bool = False,
    photos: Sequence[np.ndarray] | None = None,
    source: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    tokenizer: str | Path | None = None,
) -> tuple[dict[str, Any], list[CheckRow]]:
    """Export ``model`` into ``model_dir``: ONNX towers (quantised unless ``quantise`` is
    false), the single graph with ``full_graph``, checked on ``photos``, ``tokenizer.json``
    from ``tokenizer`` (a folder or Hub id; None: no tokenizer, no text search), and the
    manifest. Returns the manifest and the check."""
    import onnxruntime
    import torch
    import transformers

    report = progress or (lambda done, total: None)
    steps = 4 + (1 if quantise else 0)
    photos = list(photos) if photos is not None else sample_photos(None)
    model_dir = Path(model_dir)
    with tempfile.TemporaryDirectory(prefix="clip-export-") as tmp:
        report(0, steps)
        fp32 = export_onnx(model, Path(tmp), full_graph=full_graph)
        report(1, steps)
        final = fp32
        if quantise:
            final = quantize(fp32, Path(tmp), weight_type)
            report(2, steps)
        rows = check_export(model, fp32, final, photos)
        report(steps - 2, steps)
        entries = {role: file_entry(path, role) for role, path in final.items()}
        files = dict(final)
        if tokenizer is not None:
            vocab_size = model.config.text_config.vocab_size
            files["tokenizer"] = write_tokenizer(
                tokenizer, Path(tmp) / TOKENIZER_NAME, vocab_size=vocab_size
            )
        installed = install_files(model_dir, files)
        tokenizer_path = installed.pop("tokenizer", None)
        for role, path in installed.items():
            entries[role]["path"] = path.name
        report(steps - 1, steps)
    quantization = (
        f"dynamic, {'QInt8' if weight_type == 'int8' else 'QUInt8'} weights "
        f"(onnxruntime {onnxruntime.__version__})"
        if quantise
        else "none (float32)"
    )
    manifest = write_manifest(
        model_dir,
        entries,
        source={
            **(source or {"kind": "export", "checkpoint": None}),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        logit_scale=float(model.logit_scale.detach().exp()),
        quantization=quantization,
        extra={"check": {"photos": len(photos), "rows": [r.__dict__ for r in rows]}},
        tokenizer=tokenizer_entry(tokenizer_path) if tokenizer_path else None,
    )
    report(steps, steps)
    return manifest, rows


def export_command(args) -> None:
    """``python -m tools.model export``."""
    # first, so that a missing ../shared stops the command before the model is built
    tokenizer = args.tokenizer or (shared_tokenizer() if args.untrained else args.checkpoint)
    print("loading " + ("untrained ViT-B/32" if args.untrained else args.checkpoint))
    model = load_clip(args.checkpoint, untrained=args.untrained, seed=args.seed)
    photos = sample_photos(args.photos)
    source = {
        "kind": "export",
        "checkpoint": None if args.untrained else args.checkpoint,
        "untrained": bool(args.untrained),
        **({"seed": args.seed} if args.untrained else {}),
        "tokenizer": str(tokenizer),
    }
    with contextlib.redirect_stdout(io.StringIO()):  # exporter prints
        manifest, rows = export_model(
            model,
            args.model_dir,
            quantise=not args.no_quantize,
            weight_type=args.weight_type,
            full_graph=args.full_graph,
            photos=photos,
            source=source,
            progress=TextBar("export", " steps"),
            tokenizer=tokenizer,
        )
    print(format_check(rows, len(photos)))
    written = [
        *manifest["files"].values(),
        *([manifest["tokenizer"]] if "tokenizer" in manifest else []),
    ]
    sizes = ", ".join(f"{e['path']} {e['bytes'] / 1e6:.1f} MB" for e in written)
    print(f"wrote {args.model_dir}: {sizes}")
