"""Account rules, hashing and log-in limits, on real databases."""

from datetime import date, timedelta

import bcrypt
import pytest
from passlib.hash import bcrypt as passlib_bcrypt
from sqlmodel import Session
from streamlit_authenticator.utilities import Hasher

from core import auth
from core.auth import AccountError, ProfileUpdate
from core.db import make_engine
from core.models import LoginAttempt, User, utcnow

LONG = "x" * 100


def test_hashes_are_2b_and_accepted_by_every_checker():
    h = auth.hash_password("correct horse")
    assert h.startswith("$2b$12$")
    assert auth.verify_password("correct horse", h)
    assert passlib_bcrypt.verify("correct horse", h)
    assert bcrypt.checkpw(b"correct horse", h.encode())
    assert Hasher.check_pw("correct horse", h)  # streamlit-authenticator's own check
    assert not auth.verify_password("wrong horse", h)


def test_over_long_passwords_never_reach_bcrypt():
    h = auth.hash_password("short-pw")
    with pytest.raises(ValueError):
        auth.hash_password(LONG)
    assert auth.verify_password(LONG, h) is False
    assert auth.verify_password("", h) is False
    assert auth.verify_password("short-pw", "not a hash") is False
    # 37 two-byte letters: 37 characters but 74 bytes
    with pytest.raises(AccountError, match="too long"):
        auth.check_new_password("é" * 37, "é" * 37)


@pytest.mark.parametrize(
    ("password", "repeat", "message"),
    [
        ("", "", "Enter a password"),
        ("short", "short", "at least 8"),
        (LONG, LONG, "too long"),
        (" spaced-out ", " spaced-out ", "space"),
        ("password-1", "password-2", "different"),
    ],
)
def test_new_password_rules(password, repeat, message):
    with pytest.raises(AccountError, match=message):
        auth.check_new_password(password, repeat)


@pytest.mark.parametrize("email", ["", "  ", "no-at-sign", "a@b", "two@@x.com", "sp ace@x.com"])
def test_invalid_emails(email):
    with pytest.raises(AccountError):
        auth.check_email(email)


def test_email_is_normalised():
    assert auth.check_email("  User1@GMail.com ") == "user1@gmail.com"


def test_register_then_duplicate_case_insensitive(seeded_engine):
    with Session(seeded_engine) as s:
        user = auth.register_user(s, " New@Example.com", "  Zoé   B ", "long-enough", "long-enough")
        assert user.email == "new@example.com"
        assert user.display_name == "Zoé B"
        assert auth.verify_password("long-enough", user.password_hash)
        for email in ("NEW@example.com", "user1@GMAIL.com "):
            with pytest.raises(AccountError, match="already uses"):
                auth.register_user(s, email, "X", "long-enough", "long-enough")


@pytest.mark.parametrize(
    ("email", "name", "pw", "repeat", "field"),
    [
        ("bad", "Name", "long-enough", "long-enough", "email"),
        ("a@b.com", "", "long-enough", "long-enough", "display_name"),
        ("a@b.com", "n" * 51, "long-enough", "long-enough", "display_name"),
        ("a@b.com", "Name", "short", "short", "password"),
        ("a@b.com", "Name", LONG, LONG, "password"),
        ("a@b.com", "Name", "long-enough", "long-enougH", "repeat"),
    ],
)
def test_register_failures_store_nothing(engine, email, name, pw, repeat, field):
    with Session(engine) as s:
        with pytest.raises(AccountError) as info:
            auth.register_user(s, email, name, pw, repeat)
        assert info.value.field == field
        assert auth.get_user_by_email(s, "a@b.com") is None


def test_markup_in_display_name_is_stored_verbatim(engine):
    with Session(engine) as s:
        user = auth.register_user(s, "m@x.com", "<b>Bold</b> **x**", "long-enough", "long-enough")
        assert user.display_name == "<b>Bold</b> **x**"


def test_failed_logins_lock_after_five_for_known_and_unknown_emails(seeded_engine):
    for email in ("user1@gmail.com", "nobody@nowhere.com"):
        with Session(seeded_engine) as s:
            for _ in range(auth.MAX_FAILED_LOGINS):
                assert auth.start_login_attempt(s, email) is not None
            assert auth.start_login_attempt(s, email) is None
            assert auth.start_login_attempt(s, email.upper()) is None
            assert auth.failed_logins(s, email) == auth.MAX_FAILED_LOGINS  # refusals not kept
    with Session(seeded_engine) as s:  # another e-mail is not affected
        assert auth.start_login_attempt(s, "user2@gmail.com") is not None


def test_the_count_survives_a_restart_and_expires(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    from core.db import create_schema

    engine = make_engine(url)
    create_schema(engine)
    with Session(engine) as s:
        for _ in range(auth.MAX_FAILED_LOGINS):
            auth.start_login_attempt(s, "a@b.com")
    engine.dispose()
    restarted = make_engine(url)  # a new process or a second replica
    with Session(restarted) as s:
        assert auth.start_login_attempt(s, "a@b.com") is None
        # move the failures out of the 15-minute window
        for attempt in s.exec(__import__("sqlmodel").select(LoginAttempt)):
            attempt.attempted_at = utcnow() - timedelta(minutes=16)
            s.add(attempt)
        s.commit()
        assert auth.failed_logins(s, "a@b.com") == 0
        assert auth.start_login_attempt(s, "a@b.com") is not None
        auth.prune_login_attempts(s)
        assert auth.failed_logins(s, "a@b.com") == 1


def test_success_clears_the_failures(seeded_engine):
    with Session(seeded_engine) as s:
        for _ in range(3):
            auth.start_login_attempt(s, "user1@gmail.com")
        auth.clear_failed_logins(s, "USER1@gmail.com")
        assert auth.failed_logins(s, "user1@gmail.com") == 0


def test_profile_rules():
    ok = ProfileUpdate("  Ann  ", date(1990, 5, 1), " 1  rue X ", "75011", " Paris ")
    clean = auth.check_profile(ok)
    assert clean == ProfileUpdate("Ann", date(1990, 5, 1), "1 rue X", "75011", "Paris")
    bad = [
        (ProfileUpdate("", None, "", "", ""), "display_name"),
        (ProfileUpdate("A", date.today() + timedelta(days=1), "", "", ""), "birthday"),
        (ProfileUpdate("A", date(1800, 1, 1), "", "", ""), "birthday"),
        (ProfileUpdate("A", None, "a" * 201, "", ""), "address"),
        (ProfileUpdate("A", None, "", "75O11", ""), "postal_code"),
        (ProfileUpdate("A", None, "", "12", ""), "postal_code"),
        (ProfileUpdate("A", None, "", "", "c" * 81), "city"),
    ]
    for update, field in bad:
        with pytest.raises(AccountError) as info:
            auth.check_profile(update)
        assert info.value.field == field


def test_update_profile_persists(seeded_engine):
    with Session(seeded_engine) as s:
        user = auth.get_user_by_email(s, "user1@gmail.com")
        auth.update_profile(
            s, user.id, ProfileUpdate("Cam", date(1995, 2, 3), "1 av. Foch", "75016", "Paris")
        )
    with Session(seeded_engine) as s:
        user = auth.get_user_by_email(s, "user1@gmail.com")
        assert (user.display_name, user.birthday, user.postal_code) == (
            "Cam",
            date(1995, 2, 3),
            "75016",
        )
        with pytest.raises(AccountError):
            auth.update_profile(s, user.id, ProfileUpdate("Cam", None, "", "abc", ""))
        assert s.get(User, user.id).postal_code == "75016"


def test_change_password(seeded_engine):
    with Session(seeded_engine) as s:
        user = auth.get_user_by_email(s, "user2@gmail.com")
        version = auth.credentials_version(s)
        for current, new, repeat, field in [
            ("", "new-password", "new-password", "current"),
            ("wrong", "new-password", "new-password", "current"),
            (LONG, "new-password", "new-password", "current"),
            ("tototo", "short", "short", "new"),
            ("tototo", LONG, LONG, "new"),
            ("tototo", "new-password", "other-password", "repeat"),
        ]:
            with pytest.raises(AccountError) as info:
                auth.change_password(s, user.id, current, new, repeat)
            assert info.value.field == field
        assert auth.credentials_version(s) == version
        auth.change_password(s, user.id, "tototo", "new-password", "new-password")
        assert auth.credentials_version(s) != version
        user = s.get(User, user.id)
        assert auth.verify_password("new-password", user.password_hash)
        assert not auth.verify_password("tototo", user.password_hash)


def test_credentials_are_built_from_the_database(seeded_engine):
    with Session(seeded_engine) as s:
        creds = auth.build_credentials(s)
        version = auth.credentials_version(s)
        auth.register_user(s, "third@x.com", "Third", "long-enough", "long-enough")
        assert auth.credentials_version(s) != version
    assert set(creds["usernames"]) == {"user1@gmail.com", "user2@gmail.com"}
    entry = creds["usernames"]["user1@gmail.com"]
    assert Hasher.check_pw("tototo", entry["password"])
    assert entry["email"] == "user1@gmail.com"


def test_cookie_secret_is_generated_once_and_kept(tmp_path):
    assert auth.cookie_secret("configured", tmp_path) == "configured"
    first = auth.cookie_secret(None, tmp_path / "data")
    assert len(first) >= 40
    assert auth.cookie_secret(None, tmp_path / "data") == first
    path = tmp_path / "data" / "cookie_secret"
    assert path.read_text() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert list((tmp_path / "data").iterdir()) == [path]


def test_a_password_change_invalidates_older_cookies(seeded_engine):
    days = 30.0
    with Session(seeded_engine) as s:
        user = auth.get_user_by_email(s, "user1@gmail.com")
        issued_before = utcnow().timestamp() + days * 86_400  # a cookie made now
        assert auth.cookie_still_valid(user, issued_before, days)
        auth.change_password(s, user.id, "tototo", "new-password", "new-password")
        user = s.get(User, user.id)
        changed = user.password_changed_at.timestamp()
        assert not auth.cookie_still_valid(user, changed - 60 + days * 86_400, days)
        assert auth.cookie_still_valid(user, changed + 5 + days * 86_400, days)
        assert not auth.cookie_still_valid(None, changed + 5 + days * 86_400, days)


def test_an_unknown_email_costs_a_password_check():
    # the decoy is a bcrypt hash of the same cost as real ones, checked the same way
    auth.spend_a_password_check("anything")
    assert auth._decoy_hash().startswith(f"$2b${auth.BCRYPT_ROUNDS}$")
    assert not auth.verify_password("anything", auth._decoy_hash())


def test_the_credentials_version_counts_changes_not_clock_times(seeded_engine):
    with Session(seeded_engine) as s:
        user = auth.get_user_by_email(s, "user1@gmail.com")
        count, versions = auth.credentials_version(s)
        auth.change_password(s, user.id, "tototo", "password-two", "password-two")
        auth.change_password(s, user.id, "password-two", "password-3", "password-3")
        # a replica whose clock is behind: the change time goes back, the version still moves
        s.get(User, user.id).password_changed_at = utcnow() - timedelta(days=1)
        s.commit()
        assert auth.credentials_version(s) == (count, versions + 2)


def test_registrations_at_the_same_moment_all_succeed(seeded_engine):
    import threading

    errors, made = [], []

    def register(n):
        try:
            with Session(seeded_engine) as s:
                made.append(
                    auth.register_user(s, f"racer{n}@x.com", "R", "long-enough", "long-enough")
                )
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == 4
