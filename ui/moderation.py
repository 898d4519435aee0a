"""What members see of moderation: "Report" (a listing, a member, a message) and "Block" /
"Unblock" a member. The rules are in ``core.moderation``; this draws and calls."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from core.i18n import _
from core.models.accounts import REASON_MAX, User
from core.models.moderation import ReportTarget
from core.moderation.blocks import block, is_blocked, is_blocked_by, unblock
from core.moderation.reports import REASONS, report_item, report_member, report_message
from ui.state import db_session
from ui.widgets import plain

_REPORT = {
    ReportTarget.ITEM: report_item,
    ReportTarget.MEMBER: report_member,
    ReportTarget.MESSAGE: report_message,
}
DONE_KEY = "_moderation_done"


def _title(target: ReportTarget) -> str:
    match target:
        case ReportTarget.ITEM:
            return _("Report this listing")
        case ReportTarget.MEMBER:
            return _("Report this member")
    return _("Report this message")


def report_form(user: User, target: ReportTarget, target_id: int, *, label: str | None = None):
    """A "Report" pop-over: a reason, optional details, and a confirmation sentence below it
    once sent (a second report of the same thing changes nothing, and says so)."""
    key = f"report_{target.value}_{target_id}"
    with (
        st.popover(label or _("Report"), icon=":material/flag:"),
        st.form(key, border=False, clear_on_submit=True),
    ):
        st.markdown(f"**{_title(target)}**")
        reason = st.selectbox(
            _("Reason"),
            list(REASONS),
            index=None,
            format_func=lambda code: _(REASONS[code]),
            placeholder=_("Choose a reason"),
        )
        details = st.text_area(_("Details (optional)"), max_chars=REASON_MAX)
        sent = st.form_submit_button(_("Send the report"), icon=":material/flag:")
    if not sent:
        if st.session_state.get(DONE_KEY, (None,))[0] == key:
            st.success(st.session_state[DONE_KEY][1], icon=":material/check:")
        return
    try:
        with db_session() as session:
            done = _REPORT[target](session, user.id, target_id, reason or "", details)
    except UserError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    message = (
        _("Thank you: your report was sent to the administrators.")
        if done.new
        else _("You already reported this; the administrators will look at it.")
    )
    st.session_state[DONE_KEY] = (key, message)
    st.success(message, icon=":material/check:")


def block_button(user: User, other_id: int, other_name: str) -> None:
    """ "Block" (or "Unblock", for the blocker's own block) a member, with what it means."""
    with db_session() as session:
        mine = is_blocked_by(session, user.id, other_id)
    if mine:
        st.caption(
            _("You blocked {name}: no messages, offers or purchases between you.").format(
                name=plain(other_name)
            )
        )
        if st.button(_("Unblock"), icon=":material/lock_open:", key=f"unblock_{other_id}"):
            with db_session() as session:
                unblock(session, user.id, other_id)
            st.rerun()
        return
    if st.button(_("Block"), icon=":material/block:", key=f"block_{other_id}",
                 help=_("No messages, offers or purchases between you, either way.")):  # fmt: skip
        try:
            with db_session() as session:
                block(session, user.id, other_id)
        except UserError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.rerun()


def blocked_with(user_id: int, other_id: int) -> bool:
    """Whether one of the two blocked the other."""
    with db_session() as session:
        return is_blocked(session, user_id, other_id)
