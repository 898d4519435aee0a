"""The sell page's photos: the listing's current photos (when editing), uploads and camera
shots, each checked once by ``core.photos.prepare_photo`` and previewed."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

import streamlit as st

from core.listings import ItemPhoto
from core.models import MAX_PHOTOS_PER_ITEM
from core.photos import MAX_UPLOAD_BYTES, PhotoError, PreparedPhoto, prepare_photo
from ui.widgets import plain

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"]


@dataclass(frozen=True)
class PickedPhoto:
    key: str  # stable for the photo's life on the page ("upload:<id>", "shot:<id>", ...)
    photo: int | PreparedPhoto | None  # an existing photo's id, a new photo, or None if bad
    thumbnail: bytes | None
    error: str = ""

    @property
    def is_new(self) -> bool:
        return isinstance(self.photo, PreparedPhoto)


def _state(form_id: str, name: str, default):
    return st.session_state.setdefault(f"_sell_{name}_{form_id}", default)


def _prepared(cache: dict, key: str, data: bytes, name: str) -> PreparedPhoto | str:
    if key not in cache:
        try:
            cache[key] = prepare_photo(data, name=name)
        except PhotoError as exc:
            cache[key] = str(exc)
    return cache[key]


def _keep_shot(camera_key: str, shots: list, counter: list) -> None:
    shot = st.session_state.get(camera_key)
    if shot is not None:
        shots.append((uuid4().hex, shot.getvalue()))
        counter[0] += 1  # a new camera widget, empty, for the next shot


def pick_photos(form_id: str, existing: list[ItemPhoto] = ()) -> list[PickedPhoto]:
    """Draw the photo inputs and previews; the photos in order (the first is the cover)."""
    kept: list[int] = _state(form_id, "kept", [p.id for p in existing])
    shots: list[tuple[str, bytes]] = _state(form_id, "shots", [])
    counter: list[int] = _state(form_id, "camera", [0])
    cache: dict = _state(form_id, "prepared", {})
    by_id = {p.id: p for p in existing}

    uploads = st.file_uploader(
        f"Photos: 1 to {MAX_PHOTOS_PER_ITEM}, the first one is the cover",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key=f"sell_upload_{form_id}",
        max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
        help="JPEG, PNG, WebP... up to 10 MB each. Location and other metadata are removed.",
    )
    if st.toggle("Take photos with the camera", key=f"sell_use_camera_{form_id}"):
        camera_key = f"sell_camera_{form_id}_{counter[0]}"
        st.camera_input(
            "Take a photo",
            key=camera_key,
            on_change=_keep_shot,
            args=(camera_key, shots, counter),
        )

    picked = [PickedPhoto(f"existing:{i}", i, by_id[i].thumbnail) for i in kept if i in by_id]
    sources = [(f"upload:{f.file_id}", f.getvalue(), f"“{f.name}”") for f in uploads or []]
    sources += [(f"shot:{sid}", data, "The camera photo") for sid, data in shots]
    for key, data, name in sources:
        result = _prepared(cache, key, data, name)
        if isinstance(result, str):
            picked.append(PickedPhoto(key, None, None, result))
        else:
            picked.append(PickedPhoto(key, result, result.thumbnail))
    for stale in set(cache) - {key for key, _, _ in sources}:
        del cache[stale]

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
    for problem in (p for p in picked if p.error):
        st.error(plain(problem.error))
    good = [p for p in picked if p.photo is not None]
    if not good:
        return
    columns = st.columns(MAX_PHOTOS_PER_ITEM)
    for n, photo in enumerate(good):
        with columns[n % MAX_PHOTOS_PER_ITEM]:
            st.image(photo.thumbnail, width="stretch", caption="Cover" if n == 0 else f"{n + 1}")
            if n > 0:
                st.button(
                    "Make cover",
                    key=f"cover_{photo.key}",
                    icon=":material/star:",
                    type="tertiary",
                    on_click=_make_cover,
                    args=(photo.key, order),
                )
            if not photo.key.startswith("upload:"):  # uploads have their own remove button
                st.button(
                    "Remove",
                    key=f"remove_{photo.key}",
                    icon=":material/close:",
                    type="tertiary",
                    on_click=_remove,
                    args=(photo, kept, shots),
                )
