"""Every screen of the app, declared once: its file, url path, title, icon and who sees it in
the navigation. Home.py builds the navigation from here; pages go to each other, link to each
other and send visitors to log in through these objects, never through a typed path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote, urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from core.i18n import N_, _, format_number
from core.messaging.badges import Badges

APP_NAME = "Seconde Main"  # the brand: the same in every language


class Audience(Enum):
    EVERYONE = "everyone"
    LOGGED_OUT = "logged_out"  # in the navigation only while logged out
    LOGGED_IN = "logged_in"  # in the navigation only while logged in; reachable by URL always
    LINKED = "linked"  # never in the navigation: reached by links (a seller's page), for all
    ADMIN = "admin"  # administrators only: for anyone else the page does not exist at all


@dataclass(frozen=True)
class Screen:
    path: str  # relative to Home.py
    url_path: str  # the address after the app's root: /sell; "" is the root (the shop)
    title: str  # marked with N_: shown translated (title(), link())
    icon: str
    audience: Audience

    def go(self, query: Mapping[str, str | list[str]] | None = None) -> None:
        """Switch to this screen (ends the current run); a list is a repeated key."""
        st.switch_page(self.path, query_params=query or None)

    def link(
        self,
        label: str | None = None,
        *,
        query: Mapping[str, str | list[str]] | None = None,
        **kw,
    ):
        """A link to this screen."""
        st.page_link(
            _link_target(self), label=label or _(self.title), icon=kw.pop("icon", self.icon),
            query_params=query, **kw,
        )  # fmt: skip


_LINK_TARGETS: dict[Screen, st.Page] = {}


def _link_target(screen: Screen) -> st.Page:
    """The screen as a page object, made once per process: a link given the file's path
    resolves it on disk (os.path.realpath) for every link drawn, 5 % of the server's time
    under load with a shop page's 24 cards (bench/capacity.py --profile). Its script hash
    is the one st.navigation registers (the url path), and a link always passes its own
    label and icon."""
    page = _LINK_TARGETS.get(screen)
    if page is None:
        page = st.Page(screen.path, url_path=screen.url_path or None, default=screen is SHOP)
        _LINK_TARGETS[screen] = page
    return page


SHOP = Screen("app_pages/catalogue.py", "", N_("Shop"), ":material/storefront:", Audience.EVERYONE)
LOGIN = Screen("app_pages/login.py", "login", N_("Log in"), ":material/login:", Audience.LOGGED_OUT)
REGISTER = Screen(
    "app_pages/register.py",
    "register",
    N_("Register"),
    ":material/person_add:",
    Audience.LOGGED_OUT,
)
SELL = Screen("app_pages/sell.py", "sell", N_("Sell"), ":material/add_a_photo:", Audience.LOGGED_IN)
MY_LISTINGS = Screen(
    "app_pages/my_listings.py",
    "my_listings",
    N_("My listings"),
    ":material/sell:",
    Audience.LOGGED_IN,
)
CART = Screen(
    "app_pages/cart.py", "cart", N_("Cart"), ":material/shopping_cart:", Audience.LOGGED_IN
)
ORDERS = Screen(
    "app_pages/orders.py", "orders", N_("Orders"), ":material/receipt_long:", Audience.LOGGED_IN
)
PROFILE = Screen(
    "app_pages/profile.py", "profile", N_("Profile"), ":material/person:", Audience.LOGGED_IN
)
FAVOURITES = Screen(
    "app_pages/favourites.py", "favourites", N_("Favourites"), ":material/favorite:",
    Audience.LOGGED_IN,
)  # fmt: skip
INBOX = Screen("app_pages/inbox.py", "inbox", N_("Inbox"), ":material/chat:", Audience.LOGGED_IN)
NOTIFICATIONS = Screen(  # the bell in every page's header leads there (ui/header.py)
    "app_pages/notifications.py", "notifications", N_("Notifications"),
    ":material/notifications:", Audience.LINKED,
)  # fmt: skip
INSIGHTS = Screen(
    "app_pages/insights.py", "insights", N_("Insights"), ":material/insights:", Audience.EVERYONE
)
ITEM = Screen(  # /item?item=ID, after the shop's address it was opened from (ui/item_page.py)
    "app_pages/item.py", "item", N_("Item"), ":material/checkroom:", Audience.LINKED
)
SELLER = Screen(
    "app_pages/seller.py", "seller", N_("Seller"), ":material/storefront:", Audience.LINKED
)
FORGOT_PASSWORD = Screen(  # linked from the log-in page
    "app_pages/forgot_password.py", "forgot_password", N_("Forgot your password?"),
    ":material/lock_reset:", Audience.LINKED,
)  # fmt: skip
RESET_PASSWORD = Screen(  # opened by the e-mailed link (core.accounts.resets.RESET_PAGE)
    "app_pages/reset_password.py", "reset_password", N_("Choose a new password"),
    ":material/password:", Audience.LINKED,
)  # fmt: skip

ADMIN = Screen(
    "app_pages/admin.py", "admin", N_("Moderation"), ":material/shield_person:", Audience.ADMIN
)

SCREENS = (
    SHOP, LOGIN, REGISTER, SELL, MY_LISTINGS, FAVOURITES, INBOX, CART, ORDERS, INSIGHTS,
    PROFILE, NOTIFICATIONS, ITEM, SELLER, FORGOT_PASSWORD, RESET_PASSWORD, ADMIN,
)  # fmt: skip
BY_PATH = {screen.path: screen for screen in SCREENS}
BY_URL_PATH = {screen.url_path: screen for screen in SCREENS}

NOT_FOUND_TITLE = N_("Page not found")
# The main places, always in reach on a phone (where Streamlit folds its navigation into the
# side menu): see quick_links().
_QUICK_LOGGED_IN = (SHOP, SELL, CART, PROFILE)
_QUICK_LOGGED_OUT = (SHOP, LOGIN, REGISTER)
QUICK_LINKS_KEY = "quick_links"


def title(screen: Screen, counts: Badges | None = None) -> str:
    """The screen's name in the navigation, in the person's language: the cart shows how
    many items it holds, the inbox how many messages are unread."""
    count = 0
    if counts is not None:
        count = counts.cart if screen is CART else counts.messages if screen is INBOX else 0
    return with_count(_(screen.title), count)


def with_count(title: str, count: int) -> str:
    """ "Cart (2)"; the title alone when there is nothing to count."""
    return f"{title} ({format_number(count)})" if count else title


def requested_url_path() -> str | None:
    """The page the browser's address names (its last path segment, decoded: "sell", "" for
    the root), or None when the browser did not say (AppTest without a context url).

    Only the last segment: Streamlit's own routing ignores what comes before it (a proxy's
    prefix, server.baseUrlPath), so this never mistakes the shop behind a prefix for a
    missing page.
    """
    url = st.context.url
    if url is None:
        return None
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def in_address_bar(screen: Screen) -> bool:
    """Whether the browser's address named ``screen`` when it asked for this run (True when
    the browser did not say).

    Not so in the first run after a switch from another page (a link, the navigation,
    st.switch_page): Streamlit changes the address once the run has started, pushing the new
    page's address with its query. A page that wrote its query parameters in that run would
    push the old page's address with them first: an extra history entry, where Back shows
    the old page with the new page's query (an empty /item after "Shop", a shop that goes
    back to an item)."""
    url = _address_bar()
    if url is None:
        return True
    shown = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    # an address that names no screen is the shop behind a prefix (server.baseUrlPath)
    return BY_URL_PATH.get(shown, SHOP) is screen


def _address_bar() -> str | None:
    """The address (without its query) the browser showed when it asked for this run, which
    st.context.url does not say: it gives the address of the page being run. Streamlit's
    own field, not offered publicly: None if a version drops it."""
    info = getattr(get_script_run_ctx(), "context_info", None)
    return info.url if info is not None and info.HasField("url") else None


def history_navigation() -> bool:
    """Whether this run is the browser's Back or Forward: Streamlit's own flag (by which a
    write of the query parameters replaces the address instead of pushing a new one), not
    offered publicly; False if a version drops it."""
    return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))


def navigation(
    logged_in: bool,
    *,
    counts: Badges | None = None,
    requested: str | None = None,
    admin: bool = False,
) -> list[st.Page]:
    """This run's pages: the shop first (the default), then what this visitor may see.

    Every screen stays reachable by its URL, hidden when it is not for this visitor: a
    logged-out visitor's /profile sends them to log in, then back; a logged-in person's
    /login goes to the shop. An address that names no screen (``requested``) gets a hidden
    "Page not found" page at that very address: Streamlit routes it there (instead of
    running the shop under its own "Page not found" pop-up), the address bar keeps what was
    typed and nothing in the navigation is highlighted. The admin page is registered for
    administrators only (``admin``): anyone else's /admin is that "Page not found".
    """
    pages, known = [], set()
    for screen in SCREENS:
        if screen.audience is Audience.ADMIN and not admin:
            continue
        known.add(screen.url_path)
        shown = screen.audience in (Audience.EVERYONE, Audience.ADMIN) or (
            screen.audience is not Audience.LINKED
            and (screen.audience is Audience.LOGGED_IN) == logged_in
        )
        pages.append(
            st.Page(
                screen.path,
                title=title(screen, counts),
                icon=screen.icon,
                url_path=screen.url_path or None,
                default=screen is SHOP,
                visibility="visible" if shown else "hidden",
            )
        )
    if requested is not None and requested not in known and _may_be_url_path(requested):
        pages.append(
            st.Page(
                not_found,
                title=_(NOT_FOUND_TITLE),
                icon=":material/search_off:",
                url_path=requested,
                visibility="hidden",
            )
        )
    return pages


def _may_be_url_path(text: str) -> bool:
    """What st.Page takes as a url_path unchanged (it strips blanks and refuses "/"); any
    other address falls back to Streamlit's own "Page not found" pop-up over the shop."""
    return bool(text) and text == text.strip() and "/" not in text


def not_found() -> None:
    """What an address that names no screen shows: a sentence and the way to the shop."""
    st.set_page_config(page_title=f"{_(NOT_FOUND_TITLE)} · {APP_NAME}")
    st.title(_(NOT_FOUND_TITLE), anchor=False)
    st.markdown(_("There is no page at this address. It may have moved, or the link is mistyped."))
    SHOP.link(_("Go to the shop"), icon=":material/arrow_back:")


def quick_links(logged_in: bool, *, counts: Badges | None = None) -> None:
    """The main places as a row of links at the top of every page, shown on narrow screens
    only (ui/layout.py): below 768 px Streamlit folds the top navigation into the side menu.
    """
    screens = _QUICK_LOGGED_IN if logged_in else _QUICK_LOGGED_OUT
    with st.container(horizontal=True, gap="small", key=QUICK_LINKS_KEY):
        for screen in screens:
            screen.link(title(screen, counts))
