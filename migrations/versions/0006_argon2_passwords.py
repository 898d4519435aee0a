"""Passwords: argon2id hashes next to the bcrypt ones

Revision ID: 0006_argon2_passwords
Revises: 0005_price_history
Create Date: 2026-12-07 15:40:00

New passwords are hashed with argon2id (about 20 ms a check at OWASP's setting, against
0.25-0.45 s for bcrypt at cost 12). The CHECK on ``users.password_hash`` allowed bcrypt
(``$2...``) only: it now allows ``$argon2id$`` too, under a new name. No row changes: a
password is not known until its owner types it, so each bcrypt hash is replaced at its
owner's next log-in (core.accounts.accounts.log_in).

On SQLite a CHECK changes only by copying the table (batch mode); the copy keeps every row
and id, AUTOINCREMENT and its high-water mark (an id once given is never given again), and
the e-mails' unique index on ``lower(email)``, which SQLite's reflection cannot read back,
is made again.

A downgrade puts the bcrypt-only CHECK back, which an argon2id hash would break: it stops
with a sentence while any account holds one (an older release could not check them).
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0006_argon2_passwords"
down_revision = "0005_price_history"
branch_labels = None
depends_on = None

_BCRYPT_ONLY = ("ck_users_bcrypt_hash", "password_hash LIKE '$2%'")
_ARGON2_OR_BCRYPT = (
    "ck_users_password_hash",
    "password_hash LIKE '$argon2id$%' OR password_hash LIKE '$2%'",
)
_EMAIL_INDEX = "CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email))"


def _swap_check(old: tuple[str, str], new: tuple[str, str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(old[0], "users", type_="check")
        op.create_check_constraint(new[0], "users", new[1])
        return
    bind = op.get_bind()
    high = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'users'")).scalar()
    with warnings.catch_warnings():  # the lower(email) index: made again below
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table(
            "users", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch_op:
            batch_op.drop_constraint(old[0], type_="check")
            batch_op.create_check_constraint(new[0], new[1])
    op.execute("DROP INDEX IF EXISTS ux_users_email_lower")
    op.execute(_EMAIL_INDEX)
    if high is not None:  # the copy's sequence starts from its highest row: put the mark back
        if bind.execute(sa.text("SELECT 1 FROM sqlite_sequence WHERE name = 'users'")).first():
            bind.execute(
                sa.text("UPDATE sqlite_sequence SET seq = max(seq, :high) WHERE name = 'users'"),
                {"high": high},
            )
        else:
            bind.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('users', :high)"),
                {"high": high},
            )


def upgrade() -> None:
    _swap_check(_BCRYPT_ONLY, _ARGON2_OR_BCRYPT)


def downgrade() -> None:
    held = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'"))
        .scalar_one()
    )
    if held:
        raise RuntimeError(
            f"{held} account(s) hold argon2id password hashes, which a release before "
            "0006_argon2_passwords cannot check: not downgraded. Restore the backup made "
            "before the upgrade instead (python -m tools.backup restore)."
        )
    _swap_check(_ARGON2_OR_BCRYPT, _BCRYPT_ONLY)
