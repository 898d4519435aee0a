"""A tiny CLIP for the tests, exported by the project's own export code.

Same structure as ViT-B/32 (224 px photos, 32 px patches, the real 49 408-token vocabulary,
so the generated prompt ids work) with 2 layers of width 32: built and exported in seconds.
Built once per test session (``functools.cache``) into a temporary folder.
"""

from __future__ import annotations

import atexit
import functools
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SHARED_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "images"
# The real CLIP tokenizer (no weights): the tiny models carry it, so text search works in the
# tests; without the folder they have no tokenizer and the text-search tests skip.
SHARED_TOKENIZER = SHARED_IMAGES.parent / "clip-tokenizer"


def build_tiny_clip(seed: int = 0):
    import torch
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config={
            "vocab_size": 49408,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 77,
        },
        vision_config={
            "image_size": 224,
            "patch_size": 32,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
        },
        projection_dim=16,
    )  # logit scale exp(2.6592) = 14.3, not CLIP's 100: the probabilities stay spread out
    torch.manual_seed(seed)
    return CLIPModel(config).eval()


def garment_photos(count: int = 12) -> list[bytes]:
    """Generated JPEG/PNG 'photos' of various sizes and shapes (deterministic)."""
    rng = np.random.default_rng(1)
    photos = []
    for i in range(count):
        width, height = int(rng.integers(160, 900)), int(rng.integers(160, 900))
        background = tuple(int(v) for v in rng.integers(0, 255, 3))
        image = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(2, 7))):
            x0, y0 = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
            x1, y1 = x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2))
            colour = tuple(int(v) for v in rng.integers(0, 255, 3))
            (draw.rectangle if i % 2 else draw.ellipse)((x0, y0, x1, y1), fill=colour)
        noise = rng.normal(0, 8, (height, width, 3))
        pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="JPEG" if i % 3 else "PNG", quality=90)
        photos.append(out.getvalue())
    return photos


def shared_photos(limit: int | None = None) -> list[Path]:
    """The real photos of ../shared/images, when this checkout has them (never copied here)."""
    if not SHARED_IMAGES.is_dir():
        return []
    files = sorted(p for p in SHARED_IMAGES.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    return files[:limit] if limit else files


@dataclass(frozen=True)
class TinyModels:
    model: object  # the CLIPModel
    fp32_dir: Path  # float32 towers and single graph
    quantized_dir: Path  # int8 towers and single graph (the default export)
    photos: tuple[bytes, ...]


@functools.cache
def tiny_models() -> TinyModels:
    """Build the tiny CLIP once and export it twice with ``tools.model.export``."""
    from core.ai.preprocess import preprocess
    from tools.model.export import export_model

    root = Path(tempfile.mkdtemp(prefix="tiny-clip-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    model = build_tiny_clip()
    photos = tuple(garment_photos())
    pixels = [preprocess(p) for p in photos]
    source = {"kind": "export", "checkpoint": "tests/tiny_clip.py"}
    tokenizer = SHARED_TOKENIZER if SHARED_TOKENIZER.is_dir() else None
    common = dict(full_graph=True, photos=pixels, source=source, tokenizer=tokenizer)
    export_model(model, root / "fp32", quantise=False, **common)
    export_model(model, root / "int8", **common)
    return TinyModels(model, root / "fp32", root / "int8", photos)


def copy_model(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
