"""The AI flags' scores on real photos, to check their thresholds (core/config.py) with the
model that is installed.

    python bench/flag_thresholds.py [--model-dir assets/model] [--images ../shared/images]

For every garment photo of ``--images`` (read, never copied), as the app stores an upload
(``prepare_photo``):
- its "not clothing" score (``core.moderation.flags.not_clothing_score``), and that of a
  generated screenshot of text (a non-garment);
- the cosine of its cover embedding with the same photo re-encoded as JPEG at quality 60
  and resized to 60 %, and with every other photo, of its category and of the others.
Prints percentiles, then one JSON object as the last line. Without a model that gives
image embeddings it says so and stops.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent


def reencoded(data: bytes) -> bytes:
    """The same photo downloaded and uploaded again: smaller, re-compressed."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((max(1, image.width * 6 // 10), max(1, image.height * 6 // 10)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=60)
    return out.getvalue()


def screenshot() -> bytes:
    image = Image.new("RGB", (720, 1280), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for line in range(40):
        draw.text((30, 30 + line * 30), f"Message {line}: see you tomorrow at the station", fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def quantiles(values) -> dict[str, float]:
    values = np.asarray(values, np.float64)
    if not len(values):
        return {}
    points = {"min": 0, "p5": 5, "p50": 50, "p95": 95, "max": 100}
    return {k: round(float(np.percentile(values, q)), 4) for k, q in points.items()}


def main() -> int:
    from core.ai.classifier import Classifier
    from core.ai.errors import ModelError
    from core.catalogue.photos import prepare_photo
    from core.config import load_settings
    from core.moderation.flags import flag_prompts, not_clothing_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=load_settings().model_dir)
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "images")
    args = parser.parse_args()
    try:
        classifier = Classifier.load(args.model_dir, extra_prompts=flag_prompts())
    except ModelError as exc:
        print(f"no model to measure with: {exc}")
        return 1
    if not classifier.embeds:
        print("this model (a single graph) gives no image embeddings")
        return 1
    files = sorted(p for p in args.images.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    photos = [prepare_photo(p.read_bytes()).image for p in files]
    groups = [p.parent.name for p in files]
    vectors = classifier.embed_photos(photos)
    copies = classifier.embed_photos([prepare_photo(reencoded(p)).image for p in photos])
    same_photo = np.sum(vectors * copies, axis=1)
    cosines = vectors @ vectors.T
    pairs = [(i, j) for i in range(len(files)) for j in range(i + 1, len(files))]
    same_group = [cosines[i, j] for i, j in pairs if groups[i] == groups[j]]
    other_group = [cosines[i, j] for i, j in pairs if groups[i] != groups[j]]
    text = classifier.embed_photos([prepare_photo(screenshot()).image])[0]
    figures = {
        "photos": len(files),
        "not_clothing_garments": quantiles([not_clothing_score(classifier, v) for v in vectors]),
        "not_clothing_screenshot": round(float(not_clothing_score(classifier, text)), 4),
        "duplicate_same_photo_reencoded": quantiles(same_photo),
        "duplicate_same_category": quantiles(same_group),
        "duplicate_other_category": quantiles(other_group),
    }
    for name, value in figures.items():
        print(f"{name:32} {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
