"""``python -m tools.model evaluate``: accuracy, macro-F1 and confusion matrix of the
installed model over a folder-per-class photo set."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.ai.classifier import Classifier
from core.ai.model_dir import Progress
from core.catalogue.categories import BY_CODE

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
# Folder names of ../shared/images (the prototype's seed photos and the CC0 clothing sample)
# that are not category codes. Several codes: any of them counts as right.
DEFAULT_FOLDER_MAP: dict[str, tuple[str, ...]] = {
    "outwear": ("jacket", "coat"),
    "longsleeve": ("sweater", "shirt"),
    "pant": ("pants",),
    "trousers": ("pants",),
    "pull": ("sweater",),
    "tshirt": ("t-shirt",),
    "top": ("t-shirt",),
}


@dataclass
class Evaluation:
    labels: list[str]  # category codes: the rows (true) and columns (predicted) of confusion
    confusion: list[list[int]]
    accuracy: float
    macro_f1: float
    photos: int
    folders: dict[str, list[str]]  # folder -> accepted codes, first one its label
    seconds_per_photo: float
    unreadable: list[str] = field(default_factory=list)
    per_class_f1: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def parse_folder_map(pairs: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``["outwear=jacket,coat", ...]`` to a folder map; SystemExit on unknown codes."""
    mapping = {}
    for pair in pairs:
        folder, sep, codes = pair.partition("=")
        accepted = tuple(c.strip() for c in codes.split(",") if c.strip())
        if not sep or not folder or not accepted:
            raise SystemExit(f"--map expects FOLDER=CODE[,CODE...], got {pair!r}.")
        unknown = [c for c in accepted if c not in BY_CODE]
        if unknown:
            raise SystemExit(f"Unknown category code(s) in --map {pair!r}: {', '.join(unknown)}.")
        mapping[folder] = accepted
    return mapping


def folder_codes(folder: str, mapping: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    for key in (folder, folder.lower()):
        if key in mapping:
            return mapping[key]
    code = folder.lower()
    return (code,) if code in BY_CODE else None


def evaluate(
    photo_dir: Path,
    model_dir: Path,
    mapping: Mapping[str, tuple[str, ...]] | None = None,
    *,
    backend: str = "auto",
    progress: Progress | None = None,
) -> Evaluation:
    """Classify every photo of a folder-per-class set and score the answers.

    Photos lying directly in ``photo_dir`` are labelled by their file name (``pant.jpg``),
    as in the prototype's seed photos; the others by their class folder.
    """
    from core.catalogue.photo_checks import PhotoError

    mapping = {**DEFAULT_FOLDER_MAP, **(mapping or {})}

    def is_photo(path: Path) -> bool:
        return path.suffix.lower() in PHOTO_SUFFIXES and path.is_file()

    items = sorted(
        [(p.stem, p) for p in Path(photo_dir).iterdir() if is_photo(p)]
        + [
            (folder.name, p)
            for folder in Path(photo_dir).iterdir()
            if folder.is_dir()
            for p in folder.rglob("*")
            if is_photo(p)
        ]
    )
    if not items:
        raise SystemExit(f"No photos in {photo_dir} or in its class folders.")
    accepted = {label: folder_codes(label, mapping) for label, _ in items}
    unmapped = sorted(label for label, codes in accepted.items() if codes is None)
    if unmapped:
        raise SystemExit(
            f"No category for the folder(s) {', '.join(unmapped)}: add --map FOLDER=CODE."
        )
    classifier = Classifier.load(model_dir, backend=backend)
    codes = list(classifier.codes)
    index = {c: i for i, c in enumerate(codes)}
    confusion = [[0] * len(codes) for _ in codes]
    unreadable = []
    start = time.perf_counter()
    for n, (folder, path) in enumerate(items, 1):
        try:
            predicted = classifier.classify(path.read_bytes())[0].code
        except PhotoError:
            unreadable.append(str(path))
        else:
            truth = accepted[folder][0]
            if predicted in accepted[folder]:
                predicted = truth  # an accepted alternative counts as the folder's label
            confusion[index[truth]][index[predicted]] += 1
        if progress:
            progress(n, len(items))
    scored = len(items) - len(unreadable)
    elapsed = (time.perf_counter() - start) / max(scored, 1)
    correct = sum(confusion[i][i] for i in range(len(codes)))
    present = sorted({accepted[f][0] for f, _ in items}, key=index.__getitem__)
    f1 = {}
    for code in present:
        i = index[code]
        tp = confusion[i][i]
        predicted_as = sum(row[i] for row in confusion)
        actual = sum(confusion[i])
        precision = tp / predicted_as if predicted_as else 0.0
        recall = tp / actual if actual else 0.0
        f1[code] = 2 * precision * recall / (precision + recall) if tp else 0.0
    return Evaluation(
        labels=codes,
        confusion=confusion,
        accuracy=correct / scored if scored else 0.0,
        macro_f1=sum(f1.values()) / len(f1) if f1 else 0.0,
        photos=scored,
        folders={name: list(c) for name, c in accepted.items() if c},
        seconds_per_photo=elapsed,
        unreadable=unreadable,
        per_class_f1=f1,
    )


def format_evaluation(result: Evaluation) -> str:
    """The evaluation as text: the scores and the confusion matrix (rows true, columns guessed)."""
    used = [
        i
        for i, code in enumerate(result.labels)
        if sum(result.confusion[i]) or sum(row[i] for row in result.confusion)
    ]
    width = max(5, *(len(result.labels[i]) for i in used)) + 1
    head = "true \\ guess".ljust(12) + "".join(result.labels[i].rjust(width) for i in used)
    lines = [
        f"photos: {result.photos}   accuracy: {result.accuracy:.3f}   "
        f"macro-F1: {result.macro_f1:.3f}   {result.seconds_per_photo * 1000:.0f} ms/photo",
        "folders: " + ", ".join(f"{k}->{'|'.join(v)}" for k, v in result.folders.items()),
        "",
        head,
    ]
    for i in used:
        if sum(result.confusion[i]):
            cells = "".join(str(result.confusion[i][j]).rjust(width) for j in used)
            lines.append(result.labels[i].ljust(12) + cells)
    if result.unreadable:
        lines.append(f"unreadable photos skipped: {len(result.unreadable)}")
    return "\n".join(lines)
