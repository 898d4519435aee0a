"""The landing page renders without an exception (AppTest runs Home.py in-process)."""

from streamlit.testing.v1 import AppTest

from demo.seed import DEMO_LISTINGS
from tests.conftest import ROOT


def test_landing_page_renders_the_catalogue(app_env):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Second-hand clothes"
    shown = " ".join(m.value for m in at.markdown)
    assert sum(listing.title in shown for listing in DEMO_LISTINGS) >= 12
    assert "EUR" in shown
    # the database was created and seeded under DATA_DIR on first start
    assert (app_env / "marketplace.db").exists()
