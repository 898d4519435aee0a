"""Model tooling: ``python -m core.model tokens|download|export|evaluate``.

- ``tokens``: tokenise the prompts of ``core/categories.py`` into ``core/category_tokens.py``.
- ``download``: fetch pre-quantised CLIP ViT-B/32 ONNX towers from the Hugging Face Hub.
- ``export``: export and quantise CLIP from a checkpoint (``core/model_export.py``).
- ``evaluate``: accuracy, macro-F1 and confusion matrix over a folder-per-class photo set.

``model_present`` and ``download`` are also called by the app; nothing here imports torch
or transformers unless a command needs them.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import inspect
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.categories import BY_CODE, CATEGORIES, Category
from core.classifier import (
    CLIP_PREPROCESSING,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    Classifier,
    ModelError,
    open_session,
    output_name,
    read_manifest,
    sha256_file,
)
from core.config import ROOT, load_settings

TOKENS_PATH = ROOT / "core" / "category_tokens.py"
TOKENS_COMMAND = "python -m core.model tokens --tokenizer DIR_OR_HUB_ID"
DEFAULT_TOKENIZER = "openai/clip-vit-base-patch32"

DEFAULT_REPO_ID = "Xenova/clip-vit-base-patch32"
DEFAULT_REVISION = "main"
DEFAULT_FILES = {
    "image": "onnx/vision_model_quantized.onnx",
    "text": "onnx/text_model_quantized.onnx",
}
CLIP_LOGIT_SCALE = 100.0  # exp of CLIP ViT-B/32's trained logit scale; the towers don't carry it

Progress = Callable[[int, int], None]


class ModelDownloadError(ModelError):
    """The model could not be downloaded; the message is one sentence for the user."""


# --- manifest -----------------------------------------------------------------------------


def file_entry(path: Path, role: str) -> dict[str, Any]:
    """A manifest entry for one model file: name, size, sha256, and its session's signature."""
    session = open_session(path, path.name)
    return {
        "path": path.name,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "inputs": [arg.name for arg in session.get_inputs()],
        "output": output_name(session, role),
    }


def write_manifest(
    model_dir: Path,
    files: Mapping[str, Mapping[str, Any]],
    *,
    source: Mapping[str, Any],
    logit_scale: float,
    quantization: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``manifest.json`` (atomically: a reader never sees half of it)."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": dict(source),
        "logit_scale": float(logit_scale),
        "preprocessing": CLIP_PREPROCESSING.to_dict(),
        "quantization": quantization,
        "files": {role: dict(entry) for role, entry in files.items()},
        **(extra or {}),
    }
    path = Path(model_dir) / MANIFEST_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return manifest


def install_files(model_dir: Path, files: Mapping[str, Path]) -> dict[str, Path]:
    """Move finished files into ``model_dir`` (old manifest first removed: no half state)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / MANIFEST_NAME).unlink(missing_ok=True)
    installed = {}
    names = [p.name for p in files.values()]
    for role, path in files.items():
        name = path.name if names.count(path.name) == 1 else f"{role}-{path.name}"
        target = model_dir / name
        shutil.move(str(path), target)
        installed[role] = target
    return installed


def model_present(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a complete model (manifest and every file at its size)."""
    try:
        manifest = read_manifest(Path(model_dir))
    except ModelError:
        return False
    for entry in manifest["files"].values():
        path = Path(model_dir) / entry["path"]
        if not path.is_file() or path.stat().st_size != int(entry["bytes"]):
            return False
    return bool(manifest["files"])


# --- tokens -------------------------------------------------------------------------------


def categories_fingerprint(categories: Sequence[Category] = CATEGORIES) -> str:
    """Fingerprint of what the token module is made from: each category's code and prompts."""
    payload = json.dumps([[c.code, list(c.prompts)] for c in categories], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_tokenizer(name: str):
    """The CLIP tokenizer from a folder or a Hub id (transformers, build time only)."""
    try:
        from transformers import CLIPTokenizer
    except ImportError as exc:
        raise SystemExit(
            "The tokens command needs transformers: pip install -r requirements-model.txt"
        ) from exc
    try:
        return CLIPTokenizer.from_pretrained(name)
    except Exception as exc:  # offline, missing folder, bad files: one message
        raise SystemExit(f"Cannot load the CLIP tokenizer {name!r}: {exc}") from exc


def render_tokens_module(tokenizer, categories: Sequence[Category] = CATEGORIES) -> str:
    """The source of ``core/category_tokens.py`` for ``categories``."""
    prompts = [(i, prompt) for i, c in enumerate(categories) for prompt in c.prompts]
    encoded = tokenizer([p for _, p in prompts], padding=True)
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    limit = getattr(tokenizer, "model_max_length", 77)
    for (_, prompt), row in zip(prompts, ids, strict=True):
        if (
            len(row) > limit
            or row[0] != tokenizer.bos_token_id
            or tokenizer.eos_token_id not in row
        ):
            raise SystemExit(f"The prompt {prompt!r} does not tokenise to <start> ... <end>.")

    def rows(values: list[list[int]], per_line: int) -> list[str]:
        lines = []
        for (_, prompt), row in zip(prompts, values, strict=True):
            chunks = [row[i : i + per_line] for i in range(0, len(row), per_line)]
            text = ",\n     ".join(", ".join(str(v) for v in chunk) for chunk in chunks)
            lines.append(f"    # {prompt}\n    ({text}),")
        return lines

    codes = "\n".join(f"    {json.dumps(c.code)}," for c in categories)
    prompt_rows = "\n".join(f"    ({i}, {json.dumps(p)})," for i, p in prompts)
    return "\n".join(
        [
            f"# GENERATED by `{TOKENS_COMMAND}`; do not edit.",
            '"""CLIP token ids of the prompts of core/categories.py: the app loads no tokenizer.',
            "",
            "Each prompt is tokenised with the CLIP BPE tokenizer (<|startoftext|> ... "
            "<|endoftext|>)",
            f"and padded with {tokenizer.pad_token_id} to the longest prompt; ATTENTION_MASK marks"
            " its real tokens.",
            "A test fails when CATEGORIES_FINGERPRINT no longer matches core/categories.py.",
            '"""',
            "",
            f'CATEGORIES_FINGERPRINT = "{categories_fingerprint(categories)}"',
            f'TOKENIZER = "{type(tokenizer).__name__}, vocabulary of {len(tokenizer)}"',
            f"PAD_ID = {tokenizer.pad_token_id}",
            "",
            "# fmt: off",
            "CODES = (",
            codes,
            ")",
            "",
            "# (index in CODES of the prompt's category, prompt)",
            "PROMPTS = (",
            prompt_rows,
            ")",
            "",
            "INPUT_IDS = (",
            *rows(ids, 12),
            ")",
            "",
            "ATTENTION_MASK = (",
            *rows(mask, 30),
            ")",
            "# fmt: on",
            "",
        ]
    )


def write_tokens(tokenizer_name: str, path: Path = TOKENS_PATH, *, check: bool = False) -> bool:
    """(Re)generate the token module; with ``check``, only say whether it is up to date."""
    source = render_tokens_module(load_tokenizer(tokenizer_name))
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if check:
        return current == source
    if current != source:
        path.write_text(source, encoding="utf-8")
    return True


# --- download -----------------------------------------------------------------------------


def _host(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or constants.ENDPOINT).rstrip("/")


def _download_error(exc: BaseException, *, repo_id: str, revision: str, path: str, host: str):
    """One clear sentence for a failed download."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, OfflineModeIsEnabled):
        message = (
            "Downloads are turned off (HF_HUB_OFFLINE is set), so the model cannot be fetched."
        )
    elif isinstance(exc, RepositoryNotFoundError):
        message = f"The model repository {repo_id} does not exist on {host} (or is private)."
    elif isinstance(exc, RevisionNotFoundError):
        message = f"The revision {revision!r} of {repo_id} does not exist on {host}."
    elif isinstance(exc, EntryNotFoundError) and not isinstance(exc, LocalEntryNotFoundError):
        message = f"The file {path} is not in {repo_id} at revision {revision!r}."
    elif isinstance(exc, HfHubHTTPError) and exc.response is not None:
        message = (
            f"{host} answered HTTP {exc.response.status_code} for {path}; try again in a while."
        )
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message = "There is not enough disk space to download the model."
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = f"The model folder cannot be written to ({exc.strerror})."
    else:
        message = (
            f"Could not download the model: {host} cannot be reached "
            "(check the internet connection and try again)."
        )
    return ModelDownloadError(message)


class _ByteProgress:
    """A stand-in for huggingface_hub's tqdm bar that reports bytes to ``report``."""

    report: Callable[[int], None] = staticmethod(lambda n: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.n = int(kwargs.get("initial") or 0)
        self.total = kwargs.get("total")
        # Xet downloads open a second bar for compressed network bytes: count file bytes only
        self._counts = "downloading bytes" not in str(kwargs.get("desc", ""))
        if self._counts:
            self.report(self.n)

    def update(self, n: float | None = 1) -> None:
        if self._counts and n:
            self.n += int(n)
            self.report(self.n)

    def update_transfer(self, n: float | None = 1) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _ByteProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _bar_class(report: Callable[[int], None]) -> type[_ByteProgress]:
    return type("ByteProgress", (_ByteProgress,), {"report": staticmethod(report)})


def download(
    model_dir: Path,
    repo_id: str = DEFAULT_REPO_ID,
    revision: str = DEFAULT_REVISION,
    progress: Progress | None = None,
    endpoint: str | None = None,
    files: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Download the quantised image and text towers into ``model_dir`` and write the manifest.

    ``files`` maps "image" / "text" (or "full") to paths in the repository. ``progress`` is
    called with (bytes done, bytes in all). Returns the manifest. Raises ModelDownloadError
    with one sentence for the user (offline, no such repository or file, disk full...).
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    model_dir = Path(model_dir)
    files = dict(files or DEFAULT_FILES)
    host = _host(endpoint)
    report = progress or (lambda done, total: None)
    current = ""

    def fail(exc: BaseException) -> ModelDownloadError:
        return _download_error(exc, repo_id=repo_id, revision=revision, path=current, host=host)

    # Sizes first, for one progress bar over every file; the commit pins every file.
    metadata = {}
    commit = revision
    try:
        for role, current in files.items():
            url = hf_hub_url(repo_id, current, revision=commit, endpoint=endpoint)
            metadata[role] = get_hf_file_metadata(url, endpoint=endpoint)
            commit = metadata[role].commit_hash or commit
    except Exception as exc:
        raise fail(exc) from exc
    total = sum(m.size or 0 for m in metadata.values())
    source = {
        "kind": "download",
        "endpoint": host,
        "repo_id": repo_id,
        "revision": revision,
        "commit": commit,
        "files": files,
    }
    if model_present(model_dir) and read_manifest(model_dir).get("source") == source:
        report(total, total)  # already there, same commit and files
        return read_manifest(model_dir)

    staging = model_dir / ".download"
    supports_bar = "tqdm_class" in inspect.signature(hf_hub_download).parameters
    done = 0
    downloaded: dict[str, Path] = {}
    try:
        for role, current in files.items():

            def report_file(n: int, base: int = done) -> None:
                report(min(base + n, total), total)

            extra = {"tqdm_class": _bar_class(report_file)} if supports_bar else {}
            local = hf_hub_download(
                repo_id,
                current,
                revision=commit,
                local_dir=staging,
                endpoint=endpoint,
                **extra,
            )
            downloaded[role] = Path(local)
            done += metadata[role].size or Path(local).stat().st_size
            report(min(done, total), total)
    except ModelDownloadError:
        raise
    except Exception as exc:
        raise fail(exc) from exc

    entries = {}
    for role, path in downloaded.items():
        etag = (metadata[role].etag or "").lower()
        is_sha256 = len(etag) == 64 and all(ch in "0123456789abcdef" for ch in etag)
        if is_sha256 and sha256_file(path) != etag:  # an LFS file's ETag is its sha256
            path.unlink(missing_ok=True)
            raise ModelDownloadError(
                f"The downloaded file {files[role]} does not match its checksum on {host}; "
                "try again."
            )
        try:
            entries[role] = file_entry(path, role)
        except ModelError as exc:
            raise ModelDownloadError(
                f"The downloaded file {files[role]} is not a usable ONNX model."
            ) from exc
    try:
        for role, path in install_files(model_dir, downloaded).items():
            entries[role]["path"] = path.name
        manifest = write_manifest(
            model_dir,
            entries,
            source=source,
            logit_scale=CLIP_LOGIT_SCALE,
            quantization="as published",
        )
    except OSError as exc:
        raise fail(exc) from exc
    shutil.rmtree(staging, ignore_errors=True)
    return manifest


# --- evaluate -----------------------------------------------------------------------------

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
    from core.photos import PhotoError

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


# --- command line -------------------------------------------------------------------------


class TextBar:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, unit: str = "") -> None:
        self.label, self.unit, self._last = label, unit, -1.0

    def __call__(self, done: float, total: float) -> None:
        fraction = done / total if total else 1.0
        if fraction - self._last < 0.005 and done < total:
            return
        self._last = fraction
        filled = int(30 * fraction)
        if self.unit == "MB":
            amount = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
        else:
            amount = f"{done:g}/{total:g}{self.unit}"
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {amount}"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    default_dir = load_settings().model_dir
    parser = argparse.ArgumentParser(
        prog="python -m core.model", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    tokens = commands.add_parser("tokens", help="regenerate core/category_tokens.py")
    tokens.add_argument("--tokenizer", default=DEFAULT_TOKENIZER, help="folder or Hub id")
    tokens.add_argument("--output", type=Path, default=TOKENS_PATH)
    tokens.add_argument("--check", action="store_true", help="fail if the module is stale")

    down = commands.add_parser("download", help="fetch quantised ONNX towers from the Hub")
    down.add_argument("--model-dir", type=Path, default=default_dir)
    down.add_argument("--repo-id", default=DEFAULT_REPO_ID)
    down.add_argument("--revision", default=DEFAULT_REVISION)
    down.add_argument("--image-file", default=DEFAULT_FILES["image"])
    down.add_argument("--text-file", default=DEFAULT_FILES["text"])
    down.add_argument("--endpoint", default=None, help="Hub address (default: huggingface.co)")

    export = commands.add_parser("export", help="export and quantise CLIP to ONNX")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="Hub id or folder of a CLIP checkpoint")
    source.add_argument(
        "--untrained",
        action="store_true",
        help="ViT-B/32 architecture with random weights (benchmarks, tests)",
    )
    export.add_argument("--model-dir", type=Path, default=default_dir)
    export.add_argument("--full-graph", action="store_true", help="also the single-graph model")
    export.add_argument("--no-quantize", action="store_true", help="keep float32 weights")
    export.add_argument(
        "--weight-type",
        choices=("int8", "uint8"),
        default="int8",
        help="int8 (default: fastest on CPUs with VNNI) or uint8 (the prototype's QUInt8)",
    )
    export.add_argument("--photos", type=Path, help="folder of photos for the accuracy check")
    export.add_argument("--seed", type=int, default=0, help="seed of the untrained weights")

    evaluation = commands.add_parser("evaluate", help="score the model on labelled photos")
    evaluation.add_argument("photo_dir", type=Path, help="a folder with one folder per class")
    evaluation.add_argument("--model-dir", type=Path, default=default_dir)
    evaluation.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FOLDER=CODE[,CODE]",
        help="category of a folder whose name is not a code (repeatable)",
    )
    evaluation.add_argument("--backend", choices=("auto", "split", "full"), default="auto")
    evaluation.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "tokens":
            if args.check:
                fresh = write_tokens(args.tokenizer, args.output, check=True)
                print("up to date" if fresh else f"{args.output} is stale: run {TOKENS_COMMAND}")
                return 0 if fresh else 1
            write_tokens(args.tokenizer, args.output)
            print(f"wrote {args.output}")
        elif args.command == "download":
            manifest = download(
                args.model_dir,
                repo_id=args.repo_id,
                revision=args.revision,
                progress=TextBar("download", "MB"),
                endpoint=args.endpoint,
                files={"image": args.image_file, "text": args.text_file},
            )
            print(
                f"model {manifest['source']['repo_id']}@{manifest['source']['commit']} "
                f"in {args.model_dir}"
            )
        elif args.command == "export":
            from core.model_export import export_command

            export_command(args)
        elif args.command == "evaluate":
            result = evaluate(
                args.photo_dir,
                args.model_dir,
                parse_folder_map(args.map),
                backend=args.backend,
                progress=TextBar("evaluate"),
            )
            print(json.dumps(result.to_dict()) if args.json else format_evaluation(result))
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
