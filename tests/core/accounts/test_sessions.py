"""Server-side sessions and the signed cookie that names one, on real databases."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import jwt
import pytest
from sqlmodel import Session, select

from core.accounts import accounts, sessions
from core.models.accounts import AuthSession
from core.models.base import utcnow
from core.models.meta import AppMeta

SECRET = "k" * 48


def user_id(engine, email="user1@gmail.com") -> int:
    with Session(engine) as s:
        return accounts.get_user_by_email(s, email).id


def test_a_session_lives_until_it_is_ended(seeded_engine):
    uid = user_id(seeded_engine)
    with Session(seeded_engine) as s:
        token = sessions.start_session(s, uid)
        assert sessions.session_user(s, token).id == uid
        stored = s.exec(select(AuthSession.token_hash)).all()
        assert token not in stored and len(stored) == 1  # only its hash is kept
        sessions.end_session(s, token)
        assert sessions.session_user(s, token) is None
        sessions.end_session(s, token)  # twice is harmless
    with Session(seeded_engine) as s:  # closed: an open one would hold PostgreSQL locks
        assert sessions.session_user(s, "x" * 43) is None
        assert sessions.session_user(s, None) is None


def test_a_session_expires(seeded_engine):
    uid = user_id(seeded_engine)
    with Session(seeded_engine) as s:
        token = sessions.start_session(s, uid, days=30)
        row = s.exec(select(AuthSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
        assert sessions.session_user(s, token) is None


def test_a_password_change_ends_every_other_session_of_that_user_only(seeded_engine):
    uid, other = user_id(seeded_engine), user_id(seeded_engine, "user2@gmail.com")
    with Session(seeded_engine) as s:
        here, laptop, phone = (sessions.start_session(s, uid) for _ in range(3))
        theirs = sessions.start_session(s, other)
        accounts.change_password(
            s, uid, "tototo", "new-password", "new-password", keep_session=here
        )
        assert sessions.session_user(s, here).id == uid
        assert sessions.session_user(s, laptop) is None
        assert sessions.session_user(s, phone) is None
        assert sessions.session_user(s, theirs).id == other
        # a wrong current password changes nothing and ends nothing
        with pytest.raises(accounts.AccountError):
            accounts.change_password(s, other, "wrong", "new-password", "new-password")
        assert sessions.session_user(s, theirs).id == other


def test_ended_and_expired_sessions_are_pruned_at_the_next_log_in(seeded_engine):
    uid = user_id(seeded_engine)
    with Session(seeded_engine) as s:
        for _ in range(3):
            sessions.end_session(s, sessions.start_session(s, uid))
        sessions.start_session(s, uid)
        assert len(s.exec(select(AuthSession)).all()) == 1


def test_the_cookie_round_trips_and_names_the_session():
    token = "t" * 43
    value = sessions.encode_cookie(token, SECRET)
    assert sessions.decode_cookie(value, SECRET) == token
    assert sessions.decode_cookie(value, "another-secret-of-enough-length-000") is None


def _unsigned(header: dict, claims: dict) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


FUTURE = int((utcnow() + timedelta(days=1)).timestamp())


@pytest.mark.parametrize(
    "value",
    [
        _unsigned({"alg": "none", "typ": "JWT"}, {"sid": "t" * 43, "exp": FUTURE}),
        jwt.encode({"sid": "t" * 43, "exp": FUTURE}, SECRET, algorithm="HS512"),
        jwt.encode({"sid": "t" * 43, "exp": FUTURE}, SECRET, algorithm="HS384"),
        jwt.encode({"sid": "t" * 43, "exp": FUTURE - 3 * 86_400}, SECRET, algorithm="HS256"),
        jwt.encode({"sid": "t" * 43}, SECRET, algorithm="HS256"),  # no expiry
        jwt.encode({"sid": 12, "exp": FUTURE}, SECRET, algorithm="HS256"),
        jwt.encode({"sid": "short", "exp": FUTURE}, SECRET, algorithm="HS256"),
        jwt.encode({"sid": "t" * 43, "exp": "soon"}, SECRET, algorithm="HS256"),
        jwt.encode({"username": "user1@gmail.com", "exp_date": FUTURE}, SECRET, "HS256"),
        "not a token",
        "a.b.c",
        "",
        "x" * 5000,
        "\x00\ud800",
    ],
)
def test_any_cookie_that_does_not_verify_is_no_session(value):
    assert sessions.decode_cookie(value, SECRET) is None


def test_the_generated_cookie_secret_is_one_per_database_even_when_raced(engine):
    secrets_seen, errors = [], []
    barrier = threading.Barrier(6)

    def read():
        barrier.wait()
        try:
            with Session(engine) as s:
                secrets_seen.append(sessions.cookie_secret(s, None))
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(secrets_seen)) == 1 and len(secrets_seen[0]) >= 48
    with Session(engine) as s:
        assert s.get(AppMeta, sessions.COOKIE_SECRET_KEY).value == secrets_seen[0]
        assert sessions.cookie_secret(s, "configured" * 4) == "configured" * 4


def test_a_replica_with_another_engine_uses_the_same_secret(engine):
    from core.db import make_engine

    with Session(engine) as s:
        first = sessions.cookie_secret(s, None)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    with Session(other) as s:
        assert sessions.cookie_secret(s, None) == first
    other.dispose()
