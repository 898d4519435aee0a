"""The landing page renders without an exception (AppTest runs Home.py in-process)."""

import pytest
from streamlit.testing.v1 import AppTest

from demo.listings import DEMO_LISTINGS
from tests.apptest import texts
from tests.conftest import ROOT


def test_landing_page_renders_the_catalogue(app_env):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Second-hand clothes"
    shown = texts(at)
    assert sum(listing.title in shown for listing in DEMO_LISTINGS) >= 12
    assert "€" in shown
    # the database was created and seeded under DATA_DIR on first start
    assert (app_env / "marketplace.db").exists()


def test_the_landing_page_loads_the_style_rules_once(app_env):
    from ui import layout

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    styles = [h.value for h in at.html if "<style>" in h.value]
    assert styles == [f"<style>{layout.CSS}</style>"]


@pytest.mark.parametrize(
    "url", ["http://localhost:8501", "http://localhost:8501/", "https://example.com/shop-prefix/"]
)
def test_the_root_address_is_the_shop_behind_any_prefix(app_env, url):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.context = {"url": url}  # a proxy's prefix is not a page Streamlit routes to
    at.run()
    assert not at.exception
    assert at.title[0].value == "Second-hand clothes"
