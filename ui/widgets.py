"""Small rendering helpers shared by pages.

User text (titles, brands, descriptions, names) is always shown as text: through
``plain()`` inside markdown, or with ``st.text``; never as markdown or HTML.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from core.catalogue import attributes, categories
from core.catalogue.address import ITEM_PARAM
from core.catalogue.listings import condition_label
from core.i18n import N_, _, format_day, format_moment, pgettext
from core.models.catalogue import Item, ItemStatus
from core.money import format_eur
from ui import pages, thumbnails
from ui.auth import cookie_change_pending

# (a cached function, *its arguments) -> when this process last made it (time.monotonic())
_MADE: dict[tuple, float] = {}


def made_with_progress(make, *args, seconds: float, text: str):
    """``make(*args)``, a ``st.cache_data`` function kept ``seconds``. When this process has
    not made it within that time (a cold cache: after a restart, or once it expired), a
    progress state saying ``text`` shows at once while it is made (st.spinner waits half a
    second first, and a cold page stayed blank meanwhile); a warm run draws nothing more."""
    key = (make.__qualname__, *args)
    if time.monotonic() - _MADE.get(key, -float("inf")) < seconds:
        return make(*args)
    progress = st.empty()
    progress.status(text, state="running")
    try:
        made = make(*args)
    finally:
        progress.empty()
    now = time.monotonic()
    for stale in [k for k, at in _MADE.items() if now - at >= seconds]:
        del _MADE[stale]  # expired from the cache too: the next run is cold again anyway
    _MADE[key] = now
    return made


_MARKDOWN_SPECIALS = frozenset(string.punctuation)
_ZWSP = "\u200b"
_AUTOLINK_PARTS = re.compile(r"(?i)www\.|:/|@")


def one_line(text: str | None) -> str:
    """``text`` on one line: line breaks and runs of spaces become one space."""
    return " ".join((text or "").split())


def plain(text: str | None) -> str:
    """Escape ``text`` for st.markdown so that it shows as typed: every ASCII punctuation
    mark gets a backslash (CommonMark's escape), line breaks become spaces, and web and
    e-mail addresses get an invisible zero-width space so they are not turned into links
    (GitHub-flavoured markdown links "www.", "http://" and "a@b.c" even when escaped)."""
    flat = one_line(text)
    flat = _AUTOLINK_PARTS.sub(lambda m: m.group(0)[0] + _ZWSP + m.group(0)[1:], flat)
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in flat)


def money(cents: int) -> str:
    """A price for st.markdown: the one formatter, bold."""
    return f"**{format_eur(cents)}**"


def day(moment: datetime) -> str:
    """A date as people read it, in their language: 21 Nov 2026, 21 nov. 2026."""
    return format_day(moment)


def local_time(moment: datetime) -> tuple[datetime, str]:
    """``moment`` (stored in UTC) in the browser's time zone, and "" ; or in UTC and " UTC"
    when the browser did not say its zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return aware.astimezone(ZoneInfo(st.context.timezone or "")), ""
    except (ValueError, ZoneInfoNotFoundError):
        return aware.astimezone(UTC), " UTC"


def moment(when: datetime) -> str:
    """A moment as people read it, in their language and time zone: 21 Nov 2026, 14:05
    (with " UTC" when the browser did not say its zone)."""
    local, zone = local_time(when)
    return f"{format_moment(local)}{zone}"


def item_link(
    item_id: int,
    label: str | None = None,
    *,
    query: Mapping[str, list[str]] | None = None,
    **kwargs,
) -> None:
    """A link to an item's page, ``/item?item=ID`` (a link people can share), after
    ``query``, the shop's own address when the link is on a result, so that the item page
    knows the results to go back to."""
    params = {**(query or {}), ITEM_PARAM: [str(item_id)]}
    label = label if label is not None else _("See the item")
    pages.ITEM.link(label, query=params, icon=kwargs.pop("icon", None), **kwargs)


def photo_alt(title: str, category: str | None = None) -> str:
    """A photo's alternative text for screen readers and broken images: the listing's title
    and, when known, its category (the one the AI proposed or the seller chose)."""
    if category:
        return _("Photo of {title} ({category})").format(
            title=title, category=categories.label(category)
        )
    return _("Photo of {title}").format(title=title)


def thumbnail(image: bytes | None, width: int | str = "stretch", *, alt: str) -> None:
    """A listing's thumbnail (a JPEG made at upload) with its alternative text
    (``photo_alt``), by its address in the static folder (ui/thumbnails.py): the browser
    fetches it once and keeps it.

    Not bytes given to st.image: those go through Streamlit's media files on every run
    (checked with Pillow, hashed, registered for this session, orphans swept after the run:
    13 % of the server's time under load with a shop page of 24 cards, bench/capacity.py
    --profile)."""
    if image:
        st.image(thumbnails.image_url(image), width=width, alt=alt)
    else:
        st.caption(_("No photo"))


def status_badge(item: Item) -> None:
    if item.status == ItemStatus.SOLD.value:
        st.badge(pgettext("one item", "Sold"), icon=":material/sell:", color="gray")
    elif item.status == ItemStatus.HIDDEN.value:  # by an administrator (core.moderation)
        st.badge(_("Hidden by the administrators"), icon=":material/visibility_off:",
                 color="orange")  # fmt: skip
    else:
        st.badge(_("On sale"), icon=":material/storefront:", color="green")


def item_facts(item: Item, seller_name: str | None = None) -> None:
    """Category, colour and pattern (one line, when said), size, brand, condition (and
    seller, listed date) as a small list."""
    lines = [_fact(_CATEGORY, categories.label(item.category))]
    looks = [
        _fact(name, label)
        for name, label in (
            (_COLOUR, attributes.colour_label(item.colour)),
            (_PATTERN, attributes.pattern_label(item.pattern)),
        )
        if label
    ]
    if looks:
        lines.append(" · ".join(looks))
    facts = [
        (_SIZE, plain(categories.size_label(item.size))),
        (_BRAND, plain(item.brand)),
        (_CONDITION, condition_label(item.condition)),
    ]
    if seller_name is not None:
        facts.append((_SELLER, plain(seller_name)))
    facts.append((_LISTED, day(item.created_at)))
    lines += [_fact(name, value) for name, value in facts]
    st.markdown("  \n".join(lines))


# the names of an item's facts (shown translated, with the language's colon: "Taille :")
_CATEGORY, _COLOUR, _PATTERN = N_("Category"), N_("Colour"), N_("Pattern")
_SIZE, _BRAND, _CONDITION = N_("Size"), N_("Brand"), N_("Condition")
_SELLER, _LISTED = N_("Seller"), N_("Listed")


def _fact(name: str, value: str) -> str:
    """One line of facts for st.markdown: "**Size:** M" ("**Taille :** M")."""
    label = _("{label}:").format(label=_(name))
    return f"**{label}** {value}"


FLASH_SECONDS = 4.0


def flash(key: str = "_flash") -> None:
    """Show a message a previous run left for this one, for a few seconds of reruns: the
    browser's answers (a new cookie, a component's first value) rerun the page right after
    it is shown, which would otherwise lose it at once."""
    entry = st.session_state.get(key)
    if not entry:
        return
    if isinstance(entry, str):  # first shown now
        entry = st.session_state[key] = (entry, time.monotonic() + FLASH_SECONDS)
    message, until = entry
    if time.monotonic() > until and not cookie_change_pending():
        st.session_state.pop(key, None)
        return
    st.success(message)
