"""Benchmark: the sell page's work for one upload (decode, store-ready copy, thumbnail,
category suggestion), today's design against one decode per upload, side by side.

    python bench/upload.py [--model-dir /tmp/vitb32-decode] [--repeats 15]
                           [--cache /tmp/photos-bench] [--images ../shared/images]

The model is a real-size ViT-B/32 image tower with random weights, quantised
(``python -m tools.model export --untrained --model-dir DIR``: exported here when the folder
has none; same compute as the trained model).

- today: ``prepare_photo`` as it was (decode at 1/2..1/8 scale, Lanczos to 1600 px, a copy
  and Lanczos for the thumbnail, progressive optimised JPEGs), then
  ``classifier.classify(photo.image)``, which decodes the stored 1600 px JPEG again and
  preprocesses it (copied below as ``today_prepare_photo``, the classify call is unchanged);
- one decode: ``core.ai.preprocess.prepare_for_model`` (the same decode shared by the
  stored copy, the thumbnail and the model input), then ``classifier.look(pixel_values)``.

Inputs (generated once into ``--cache``, never into the repo): the 12-megapixel phone JPEG
of bench/photos.py (a garment photo of ``--images`` enlarged to 4032 x 3024, sensor noise,
EXIF orientation 6), its 50-megapixel 25 MB JPEG, and a 6-megapixel PNG of the same garment.
The two designs alternate within each repetition (the order swapped every time), in one
process, so a noisy machine slows both alike. Also a step-by-step profile of each design on
the 12 MP photo, and the top-1 of both designs on every photo of ``--images``.

Prints the figures, then one JSON object as the last line with ``goals_met``.
``measure_upload(model_dir, repeats)`` returns that object, for other benches.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from photos import phone_jpeg, phone_jpeg_50mp_25mb  # bench/photos.py, beside this script
from PIL import Image

from core.ai.classifier import Classifier
from core.ai.preprocess import decode_photo, model_input, prepare_for_model, preprocess_image
from core.catalogue import photo_checks, photos

ROOT = Path(__file__).resolve().parent.parent

GOAL_12MP_P50_MS = 150.0
DEFAULT_IMAGES = ROOT.parent / "shared" / "images"
DEFAULT_CACHE = Path("/tmp/photos-bench")


# --- today's design, as it was before one decode per upload ---------------------------------


def _today_jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.info = {}
    image.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _today_thumbnail(image: Image.Image) -> Image.Image:
    small = photos.to_rgb(image).copy()
    small.thumbnail(photos.THUMB_SIZE, Image.Resampling.LANCZOS)
    pixels = np.asarray(small)
    edge = min(2, *pixels.shape[:2])
    border = np.concatenate(
        [
            pixels[:edge].reshape(-1, 3),
            pixels[-edge:].reshape(-1, 3),
            pixels[:, :edge].reshape(-1, 3),
            pixels[:, -edge:].reshape(-1, 3),
        ]
    )
    colour = tuple(int(v) for v in np.median(border, axis=0))
    size = photos.THUMB_SIZE
    thumb = Image.new("RGB", size, colour)
    thumb.paste(small, ((size[0] - small.width) // 2, (size[1] - small.height) // 2))
    return thumb


def today_prepare_photo(data: bytes, *, name: str = "The file", steps: dict | None = None):
    """``core.catalogue.photos.prepare_photo`` as it was (the header checks and decode are unchanged
    and shared); ``steps`` collects the time of each step, in seconds."""
    clock = _Clock(steps)
    image = photo_checks.read_header(data, name=name)
    photo_checks.check_shape(image, name=name)
    photo_checks.check_pixels(image, data, name=name)
    clock.lap("header")
    image = photo_checks.decode(
        image, name=name, draft=photo_checks.reduced_size(image.size, photos.MAX_SIDE)
    )
    clock.lap("decode")
    orientation = photos._orientation(image)
    image = photos.to_rgb(image)
    image.thumbnail((photos.MAX_SIDE, photos.MAX_SIDE), Image.Resampling.LANCZOS)
    clock.lap("resize to 1600")
    if orientation in photos._TRANSPOSE:
        image = image.transpose(photos._TRANSPOSE[orientation])
    clock.lap("turn upright")
    thumb = _today_thumbnail(image)
    clock.lap("thumbnail")
    stored = _today_jpeg(image, photos.JPEG_QUALITY)
    clock.lap("encode stored JPEG")
    thumbnail = _today_jpeg(thumb, photos.THUMB_QUALITY)
    clock.lap("encode thumbnail")
    return photos.PreparedPhoto(stored, thumbnail, image.width, image.height)


class _Clock:
    def __init__(self, steps: dict | None) -> None:
        self.steps, self.last = steps, time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.steps is not None:
            self.steps[step] = self.steps.get(step, 0.0) + now - self.last
        self.last = now


def today(classifier: Classifier, data: bytes) -> tuple[float, float, photos.PreparedPhoto, str]:
    start = time.perf_counter()
    photo = today_prepare_photo(data, name="“upload.jpg”")
    prepared = time.perf_counter()
    top = classifier.classify(photo.image)[0].code  # decodes the stored JPEG again
    return prepared - start, time.perf_counter() - prepared, photo, top


def one_decode(classifier: Classifier, data: bytes) -> tuple[float, float, object, str]:
    start = time.perf_counter()
    photo = prepare_for_model(data, classifier.preprocessing, name="“upload.jpg”")
    prepared = time.perf_counter()
    top = classifier.look(photo.pixel_values).categories[0].code
    return prepared - start, time.perf_counter() - prepared, photo, top


DESIGNS = {"today": today, "one_decode": one_decode}


# --- the step-by-step profile of each design ------------------------------------------------


def profile_today(classifier: Classifier, data: bytes, steps: dict) -> None:
    photo = today_prepare_photo(data, steps=steps)
    clock = _Clock(steps)
    image = decode_photo(photo.image)
    clock.lap("decode stored JPEG again")
    pixels = preprocess_image(image, classifier.preprocessing)
    clock.lap("model input")
    classifier.look(pixels)
    clock.lap("image tower + scores")


def profile_one_decode(classifier: Classifier, data: bytes, steps: dict) -> None:
    """The steps of ``prepare_photo`` + ``model_input``, one by one (same calls)."""
    clock = _Clock(steps)
    image = photo_checks.read_header(data)
    photo_checks.check_shape(image)
    photo_checks.check_pixels(image, data)
    clock.lap("header")
    image = photo_checks.decode(image, draft=photo_checks.reduced_size(image.size, photos.MAX_SIDE))
    clock.lap("decode")
    orientation = photos._orientation(image)
    image = photos.to_rgb(image)
    image.thumbnail((photos.MAX_SIDE, photos.MAX_SIDE), photos.STORE_RESAMPLE)
    clock.lap("resize to 1600")
    if orientation in photos._TRANSPOSE:
        image = image.transpose(photos._TRANSPOSE[orientation])
    clock.lap("turn upright")
    thumb = photos.make_thumbnail(image)
    clock.lap("thumbnail")
    photos._jpeg(image, photos.JPEG_QUALITY, progressive=photos.STORED_PROGRESSIVE)
    clock.lap("encode stored JPEG")
    photos._jpeg(thumb, photos.THUMB_QUALITY)
    clock.lap("encode thumbnail")
    pixels = model_input(image, classifier.preprocessing)
    clock.lap("model input")
    classifier.look(pixels)
    clock.lap("image tower + scores")


PROFILES = {"today": profile_today, "one_decode": profile_one_decode}


# --- inputs ---------------------------------------------------------------------------------


def png_6mp(images: Path) -> bytes:
    sources = sorted(images.rglob("dress*.jpg")) or sorted(images.rglob("*.jpg"))
    if sources:
        with Image.open(sources[0]) as source:
            image = source.convert("RGB").resize((2250, 3000), Image.Resampling.BICUBIC)
    else:
        image = Image.linear_gradient("L").convert("RGB").resize((2250, 3000))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


INPUTS = {  # name -> (label, file name in the cache, maker)
    "phone_12mp_jpeg": ("12 MP phone JPEG 4032 x 3024", "phone_12mp_jpeg.jpg", phone_jpeg),
    "phone_50mp_25mb_jpeg": (
        "50 MP phone JPEG 8160 x 6120",
        "phone_50mp_25mb_jpeg.jpg",
        phone_jpeg_50mp_25mb,
    ),
    "png_6mp": ("6.75 MP PNG 2250 x 3000", "upload_png_6mp.png", png_6mp),
}


def inputs(cache: Path, images: Path) -> dict[str, bytes]:
    cache.mkdir(parents=True, exist_ok=True)
    found = {}
    for name, (_, file_name, make) in INPUTS.items():
        path = cache / file_name
        if not path.is_file():
            path.write_bytes(make(images))
        found[name] = path.read_bytes()
    return found


def ensure_model(model_dir: Path) -> None:
    from core.ai.model_dir import model_present

    if not model_present(model_dir):
        print(f"exporting an untrained ViT-B/32 into {model_dir} (a few minutes)...", flush=True)
        command = [sys.executable, "-m", "tools.model", "export", "--untrained"]
        subprocess.run([*command, "--model-dir", str(model_dir)], cwd=ROOT, check=True)


# --- figures --------------------------------------------------------------------------------


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[8] if len(ms) > 1 else ms[0]
    return {"p50": round(statistics.median(ms), 1), "p90": round(p90, 1)}


def measure_upload(
    model_dir: Path,
    repeats: int = 15,
    *,
    cache: Path = DEFAULT_CACHE,
    images: Path = DEFAULT_IMAGES,
    verbose: bool = False,
) -> dict:
    """Both designs, interleaved, on every input; the step profiles; top-1 agreement on the
    photos of ``images``. The summary, ``goals_met`` included."""
    model_dir = Path(model_dir)
    ensure_model(model_dir)
    say = print if verbose else (lambda *a, **k: None)
    classifier = Classifier.load(model_dir)
    uploads = inputs(cache, images)
    for data in uploads.values():  # warm-up: first runs allocate
        for run in DESIGNS.values():
            run(classifier, data)

    results: dict[str, dict] = {}
    for name, data in uploads.items():
        times = {d: {"prepare": [], "suggest": [], "whole": []} for d in DESIGNS}
        outputs = {}
        for rep in range(repeats):
            order = list(DESIGNS) if rep % 2 == 0 else list(reversed(DESIGNS))
            for design in order:
                prepare, suggest, photo, top = DESIGNS[design](classifier, data)
                times[design]["prepare"].append(prepare)
                times[design]["suggest"].append(suggest)
                times[design]["whole"].append(prepare + suggest)
                outputs[design] = {
                    "stored_bytes": len(photo.image),
                    "thumbnail_bytes": len(photo.thumbnail),
                    "size": [photo.width, photo.height],
                    "top1": top,
                }
        results[name] = {
            "label": INPUTS[name][0],
            "file_bytes": len(data),
            **{
                design: {
                    **{part: percentiles(t) for part, t in times[design].items()},
                    **outputs[design],
                }
                for design in DESIGNS
            },
        }
        say(f"{name}: done", flush=True)

    profile = {}
    phone = uploads["phone_12mp_jpeg"]
    for design, run in PROFILES.items():
        laps: list[dict] = []
        for _ in range(max(5, repeats // 2)):
            steps: dict = {}
            run(classifier, phone, steps)
            laps.append(steps)
        profile[design] = {
            step: round(statistics.median(lap[step] for lap in laps) * 1000, 1) for step in laps[0]
        }

    agreement = top1_agreement(classifier, images)
    twelve = results["phone_12mp_jpeg"]
    new_p50, old_p50 = twelve["one_decode"]["whole"]["p50"], twelve["today"]["whole"]["p50"]
    return {
        "machine": {"cpus": os.cpu_count()},
        "model_dir": str(model_dir),
        "repeats": repeats,
        "inputs": results,
        "profile_12mp_ms": profile,
        "top1_agreement": agreement,
        "upload_12mp_p50_ms": {"today": old_p50, "one_decode": new_p50},
        "speedup_12mp_p50": round(old_p50 / new_p50, 2),
        "goals_met": {
            f"upload_12mp_p50_ms < {GOAL_12MP_P50_MS:g}": new_p50 < GOAL_12MP_P50_MS,
            "faster_than_today": new_p50 < old_p50,
        },
    }


def top1_agreement(classifier: Classifier, images: Path) -> dict:
    """The top-1 of one decode against today's (the stored copy decoded again) and against
    ``preprocess`` of the original bytes, on every photo of ``images``."""
    files = sorted(p for p in images.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    same_today = same_original = 0
    for path in files:
        data = path.read_bytes()
        photo = prepare_for_model(data, classifier.preprocessing)
        new = classifier.look(photo.pixel_values).categories[0].code
        old = classifier.classify(today_prepare_photo(data).image)[0].code
        same_today += new == old
        same_original += new == classifier.classify(data)[0].code
    return {"photos": len(files), "same_as_today": same_today, "same_as_original": same_original}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=Path("/tmp/vitb32-decode"))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    args = parser.parse_args()
    summary = measure_upload(
        args.model_dir, args.repeats, cache=args.cache, images=args.images, verbose=True
    )
    print(f"\n{'input':<32}{'part':<10}{'today p50/p90':>18}{'one decode p50/p90':>22}")
    for result in summary["inputs"].values():
        label = result["label"]
        for part in ("whole", "prepare", "suggest"):
            cells = [
                f"{result[d][part]['p50']:.1f} / {result[d][part]['p90']:.1f}" for d in DESIGNS
            ]
            print(f"{label:<32}{part:<10}{cells[0]:>18}{cells[1]:>22}")
            label = ""
        sizes = [
            f"{result[d]['stored_bytes'] / 1e3:.0f} + {result[d]['thumbnail_bytes'] / 1e3:.0f} kB"
            for d in DESIGNS
        ]
        print(f"{'':<32}{'output':<10}{sizes[0]:>18}{sizes[1]:>22}")
    print("\n12 MP step by step, p50 ms:")
    for design, steps in summary["profile_12mp_ms"].items():
        print(f"  {design}: " + ", ".join(f"{s} {v}" for s, v in steps.items()))
        print(f"  {'':{len(design)}}  total {sum(steps.values()):.1f}")
    agree = summary["top1_agreement"]
    print(
        f"\ntop-1 on {agree['photos']} photos: {agree['same_as_today']} as today's, "
        f"{agree['same_as_original']} as preprocess(original)"
    )
    for goal, met in summary["goals_met"].items():
        print(f"  {'met' if met else 'NOT MET'}: {goal}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
