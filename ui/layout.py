"""The app's few style rules, loaded once per run by Home.py (``apply()``).

Streamlit has no setting for these, so they are CSS on Streamlit's own markup: its
``data-testid`` attributes and the ``st-key-<key>`` class a keyed container gets. Each rule
says what it fixes; tests/e2e/test_layout_phone.py checks every page at 390 px wide.

Streamlit's breakpoints: below 768 px its top navigation folds into the side menu; below
640 px columns stack, one per row.
"""

from __future__ import annotations

import streamlit as st

from ui import pages, widget_words

SCREEN_KEY_PREFIX = "screen_"


def screen_key(screen: pages.Screen | None) -> str:
    """The key of the container Home.py runs a screen in (None: the "Page not found" page):
    ``.st-key-screen_shop``."""
    if screen is None:
        return f"{SCREEN_KEY_PREFIX}not_found"
    return SCREEN_KEY_PREFIX + (screen.url_path or "shop")


_QUICK = f".st-key-{pages.QUICK_LINKS_KEY}"
MENU_CLOSER_KEY = "menu_closer"  # the container of the side menu's closer (apply())
# The links to the shop in the navigation and its side menu (a phone's), and in the phone's
# quick links (a page link to the root has an empty href), while an item's page is shown.
_ON_ITEM = f"body:has(.st-key-{SCREEN_KEY_PREFIX}{pages.ITEM.url_path})"
_SHOP_NAV = (
    f'{_ON_ITEM} :is([data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"])[href$="/"]'
)
_SHOP_QUICK = f'{_ON_ITEM} {_QUICK} a[href=""]'
HEART_RED = "#d43f4f"
# Material Icons' filled "favorite" (Apache 2.0), a little inset to match the outline's size
_FILLED_HEART = (
    "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='-1 -1 26 26'%3E"
    "%3Cpath d='M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 "
    "4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 "
    "21.35z'/%3E%3C/svg%3E\")"
)

CSS = f"""
/* The cookie manager's zero-height iframes would otherwise leave gaps above each page. */
div[data-testid="stElementContainer"]:has(iframe[title*="cookie_manager"]) {{display: none;}}

/* Contrast (WCAG AA, axe-core's color-contrast; tests/e2e/conftest.py): Streamlit draws a
   disabled widget's label at 40 % of the text colour (2.4:1), and inline code in a caption
   (the log-in page's demo accounts) small and grey under the caption's 60 % opacity (3.3:1). */
label[data-testid="stWidgetLabel"][disabled] p {{color: rgba(17, 24, 39, 0.68);}}
[data-testid="stCaptionContainer"] code {{color: #000; font-size: 0.9em;}}

/* The side menu's closer (apply()) is a script: it takes no room on the page. */
[data-testid="stLayoutWrapper"]:has(> .st-key-{MENU_CLOSER_KEY}),
[data-testid="stElementContainer"]:has(> .st-key-{MENU_CLOSER_KEY}),
.st-key-{MENU_CLOSER_KEY} {{display: none !important;}}

/* Segmented controls (the sell page's condition) wrap instead of cutting their last choice. */
[data-testid="stButtonGroup"] > div {{flex-wrap: wrap; overflow-x: visible;}}

/* The main places on a phone: a row of links at the top of every page. From 768 px the
   top navigation shows them. */
{_QUICK} {{row-gap: 0.25rem;}}
{_QUICK} [data-testid="stPageLink"] a {{padding-left: 0.25rem; padding-right: 0.5rem;}}
@media (min-width: 768px) {{
  [data-testid="stLayoutWrapper"]:has(> {_QUICK}),
  [data-testid="stElementContainer"]:has(> {_QUICK}),
  {_QUICK} {{display: none !important;}}
}}

/* An item's page is a hidden page, for which Streamlit marks no place as the current one: the
   item is part of the shop, so "Shop" is marked as on the shop itself (the same colours as
   Streamlit's current link, from the theme's textColor), and stays a link back to it. */
{_SHOP_NAV} {{background-color: rgba(157, 173, 190, 0.25); font-weight: 600; color: #111827;}}
{_SHOP_NAV} [data-testid="stIconMaterial"] {{color: #111827;}}
{_SHOP_QUICK} {{background-color: rgba(157, 173, 190, 0.15);}}

/* A favourite's heart on an item's page (ui/favourites.py) filled and red: Streamlit's
   Material Symbols font has no FILL axis, so "favorite" is drawn as an outline, like
   "favorite_border"; the glyph is painted through the shape of a filled heart instead. */
[class*="st-key-filled_heart"] [data-testid="stIconMaterial"] {{
  color: transparent; background-color: {HEART_RED};
  -webkit-mask: {_FILLED_HEART} center / contain no-repeat;
  mask: {_FILLED_HEART} center / contain no-repeat;
}}
"""

# On a phone-sized window Streamlit folds the navigation into the side menu, and closes that
# menu after a tap on one of its pages only when the browser says it is a phone (its user
# agent): in a narrow window of a desktop browser, or a tablet's split screen, the menu stays
# open over the page just opened. This closes it after such a tap, below the width where the
# navigation moves into the menu, whatever the browser says it is. Once per page load (the
# flag), on the capture phase, and after Streamlit's own click handler (the timeout); only if
# the menu is still open (a phone's Streamlit has closed it already).
MENU_CLOSER_JS = """<script>
if (!window.__secondeMainMenuCloser) {
  window.__secondeMainMenuCloser = true;
  document.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNavLink"]')) return;
    if (window.innerWidth >= 768) return;
    setTimeout(() => {
      const menu = document.querySelector('[data-testid="stSidebar"]');
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (menu && close && menu.getBoundingClientRect().right > 0) close.click();
    }, 0);
  }, true);
}
</script>"""


def apply() -> None:
    """Load the style rules, the side menu's closer and Streamlit's own words in the
    person's language (ui.widget_words) for this run (call once, early, from Home.py). The
    scripts are in the page itself (st.html runs them), one element in a container that
    takes no room."""
    st.html(f"<style>{CSS}</style>")
    with st.container(key=MENU_CLOSER_KEY):
        st.html(MENU_CLOSER_JS + widget_words.page_script(), unsafe_allow_javascript=True)
