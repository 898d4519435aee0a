"""The model directory: its manifest (source, size and sha256 of each file, logit scale,
preprocessing), whether a complete model is there, and the download from the Hugging Face
Hub that the sell page offers (``python -m tools.model download`` does the same).

A model directory holds ONNX files, ``tokenizer.json`` (CLIP's tokenizer, for text search:
free text is tokenised at run time) and ``manifest.json``, written by the download here or by
``python -m tools.model export``. A directory made before text search existed has no
tokenizer: it still classifies photos, and text search is off. Nothing here imports torch or
transformers.
"""

from __future__ import annotations

import errno
import hashlib
import inspect
import json
import os
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.ai.errors import ModelDownloadError, ModelError, ModelMissingError
from core.ai.onnx import ROLES, open_session, output_name
from core.ai.preprocess import CLIP_PREPROCESSING, Preprocessing
from core.i18n import _, format_number

DEFAULT_REPO_ID = "Xenova/clip-vit-base-patch32"
DEFAULT_REVISION = "main"
DEFAULT_FILES = {
    "image": "onnx/vision_model_quantized.onnx",
    "text": "onnx/text_model_quantized.onnx",
}
DEFAULT_TOKENIZER_FILE = "tokenizer.json"  # Xenova's repositories keep it at the root
TOKENIZER_NAME = "tokenizer.json"
CLIP_LOGIT_SCALE = 100.0  # exp of CLIP ViT-B/32's trained logit scale; the towers don't carry it

Progress = Callable[[int, int], None]
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The model directory's manifest; ModelMissingError if absent, ModelError if unreadable."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ModelMissingError(
            _("No model has been downloaded or exported into {folder} yet.").format(
                folder=model_dir
            )
        )
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
        tokenizer = manifest.get("tokenizer")  # optional: absent before text search existed
        if tokenizer is not None:
            if (
                not isinstance(tokenizer, dict)
                or not {"path", "sha256", "bytes"} <= tokenizer.keys()
            ):
                raise ValueError("bad tokenizer entry")
            if Path(tokenizer["path"]).name != tokenizer["path"]:
                raise ValueError(f"path outside the model directory: {tokenizer['path']}")
            int(tokenizer["bytes"])
        float(manifest["logit_scale"])
        Preprocessing.from_dict(manifest["preprocessing"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(
            _("The model manifest {path} is damaged; download or export the model again.").format(
                path=path
            )
        ) from exc
    return manifest


def read_model_file(model_dir: Path, entry: Mapping[str, Any], *, verify: bool = True) -> bytes:
    """A model file's bytes, checked against the manifest's size and sha256."""
    path = Path(model_dir) / entry["path"]
    if not path.is_file():
        raise ModelError(
            _(
                "The model file {path} is missing from {folder}; download or export the model "
                "again."
            ).format(path=entry["path"], folder=model_dir)
        )
    data = path.read_bytes()
    if verify and len(data) != int(entry["bytes"]):
        raise ModelError(
            _(
                "The model file {path} is incomplete ({done} of {total} bytes); download or "
                "export the model again."
            ).format(
                path=entry["path"],
                done=format_number(len(data)),
                total=format_number(int(entry["bytes"])),
            )
        )
    if verify and sha256_bytes(data) != entry["sha256"]:
        raise ModelError(
            _(
                "The model file {path} is damaged (its checksum does not match the "
                "manifest); download or export the model again."
            ).format(path=entry["path"])
        )
    return data


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


def tokenizer_entry(path: Path) -> dict[str, Any]:
    """The manifest's ``tokenizer`` entry for ``tokenizer.json``: name, size and sha256."""
    return {"path": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def write_manifest(
    model_dir: Path,
    files: Mapping[str, Mapping[str, Any]],
    *,
    source: Mapping[str, Any],
    logit_scale: float,
    quantization: str,
    extra: Mapping[str, Any] | None = None,
    tokenizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``manifest.json`` (atomically: a reader never sees half of it). ``tokenizer``
    is the entry of ``tokenizer.json`` (``tokenizer_entry``), or None: no text search."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": dict(source),
        "logit_scale": float(logit_scale),
        "preprocessing": CLIP_PREPROCESSING.to_dict(),
        "quantization": quantization,
        "files": {role: dict(entry) for role, entry in files.items()},
        **({"tokenizer": dict(tokenizer)} if tokenizer is not None else {}),
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
    """Whether ``model_dir`` holds a complete model (manifest and every file at its size,
    the tokenizer's too when the manifest has one)."""
    try:
        manifest = read_manifest(Path(model_dir))
    except ModelError:
        return False
    tokenizer = [manifest["tokenizer"]] if "tokenizer" in manifest else []
    for entry in [*manifest["files"].values(), *tokenizer]:
        path = Path(model_dir) / entry["path"]
        if not path.is_file() or path.stat().st_size != int(entry["bytes"]):
            return False
    return bool(manifest["files"])


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
        message = _(
            "Downloads are turned off (HF_HUB_OFFLINE is set), so the model cannot be fetched."
        )
    elif isinstance(exc, RepositoryNotFoundError):
        message = _("The model repository {repo} does not exist on {host} (or is private).")
    elif isinstance(exc, RevisionNotFoundError):
        message = _("The revision {revision} of {repo} does not exist on {host}.")
    elif isinstance(exc, EntryNotFoundError) and not isinstance(exc, LocalEntryNotFoundError):
        message = _("The file {path} is not in {repo} at revision {revision}.")
    elif isinstance(exc, HfHubHTTPError) and exc.response is not None:
        message = _("{host} answered HTTP {status} for {path}; try again in a while.")
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message = _("There is not enough disk space to download the model.")
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = _("The model folder cannot be written to ({reason}).")
    else:
        message = _(
            "Could not download the model: {host} cannot be reached (check the internet "
            "connection and try again)."
        )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    reason = getattr(exc, "strerror", None)
    return ModelDownloadError(
        message.format(
            repo=repo_id,
            revision=repr(revision),
            path=path,
            host=host,
            status=status,
            reason=reason,
        )
    )


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
    tokenizer_file: str | None = DEFAULT_TOKENIZER_FILE,
) -> dict[str, Any]:
    """Download the quantised image and text towers and CLIP's ``tokenizer.json`` into
    ``model_dir`` and write the manifest.

    ``files`` maps "image" / "text" (or "full") to paths in the repository;
    ``tokenizer_file`` is the tokenizer's path there (None: none fetched), taken at the same
    commit. A repository without it still gives a model that classifies photos: the manifest
    then has no ``tokenizer`` and text search is off (``text_search_note`` says so).
    ``progress`` is called with (bytes done, bytes in all). Returns the manifest. Raises
    ModelDownloadError with one sentence for the user (offline, no such repository or
    tower, disk full...).
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

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
    # The tokenizer at the towers' commit: the towers' own. Its absence is not a failure
    # (the model still classifies; only text search needs it), any other error is.
    paths = dict(files)
    if tokenizer_file:
        try:
            current = tokenizer_file
            url = hf_hub_url(repo_id, tokenizer_file, revision=commit, endpoint=endpoint)
            metadata["tokenizer"] = get_hf_file_metadata(url, endpoint=endpoint)
            paths["tokenizer"] = tokenizer_file
        except EntryNotFoundError as exc:
            if isinstance(exc, LocalEntryNotFoundError):  # offline since the towers' sizes
                raise fail(exc) from exc
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
        "tokenizer": paths.get("tokenizer"),
    }
    if model_present(model_dir) and read_manifest(model_dir).get("source") == source:
        report(total, total)  # already there, same commit and files
        return read_manifest(model_dir)

    staging = model_dir / ".download"
    supports_bar = "tqdm_class" in inspect.signature(hf_hub_download).parameters
    done = 0
    downloaded: dict[str, Path] = {}
    try:
        for role, current in paths.items():

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
        expected_size = metadata[role].size
        if (is_sha256 and sha256_file(path) != etag) or (  # an LFS file's ETag is its sha256
            expected_size is not None and path.stat().st_size != expected_size
        ):
            path.unlink(missing_ok=True)
            raise ModelDownloadError(
                _(
                    "The downloaded file {path} does not match its checksum on {host}; try again."
                ).format(path=paths[role], host=host)
            )
        if role == "tokenizer":
            from core.ai.tokenizer import load_tokenizer

            try:
                load_tokenizer(path.read_bytes(), paths[role])
            except ModelError as exc:
                raise ModelDownloadError(
                    _("The downloaded file {path} is not a usable CLIP tokenizer.").format(
                        path=paths[role]
                    )
                ) from exc
            continue
        try:
            entries[role] = file_entry(path, role)
        except ModelError as exc:
            raise ModelDownloadError(
                _("The downloaded file {path} is not a usable ONNX model.").format(path=paths[role])
            ) from exc
    try:
        installed = install_files(model_dir, downloaded)
        tokenizer = installed.pop("tokenizer", None)
        for role, path in installed.items():
            entries[role]["path"] = path.name
        manifest = write_manifest(
            model_dir,
            entries,
            source=source,
            logit_scale=CLIP_LOGIT_SCALE,
            quantization="as published",
            tokenizer=tokenizer_entry(tokenizer) if tokenizer else None,
        )
    except OSError as exc:
        raise fail(exc) from exc
    shutil.rmtree(staging, ignore_errors=True)
    return manifest


def text_search_note(manifest: Mapping[str, Any]) -> str:
    """One sentence on whether this model can do text search (it needs ``tokenizer.json``)."""
    if "tokenizer" in manifest and "text" in manifest["files"]:
        return "Text search is on (the model has its tokenizer)."
    return "This model has no tokenizer.json, so text search is off; photos are still classified."


def model_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What identifies a model's embeddings: the sha256 of its towers' sha256s (image,
    text, in that order; or the single graph's), 16 hex digits. Embeddings made by two
    models with different fingerprints are never compared. The tokenizer is left out on
    purpose: it changes no embedding, and adding it must not orphan stored embeddings."""
    files = manifest["files"]
    roles = [role for role in ("image", "text", "full") if role in files]
    joined = "\n".join(f"{role}:{files[role]['sha256']}" for role in roles)
    return sha256_bytes(joined.encode())[:16]
