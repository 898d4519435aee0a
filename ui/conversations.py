"""The inbox, one conversation (``?c=ID``) with its offer panel, and the item page's
"Message the seller". Everything people typed is shown as text (``plain``, ``st.text``)."""

from __future__ import annotations

import streamlit as st

from core.catalogue.listings import ItemView
from core.errors import UserError
from core.i18n import N_, _, ngettext
from core.messaging.conversations import (
    ConversationNotFoundError,
    conversation_id_from_text,
    conversations_about,
    existing_conversation,
    open_conversation,
)
from core.messaging.inbox import ConversationView, InboxEntry, MessageView, conversation, inbox
from core.messaging.messages import mark_read, send_message
from core.models.accounts import User
from core.models.messaging import MessageKind
from core.models.moderation import ReportTarget
from core.money import format_eur, parse_eur, price_field_text
from core.trade.cart import AlreadyInCartError, add_to_cart
from core.trade.offer_answers import accept, counter, decline, withdraw
from core.trade.offers import ACCEPTED_HOURS, make_offer
from ui import pages
from ui.auth import require_user
from ui.moderation import block_button, blocked_with, report_form
from ui.state import db_session
from ui.widgets import flash, item_link, moment, money, photo_alt, plain, thumbnail

CONVERSATION_PARAM = "c"
FLASH_KEY = "_inbox_flash"
NOT_FOUND = N_("Conversation not found")
THUMB_PX = 64


def conversation_query(conversation_id: int) -> dict[str, str]:
    """The inbox's address of one conversation."""
    return {CONVERSATION_PARAM: str(conversation_id)}


# --- the inbox ----------------------------------------------------------------------------------


def render_inbox(user: User) -> None:
    """The user's conversations, the latest first."""
    st.title(_(pages.INBOX.title))
    flash(FLASH_KEY)
    with db_session() as session:
        entries = inbox(session, user.id)
    if not entries:
        st.info(_("No conversations yet. Write to a seller from an item's page."))
        pages.SHOP.link(_("Go to the shop"))
        return
    for entry in entries:
        _inbox_row(entry)


def _inbox_row(entry: InboxEntry) -> None:
    with (
        st.container(border=True, key=f"conversation_{entry.id}"),
        st.container(horizontal=True, gap="medium", vertical_alignment="center"),
    ):
        thumbnail(entry.thumbnail, width=THUMB_PX, alt=photo_alt(entry.item_title))
        with st.container(gap="small"):
            with st.container(horizontal=True, gap="small", vertical_alignment="center"):
                st.markdown(f"**{plain(entry.other_name)}** · {plain(entry.item_title)}")
                if entry.unread:
                    st.badge(
                        ngettext("{n} new", "{n} new", entry.unread).format(n=entry.unread),
                        icon=":material/mark_chat_unread:",
                    )
            if entry.preview:
                said = plain(entry.preview)
                if entry.last_is_mine:
                    said = _("You: {message}").format(message=said)
                st.caption(f"{said} · {moment(entry.last_message_at)}")
            pages.INBOX.link(
                _("Open"), query=conversation_query(entry.id), icon=":material/arrow_forward:"
            )


# --- one conversation ---------------------------------------------------------------------------


def render_conversation(user: User, raw_id: str | None) -> None:
    """The conversation at ``?c=raw_id`` for one of its two participants; anyone else, and
    an id that does not exist, reads the same "Conversation not found"."""
    pages.INBOX.link(_("Back to the inbox"), icon=":material/arrow_back:")
    try:
        with db_session() as session:
            view = conversation(session, user.id, conversation_id_from_text(raw_id))
    except ConversationNotFoundError:
        st.title(_(NOT_FOUND), anchor=False)
        st.info(_("There is no conversation of yours at this address."))
        return
    if view.unread:  # its own session: a write that starts after no read (SQLite's lock)
        with db_session() as session:
            mark_read(session, user.id, view.id)
    st.title(plain(view.item_title), anchor=False)
    with_whom = _("With {name}, the seller") if view.is_buyer else _("With {name}, a buyer")
    st.caption(with_whom.format(name=plain(view.other_name)))
    flash(FLASH_KEY)
    talk, panel = st.columns([3, 2], gap="large")
    with panel:
        _offer_panel(user, view)
    with talk:
        if view.earlier:
            st.caption(_("Older messages are not shown."))
        if not view.messages:
            st.caption(
                _("No message yet: write to {name} below.").format(name=plain(view.other_name))
            )
        for message in view.messages:
            _message(user, message)
    other = view.seller_id if view.is_buyer else view.buyer_id
    if blocked_with(user.id, other):  # the core refuses anyway: say it instead of the box
        st.info(
            _("One of you blocked the other: no messages or offers in this conversation."),
            icon=":material/block:",
        )
    else:
        _message_box(user, view)
    with st.container(horizontal=True):
        report_form(user, ReportTarget.MEMBER, other, label=_("Report {name}").format(
            name=view.other_name))  # fmt: skip
        block_button(user, other, view.other_name)


def _message(user: User, message: MessageView) -> None:
    who = _("You") if message.mine else message.sender_name
    side = "user" if message.mine else "assistant"  # Streamlit's name of the side: not shown
    with st.chat_message(
        side,
        avatar=":material/person:" if message.mine else ":material/forum:",
    ):
        st.caption(f"{plain(who)} · {moment(message.created_at)}")
        if message.kind is MessageKind.TEXT:
            st.text(message.body)
            if not message.mine:
                report_form(user, ReportTarget.MESSAGE, message.id)
        else:
            st.markdown(f":material/sell: *{plain(message.text)}*")


_UNSENT_KEY = "_unsent_message"  # (conversation id, text, why) of a message refused


def _message_box(user: User, view: ConversationView) -> None:
    """The message box. No ``max_chars`` on it: the browser would drop a longer paste whole,
    without a word. A message refused (too long, too many at once, a block) is said, and its
    text goes back into the box to be shortened or sent later: nothing typed is lost."""
    key = f"message_{view.id}"
    unsent = st.session_state.pop(_UNSENT_KEY, None)
    if unsent is not None and unsent[0] == view.id:
        st.session_state[key] = unsent[1]  # before the box: it shows the text again
        st.error(unsent[2] + " " + _("It was not sent: its text is back in the box."))
    body = st.chat_input(_("Write to {name}").format(name=view.other_name), key=key)
    if body is None:
        return
    try:
        with db_session() as session:
            send_message(session, user.id, view.id, body)
    except UserError as exc:
        st.session_state[_UNSENT_KEY] = (view.id, body, str(exc))
    st.rerun()


def _offer_panel(user: User, view: ConversationView) -> None:
    st.subheader(_("Price"), anchor=False)
    if view.item_id is None:
        st.info(_("The listing was removed."))
        return
    item_link(view.item_id, label=_("See the item"), icon=":material/visibility:")
    if not view.item_available:
        st.info(_("This item is sold."))
        return
    st.markdown(_("Asking price {price}").format(price=money(view.asking_cents)))
    _answered_elsewhere(view)
    if view.accepted is not None:
        _accepted(user, view)
    elif view.pending is not None:
        _pending(user, view)
    elif view.can_offer:
        _price_form(
            user,
            view,
            N_("Make an offer"),
            N_("Send the offer"),
            lambda s, cents: make_offer(s, user.id, view.id, cents),
            N_("Your offer was sent."),
        )
        st.caption(
            ngettext(
                "Below the asking price. If the seller accepts, it is your price for {n} hour.",
                "Below the asking price. If the seller accepts, it is your price for {n} hours.",
                ACCEPTED_HOURS,
            ).format(n=ACCEPTED_HOURS)
        )
    elif not view.is_buyer:
        st.caption(
            _("{name} can make an offer; you answer it here.").format(name=plain(view.buyer_name))
        )


def _accepted(user: User, view: ConversationView) -> None:
    price = format_eur(view.accepted_price_cents)
    until = moment(view.accepted.expires_at)
    if not view.is_buyer:
        st.success(
            _("Offer accepted: {name} can buy it at {price} until {until}.").format(
                name=plain(view.buyer_name), price=price, until=until
            )
        )
        return
    st.success(
        _("Offer accepted: buy it at {price} until {until}.").format(price=price, until=until)
    )
    if st.button(_("Buy at this price"), type="primary", icon=":material/shopping_cart:"):
        try:
            with db_session() as session:
                add_to_cart(session, user.id, view.item_id)
        except AlreadyInCartError:
            pass  # there already: the cart shows it at this price
        except UserError as exc:  # sold, or a block between the two
            st.error(str(exc))
            return
        pages.CART.go()


_OFFER_STEPS = ("offer_accept_", "offer_decline_", "offer_withdraw_")


def _answered_elsewhere(view: ConversationView) -> None:
    """A click this run on an offer that is no longer waiting (answered in another tab, or
    by the other side a moment before): its buttons are not drawn any more, so Streamlit
    would drop the click without a word. Say so; the panel shows where the offer stands."""
    waiting = view.pending.id if view.pending is not None else None
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(_OFFER_STEPS)]:
        if st.session_state.get(key) is True and not key.endswith(f"_{waiting}"):
            st.warning(
                _("This offer was answered meanwhile: your click changed nothing."),
                icon=":material/update:",
            )
            return


def _pending(user: User, view: ConversationView) -> None:
    offer = view.pending
    price = format_eur(offer.price_cents)
    other = plain(view.other_name)
    if offer.made_by_me:
        st.info(
            _("Your price of {price} waits for {name}'s answer.").format(price=price, name=other)
        )
        if st.button(_("Withdraw it"), icon=":material/undo:", key=f"offer_withdraw_{offer.id}"):
            _step(lambda s: withdraw(s, user.id, offer.id), _("Your offer was withdrawn."))
        return
    st.info(_("{name} offers {price}.").format(name=other, price=price))
    left, right = st.columns(2)
    if left.button(
        _("Accept"),
        type="primary",
        icon=":material/check:",
        width="stretch",
        key=f"offer_accept_{offer.id}",
    ):
        _step(
            lambda s: accept(s, user.id, offer.id), _("You accepted {price}.").format(price=price)
        )
    if right.button(
        _("Decline"), icon=":material/close:", width="stretch", key=f"offer_decline_{offer.id}"
    ):
        _step(
            lambda s: decline(s, user.id, offer.id), _("You declined {price}.").format(price=price)
        )
    _price_form(
        user,
        view,
        N_("Counter-offer"),
        N_("Send the counter-offer"),
        lambda s, cents: counter(s, user.id, offer.id, cents),
        N_("Your counter-offer was sent."),
    )


def _price_form(user, view, title: str, submit: str, step, done: str) -> None:
    """A price typed as "12,50" or "12.50", then ``step(session, cents)``; ``title``,
    ``submit`` and ``done`` are N_() constants (the form's key stays the same in every
    language)."""
    with st.form(f"price_{title}", clear_on_submit=False):
        heading = _(title)
        st.markdown(f"**{heading}**")
        typed = st.text_input(
            _("Your price (EUR)"),
            placeholder=_("e.g. {price}").format(price=price_field_text(3500)),
            max_chars=12,
        )
        sent = st.form_submit_button(_(submit), icon=":material/sell:")
    if sent:
        try:
            cents = parse_eur(typed)
        except UserError as exc:
            st.error(str(exc))
            return
        _step(lambda s: step(s, cents), _(done))


def _step(step, done: str) -> None:
    """Run one offer step; its refusal as a sentence, or the page again with ``done``."""
    try:
        with db_session() as session:
            step(session)
    except UserError as exc:
        st.error(str(exc))
        return
    st.session_state[FLASH_KEY] = done
    st.rerun()


# --- the item page ------------------------------------------------------------------------------


def item_page_actions(user: User | None, view: ItemView) -> None:
    """On an item's page: "Message the seller" (a logged-out visitor logs in, then comes
    back), "Open the conversation" once there is one; the seller sees how many buyers
    wrote about it, with a link to the inbox."""
    item = view.item
    if view.is_own:
        with db_session() as session:
            count = conversations_about(session, user.id, item.id)
        if count:
            label = ngettext(
                "{n} conversation about this item", "{n} conversations about this item", count
            ).format(n=count)
            pages.INBOX.link(label)
        return
    if user is None:
        if not view.is_sold and st.button(_("Message the seller"), icon=pages.INBOX.icon):
            require_user(pages.ITEM)  # back to this item after logging in
        return
    with db_session() as session:
        existing = existing_conversation(session, user.id, item.id)
    if existing is None and view.is_sold:
        return
    label = _("Open the conversation") if existing is not None else _("Message the seller")
    if st.button(label, icon=pages.INBOX.icon, key="message_seller"):
        try:
            with db_session() as session:
                conversation_id = open_conversation(session, user.id, item.id)
        except UserError as exc:
            st.error(str(exc))
            return
        pages.INBOX.go(conversation_query(conversation_id))


def inbox_page() -> None:
    """The inbox screen: the list, or one conversation at ``?c=ID``."""
    user = require_user(pages.INBOX)
    raw = st.query_params.get(CONVERSATION_PARAM)
    if raw is None:
        render_inbox(user)
    else:
        render_conversation(user, raw)
