"""Account rules, hashing and log-in limits, on real databases."""

from datetime import date, timedelta

import bcrypt
import pytest
from argon2 import PasswordHasher
from passlib.hash import bcrypt as passlib_bcrypt
from sqlalchemy import update as sql_update
from sqlmodel import Session, select

from core.accounts import accounts, passwords
from core.accounts.accounts import AccountError, ProfileUpdate
from core.db import make_engine
from core.models.accounts import LoginAttempt, User
from core.models.base import utcnow

LONG = "x" * 100


def test_hashes_are_argon2id_at_the_settings_and_accepted_by_argon2_itself():
    h = passwords.hash_password("correct horse")
    m, t, p = passwords.ARGON2_MEMORY_KIB, passwords.ARGON2_TIME_COST, passwords.ARGON2_PARALLELISM
    assert h.startswith(f"$argon2id$v=19$m={m},t={t},p={p}$")
    assert passwords.verify_password("correct horse", h)
    assert PasswordHasher().verify(h, "correct horse")  # argon2-cffi's own check
    assert not passwords.verify_password("wrong horse", h)
    assert passwords.check_password("correct horse", h) == (True, None)  # nothing to redo


def test_bcrypt_hashes_of_before_0006_still_check_and_are_marked_for_argon2id():
    old = passlib_bcrypt.using(ident="2b", rounds=4).hash("correct horse")
    assert bcrypt.checkpw(b"correct horse", old.encode())
    assert passwords.verify_password("correct horse", old)
    right, new = passwords.check_password("correct horse", old)
    assert right and new.startswith("$argon2id$")
    assert passwords.verify_password("correct horse", new)
    assert passwords.check_password("wrong horse", old) == (False, None)
    # argon2id of other settings: a weaker one is made again, a stronger one kept (a server
    # set lower, as the tests are at 64 KiB, never weakens it)
    weaker = passwords.password_context(8).hash("correct horse")
    right, again = passwords.check_password("correct horse", weaker)
    assert right and again.startswith(f"$argon2id$v=19$m={passwords.ARGON2_MEMORY_KIB},")
    stronger = passwords.password_context(19456).hash("correct horse")
    assert passwords.check_password("correct horse", stronger) == (True, None)
    assert passwords.check_password("wrong horse", weaker) == (False, None)


def test_a_log_in_replaces_a_bcrypt_hash_and_keeps_the_password_date(seeded_engine):
    old = passlib_bcrypt.using(ident="2b", rounds=4).hash("tototo")
    with Session(seeded_engine) as s:
        user = s.exec(select(User).where(User.email == "user1@gmail.com")).one()
        user.password_hash = old
        s.add(user)
        s.commit()
        changed_at = user.password_changed_at
    with Session(seeded_engine) as s:
        with pytest.raises(accounts.LoginRefused):  # a wrong password changes nothing
            accounts.log_in(s, "user1@gmail.com", "wrong-password")
        assert s.exec(select(User.password_hash).where(User.id == user.id)).one() == old
        accounts.log_in(s, "user1@gmail.com", "tototo")
    with Session(seeded_engine) as s:
        user = s.get(User, user.id)
        assert user.password_hash.startswith("$argon2id$")
        assert user.password_changed_at == changed_at  # the password itself did not change
        assert accounts.log_in(s, "user1@gmail.com", "tototo").id == user.id
        assert s.get(User, user.id).password_hash == user.password_hash  # not redone again


def test_a_right_password_logs_in_even_when_its_new_hash_cannot_be_stored(seeded_engine):
    """The rehash is a bonus: a database that refuses it (here a trigger, as a full disk or a
    lock would) never turns a right password into an error."""
    from sqlalchemy import text

    old = passlib_bcrypt.using(ident="2b", rounds=4).hash("tototo")
    with Session(seeded_engine) as s:
        s.exec(sql_update(User).where(User.email == "user1@gmail.com").values(password_hash=old))
        s.commit()
    with seeded_engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text(
                "CREATE TRIGGER no_rehash BEFORE UPDATE OF password_hash ON users "
                "BEGIN SELECT RAISE(ABORT, 'read-only'); END"))  # fmt: skip
        else:
            conn.execute(text(
                "CREATE FUNCTION no_rehash() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'read-only'; END $$ LANGUAGE plpgsql"))  # fmt: skip
            conn.execute(text(
                "CREATE TRIGGER no_rehash BEFORE UPDATE OF password_hash ON users "
                "FOR EACH ROW EXECUTE FUNCTION no_rehash()"))  # fmt: skip
    try:
        with Session(seeded_engine) as s:
            assert accounts.log_in(s, "user1@gmail.com", "tototo").email == "user1@gmail.com"
            assert accounts.failed_logins(s, "user1@gmail.com") == 0
            assert (
                s.exec(select(User.password_hash).where(User.email == "user1@gmail.com")).one()
                == old
            )
    finally:
        with seeded_engine.begin() as conn:
            conn.execute(
                text(
                    "DROP TRIGGER no_rehash"
                    + ("" if conn.dialect.name == "sqlite" else " ON users")
                )
            )
            if conn.dialect.name != "sqlite":
                conn.execute(text("DROP FUNCTION no_rehash()"))


def test_a_hash_replaced_meanwhile_is_not_overwritten(seeded_engine):
    """A password changed between a log-in's check and its rehash keeps the new password."""
    with Session(seeded_engine) as s:
        user = s.exec(select(User).where(User.email == "user1@gmail.com")).one()
        accounts._replace_hash(s, user.id, "$2b$04$" + "x" * 53, "$argon2id$not-this-one")
        assert passwords.verify_password("tototo", s.get(User, user.id).password_hash)


def test_over_long_passwords_never_reach_the_hash():
    h = passwords.hash_password("short-pw")
    with pytest.raises(ValueError):
        passwords.hash_password(LONG)
    assert passwords.verify_password(LONG, h) is False
    assert passwords.verify_password("", h) is False
    assert passwords.verify_password("short-pw", "not a hash") is False
    # 37 two-byte letters: 37 characters but 74 bytes
    with pytest.raises(AccountError, match="too long"):
        accounts.check_new_password("é" * 37, "é" * 37)


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
        accounts.check_new_password(password, repeat)


@pytest.mark.parametrize("email", ["", "  ", "no-at-sign", "a@b", "two@@x.com", "sp ace@x.com"])
def test_invalid_emails(email):
    with pytest.raises(AccountError):
        accounts.check_email(email)


def test_email_is_normalised():
    assert accounts.check_email("  User1@GMail.com ") == "user1@gmail.com"


def test_register_then_duplicate_case_insensitive(seeded_engine):
    with Session(seeded_engine) as s:
        user = accounts.register_user(
            s, " New@Example.com", "  Zoé   B ", "long-enough", "long-enough"
        )
        assert user.email == "new@example.com"
        assert user.display_name == "Zoé B"
        assert passwords.verify_password("long-enough", user.password_hash)
        for email in ("NEW@example.com", "user1@GMAIL.com "):
            with pytest.raises(AccountError, match="already uses"):
                accounts.register_user(s, email, "X", "long-enough", "long-enough")


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
            accounts.register_user(s, email, name, pw, repeat)
        assert info.value.field == field
        assert accounts.get_user_by_email(s, "a@b.com") is None


def test_markup_in_display_name_is_stored_verbatim(engine):
    with Session(engine) as s:
        user = accounts.register_user(
            s, "m@x.com", "<b>Bold</b> **x**", "long-enough", "long-enough"
        )
        assert user.display_name == "<b>Bold</b> **x**"


def test_failed_logins_lock_after_five_for_known_and_unknown_emails(seeded_engine):
    for email in ("user1@gmail.com", "nobody@nowhere.com"):
        with Session(seeded_engine) as s:
            for _ in range(accounts.MAX_FAILED_LOGINS):
                assert accounts.start_login_attempt(s, email) is not None
            assert accounts.start_login_attempt(s, email) is None
            assert accounts.start_login_attempt(s, email.upper()) is None
            assert (
                accounts.failed_logins(s, email) == accounts.MAX_FAILED_LOGINS
            )  # refusals not kept
    with Session(seeded_engine) as s:  # another e-mail is not affected
        assert accounts.start_login_attempt(s, "user2@gmail.com") is not None


def test_the_count_survives_a_restart_and_expires(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    from core.schema import upgrade_schema

    engine = make_engine(url)
    upgrade_schema(engine)
    with Session(engine) as s:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            accounts.start_login_attempt(s, "a@b.com")
    engine.dispose()
    restarted = make_engine(url)  # a new process or a second replica
    with Session(restarted) as s:
        assert accounts.start_login_attempt(s, "a@b.com") is None
        # move the failures out of the 15-minute window
        for attempt in s.exec(__import__("sqlmodel").select(LoginAttempt)):
            attempt.attempted_at = utcnow() - timedelta(minutes=16)
            s.add(attempt)
        s.commit()
        assert accounts.failed_logins(s, "a@b.com") == 0
        assert accounts.start_login_attempt(s, "a@b.com") is not None
        accounts.prune_login_attempts(s)
        assert accounts.failed_logins(s, "a@b.com") == 1


def test_success_clears_the_failures(seeded_engine):
    with Session(seeded_engine) as s:
        for _ in range(3):
            accounts.start_login_attempt(s, "user1@gmail.com")
        accounts.clear_failed_logins(s, "USER1@gmail.com")
        assert accounts.failed_logins(s, "user1@gmail.com") == 0


def test_profile_rules():
    ok = ProfileUpdate("  Ann  ", date(1990, 5, 1), " 1  rue X ", "75011", " Paris ")
    clean = accounts.check_profile(ok)
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
            accounts.check_profile(update)
        assert info.value.field == field


def test_update_profile_persists(seeded_engine):
    with Session(seeded_engine) as s:
        user = accounts.get_user_by_email(s, "user1@gmail.com")
        accounts.update_profile(
            s, user.id, ProfileUpdate("Cam", date(1995, 2, 3), "1 av. Foch", "75016", "Paris")
        )
    with Session(seeded_engine) as s:
        user = accounts.get_user_by_email(s, "user1@gmail.com")
        assert (user.display_name, user.birthday, user.postal_code) == (
            "Cam",
            date(1995, 2, 3),
            "75016",
        )
        with pytest.raises(AccountError):
            accounts.update_profile(s, user.id, ProfileUpdate("Cam", None, "", "abc", ""))
        assert s.get(User, user.id).postal_code == "75016"


def test_change_password(seeded_engine):
    with Session(seeded_engine) as s:
        user = accounts.get_user_by_email(s, "user2@gmail.com")
        for current, new, repeat, field in [
            ("", "new-password", "new-password", "current"),
            ("wrong", "new-password", "new-password", "current"),
            (LONG, "new-password", "new-password", "current"),
            ("tototo", "short", "short", "new"),
            ("tototo", LONG, LONG, "new"),
            ("tototo", "new-password", "other-password", "repeat"),
        ]:
            with pytest.raises(AccountError) as info:
                accounts.change_password(s, user.id, current, new, repeat)
            assert info.value.field == field
        assert passwords.verify_password("tototo", s.get(User, user.id).password_hash)
        accounts.change_password(s, user.id, "tototo", "new-password", "new-password")
        user = s.get(User, user.id)
        assert passwords.verify_password("new-password", user.password_hash)
        assert not passwords.verify_password("tototo", user.password_hash)


def test_argon2_takes_19_mib_unless_told_otherwise():
    assert passwords.argon2_memory_kib({}) == 19456  # where people log in (OWASP's setting)
    assert passwords.argon2_memory_kib({"ARGON2_MEMORY_KIB": "64"}) == 64  # tests/conftest.py
    for odd in ("7", "1048577", "lots", "-1", "64.5"):
        assert passwords.argon2_memory_kib({"ARGON2_MEMORY_KIB": odd}) == 19456


def test_an_unknown_email_costs_a_password_check():
    # the decoy is an argon2id hash at the settings of real ones, checked the same way
    passwords.spend_a_password_check("anything")
    assert passwords._decoy_hash().startswith(
        f"$argon2id$v=19$m={passwords.ARGON2_MEMORY_KIB},t={passwords.ARGON2_TIME_COST},"
    )
    assert not passwords.verify_password("anything", passwords._decoy_hash())


def test_registrations_at_the_same_moment_all_succeed(seeded_engine):
    import threading

    errors, made = [], []

    def register(n):
        try:
            with Session(seeded_engine) as s:
                made.append(
                    accounts.register_user(s, f"racer{n}@x.com", "R", "long-enough", "long-enough")
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


# --- look-alike e-mails, control characters, the log-in itself -------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        "ｕｓｅｒ1@gmail.com",  # fullwidth letters
        "user1\u200b@gmail.com",  # zero-width space
        "us\u00ader1@gmail.com",  # soft hyphen
        "\ufeffuser1@gmail.com",  # byte-order mark
        "user1@gmail.com\u200d",  # zero-width joiner
        "USER1@GMAIL.COM",
    ],
)
def test_look_alike_emails_are_the_same_account(seeded_engine, look_alike):
    assert accounts.normalise_email(look_alike) == "user1@gmail.com"
    with Session(seeded_engine) as s:
        with pytest.raises(AccountError, match="already uses"):
            accounts.register_user(s, look_alike, "Copy", "long-enough", "long-enough")
        assert accounts.log_in(s, look_alike, "tototo").email == "user1@gmail.com"


@pytest.mark.parametrize(
    "email",
    [
        "uѕer1@gmail.com",  # Cyrillic dze
        "usér@example.com",
        "İnci@example.com",  # Turkish dotted capital I
    ],
)
def test_non_ascii_before_the_at_is_refused(engine, email):
    with Session(engine) as s, pytest.raises(AccountError, match="plain Latin letters"):
        accounts.register_user(s, email, "X", "long-enough", "long-enough")


def test_an_international_domain_is_stored_in_its_ascii_form(engine):
    with Session(engine) as s:
        user = accounts.register_user(s, "Anna@Bücher.de", "Anna", "long-enough", "long-enough")
        assert user.email == "anna@xn--bcher-kva.de"
        assert accounts.log_in(s, "anna@bücher.de", "long-enough").id == user.id
        # a look-alike domain (i + combining dot above) shows as what it is
        other = accounts.register_user(
            s, "user1@gmai\u0307l.com", "X", "long-enough", "long-enough"
        )
        assert other.email.startswith("user1@xn--") and other.email.isascii()


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07b", "bad\ud800", "line\nbreak"])
def test_control_characters_are_refused_with_a_field_message(engine, bad):
    with Session(engine) as s:
        for args, field in [
            ((f"x{bad}@y.com", "Name", "long-enough", "long-enough"), "email"),
            (("n@y.com", f"Na{bad}me", "long-enough", "long-enough"), "display_name"),
            (("n@y.com", "Name", f"long{bad}enough", f"long{bad}enough"), "password"),
        ]:
            with pytest.raises(AccountError) as info:
                accounts.register_user(s, *args)
            assert info.value.field == field
        user = accounts.register_user(s, "n@y.com", "Name", "long-enough", "long-enough")
        for field in ("display_name", "address", "postal_code", "city"):
            values = {"display_name": "N", "address": "", "postal_code": "", "city": ""}
            values[field] = f"x{bad}"
            with pytest.raises(AccountError, match="control characters") as info:
                accounts.update_profile(s, user.id, ProfileUpdate(birthday=None, **values))
            assert info.value.field == field
        assert s.get(User, user.id).display_name == "Name"


@pytest.fixture
def real_cost(monkeypatch, seeded_engine):
    """argon2id at the cost people's log-ins pay (the suite runs at 64 KiB), for checks that
    compare times: user1's hash and the decoy at 19 MiB."""
    monkeypatch.setattr(
        passwords, "_context", passwords.password_context(passwords.DEFAULT_ARGON2_MEMORY_KIB)
    )
    passwords._decoy_hash.cache_clear()
    with Session(seeded_engine) as s:
        user = s.exec(select(User).where(User.email == "user1@gmail.com")).one()
        user.password_hash = passwords.hash_password("tototo")
        s.add(user)
        s.commit()
    yield seeded_engine
    passwords._decoy_hash.cache_clear()  # the next test's decoy at the suite's cost again


@pytest.mark.parametrize("password", ["toto\x00to", "tototo\ud800", "\x00"])
def test_a_password_with_control_characters_is_just_wrong_and_costs_a_check(real_cost, password):
    import time

    with Session(real_cost) as s:
        start = time.perf_counter()
        with pytest.raises(accounts.LoginRefused, match="Wrong e-mail or password"):
            accounts.log_in(s, "user1@gmail.com", password)
        spent = time.perf_counter() - start
        start = time.perf_counter()
        with pytest.raises(accounts.LoginRefused, match="Wrong e-mail or password"):
            accounts.log_in(s, "user1@gmail.com", "wrong-password")
        wrong = time.perf_counter() - start
    assert spent > wrong / 3  # a password check each: the answer does not tell more


@pytest.mark.parametrize("email", ["user1@gmail.com\x00", "nul\x00@x.com", "x" * 300 + "@y.com"])
def test_odd_emails_at_log_in_are_wrong_credentials(seeded_engine, email):
    with Session(seeded_engine) as s, pytest.raises(accounts.LoginRefused, match="Wrong e-mail"):
        accounts.log_in(s, email, "tototo")


def test_log_in_counts_failures_and_a_success_clears_them(seeded_engine):
    with Session(seeded_engine) as s:
        for _ in range(2):
            with pytest.raises(accounts.LoginRefused):
                accounts.log_in(s, "user1@gmail.com", "wrong-password")
        assert accounts.failed_logins(s, "user1@gmail.com") == 2
        assert accounts.log_in(s, "User1@gmail.com ", "tototo").email == "user1@gmail.com"
        assert accounts.failed_logins(s, "user1@gmail.com") == 0
        for _ in range(accounts.MAX_FAILED_LOGINS):
            with pytest.raises(accounts.LoginRefused, match="Wrong"):
                accounts.log_in(s, "user1@gmail.com", "wrong-password")
        with pytest.raises(accounts.LoginRefused, match="Try again in 15 minutes"):
            accounts.log_in(s, "user1@gmail.com", "tototo")  # locked: even the right password


def test_parallel_refused_log_ins_wait_their_turn_on_sqlite(tmp_path):
    """Before: the refusal's DELETE after a read failed at once with "database is locked"."""
    import threading

    from core.schema import upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    upgrade_schema(engine)
    errors, results = [], []
    barrier = threading.Barrier(16)

    def attempt():
        barrier.wait()
        try:
            for _ in range(6):
                with Session(engine) as s:
                    results.append(accounts.start_login_attempt(s, "target@x.com"))
                    accounts.prune_login_attempts(s)
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r is not None for r in results) == accounts.MAX_FAILED_LOGINS
    with Session(engine) as s:  # the refused ones were not kept
        assert accounts.failed_logins(s, "target@x.com") == accounts.MAX_FAILED_LOGINS


def test_log_ins_while_others_write_all_succeed_on_sqlite(tmp_path):
    """Before: the user row, expired by a rollback, was reloaded (a read) just before the
    success's write, which then could not wait for SQLite's lock and failed at once."""
    import threading

    from core.accounts import sessions
    from demo.seed import create_demo_database

    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    create_demo_database(engine)
    errors, logged_in = [], []
    stop = threading.Event()
    barrier = threading.Barrier(8)

    def write_all_the_time():
        barrier.wait()
        while not stop.is_set():
            with Session(engine) as s:
                accounts.start_login_attempt(s, "someone-else@x.com")
                accounts.prune_login_attempts(s)

    def log_in_twice():
        barrier.wait()
        try:
            for _ in range(2):
                with Session(engine, expire_on_commit=False) as s:
                    user = accounts.log_in(s, "user1@gmail.com", "tototo")
                    logged_in.append(sessions.start_session(s, user.id))
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    writers = [threading.Thread(target=write_all_the_time) for _ in range(4)]
    readers = [threading.Thread(target=log_in_twice) for _ in range(4)]
    for thread in writers + readers:
        thread.start()
    for thread in readers:
        thread.join()
    stop.set()
    for thread in writers:
        thread.join()
    assert errors == []
    assert len(logged_in) == 8


@pytest.mark.parametrize(
    "look_alike", ["user1@gmail.com.", "user1@gmail.com\u3164", "user1\u115f@gmail.com"]
)
def test_trailing_dots_and_blank_fillers_are_the_same_account(seeded_engine, look_alike):
    assert accounts.normalise_email(look_alike) == "user1@gmail.com"
    with Session(seeded_engine) as s, pytest.raises(AccountError, match="already uses"):
        accounts.register_user(s, look_alike, "Copy", "long-enough", "long-enough")


@pytest.mark.parametrize("override", ["\u202e", "\u202d", "\u2066", "\u2069"])
def test_bidirectional_overrides_are_refused_in_names(override):
    with pytest.raises(AccountError, match="control characters"):
        accounts.check_display_name(f"Camille {override}eciloP")
