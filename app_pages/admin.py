"""The administrators' page, ``/admin``: the queue of reports and AI flags with the actions
on them, members found by e-mail, and the audit log. Anyone else gets "Page not found",
checked before anything of the page is drawn (the navigation leaves it out for them too)."""

import streamlit as st

from core.accounts.roles import is_admin
from core.errors import UserError
from core.i18n import N_, _, format_number
from core.models.accounts import Role
from core.moderation import actions
from core.moderation.admins import set_role
from core.moderation.queue import QueuedReport, audit_log, find_member, open_reports
from ui import pages
from ui.auth import require_user
from ui.state import app_url, db_session
from ui.widgets import flash, moment, plain

DONE_KEY = "moderation_done"

user = require_user(pages.ADMIN)
with db_session() as session:
    allowed = is_admin(session, user.id)
if not allowed:  # nothing of the page, not even its title: the words of an unknown address
    st.title(_(pages.NOT_FOUND_TITLE), anchor=False)
    st.markdown(_("There is no page at this address. It may have moved, or the link is mistyped."))
    st.stop()

st.set_page_config(page_title=f"{_(pages.ADMIN.title)} · {pages.APP_NAME}")
st.title(_("Moderation"), anchor=False)
flash(DONE_KEY)

ACTIONS = {  # the audit log's codes, as words
    "hide_item": N_("Listing hidden"),
    "restore_item": N_("Listing restored"),
    "suspend": N_("Member suspended"),
    "restore_member": N_("Member restored"),
    "suspension_hid": N_("Listing hidden by the suspension"),
    "dismiss": N_("Report dismissed"),
    "grant_admin": N_("Made administrator"),
    "revoke_admin": N_("Administrator role removed"),
    "issue_reset": N_("Password-reset link issued"),
}
TARGETS = {"item": N_("Listing"), "member": N_("Member"), "message": N_("Message")}
ITEM_STATUSES = {"available": N_("on sale"), "sold": N_("sold"), "hidden": N_("hidden")}


def act(step, *args, done: str) -> None:
    """Run one moderation step as this administrator; its refusal is shown as a sentence."""
    try:
        with db_session() as session:
            step(session, user.id, *args)
    except UserError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state[DONE_KEY] = done
    st.rerun()


def show_report(report: QueuedReport) -> None:
    with st.container(border=True):
        if report.source == "ai":
            who = _("AI flag · score {score}").format(score=f"{report.score or 0:.2f}")
        else:
            who = _("Reported by {name}").format(name=plain(report.reporter_name or _("Someone")))
        st.markdown(
            f"**{_(TARGETS.get(report.target, report.target))}** · "
            f"{plain(report.reason_label)} · {who}"
        )
        st.caption(moment(report.created_at))
        if report.item_title is not None:
            st.markdown(_("Listing: {title} ({status})").format(
                title=plain(report.item_title),
                status=_(ITEM_STATUSES.get(report.item_status, report.item_status))))  # fmt: skip
        if report.member_name is not None:
            suspended = _(" (suspended)") if report.member_suspended else ""
            st.markdown(_("Member: {name}").format(name=plain(report.member_name)) + suspended)
        if report.message_body is not None:
            st.markdown(_("Message: {text}").format(text=plain(report.message_body)))
        if report.details:
            st.markdown(_("Details: {text}").format(text=plain(report.details)))
        covers = [(report.item_cover, _("This listing")),
                  (report.matched_cover, _("Matched: {title}").format(
                      title=plain(report.matched_title)))]  # fmt: skip
        shown = [(cover, caption) for cover, caption in covers if cover]
        if shown:
            for column, (cover, caption) in zip(st.columns(4), shown, strict=False):
                column.image(cover, caption=caption, width=140)
        with st.form(f"report_{report.id}", border=False):
            reason = st.text_input(_("Reason (kept in the audit log)"), max_chars=500)
            row = st.columns(3)
            hide = restore = suspend = unsuspend = False
            if report.item_status == "available":
                hide = row[0].form_submit_button(_("Hide listing"))
            elif report.item_status == "hidden" and not report.member_suspended:
                restore = row[0].form_submit_button(_("Restore listing"))
            if report.member_id is not None and report.member_id != user.id:
                if report.member_suspended:
                    unsuspend = row[1].form_submit_button(_("Restore member"))
                else:
                    suspend = row[1].form_submit_button(_("Suspend member"))
            dismiss = row[2].form_submit_button(_("Dismiss"))
        if hide:
            act(actions.hide_item, report.item_id, reason, report.id,
                done=_("The listing is hidden; its seller was told why."))  # fmt: skip
        if restore:
            act(actions.restore_item, report.item_id, reason, report.id,
                done=_("The listing is on sale again."))  # fmt: skip
        if suspend:
            act(actions.suspend_member, report.member_id, reason, report.id,
                done=_("The member is suspended."))  # fmt: skip
        if unsuspend:
            act(actions.restore_member, report.member_id, reason, report.id,
                done=_("The member is restored."))  # fmt: skip
        if dismiss:
            act(actions.dismiss, report.id, reason, done=_("The report is dismissed."))


def members_tab() -> None:
    email = st.text_input(_("Find a member by e-mail"), max_chars=254)
    if not email:
        return
    with db_session() as session:
        member = find_member(session, user.id, email)
    if member is None:
        st.info(_("No member has this e-mail."))
        return
    with st.container(border=True):
        st.markdown(f"**{plain(member.display_name)}** · {plain(member.email)}")
        admin = member.role == Role.ADMIN.value or member.named_admin
        facts = [_("Administrator") if admin else _("Member"),
                 _("Joined {when}").format(when=moment(member.created_at))]  # fmt: skip
        if member.suspended_at is not None:
            facts.append(
                _("Suspended {when}: {reason}").format(
                    when=moment(member.suspended_at), reason=plain(member.suspended_reason)
                )
            )
        st.caption(" · ".join(facts))
        with st.form(f"member_{member.id}", border=False):
            reason = st.text_input(_("Reason (kept in the audit log)"), max_chars=500)
            row = st.columns(3)
            suspend = unsuspend = grant = revoke = False
            if member.id != user.id:
                if member.suspended_at is None:
                    suspend = row[0].form_submit_button(_("Suspend member"))
                else:
                    unsuspend = row[0].form_submit_button(_("Restore member"))
            if member.role != Role.ADMIN.value:
                grant = row[1].form_submit_button(_("Make administrator"))
            elif member.id != user.id:
                revoke = row[1].form_submit_button(_("Remove administrator role"))
            reset = member.suspended_at is None and row[2].form_submit_button(_("Reset link"))
        if suspend:
            act(actions.suspend_member, member.id, reason, done=_("The member is suspended."))
        if unsuspend:
            act(actions.restore_member, member.id, reason, done=_("The member is restored."))
        if grant:
            act(set_role, member.id, Role.ADMIN, reason,
                done=_("The member is an administrator."))  # fmt: skip
        if revoke:
            act(set_role, member.id, Role.MEMBER, reason,
                done=_("The administrator role is removed."))  # fmt: skip
        if reset:
            issue_link(member.id, reason)
        if member.named_admin:
            st.caption(_("Named administrator by the ADMIN_EMAILS setting."))


def issue_link(member_id: int, reason: str) -> None:
    """A password-reset link to pass on to the member (no e-mail is sent)."""
    try:
        with db_session() as session:
            link = actions.issue_reset_link(session, user.id, member_id, app_url(), reason)
    except UserError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.success(
        _("Pass this link on to the member: it works once, for 30 minutes."),
        icon=":material/key:",
    )
    st.code(link, language=None)


with db_session() as session:
    queue = open_reports(session, user.id)
queue_tab, members, log_tab = st.tabs(
    [_("Queue ({n})").format(n=format_number(len(queue))), _("Members"), _("Audit log")]
)
with queue_tab:
    if not queue:
        st.info(_("No open reports. Reports from members and AI flags show here."))
    for report in queue:
        show_report(report)
with members:
    members_tab()
with log_tab:  # read after the other tabs ran: an action taken there shows at once
    with db_session() as session:
        log = audit_log(session, user.id)
    if not log:
        st.info(_("Nothing yet: every moderation action is logged here."))
    for entry in log:
        st.markdown(
            f"**{_(ACTIONS.get(entry.action, entry.action))}** · "
            + " · ".join(plain(part) for part in (entry.member_name, entry.item_title) if part)
        )
        st.caption(
            _("{when} by {who}: {reason}").format(
                when=moment(entry.created_at),
                who=plain(entry.admin_name or _("the command line")),
                reason=plain(entry.reason),
            )
        )
