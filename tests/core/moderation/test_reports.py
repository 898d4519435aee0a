"""Reports (core/moderation/reports.py) on both databases: one open report per reporter and
thing reported, never oneself, and the queue of open reports oldest first."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.models.moderation import Report, ReportSource, ReportTarget
from core.moderation.admins import NotAllowedError
from core.moderation.queue import open_reports
from core.moderation.reports import ReportError, report_item, report_member, report_message
from tests.talk_helpers import count, opened, run, send


def test_a_second_report_changes_nothing(engine, people, items):
    bea = people["buyer"]
    first = run(engine, report_item, bea, items["dress"], "counterfeit", "Fake logo")
    again = run(engine, report_item, bea, items["dress"], "scam", "")
    assert first.new and not again.new and again.report_id == first.report_id
    assert count(engine, Report) == 1
    # another reporter, or another target, is another report
    run(engine, report_item, people["rival"], items["dress"], "scam")
    run(engine, report_member, bea, people["seller"], "harassment")
    assert count(engine, Report) == 3


def test_no_report_of_oneself(engine, people, items):
    sam, bea = people["seller"], people["buyer"]
    with pytest.raises(ReportError):
        run(engine, report_item, sam, items["dress"], "scam")
    with pytest.raises(ReportError):
        run(engine, report_member, bea, bea, "scam")
    chat = opened(engine, bea, items["dress"])
    mine = send(engine, bea, chat, "Hello")
    with pytest.raises(ReportError):
        run(engine, report_message, bea, mine, "offensive")
    with pytest.raises(ReportError):  # a message of someone else's conversation
        run(engine, report_message, people["rival"], mine, "offensive")
    assert count(engine, Report) == 0
    run(engine, report_message, sam, mine, "offensive", "Rude")
    assert count(engine, Report, Report.member_id == bea) == 1


def test_reason_and_details_are_checked(engine, people, items):
    with pytest.raises(ReportError):
        run(engine, report_item, people["buyer"], items["dress"], "made_up")
    with pytest.raises(ReportError):
        run(engine, report_item, people["buyer"], items["dress"], "scam", "x" * 501)
    with pytest.raises(ReportError):
        run(engine, report_item, people["buyer"], items["dress"], "scam", "bad\x00byte")
    assert count(engine, Report) == 0


def test_the_queue_is_for_admins_oldest_first_with_ai_flags(engine, people, items, admin):
    run(engine, report_member, people["buyer"], people["seller"], "scam")
    with session_scope(engine) as s:  # an AI flag, as the other part of the app writes it
        s.add(
            Report(
                source=ReportSource.AI.value,
                target=ReportTarget.ITEM.value,
                reason="duplicate",
                item_id=items["hat"],
                matched_item_id=items["dress"],
                score=0.97,
            )
        )
    with pytest.raises(NotAllowedError):
        run(engine, open_reports, people["buyer"])
    queue = run(engine, open_reports, admin)
    assert [r.source for r in queue] == ["member", "ai"]
    flag = queue[1]
    assert flag.score == pytest.approx(0.97) and flag.matched_title == "Red dress"
    assert flag.member_name == "Sam" and flag.item_cover and flag.matched_cover
    assert queue[0].reporter_name == "Bea" and queue[0].reason_label == "Scam or fraud"
