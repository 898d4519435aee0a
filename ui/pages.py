"""Every screen of the app, declared once: its file, title, icon and who sees it in the
navigation. Home.py builds the navigation from here; pages go to each other, link to each
other and send visitors to log in through these objects, never through a typed path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import streamlit as st


class Audience(Enum):
    EVERYONE = "everyone"
    LOGGED_OUT = "logged_out"  # in the navigation only while logged out
    LOGGED_IN = "logged_in"  # in the navigation only while logged in; reachable by URL always


@dataclass(frozen=True)
class Screen:
    path: str  # relative to Home.py
    title: str
    icon: str
    audience: Audience

    def go(self, query: dict[str, str] | None = None) -> None:
        """Switch to this screen (ends the current run)."""
        st.switch_page(self.path, query_params=query or None)

    def link(self, label: str | None = None, *, query: dict[str, str] | None = None, **kw):
        """A link to this screen."""
        st.page_link(
            self.path, label=label or self.title, icon=kw.pop("icon", self.icon),
            query_params=query, **kw,
        )  # fmt: skip


SHOP = Screen("app_pages/catalogue.py", "Shop", ":material/storefront:", Audience.EVERYONE)
LOGIN = Screen("app_pages/login.py", "Log in", ":material/login:", Audience.LOGGED_OUT)
REGISTER = Screen("app_pages/register.py", "Register", ":material/person_add:", Audience.LOGGED_OUT)
SELL = Screen("app_pages/sell.py", "Sell", ":material/add_a_photo:", Audience.LOGGED_IN)
MY_LISTINGS = Screen(
    "app_pages/my_listings.py", "My listings", ":material/sell:", Audience.LOGGED_IN
)
CART = Screen("app_pages/cart.py", "Cart", ":material/shopping_cart:", Audience.LOGGED_IN)
ORDERS = Screen("app_pages/orders.py", "Orders", ":material/receipt_long:", Audience.LOGGED_IN)
PROFILE = Screen("app_pages/profile.py", "Profile", ":material/person:", Audience.LOGGED_IN)

SCREENS = (SHOP, LOGIN, REGISTER, SELL, MY_LISTINGS, CART, ORDERS, PROFILE)
BY_PATH = {screen.path: screen for screen in SCREENS}


def navigation(logged_in: bool) -> list[st.Page]:
    """This run's pages: the shop first (the default), then what this visitor may see.

    Logged-in pages stay reachable by URL while logged out, hidden: they send the visitor to
    log in, then back.
    """
    pages = []
    for screen in SCREENS:
        shown = screen.audience is Audience.EVERYONE or (
            (screen.audience is Audience.LOGGED_IN) == logged_in
        )
        if not shown and screen.audience is Audience.LOGGED_OUT:
            continue  # nothing to do there once logged in
        pages.append(
            st.Page(
                screen.path,
                title=screen.title,
                icon=screen.icon,
                default=screen is SHOP,
                visibility="visible" if shown else "hidden",
            )
        )
    return pages
