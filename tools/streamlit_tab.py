"""A browser tab without the browser: Streamlit's own websocket protocol, as the frontend
speaks it, for the capacity benchmark (bench/capacity.py) and the several-servers test.

A tab opens ``/_stcore/stream`` (with the browser's cookies: the re-login cookie, nginx's
routing cookie), asks for script runs with ``BackMsg.rerun_script`` (the query string,
widget states, the page's ``page_script_hash`` for navigation, the browser's locale, time
zone and address, the hashes of the large messages it already holds) and reads the
``ForwardMsg`` protobufs back until the run says it finished. Like a browser, it fetches
each image once and keeps it: ``st.image``'s media files (``/media/...``) and static files
(``/app/static/...``), markdown images and the card grid's photos (ui/card_grid.py)
included.

Not simulated: the 20 s refresh of the logged-in header (a fragment), components' iframes
(the cookie setter runs only at log-in and log-out, which the tab does through the
database), the frontend's static files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

_DONE = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
_TEXT_FIELDS = ("body", "label", "placeholder", "value")


GRID_COMPONENT = "seconde.card_grid"  # ui/card_grid.py COMPONENT_NAME (no app import here)
_STATIC_IMAGE = re.compile(r"!\[(?:\\.|[^\]\\])*\]\((app/static/[^)\s]+)\)")


def _grid_cards(element) -> list[dict]:
    """The cards of a card grid element (its data: JSON bytes, {"cards": [...]}); none for
    any other component."""
    if element.WhichOneof("type") != "bidi_component" or not element.bidi_component.bytes:
        return []
    if element.bidi_component.component_name != GRID_COMPONENT:
        return []
    try:
        data = json.loads(element.bidi_component.bytes)
    except ValueError:
        return []
    cards = data.get("cards") if isinstance(data, dict) else None
    return [card for card in cards if isinstance(card, dict)] if isinstance(cards, list) else []


class TabError(RuntimeError):
    """The server closed the tab, or a run did not finish in time."""


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float
    elements: list = field(default_factory=list)  # Element protos, in the order received
    exceptions: list[str] = field(default_factory=list)  # st.exception / tracebacks
    page_not_found: bool = False

    def texts(self) -> list[str]:
        """Every text the run showed: markdown, headings, alerts, captions, widget labels,
        and each card's title, facts and price."""
        found = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind is None:
                continue
            if kind == "bidi_component":
                values = [card.get(name) for card in _grid_cards(element)
                          for name in ("title", "facts", "price")]  # fmt: skip
            else:
                values = [getattr(getattr(element, kind), name, None) for name in _TEXT_FIELDS]
            found += [value for value in values if isinstance(value, str) and value]
        return found

    def cards(self) -> list[dict]:
        """The cards of the run's grids (ui/card_grid.py), in order."""
        return [card for element in self.elements for card in _grid_cards(element)]

    def text(self) -> str:
        return "\n".join(self.texts())

    def image_urls(self) -> list[str]:
        """The addresses of the run's images, as a browser asks for them: ``st.image``'s, and
        markdown images and cards' photos from the app's static folder (``app/static/...``,
        relative to a page, all of which are at the top level)."""
        urls = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind == "imgs":
                urls.extend(image.url for image in element.imgs.imgs if image.url)
            elif kind == "markdown":
                found = _STATIC_IMAGE.findall(element.markdown.body)
                urls.extend("/" + url for url in found)
            elif kind == "bidi_component":
                found = (card.get("img") for card in _grid_cards(element))
                urls.extend("/" + url for url in found if (url or "").startswith("app/static/"))
        return urls

    def widget_id(self, kind: str, label: str) -> str | None:
        """The id of the first widget of ``kind`` ("text_input", "button"...) with ``label``."""
        for element in self.elements:
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind).id
        return None


class Tab:
    """One browser tab on ``base_url`` (``http://host:port``). Use ``async with Tab(...)``."""

    def __init__(
        self,
        base_url: str,
        cookies: dict[str, str] | None = None,
        *,
        locale: str = "en-GB",
        timezone: str = "Europe/Paris",
        fetch_media: bool = True,
        timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = dict(cookies or {})
        self.locale = locale
        self.timezone = timezone
        self.fetch_media = fetch_media
        self.timeout = timeout
        self.session_id: str | None = None
        self.pages: dict[str, str] = {}  # url path ("" for the shop) -> page_script_hash
        self.query_string = ""
        self.media_bytes = 0
        self.auto_reruns: dict[str, float] = {}  # fragment id -> its run_every (s)
        self._media: set[str] = set()
        # the large messages this tab holds, with the run that last used each: like the
        # frontend, it forgets those unused for more than max_cached_message_age runs
        self._cache: dict[str, tuple[ForwardMsg, int]] = {}
        self._runs = 0
        self._max_age = 2
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._run: Run | None = None
        self._finished: asyncio.Future | None = None
        self._closed = asyncio.Event()
        self.closed_code: int | None = None

    async def __aenter__(self) -> Tab:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        """Load the page (its answer may set cookies: nginx's routing cookie), then open the
        websocket with the browser's cookies, as a browser does."""
        await self.get("/")
        url = "ws" + self.base_url[len("http") :] + "/_stcore/stream"
        headers = {"Origin": self.base_url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def open(self, path: str = "", query: str = "", **widgets) -> Run:
        """Go to ``/path?query`` as a click on a link does (``st.page_link``): the page's
        script hash once the navigation is known, else its name (a typed address)."""
        return await self.rerun(path=path, query=query, widgets=widgets or None)

    async def rerun(
        self,
        *,
        path: str | None = None,
        query: str | None = None,
        widgets: dict | None = None,
        fragment_id: str = "",
    ) -> Run:
        """One script run; ``widgets``: widget id -> value (str, bool, int, float,
        ``("trigger", True)``, or an uploader's ``("files", [(file id, name, size)])``) sent
        as this run's widget states; ``fragment_id``: rerun that
        fragment alone (as the browser does every ``run_every``: see ``auto_reruns``)."""
        if path is None:
            path = self._current_path
        if query is not None:
            self.query_string = query
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.fragment_id = fragment_id
        if path in self.pages:
            state.page_script_hash = self.pages[path]
        else:
            state.page_name = path
        self._current_path = path
        state.context_info.timezone = self.timezone
        state.context_info.timezone_offset = -60
        state.context_info.locale = self.locale
        state.context_info.url = f"{self.base_url}/{path}" + (
            f"?{self.query_string}" if self.query_string else ""
        )
        state.context_info.is_embedded = False
        state.context_info.color_scheme = "light"
        state.cached_message_hashes.extend(self._cache)
        for widget_id, value in (widgets or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if isinstance(value, tuple) and value[0] == "trigger":
                widget.trigger_value = bool(value[1])
            elif isinstance(value, tuple) and value[0] == "files":  # [(file id, name, size)]
                for file_id, name, size in value[1]:
                    info = widget.file_uploader_state_value.uploaded_file_info.add()
                    info.file_id, info.name, info.size = file_id, name, size
            elif isinstance(value, bool):
                widget.bool_value = value
            elif isinstance(value, int):
                widget.int_value = value
            elif isinstance(value, float):
                widget.double_value = value
            else:
                widget.string_value = str(value)
        self._run = Run(0.0)
        self._finished = asyncio.get_running_loop().create_future()
        began = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        try:
            await asyncio.wait_for(asyncio.shield(self._finished), self.timeout)
        except TimeoutError as exc:
            raise TabError(f"no answer in {self.timeout:.0f} s") from exc
        run = self._run
        run.seconds = time.perf_counter() - began
        if self.fetch_media:
            await self._fetch_new_media(run)
        return run

    _current_path = ""

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                if msg.WhichOneof("type") == "ref_hash":
                    cached = self._cache.get(msg.ref_hash)
                    if cached is None:
                        raise TabError(f"a reference to a message never held: {msg.ref_hash}")
                    msg = cached[0]
                    self._cache[msg.hash] = (msg, self._runs)
                elif msg.metadata.cacheable and msg.hash:
                    self._cache[msg.hash] = (msg, self._runs)
                self._handle(msg)
        except websockets.ConnectionClosed as exc:
            self.closed_code = exc.code
        finally:
            self._closed.set()
            if self._finished is not None and not self._finished.done():
                self._finished.set_exception(TabError(f"closed ({self.closed_code})"))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id
            self._max_age = msg.new_session.config.max_cached_message_age or self._max_age
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            for page in msg.navigation.app_pages:
                if page.is_default:
                    self.pages[""] = page.page_script_hash
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found" and self._run is not None:
            self._run.page_not_found = True
        elif kind == "delta" and self._run is not None:
            delta = msg.delta
            if delta.WhichOneof("type") == "new_element":
                element = delta.new_element
                self._run.elements.append(element)
                if element.WhichOneof("type") == "exception":
                    self._run.exceptions.append(
                        f"{element.exception.type}: {element.exception.message}"
                    )
        elif kind == "script_finished":
            self._runs += 1
            self._cache = {
                h: (m, used) for h, (m, used) in self._cache.items()
                if self._runs - used <= self._max_age
            }  # fmt: skip
            waiting = self._finished is not None and not self._finished.done()
            if msg.script_finished in _DONE and waiting:
                self._finished.set_result(None)

    async def _fetch_new_media(self, run: Run) -> None:
        for url in run.image_urls():
            if not url.startswith("data:") and url not in self._media:
                self._media.add(url)
                self.media_bytes += await self.get(url)

    async def get(self, path: str) -> int:
        """GET ``path`` on the server with this tab's cookies (HTTP/1.1); the body's length."""
        parts = urlsplit(self.base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else "")
            + "\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        data = await reader.read()
        writer.close()
        head, _sep, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise TabError(f"GET {path}: {head.splitlines()[0] if head else b'no answer'!r}")
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _colon, value = line.partition(":")
            if name.strip().lower() == "set-cookie":
                cookie, _eq, rest = value.strip().partition("=")
                self.cookies[cookie] = rest.split(";", 1)[0]
        return len(body)
