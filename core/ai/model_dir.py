"""The model directory: its manifest (source, size and sha256 of each file, logit scale,
preprocessing), and what state the folder is in: a complete model, nothing yet, a download
that stopped halfway, or a damaged file (named). The download from the Hugging Face Hub is
``core/ai/download.py``.

A model directory holds ONNX files, ``tokenizer.json`` (CLIP's tokenizer, for text search:
free text is tokenised at run time) and ``manifest.json``, written by the download or by
``python -m tools.model export``. The manifest is written last, atomically, once every file
is in place: a folder with model files (or the download's ``.download`` staging folder) and
no manifest is a download or export that stopped before the end. A directory made before
text search existed has no tokenizer: it still classifies photos, and text search is off.
Nothing here imports torch or transformers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.ai.errors import ModelCutError, ModelDamagedError, ModelError, ModelMissingError
from core.ai.onnx import ROLES, open_session, output_name
from core.ai.preprocess import CLIP_PREPROCESSING, Preprocessing
from core.i18n import N_

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
STAGING_NAME = ".download"  # where a download puts its files until they are all there


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _is_model_file(path: Path) -> bool:
    """A file a download or export leaves in the model folder (staging folder included)."""
    name = path.name
    return name in (STAGING_NAME, TOKENIZER_NAME) or name.endswith((".onnx", ".onnx.data", ".tmp"))


def stopped_halfway(model_dir: Path) -> bool:
    """Whether ``model_dir`` has no manifest but some of a model's files (or the download's
    staging folder): a download or export that stopped before the end."""
    model_dir = Path(model_dir)
    if (model_dir / MANIFEST_NAME).is_file() or not model_dir.is_dir():
        return False
    return any(_is_model_file(path) for path in model_dir.iterdir())


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The model directory's manifest. Without one: ModelCutError if a download or export
    stopped halfway there, else ModelMissingError; ModelDamagedError if it is unreadable."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        if stopped_halfway(model_dir):
            raise ModelCutError(
                N_(
                    "The last download or export of the model into {folder} stopped before "
                    "the end; download or export it again to finish it."
                ),
                folder=str(model_dir),
            )
        raise ModelMissingError(
            N_("No model has been downloaded or exported into {folder} yet."),
            folder=str(model_dir),
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
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ModelDamagedError(
            N_("The model manifest {path} is damaged; download or export the model again."),
            file=MANIFEST_NAME,
            path=str(path),
        ) from exc
    return manifest


def manifest_entries(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every file the manifest lists: the ONNX files, then ``tokenizer.json`` if any."""
    tokenizer = [manifest["tokenizer"]] if "tokenizer" in manifest else []
    return [*manifest["files"].values(), *tokenizer]


def _missing(model_dir: Path, entry: Mapping[str, Any]) -> ModelDamagedError:
    return ModelDamagedError(
        N_("The model file {path} is missing from {folder}; download or export the model again."),
        file=entry["path"],
        path=entry["path"],
        folder=str(model_dir),
    )


def _incomplete(entry: Mapping[str, Any], size: int) -> ModelDamagedError:
    return ModelDamagedError(
        N_(
            "The model file {path} is incomplete ({done} of {total} bytes); download or "
            "export the model again."
        ),
        file=entry["path"],
        path=entry["path"],
        done=size,
        total=int(entry["bytes"]),
    )


def _checksum_differs(entry: Mapping[str, Any]) -> ModelDamagedError:
    return ModelDamagedError(
        N_(
            "The model file {path} is damaged (its checksum does not match the "
            "manifest); download or export the model again."
        ),
        file=entry["path"],
        path=entry["path"],
    )


def read_model_file(model_dir: Path, entry: Mapping[str, Any], *, verify: bool = True) -> bytes:
    """A model file's bytes, checked against the manifest's size and sha256
    (ModelDamagedError naming the file when it is missing, short or changed)."""
    path = Path(model_dir) / entry["path"]
    if not path.is_file():
        raise _missing(model_dir, entry)
    data = path.read_bytes()
    if verify and len(data) != int(entry["bytes"]):
        raise _incomplete(entry, len(data))
    if verify and sha256_bytes(data) != entry["sha256"]:
        raise _checksum_differs(entry)
    return data


def check_model(model_dir: Path, *, checksums: bool = True) -> dict[str, Any]:
    """The manifest of the complete model in ``model_dir``, every file checked: present, at
    its size and (with ``checksums``, about 0.3 s for the 150 MB model) its sha256.

    Raises what is wrong, one case each: ModelMissingError (nothing there yet), ModelCutError
    (a download or export stopped halfway), ModelDamagedError (a file, named, does not match
    the manifest; every size is checked before any checksum)."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    entries = manifest_entries(manifest)
    for entry in entries:
        path = model_dir / entry["path"]
        if not path.is_file():
            raise _missing(model_dir, entry)
        size = path.stat().st_size
        if size != int(entry["bytes"]):
            raise _incomplete(entry, size)
    if checksums:
        for entry in entries:
            if sha256_file(model_dir / entry["path"]) != entry["sha256"]:
                raise _checksum_differs(entry)
    if not manifest["files"]:
        raise ModelDamagedError(
            N_("The model manifest {path} is damaged; download or export the model again."),
            file=MANIFEST_NAME,
            path=str(model_dir / MANIFEST_NAME),
        )
    return manifest


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


def file_names(paths: Mapping[str, str | Path]) -> dict[str, str]:
    """The name each file takes in the model folder: its own, or ``{role}-{name}`` when two
    files share a name."""
    names = [Path(p).name for p in paths.values()]
    return {
        role: Path(p).name if names.count(Path(p).name) == 1 else f"{role}-{Path(p).name}"
        for role, p in paths.items()
    }


def install_files(
    model_dir: Path, files: Mapping[str, Path], names: Mapping[str, str] | None = None
) -> dict[str, Path]:
    """Move finished files into ``model_dir`` under ``names`` (default ``file_names``), the
    old manifest first removed: until the new one is written, the folder reads as a download
    or export that stopped halfway, never as a complete model with a file of another."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / MANIFEST_NAME).unlink(missing_ok=True)
    names = dict(names or file_names(files))
    installed = {}
    for role, path in files.items():
        target = model_dir / names[role]
        if Path(path).resolve() != target.resolve():
            shutil.move(str(path), target)
        installed[role] = target
    return installed


def model_present(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a complete model (manifest and every file at its size,
    the tokenizer's too when the manifest has one): cheap, no checksum."""
    try:
        check_model(Path(model_dir), checksums=False)
    except ModelError:
        return False
    return True


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
