"""Password resets on real databases, with a real SMTP server (aiosmtpd) receiving the
e-mails: the same answer for every address, single-use links that expire, sessions ended."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, update
from sqlmodel import Session, select

from core.accounts import accounts, passwords, resets, sessions
from core.config import MailSettings
from core.i18n import _, use_language
from core.mail import wait_until_sent
from core.models.accounts import AuthSession, LoginAttempt, PasswordReset, Role, User
from core.models.base import utcnow
from tests.app_server import free_port
from tests.listing_helpers import make_user
from tests.smtp_server import link_of, smtp_server

BASE = "https://shop.example"
KNOWN = "ann@example.com"
UNKNOWN = "nobody@example.com"
NEW = "a new password 1"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def mail(inbox) -> MailSettings:
    inbox.messages.clear()
    inbox.delay = 0.0
    return MailSettings(
        host="127.0.0.1", port=inbox.port, tls="none", user=None, sender="shop@example.com"
    )


@pytest.fixture
def ann(engine) -> int:
    uid = make_user(engine, KNOWN, "Ann")
    with Session(engine) as s:  # a real password, to log in with
        s.exec(
            update(User)
            .where(User.id == uid)
            .values(password_hash=passwords.hash_password("old password"))
        )
        s.commit()
    return uid


def ask(engine, mail, email=KNOWN) -> str:
    with Session(engine) as s:
        return resets.request_reset(s, email, BASE, mail_settings=mail)


def token_for(engine, mail, inbox, email=KNOWN, count=1) -> str:
    ask(engine, mail, email)
    wait_until_sent()
    return link_of(inbox.wait_for(email, count))[1]


def rows(engine) -> list[PasswordReset]:
    with Session(engine) as s:
        return list(s.exec(select(PasswordReset).order_by(PasswordReset.id)).all())


def test_the_answer_is_the_same_for_every_address_and_both_are_recorded(engine, ann, mail, inbox):
    known, unknown = ask(engine, mail, KNOWN), ask(engine, mail, UNKNOWN.upper())
    assert known == unknown == _(resets.SENT_MESSAGE)
    wait_until_sent()
    assert [m["To"] for m in inbox.messages] == [KNOWN]  # only an account gets an e-mail
    first, second = rows(engine)
    assert (first.email, first.user_id, first.issued_by) == (KNOWN, ann, None)
    assert (second.email, second.user_id, second.token_hash) == (UNKNOWN, None, None)
    link, token = link_of(inbox.messages[0])
    assert link == f"{BASE}/reset_password?token={token}" and len(token) == 43
    assert first.token_hash == resets._hash(token) != token  # only the sha256 is kept
    assert first.expires_at - first.created_at == timedelta(minutes=30)


def test_a_slow_smtp_server_does_not_slow_the_answer(engine, ann, mail, inbox):
    inbox.delay = 1.5
    started = time.monotonic()
    ask(engine, mail)
    assert time.monotonic() - started < 1.0  # the e-mail goes out in the background
    wait_until_sent()
    assert inbox.to(KNOWN)


def test_the_link_sets_the_password_once_and_ends_every_session(engine, ann, mail, inbox):
    with Session(engine) as s:
        tokens = [sessions.start_session(s, ann) for _ in range(2)]
        accounts.start_login_attempt(s, KNOWN)  # a failed log-in before: forgotten after
    token = token_for(engine, mail, inbox)
    with Session(engine) as s:
        user = resets.reset_password(s, token, NEW, NEW)
        assert user.id == ann
    with Session(engine) as s:
        assert all(sessions.session_user(s, t) is None for t in tokens)
        assert all(r.revoked_at for r in s.exec(select(AuthSession)).all())
        assert not s.exec(select(LoginAttempt)).all()
        assert accounts.log_in(s, KNOWN, NEW).id == ann
        with pytest.raises(accounts.LoginRefused):
            accounts.log_in(s, KNOWN, "old password")
        with pytest.raises(resets.ResetRefused, match="does not work"):
            resets.reset_password(s, token, "another password", "another password")
    assert rows(engine)[0].used_at is not None


def test_a_password_the_rules_refuse_leaves_the_link_usable(engine, ann, mail, inbox):
    token = token_for(engine, mail, inbox)
    with Session(engine) as s:
        with pytest.raises(accounts.AccountError) as refused:
            resets.reset_password(s, token, "short", "short")
        assert refused.value.field == "new"
        with pytest.raises(accounts.AccountError) as refused:
            resets.reset_password(s, token, NEW, NEW + "x")
        assert refused.value.field == "repeat"
        resets.check_reset_link(s, token)  # still works
        resets.reset_password(s, token, NEW, NEW)


def test_an_expired_link_does_not_work(engine, ann, mail, inbox):
    token = token_for(engine, mail, inbox)
    with Session(engine) as s:
        s.exec(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
        with pytest.raises(resets.ResetRefused, match="expired"):
            resets.reset_password(s, token, NEW, NEW)
        assert accounts.log_in(s, KNOWN, "old password").id == ann


def test_a_new_request_voids_the_older_links(engine, ann, mail, inbox):
    old = token_for(engine, mail, inbox)
    new = token_for(engine, mail, inbox, count=2)
    assert old != new
    with Session(engine) as s:
        with pytest.raises(resets.ResetRefused):
            resets.check_reset_link(s, old)
        resets.reset_password(s, new, NEW, NEW)


def test_a_suspended_member_cannot_reset(engine, ann, mail, inbox):
    token = token_for(engine, mail, inbox)
    with Session(engine) as s:
        s.exec(update(User).where(User.id == ann).values(suspended_at=utcnow()))
        s.commit()
        with pytest.raises(resets.ResetRefused, match="suspended"):
            resets.reset_password(s, token, NEW, NEW)
        assert passwords.verify_password("old password", s.get(User, ann).password_hash)


def test_the_limit_per_address_is_the_same_for_unknown_addresses(engine, ann, mail, inbox):
    for email in (KNOWN, UNKNOWN):
        answers = []
        for _attempt in range(resets.MAX_REQUESTS + 1):
            try:
                answers.append(ask(engine, mail, email))
            except resets.ResetRefused as exc:
                answers.append(str(exc))
        assert answers == [_(resets.SENT_MESSAGE)] * resets.MAX_REQUESTS + [
            _(resets.TOO_MANY_MESSAGE)
        ]
    ask(engine, mail, "other@example.com")  # another address has its own count
    wait_until_sent()
    assert len(inbox.to(KNOWN)) == resets.MAX_REQUESTS
    assert len(rows(engine)) == 2 * resets.MAX_REQUESTS + 1  # a refused request is no row
    with Session(engine) as s:  # an hour later, the address may ask again
        s.exec(update(PasswordReset).values(created_at=utcnow() - timedelta(minutes=61)))
        s.commit()
    assert ask(engine, mail, KNOWN) == _(resets.SENT_MESSAGE)


@pytest.mark.parametrize(
    "token",
    [None, "", "x", "x" * 43, "é" * 43, "' OR 1=1 --" + "x" * 32, "x" * 100_000, "\x00" * 43],
)
def test_garbage_tokens_are_one_sentence(engine, ann, mail, inbox, token):
    token_for(engine, mail, inbox)  # a live link exists: garbage still finds nothing
    with Session(engine) as s:
        with pytest.raises(resets.ResetRefused, match="does not work"):
            resets.check_reset_link(s, token)
        with pytest.raises(resets.ResetRefused, match="does not work"):
            resets.reset_password(s, token, NEW, NEW)


def test_without_smtp_resets_by_e_mail_are_not_available(engine, ann):
    with Session(engine) as s, pytest.raises(resets.ResetRefused, match="not available"):
        resets.request_reset(s, KNOWN, BASE, mail_settings=None)
    assert rows(engine) == []


def test_not_an_e_mail_address_is_refused_as_such(engine, mail):
    with Session(engine) as s, pytest.raises(accounts.AccountError) as refused:
        resets.request_reset(s, "not an address", BASE, mail_settings=mail)
    assert refused.value.field == "email"


def test_the_e_mail_speaks_the_members_language(engine, ann, mail, inbox):
    with Session(engine) as s:
        accounts.set_language(s, ann, "fr")
    token = token_for(engine, mail, inbox)
    message = inbox.messages[0]
    with use_language("fr"):
        subject = _("Choose a new password for Seconde Main")
    assert message["Subject"] == subject != "Choose a new password for Seconde Main"
    assert message["From"] == "shop@example.com"
    assert token in message.get_content()


def test_an_administrator_issues_a_link_that_works(engine, ann):
    admin = make_user(engine, "admin@example.com", "Ada")
    with Session(engine) as s:
        with pytest.raises(resets.ResetRefused):  # not an administrator yet
            resets.issue_reset_link(s, admin, ann, BASE)
        s.exec(update(User).where(User.id == admin).values(role=Role.ADMIN.value))
        s.commit()
        with pytest.raises(resets.ResetRefused):
            resets.issue_reset_link(s, admin, 2**31 + 5, BASE)  # no such member
        link = resets.issue_reset_link(s, admin, ann, BASE)
    assert link.startswith(f"{BASE}/reset_password?token=")
    (row,) = rows(engine)
    assert (row.user_id, row.issued_by, row.email) == (ann, admin, KNOWN)
    with Session(engine) as s:
        resets.reset_password(s, link.rsplit("=", 1)[1], NEW, NEW)
        assert accounts.log_in(s, KNOWN, NEW).id == ann


def test_parallel_requests_do_not_slip_past_the_limit(engine, ann, mail):
    answers: list[str] = []

    def one() -> None:
        try:
            answers.append(ask(engine, mail))
        except resets.ResetRefused as exc:
            answers.append(str(exc))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until_sent()
    assert sorted(answers).count(_(resets.SENT_MESSAGE)) == resets.MAX_REQUESTS
    assert len(rows(engine)) == resets.MAX_REQUESTS


def test_a_mail_server_that_fails_changes_nothing_in_the_answer(engine, ann, caplog):
    dead = MailSettings(host="127.0.0.1", port=free_port(), tls="none", user=None, sender="a@b.c")
    assert ask(engine, dead) == _(resets.SENT_MESSAGE)
    wait_until_sent()
    assert "not sent" in caplog.text  # logged for the operator
    assert len(rows(engine)) == 1


def test_known_and_unknown_addresses_cost_the_same_statements(engine, ann, mail):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        work = {}
        for email in (KNOWN, UNKNOWN):
            statements.clear()
            ask(engine, mail, email)
            work[email] = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    wait_until_sent()
    assert work[KNOWN] == work[UNKNOWN] and len(work[KNOWN]) >= 4
