"""The sell page's photos: the listing's current photos (when editing), uploads and camera
shots, each checked and decoded once (``core.ai.preprocess.prepare_for_model``: the stored
copy, the thumbnail and the classifier's pixel values from one decode) and previewed.

At most MAX_PHOTOS_PER_ITEM photos in all: the photos are counted before any file is
decoded, and files beyond the limit are never decoded. Each file's outcome (its prepared
photo, or why it was refused) is kept per file, so a rerun never does the work again.
Only the prepared photos (small JPEGs, thumbnails and the classifier's 600 kB of pixel
values each, which any photo needs again once it is made the cover) stay in the session:
the raw bytes Streamlit keeps for an upload or a camera shot are dropped as soon as it has
been read.

Every refused file is named in a sentence right under the uploader, as soon as it is
chosen: too big, not a photo, damaged, one too many. The uploader has no ``type=`` filter,
so that any file reaches the photo checks (which read its content, not its name) and gets
its sentence. The one refusal Python never sees is Streamlit's own, in the browser, of a
file over the uploader's size limit: a few lines of JavaScript next to the uploader
(``_WATCH_JS``) report those files' names and sizes, and the page says the same sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

import streamlit as st
from streamlit import config
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import DeletedFile, UploadedFile

from core.ai.preprocess import CLIP_PREPROCESSING, prepare_for_model
from core.catalogue.listings import ItemPhoto
from core.catalogue.photo_checks import MAX_UPLOAD_BYTES, PhotoError, check_size, megabytes
from core.catalogue.photos import PreparedPhoto
from core.i18n import _, ngettext
from core.models.catalogue import MAX_PHOTOS_PER_ITEM
from ui.widget_words import uploader_html
from ui.widgets import plain

_MAX_REPORTED = 50  # browser-refused files said at most (the report comes from the browser)


def upload_limit() -> int:
    """The biggest file a seller may upload, in bytes, in whole MB (the uploader's unit):
    the photo rule (MAX_UPLOAD_BYTES), or less if the server takes less
    (``server.maxUploadSize``, in MiB: a file it refuses never reaches the page, so the
    page never promises more)."""
    server = config.get_option("server.maxUploadSize") * 2**20
    return min(MAX_UPLOAD_BYTES, server // 1_000_000 * 1_000_000)


# Reports the files Streamlit's uploader refuses in the browser for their size (they never
# reach Python): every file chosen in the uploader whose class is ``st-key-<uploader>``
# (Streamlit's documented class for a keyed widget), by its file dialog or a drop, bigger
# than ``limit``. Listens on the document, in the capture phase, before the uploader's own
# handlers; reads names and sizes only.
_WATCH_JS = """
export default function ({ data, setStateValue }) {
  const scope = `.st-key-${data.uploader}`;
  const store = (window.__secondeMainRefused ??= {});
  const refused = (store[data.uploader] ??= new Map());
  const report = (files) => {
    let added = false;
    for (const file of Array.from(files || [])) {
      const id = `${file.name}/${file.size}`;
      if (file.size > data.limit && !refused.has(id)) {
        refused.set(id, { name: file.name, size: file.size });
        added = true;
      }
    }
    if (added) setStateValue("refused", Array.from(refused.values()));
  };
  const inScope = (node) => node instanceof Element && node.closest(scope) !== null;
  const onChange = (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file" && inScope(input)) {
      report(input.files);
    }
  };
  const onDrop = (event) => {
    if (inScope(event.target) && event.dataTransfer) report(event.dataTransfer.files);
  };
  document.addEventListener("change", onChange, true);
  document.addEventListener("drop", onDrop, true);
  return () => {
    document.removeEventListener("change", onChange, true);
    document.removeEventListener("drop", onDrop, true);
  };
}
"""
_watch = st.components.v2.component("seconde_main.refused_uploads", js=_WATCH_JS)


def browser_refusals(reported, limit: int) -> list[str]:
    """The sentences for the files the browser refused (``reported`` by ``_WATCH_JS``: a
    list of ``{"name", "size"}``), said as the photo checks say them. The report comes from
    the browser: anything malformed is left out."""
    sentences = []
    for entry in reported[:_MAX_REPORTED] if isinstance(reported, list) else []:
        name, size = (entry.get("name"), entry.get("size")) if isinstance(entry, dict) else ("", 0)
        if not isinstance(name, str) or not isinstance(size, int) or isinstance(size, bool):
            continue
        try:
            check_size(size, name=f"“{name[:255]}”", limit=limit)  # as long as a file name
        except PhotoError as exc:
            sentences.append(str(exc))
    return sentences


@dataclass(frozen=True)
class PickedPhoto:
    key: str  # stable for the photo's life on the page ("upload:<id>", "shot:<id>", ...)
    photo: int | PreparedPhoto | None  # an existing photo's id, a new photo, or None if bad
    thumbnail: bytes | None
    error: str = ""

    @property
    def is_new(self) -> bool:
        return isinstance(self.photo, PreparedPhoto)


@dataclass(frozen=True)
class NotUsed:
    """A file beyond the photo limit: never decoded, its bytes dropped."""

    name: str


def _state(form_id: str, name: str, default):
    return st.session_state.setdefault(f"_sell_{name}_{form_id}", default)


def _prepare(data: bytes, name: str) -> PreparedPhoto | str:
    """The prepared photo, or the sentence saying why the file is refused (never raises)."""
    try:
        # CLIP's preprocessing: ui/classifier.py makes its own for a model that says otherwise
        return prepare_for_model(data, CLIP_PREPROCESSING, name=name)
    except PhotoError as exc:
        return str(exc)


def _drop_raw(file_id: str) -> None:
    """Free the bytes Streamlit keeps for an upload until the seller removes it from the
    uploader or the session ends (as st.chat_input does for its files); the uploader still
    lists the file, and the page only needs its prepared photo, cached per file."""
    ctx = get_script_run_ctx()
    manager = getattr(ctx, "uploaded_file_mgr", None)
    if isinstance(manager, MemoryUploadedFileManager):
        manager.remove_file(session_id=ctx.session_id, file_id=file_id)


def _files_in(widget_key: str) -> list[UploadedFile | DeletedFile]:
    """The uploader's files in order, including those whose bytes were dropped (the widget's
    value in session_state keeps them, as DeletedFile; st.file_uploader leaves them out)."""
    value = st.session_state.get(widget_key) or []
    files = value if isinstance(value, list) else [value]
    return [f for f in files if isinstance(f, UploadedFile | DeletedFile)]


def _usable(cache: dict, keys) -> int:
    return sum(isinstance(cache.get(k), PreparedPhoto) for k in keys)


def _photo_count(form_id: str) -> int:
    """The usable photos the form holds: the listing's kept ones, shots and uploads."""
    kept, shots = _state(form_id, "kept", []), _state(form_id, "shots", [])
    cache = _state(form_id, "prepared", {})
    return len(kept) + len(shots) + _usable(cache, cache)


def _keep_shot(form_id: str, camera_key: str) -> None:
    shot = st.session_state.get(camera_key)
    if not isinstance(shot, UploadedFile):
        return
    shots: list = _state(form_id, "shots", [])
    problem: list[str] = _state(form_id, "shot_problem", [])
    problem.clear()
    if _photo_count(form_id) < MAX_PHOTOS_PER_ITEM:
        result = _prepare(shot.getvalue(), _("The camera photo"))
        if isinstance(result, PreparedPhoto):
            shots.append((uuid4().hex, result))
        else:
            problem.append(result)  # said once, next to the camera; the shot is not kept
    _drop_raw(shot.file_id)
    _state(form_id, "camera", [0])[0] += 1  # a new camera widget, empty, for the next shot


def _not_used_sentence(names: list[str]) -> str:
    if len(names) == 1:
        sentence = _("A listing has at most {n} photos, so {name} was not used.")
        return sentence.format(n=MAX_PHOTOS_PER_ITEM, name=names[0])
    sentence = _("A listing has at most {n} photos, so {names} and {last} were not used.")
    return sentence.format(n=MAX_PHOTOS_PER_ITEM, names=", ".join(names[:-1]), last=names[-1])


def pick_photos(form_id: str, existing: list[ItemPhoto] = ()) -> list[PickedPhoto]:
    """Draw the photo inputs and previews; the photos in order (the first is the cover)."""
    by_id = {p.id: p for p in existing}
    kept: list[int] = _state(form_id, "kept", [p.id for p in existing])
    kept[:] = [i for i in kept if i in by_id]
    shots: list[tuple[str, PreparedPhoto]] = _state(form_id, "shots", [])
    counter: list[int] = _state(form_id, "camera", [0])
    cache: dict[str, PreparedPhoto | str | NotUsed] = _state(form_id, "prepared", {})

    upload_key = f"sell_upload_{form_id}"
    limit = upload_limit()
    st.file_uploader(
        _("Photos: 1 to {n}, the first one is the cover").format(n=MAX_PHOTOS_PER_ITEM),
        accept_multiple_files=True,  # no type= filter: every file gets a sentence (docstring)
        key=upload_key,
        max_upload_size=limit // 1_000_000,  # the browser's MB: 10**6 bytes, 2**20 on Windows
    )
    st.caption(
        _(
            "JPEG, PNG, WebP, GIF, BMP or TIFF, up to {size} each. Location and other metadata "
            "are removed."
        ).format(size=megabytes(limit))
    )
    files = [(f"upload:{f.file_id}", f) for f in _files_in(upload_key)]
    for stale in set(cache) - {key for key, _file in files}:
        del cache[stale]  # removed from the uploader
    # each file's name and size, kept from its first run (its bytes are dropped after)
    chips: dict[str, tuple[str, int]] = _state(form_id, "chips", {})
    for key, file in files:
        if isinstance(file, UploadedFile):
            chips.setdefault(key, (file.name, file.size))
    for stale in set(chips) - {key for key, _file in files}:
        del chips[stale]
    st.html(uploader_html(upload_key, dict(chips.values())))

    # Count first: the photos already there, then the new files in order while there is room.
    count = len(kept) + len(shots) + _usable(cache, cache)
    lost = 0  # listed by the browser, but its bytes are not on this server: said, not skipped
    for key, file in files:
        if key in cache:
            continue
        if not isinstance(file, UploadedFile):  # the server restarted, or the tab moved to
            lost += 1  # another process, after the upload: the browser still lists the file
            continue
        name = f"“{file.name}”"
        try:
            check_size(file.size, name=name, limit=limit)  # before its bytes are read
        except PhotoError as exc:
            cache[key] = str(exc)
        else:
            if count < MAX_PHOTOS_PER_ITEM:
                cache[key] = _prepare(file.getvalue(), name)
                count += isinstance(cache[key], PreparedPhoto)
            else:
                cache[key] = NotUsed(name)
        _drop_raw(file.file_id)

    # Every refusal, next to the uploader: the files it holds, then those the browser kept out.
    reported = _watch(
        key=f"sell_upload_watch_{form_id}",
        data={"uploader": upload_key, "limit": limit},
        default={"refused": []},
        on_refused_change=lambda: None,  # a report reruns the page
    )
    refusals = [cache[key] for key, _file in files if isinstance(cache.get(key), str)]
    refusals += browser_refusals(reported.get("refused"), limit)
    if lost:
        refusals.append(
            ngettext(
                "A photo in the list above did not reach the server (it restarted meanwhile): "
                "remove it with ✕ and add it again.",
                "{n} photos in the list above did not reach the server (it restarted "
                "meanwhile): remove them with ✕ and add them again.",
                lost,
            ).format(n=lost)
        )
    for sentence in dict.fromkeys(refusals):  # the same file said once
        st.error(plain(sentence))
    extra = [cache[key].name for key, _file in files if isinstance(cache.get(key), NotUsed)]
    if extra:
        st.warning(plain(_not_used_sentence(extra)))

    if st.toggle(_("Take photos with the camera"), key=f"sell_use_camera_{form_id}"):
        if count < MAX_PHOTOS_PER_ITEM:
            camera_key = f"sell_camera_{form_id}_{counter[0]}"
            st.camera_input(
                _("Take a photo"),
                key=camera_key,
                on_change=_keep_shot,
                args=(form_id, camera_key),
            )
        else:
            st.caption(
                ngettext(
                    "You have {n} photo: remove one to take another.",
                    "You have {n} photos: remove one to take another.",
                    MAX_PHOTOS_PER_ITEM,
                ).format(n=MAX_PHOTOS_PER_ITEM)
            )
        for problem in _state(form_id, "shot_problem", []):
            st.error(plain(problem))

    picked = [PickedPhoto(f"existing:{i}", i, by_id[i].thumbnail) for i in kept]
    for key, _file in files:
        result = cache.get(key)
        if isinstance(result, PreparedPhoto):
            picked.append(PickedPhoto(key, result, result.thumbnail))
        elif isinstance(result, str):
            picked.append(PickedPhoto(key, None, None, result))
    picked += [PickedPhoto(f"shot:{sid}", photo, photo.thumbnail) for sid, photo in shots]

    # the seller's order: photos keep their place, new ones come last, "Make cover" moves
    order: list[str] = _state(form_id, "order", [])
    keys = [p.key for p in picked]
    order[:] = [k for k in order if k in keys] + [k for k in keys if k not in order]
    picked.sort(key=lambda p: order.index(p.key))
    _previews(picked, kept, shots, order)
    return picked


def _remove(picked: PickedPhoto, kept: list[int], shots: list) -> None:
    if picked.key.startswith("existing:"):
        kept.remove(picked.photo)
    elif picked.key.startswith("shot:"):
        shots[:] = [s for s in shots if f"shot:{s[0]}" != picked.key]


def _make_cover(key: str, order: list[str]) -> None:
    order.remove(key)
    order.insert(0, key)


def _previews(picked: list[PickedPhoto], kept: list[int], shots: list, order: list) -> None:
    good = [p for p in picked if p.photo is not None]
    if not good:
        return
    columns = st.columns(MAX_PHOTOS_PER_ITEM)
    for n, photo in enumerate(good):
        with columns[n % MAX_PHOTOS_PER_ITEM]:
            st.image(
                photo.thumbnail,
                width="stretch",
                caption=_("Cover") if n == 0 else f"{n + 1}",
                alt=_("Your photo {n} of {count}").format(n=n + 1, count=len(good)),
            )
            if n > 0:
                st.button(
                    _("Make cover"),
                    key=f"cover_{photo.key}",
                    icon=":material/star:",
                    type="tertiary",
                    on_click=_make_cover,
                    args=(photo.key, order),
                )
            if not photo.key.startswith("upload:"):  # uploads have their own remove button
                st.button(
                    _("Remove"),
                    key=f"remove_{photo.key}",
                    icon=":material/close:",
                    type="tertiary",
                    on_click=_remove,
                    args=(photo, kept, shots),
                )
