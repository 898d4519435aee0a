"""Reports: a member puts a listing, a member or a message in the administrators' queue, with
a reason code and optional details. One open report per reporter and thing reported: a
second click (another tab) changes nothing. Nobody reports themselves or their own listing.
The AI's flags (``source='ai'``, a score, a matched listing) join the same queue; another
part of the app writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from core.db import REPORT_LOCKS, begin_keyed_write
from core.i18n import N_, _
from core.models.accounts import REASON_MAX, User
from core.models.base import utcnow
from core.models.catalogue import Item
from core.models.messaging import Conversation, Message
from core.models.moderation import Report, ReportSource, ReportStatus, ReportTarget
from core.moderation.admins import ModerationError
from core.text import text_problem

REPORTS_PER_HOUR = 20  # plenty for a real member, too few to flood the queue

# code -> label (translated where shown); the codes are stored, the labels are not
REASONS = {
    "scam": N_("Scam or fraud"),
    "counterfeit": N_("Counterfeit"),
    "not_clothing": N_("Not clothing, or not what is described"),
    "offensive": N_("Offensive or inappropriate"),
    "harassment": N_("Harassment"),
    "spam": N_("Spam"),
    "other": N_("Something else"),
}
# the AI's codes (its flags): labels for the queue
AI_REASONS = {
    "duplicate": N_("Near-duplicate photo of another listing"),
    "not_clothing": N_("Not clothing, or not what is described"),
}


def reason_label(code: str) -> str:
    """A reason code as words in the reader's language (an unknown code as itself)."""
    label = REASONS.get(code) or AI_REASONS.get(code)
    return _(label) if label else code


class ReportError(ModerationError):
    """A report that cannot be made as typed."""


@dataclass(frozen=True)
class Reported:
    report_id: int
    new: bool  # False: the reporter's open report of it already existed (nothing changed)


def check_details(details: str | None) -> str:
    """The details as stored; ReportError if too long or holding unstorable characters."""
    if problem := text_problem(details, multiline=True):
        raise ReportError(problem)
    text = (details or "").strip()
    if len(text) > REASON_MAX:
        raise ReportError(
            _("The details can be at most {limit} characters (these have {n}).").format(
                limit=REASON_MAX, n=len(text)
            )
        )
    return text


def report_item(
    session: Session, reporter_id: int, item_id: int, reason: str, details: str = ""
) -> Reported:
    """The reporter reports a listing (not their own). Raises ReportError."""
    seller = session.exec(select(Item.seller_id).where(Item.id == item_id)).first()
    session.rollback()
    if seller is None:
        raise ReportError(_("This item does not exist (it may have been removed)."))
    if seller == reporter_id:
        raise ReportError(_("This is your own listing: you cannot report it."))
    return _report(
        session, reporter_id, ReportTarget.ITEM, reason, details, item_id=item_id, member_id=seller
    )


def report_member(
    session: Session, reporter_id: int, member_id: int, reason: str, details: str = ""
) -> Reported:
    """The reporter reports another member. Raises ReportError."""
    if member_id == reporter_id:
        raise ReportError(_("You cannot report yourself."))
    found = session.exec(select(User.id).where(User.id == member_id)).first()
    session.rollback()
    if found is None:
        raise ReportError(_("This member does not exist."))
    return _report(session, reporter_id, ReportTarget.MEMBER, reason, details, member_id=member_id)


def report_message(
    session: Session, reporter_id: int, message_id: int, reason: str, details: str = ""
) -> Reported:
    """The reporter reports a message the other side wrote to them, in one of their own
    conversations. Raises ReportError."""
    row = session.exec(
        select(Message.sender_id, Conversation.item_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.id == message_id,
            or_(Conversation.buyer_id == reporter_id, Conversation.seller_id == reporter_id),
        )
    ).first()
    session.rollback()
    if row is None:
        raise ReportError(_("This message does not exist."))
    if row.sender_id == reporter_id:
        raise ReportError(_("This is your own message: you cannot report it."))
    return _report(
        session,
        reporter_id,
        ReportTarget.MESSAGE,
        reason,
        details,
        message_id=message_id,
        member_id=row.sender_id,
        item_id=row.item_id,
    )


def _report(
    session: Session,
    reporter_id: int,
    target: ReportTarget,
    reason: str,
    details: str,
    *,
    item_id: int | None = None,
    member_id: int | None = None,
    message_id: int | None = None,
) -> Reported:
    if reason not in REASONS:
        raise ReportError(_("Choose a reason."))
    text = check_details(details)
    # the thing reported, as its target names it: an item, a member, a message
    key = {
        ReportTarget.ITEM: Report.item_id == item_id,
        ReportTarget.MEMBER: Report.member_id == member_id,
        ReportTarget.MESSAGE: Report.message_id == message_id,
    }[target]
    now = utcnow()
    try:
        begin_keyed_write(session, REPORT_LOCKS, reporter_id)  # one tab at a time
        existing = session.exec(
            select(Report.id).where(
                Report.reporter_id == reporter_id,
                Report.target == target.value,
                Report.status == ReportStatus.OPEN.value,
                key,
            )
        ).first()
        if existing is not None:
            session.rollback()
            return Reported(existing, False)
        recent = session.exec(
            select(func.count())
            .select_from(Report)
            .where(Report.reporter_id == reporter_id, Report.created_at > now - timedelta(hours=1))
        ).one()
        if recent >= REPORTS_PER_HOUR:
            raise ReportError(_("You have sent many reports in the last hour; try again later."))
        report = Report(
            source=ReportSource.MEMBER.value,
            target=target.value,
            reason=reason,
            details=text,
            reporter_id=reporter_id,
            item_id=item_id,
            member_id=member_id,
            message_id=message_id,
            created_at=now,
        )
        session.add(report)
        session.flush()
        report_id = report.id
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Reported(report_id, True)
