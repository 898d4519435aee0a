"""The AI flags through the real sell page (AppTest) with the tiny CLIP: a photo another
seller already sells is flagged once the sale is saved, and a failing flag never stops or
shows in the sale."""

from __future__ import annotations

import time

from sqlmodel import Session, select

from core.catalogue.embeddings import REFRESH_SECONDS
from core.models.moderation import Report
from core.moderation.flags import DUPLICATE
from tests.app_pages.test_sell import GOOD, fill, photo_file, seller_on_sell_page, with_model
from tests.shop_helpers import app_db, click, item_by_title

__all__ = ["with_model"]  # the fixture, used by name


def sell(title: str, email: str, colour=(180, 40, 40)):
    at = seller_on_sell_page(email)
    fill(at, photos=[photo_file(colour=colour)], **{**GOOD, "title": title})
    click(at, "Put it on sale")
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    return at


def ai_reports(engine) -> list[Report]:
    with Session(engine) as s:
        return list(s.exec(select(Report).where(Report.source == "ai")))


def test_a_photo_another_seller_sells_is_flagged_after_the_sale(with_model, app_env):
    engine = app_db(app_env)
    sell("First dress", "user2@gmail.com")
    time.sleep(REFRESH_SECONDS + 0.2)  # the index sees the first listing (another replica's)
    sell("Same dress", "user1@gmail.com")
    first, copy = item_by_title(engine, "First dress"), item_by_title(engine, "Same dress")
    duplicates = [r for r in ai_reports(engine) if r.reason == DUPLICATE]
    assert [(r.item_id, r.matched_item_id) for r in duplicates] == [(copy.id, first.id)]
    assert duplicates[0].score > 0.99
    assert copy.status == "available"  # flagged, never hidden


def test_a_failing_flag_never_stops_the_sale(with_model, app_env, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the flags broke")

    monkeypatch.setattr("ui.flags.flag_listing", broken)
    sell("Dress sold anyway", "user2@gmail.com")
    engine = app_db(app_env)
    assert item_by_title(engine, "Dress sold anyway").status == "available"
    assert ai_reports(engine) == []
    assert "the AI flags of listing" in caplog.text
