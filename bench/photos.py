"""Benchmark: what one upload costs in time and memory, ``prepare_for_model`` (what the
sell page runs: ``prepare_photo`` and the classifier's input, from one decode) against a
plain full decode, side by side.

    python bench/photos.py [--cache /tmp/photos-bench] [--images ../shared/images] [--runs 3]

Inputs, generated once into ``--cache`` (never into the repo):

- a 12-megapixel phone JPEG (4032 x 3024, a garment photo of ``--images`` enlarged, with
  sensor noise; drawn when there is none);
- a 49-megapixel flat PNG of a few hundred kB (a decompression bomb);
- a 1 x 20 000 PNG (a degenerate image);
- an 8000 x 6000 JPEG (48 megapixels, what a big camera writes);
- a 50-megapixel phone JPEG of about 25 MB (8160 x 6120, quality 95, detailed: what a
  50 MP phone writes at its largest, just within the 25 MB cap);
- the largest uploads the rules accept where the decoder holds the full-size image, which
  set the memory bound: 16-megapixel PNGs (RGBA, and a palette with transparency, the
  dearest modes to turn into RGB), an 8-megapixel WebP, and progressive JPEGs (whose
  decoder keeps every DCT coefficient of the full-size image) of 12.6 megapixels in CMYK
  4:4:4 and 33.5 megapixels in RGB 4:2:0.

Each input is measured in its own fresh process, twice: ``prepare_for_model`` (ours) and the
baseline, ``Image.open(...).load()`` then ``convert("RGB")``. Memory is the peak resident
set growth over the work (``/proc/self/clear_refs`` resets the peak, VmHWM reads it:
Pillow's image buffers are not seen by tracemalloc, which is printed too for the Python
side). Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core.catalogue.photo_checks import (  # the bounds the rules state
    MAX_UPLOAD_BYTES,
    MEMORY_BOUND_MB,
)

ROOT = Path(__file__).resolve().parent.parent

BOMB_BUDGET_MS = 50


# --- inputs -------------------------------------------------------------------------------


def _noise(size, sigma):
    import numpy as np

    rng = np.random.default_rng(7)
    return rng.normal(0, sigma, (size[1], size[0], 3)).astype(np.float32)


def _smooth(width: int, height: int):
    """A smooth colourful picture (gradients), as a numpy float array."""
    import numpy as np

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack(
        [
            128 + 90 * np.sin(x / 350),
            128 + 90 * np.cos(y / 270),
            128 + 60 * np.sin((x + y) / 600),
        ],
        axis=-1,
    )


def _to_image(pixels):
    import numpy as np
    from PIL import Image

    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _save(image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def phone_jpeg(images: Path) -> bytes:
    from PIL import Image

    sources = sorted(images.rglob("dress*.jpg")) or sorted(images.rglob("*.jpg"))
    if sources:
        import numpy as np

        with Image.open(sources[0]) as source:
            upright = source.convert("RGB").resize((3024, 4032), Image.Resampling.BICUBIC)
        stored = upright.transpose(Image.Transpose.ROTATE_90)  # landscape, shown portrait
        pixels = np.asarray(stored, dtype=np.float32)
    else:
        pixels = _smooth(4032, 3024)
    image = _to_image(pixels + _noise((4032, 3024), 4))
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held upright
    return _save(image, "JPEG", quality=90, exif=exif)


def flat_png_49mp(images: Path) -> bytes:
    from PIL import Image

    return _save(Image.new("RGB", (7000, 7000), (246, 246, 246)), "PNG", optimize=True)


def sliver_png(images: Path) -> bytes:
    from PIL import Image

    return _save(Image.new("RGB", (1, 20_000), (200, 30, 30)), "PNG")


def jpeg_8000x6000(images: Path) -> bytes:
    return _save(_to_image(_smooth(8000, 6000) + _noise((8000, 6000), 6)), "JPEG", quality=85)


def phone_jpeg_50mp_25mb(images: Path) -> bytes:
    from PIL import Image

    image = _to_image(_smooth(8160, 6120) + _noise((8160, 6120), 9.5))
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held upright
    return _save(image, "JPEG", quality=95, exif=exif)


def rgba_png_16mp(images: Path) -> bytes:
    import numpy as np

    pixels = _smooth(4600, 3470)
    alpha = np.linspace(0, 255, 4600, dtype=np.float32)[None, :, None].repeat(3470, axis=0)
    rgba = np.concatenate([pixels, alpha], axis=-1)
    return _save(_to_image(rgba), "PNG")


def palette_png_16mp(images: Path) -> bytes:
    image = _to_image(_smooth(4600, 3470)).quantize(64)
    return _save(image, "PNG", transparency=0)


def webp_8mp(images: Path) -> bytes:
    return _save(_to_image(_smooth(3460, 2310)).convert("RGBA"), "WEBP", quality=80)


def progressive_cmyk(images: Path) -> bytes:
    # 4 samples a pixel: 2 x 4096 x 3072 x 4 bytes = MAX_COEFFICIENT_BYTES exactly
    image = _to_image(_smooth(4096, 3072) + _noise((4096, 3072), 6)).convert("CMYK")
    return _save(image, "JPEG", quality=85, progressive=True, subsampling=0)


def progressive_rgb(images: Path) -> bytes:
    # 1.5 samples a pixel (4:2:0): 6688 x 5016 is just within MAX_COEFFICIENT_BYTES
    image = _to_image(_smooth(6688, 5016) + _noise((6688, 5016), 3))
    return _save(image, "JPEG", quality=80, progressive=True)


INPUTS = {  # name -> (label, file suffix, maker)
    "phone_12mp_jpeg": ("12 MP phone JPEG, 4032 x 3024", "jpg", phone_jpeg),
    "flat_49mp_png": ("49 MP flat PNG, 7000 x 7000", "png", flat_png_49mp),
    "sliver_1x20000_png": ("1 x 20 000 PNG", "png", sliver_png),
    "jpeg_8000x6000": ("8000 x 6000 JPEG, 48 MP", "jpg", jpeg_8000x6000),
    "phone_50mp_25mb_jpeg": ("50 MP phone JPEG, 8160 x 6120", "jpg", phone_jpeg_50mp_25mb),
    "rgba_png_16mp": ("16 MP RGBA PNG", "png", rgba_png_16mp),
    "palette_png_16mp": ("16 MP palette PNG with transparency", "png", palette_png_16mp),
    "webp_8mp": ("8 MP RGBA WebP", "webp", webp_8mp),
    "progressive_cmyk_12mp": ("12.6 MP progressive CMYK JPEG 4:4:4", "jpg", progressive_cmyk),
    "progressive_rgb_33mp": ("33.5 MP progressive JPEG 4:2:0", "jpg", progressive_rgb),
}
LARGEST = (
    "rgba_png_16mp",
    "palette_png_16mp",
    "webp_8mp",
    "progressive_cmyk_12mp",
    "progressive_rgb_33mp",
)
BOMBS = ("flat_49mp_png", "sliver_1x20000_png")


def make_inputs(cache: Path, images: Path) -> dict[str, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (_, suffix, make) in INPUTS.items():
        paths[name] = cache / f"{name}.{suffix}"
        if not paths[name].is_file():
            paths[name].write_bytes(make(images))
    return paths


# --- one measurement, in a fresh process --------------------------------------------------


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def measure(path: Path, design: str, runs: int) -> dict:
    import tracemalloc

    from PIL import Image

    from core.ai.preprocess import prepare_for_model
    from core.catalogue.photo_checks import PhotoError

    data = path.read_bytes()

    def ours():
        try:
            photo = prepare_for_model(data, name=f"“{path.name}”")
            return f"accepted, {photo.width} x {photo.height}"
        except PhotoError as exc:
            return f"refused: {exc}"

    def baseline():
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                rgb = image.convert("RGB")
                return f"decoded, {rgb.width} x {rgb.height}"
        except Exception as exc:
            return f"failed: {type(exc).__name__}: {exc}"

    work = ours if design == "ours" else baseline
    warm = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(warm, format="PNG")
    prepare_for_model(warm.getvalue())  # imports and lazy plugin set-up, outside the figures

    reset = _reset_peak()
    before = _status("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    outcome = work()
    first = time.perf_counter() - start
    python_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    peak = _status("VmHWM") if reset else float("nan")
    times = [first]
    for _ in range(runs - 1):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return {
        "outcome": outcome,
        "ms": round(statistics.median(times) * 1000, 1),
        "peak_rss_mb": round(peak - before, 1),
        "tracemalloc_peak_mb": round(python_peak, 1),
    }


def run_child(path: Path, design: str, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), design, "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/photos-bench"))
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "images")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("PATH", "DESIGN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), args.child[1], args.runs)))
        return

    paths = make_inputs(args.cache, args.images)
    results: dict[str, dict] = {}
    print(f"{'input':<46} {'design':<9} {'ms':>8} {'peak MB':>8} {'py MB':>6}  outcome")
    for name, path in paths.items():
        label = f"{INPUTS[name][0]}, {path.stat().st_size / 1e6:.2f} MB"
        results[name] = {
            "file_mb": round(path.stat().st_size / 1e6, 2),
            "file_bytes": path.stat().st_size,
        }
        for design in ("ours", "baseline"):
            figures = run_child(path, design, args.runs)
            results[name][design] = figures
            print(
                f"{label:<46} {design:<9} {figures['ms']:>8.1f} {figures['peak_rss_mb']:>8.1f} "
                f"{figures['tracemalloc_peak_mb']:>6.1f}  {figures['outcome'][:90]}"
            )
            label = ""

    ours = {name: r["ours"] for name, r in results.items()}
    big = results["jpeg_8000x6000"]
    phone = results["phone_12mp_jpeg"]
    phone_50 = results["phone_50mp_25mb_jpeg"]
    goals = {
        f"peak_per_upload_le_{MEMORY_BOUND_MB}_mb": all(
            o["peak_rss_mb"] <= MEMORY_BOUND_MB for o in ours.values()
        ),
        "bombs_refused": all(ours[b]["outcome"].startswith("refused") for b in BOMBS),
        f"bombs_refused_under_{BOMB_BUDGET_MS}_ms": all(
            ours[b]["ms"] < BOMB_BUDGET_MS for b in BOMBS
        ),
        "jpeg_8000x6000_accepted_in_a_quarter_of_the_full_decode_memory": (
            big["ours"]["outcome"].startswith("accepted")
            and big["ours"]["peak_rss_mb"] <= big["baseline"]["peak_rss_mb"] / 4
        ),
        "phone_photo_accepted_in_half_the_full_decode_memory": (
            phone["ours"]["outcome"].startswith("accepted")
            and phone["ours"]["peak_rss_mb"] <= phone["baseline"]["peak_rss_mb"] / 2
        ),
        "phone_50mp_25mb_jpeg_accepted_in_a_quarter_of_the_full_decode_memory": (
            phone_50["file_bytes"] <= MAX_UPLOAD_BYTES
            and phone_50["ours"]["outcome"].startswith("accepted")
            and phone_50["ours"]["peak_rss_mb"] <= phone_50["baseline"]["peak_rss_mb"] / 4
        ),
        "largest_allowed_inputs_accepted": all(
            ours[n]["outcome"].startswith("accepted") for n in LARGEST
        ),
    }
    worst = max(o["peak_rss_mb"] for o in ours.values())
    print(f"\nworst peak per upload (ours): {worst:.1f} MB; stated bound {MEMORY_BOUND_MB} MB")
    for goal, met in goals.items():
        print(f"  {'met' if met else 'NOT MET'}: {goal}")
    summary = {
        "memory_bound_mb": MEMORY_BOUND_MB,
        "worst_peak_mb": worst,
        "inputs": results,
        "goals_met": goals,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
