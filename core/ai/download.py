"""The model's download from the Hugging Face Hub: what the sell page offers, and
``python -m tools.model download``.

Files are fetched into the model folder's staging folder (``.download``), checked (the
sha256 the Hub announces for large files, a tokenizer that loads, ONNX files that open),
then moved into place, and the manifest is written last. So a download cut halfway leaves
the staging folder and no manifest: the folder reads as "stopped halfway" (not as "nothing
downloaded yet"), and the next download goes on where it stopped (the files it finished
are kept; huggingface_hub drops a file's partial bytes, so that file starts over).

A file already in the folder is kept only when its checksum is the one the Hub announces
(the sha256 ETag of a large file, the git blob id of a small one) or the one the manifest of
the same source recorded; a damaged file, even of the right size, is fetched again. Nothing
here imports torch or transformers.
"""

from __future__ import annotations

import errno
import hashlib
import inspect
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from core.ai.errors import (
    ModelCutError,
    ModelDownloadError,
    ModelError,
    ModelUnreachableError,
)
from core.ai.model_dir import (
    CLIP_LOGIT_SCALE,
    DEFAULT_FILES,
    DEFAULT_REPO_ID,
    DEFAULT_REVISION,
    DEFAULT_TOKENIZER_FILE,
    STAGING_NAME,
    Progress,
    file_entry,
    file_names,
    install_files,
    read_manifest,
    sha256_file,
    tokenizer_entry,
    write_manifest,
)
from core.i18n import N_


def _host(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or constants.ENDPOINT).rstrip("/")


def _download_error(
    exc: BaseException, *, repo_id: str, revision: str, path: str, host: str, received: int
) -> ModelError:
    """One clear sentence for a failed download: the Hub cannot be reached (nothing came),
    or the download stopped halfway (some bytes came, then the connection or the Hub
    failed), or what the Hub or the disk said."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    kind = ModelDownloadError
    if isinstance(exc, OfflineModeIsEnabled):
        message = N_(
            "Downloads are turned off (HF_HUB_OFFLINE is set), so the model cannot be fetched."
        )
    elif isinstance(exc, RepositoryNotFoundError):
        message = N_("The model repository {repo} does not exist on {host} (or is private).")
    elif isinstance(exc, RevisionNotFoundError):
        message = N_("The revision {revision} of {repo} does not exist on {host}.")
    elif isinstance(exc, EntryNotFoundError) and not isinstance(exc, LocalEntryNotFoundError):
        message = N_("The file {path} is not in {repo} at revision {revision}.")
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message = N_("There is not enough disk space to download the model.")
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = N_("The model folder cannot be written to ({reason}).")
    elif received:
        kind = ModelCutError
        message = N_(
            "The download of the model stopped halfway ({host} stopped sending {path}); "
            "download it again to go on where it stopped."
        )
    elif isinstance(exc, HfHubHTTPError) and exc.response is not None:
        message = N_("{host} answered HTTP {status} for {path}; try again in a while.")
    else:
        kind = ModelUnreachableError
        message = N_(
            "Could not download the model: {host} cannot be reached (check the internet "
            "connection and try again)."
        )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return kind(
        message,
        repo=repo_id,
        revision=repr(revision),
        path=path,
        host=host,
        status=str(status),
        reason=str(getattr(exc, "strerror", None)),
    )


class _ByteProgress:
    """A stand-in for huggingface_hub's tqdm bar that reports bytes to ``report`` (the file's
    bytes so far, a resumed part included) and counts the bytes that arrived in ``received``."""

    report: Callable[[int], None] = staticmethod(lambda n: None)
    received: ClassVar[list[int]] = [0]  # one counter per download (set by _bar_class)

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
            self.received[0] += max(int(n), 0)
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


def _bar_class(report: Callable[[int], None], received: list[int]) -> type[_ByteProgress]:
    return type(
        "ByteProgress", (_ByteProgress,), {"report": staticmethod(report), "received": received}
    )


def _digest_says(etag: str | None, path: Path) -> bool | None:
    """Whether ``path`` is the file whose ETag the Hub sent: a large (LFS) file's ETag is its
    sha256, a small file's its git blob id (sha1 of ``blob <size>\\0`` and the bytes). None
    when the ETag is neither (nothing to check against)."""
    etag = (etag or "").lower()
    if not etag or any(ch not in "0123456789abcdef" for ch in etag):
        return None
    if len(etag) == 64:
        return sha256_file(path) == etag
    if len(etag) == 40:
        blob = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())  # git's blob id
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                blob.update(chunk)
        return blob.hexdigest() == etag
    return None


def _in_place(
    model_dir: Path,
    paths: Mapping[str, str],
    names: Mapping[str, str],
    metadata: Mapping[str, Any],
    recorded: Mapping[str, str],
) -> dict[str, Path]:
    """The files already in ``model_dir`` that are the right ones: the size the Hub gives,
    and the checksum it announces, else the one the manifest of the same source recorded
    (``recorded``: role -> sha256). Anything else (missing, short, damaged) is fetched."""
    kept = {}
    for role in paths:
        target = model_dir / names[role]
        size = metadata[role].size
        if not target.is_file() or (size is not None and target.stat().st_size != size):
            continue
        says = _digest_says(metadata[role].etag, target)
        if says is None and role in recorded:
            says = sha256_file(target) == recorded[role]
        if says:
            kept[role] = target
    return kept


def _recorded(model_dir: Path, repo_id: str, commit: str, paths: Mapping[str, str]) -> dict:
    """role -> sha256 from the folder's manifest, for the files it took from the same
    repository, commit and path (nothing if it is missing or damaged)."""
    try:
        old = read_manifest(model_dir)
    except ModelError:
        return {}
    source = old.get("source") or {}
    if source.get("repo_id") != repo_id or source.get("commit") != commit:
        return {}
    entries = {**old["files"], **({"tokenizer": old["tokenizer"]} if "tokenizer" in old else {})}
    taken = {**(source.get("files") or {}), "tokenizer": source.get("tokenizer")}
    return {
        role: entries[role]["sha256"]
        for role, path in paths.items()
        if role in entries and taken.get(role) == path
    }


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
    ``model_dir`` and write the manifest; files already there and right are kept, damaged or
    missing ones fetched (so a new download repairs a damaged model).

    ``files`` maps "image" / "text" (or "full") to paths in the repository;
    ``tokenizer_file`` is the tokenizer's path there (None: none fetched), taken at the same
    commit. A repository without it still gives a model that classifies photos: the manifest
    then has no ``tokenizer`` and text search is off (``text_search_note`` says so).
    ``progress`` is called with (bytes done, bytes in all). Returns the manifest. Raises
    ModelUnreachableError (nothing came from the Hub), ModelCutError (the download stopped
    halfway: download again to go on), ModelDownloadError (no such repository or tower,
    disk full...), each with one sentence for the user.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    model_dir = Path(model_dir)
    files = dict(files or DEFAULT_FILES)
    host = _host(endpoint)
    report = progress or (lambda done, total: None)
    current = ""
    received = [0]  # bytes that came from the Hub in this download

    def fail(exc: BaseException) -> ModelError:
        return _download_error(
            exc, repo_id=repo_id, revision=revision, path=current, host=host, received=received[0]
        )

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
    names = file_names(paths)
    recorded = _recorded(model_dir, repo_id, commit, paths)
    kept = _in_place(model_dir, paths, names, metadata, recorded)
    if kept.keys() == paths.keys() and recorded.keys() == paths.keys():
        try:
            manifest = read_manifest(model_dir)
        except ModelError:
            manifest = None
        if manifest is not None and manifest.get("source") == source:
            report(total, total)  # already there and right: same commit, files, checksums
            return manifest

    staging = model_dir / STAGING_NAME
    supports_bar = "tqdm_class" in inspect.signature(hf_hub_download).parameters
    done = sum(metadata[role].size or path.stat().st_size for role, path in kept.items())
    report(min(done, total), total)
    downloaded: dict[str, Path] = {}
    try:
        for role, current in paths.items():
            if role in kept:
                continue

            def report_file(n: int, base: int = done) -> None:
                report(min(base + n, total), total)

            bar = {"tqdm_class": _bar_class(report_file, received)} if supports_bar else {}
            local = hf_hub_download(
                repo_id, current, revision=commit, local_dir=staging, endpoint=endpoint, **bar
            )
            downloaded[role] = Path(local)
            done += metadata[role].size or Path(local).stat().st_size
            received[0] = max(received[0], 1)  # a whole file came: anything later is a cut
            report(min(done, total), total)
    except Exception as exc:
        raise fail(exc) from exc

    entries = {}
    for role, path in {**kept, **downloaded}.items():
        if role in downloaded:
            _check_downloaded(role, path, metadata[role], paths[role], host)
        if role == "tokenizer":
            continue
        try:
            entries[role] = file_entry(path, role)
        except ModelError as exc:
            raise ModelDownloadError(
                N_("The downloaded file {path} is not a usable ONNX model."), path=paths[role]
            ) from exc
    try:
        install_files(model_dir, downloaded, {role: names[role] for role in downloaded})
        for role in entries:
            entries[role]["path"] = names[role]
        tokenizer = model_dir / names["tokenizer"] if "tokenizer" in paths else None
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


def _check_downloaded(role: str, path: Path, metadata: Any, repo_path: str, host: str) -> None:
    """A fetched file is the one the Hub announced (size, and the sha256 of a large file),
    and a tokenizer loads; ModelDownloadError (the file deleted: fetched again next time)."""
    etag = (metadata.etag or "").lower()
    is_sha256 = len(etag) == 64 and all(ch in "0123456789abcdef" for ch in etag)
    if (is_sha256 and sha256_file(path) != etag) or (
        metadata.size is not None and path.stat().st_size != metadata.size
    ):
        path.unlink(missing_ok=True)
        raise ModelDownloadError(
            N_("The downloaded file {path} does not match its checksum on {host}; try again."),
            path=repo_path,
            host=host,
        )
    if role == "tokenizer":
        from core.ai.tokenizer import load_tokenizer

        try:
            load_tokenizer(path.read_bytes(), repo_path)
        except ModelError as exc:
            raise ModelDownloadError(
                N_("The downloaded file {path} is not a usable CLIP tokenizer."), path=repo_path
            ) from exc
