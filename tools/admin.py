"""Name or un-name an administrator: ``python -m tools.admin``.

    python -m tools.admin grant EMAIL [--reason TEXT] [--database-url URL]
    python -m tools.admin revoke EMAIL [--reason TEXT] [--database-url URL]

Sets the account's role in the users table (an e-mail in the ADMIN_EMAILS setting is an
administrator whatever its role) and logs it in the audit log (moderation_log) with no
administrator: the command line. Prints one sentence; exit code 1 for an unknown e-mail.
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session, func, select

from core import models  # noqa: F401  (registers the tables)
from core.config import load_settings
from core.db import make_engine
from core.models.accounts import Role, User
from core.moderation.admins import set_role


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__)
    parser.add_argument("command", choices=("grant", "revoke"))
    parser.add_argument("email")
    parser.add_argument("--reason", default="", help="kept in the audit log")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url or load_settings().database_url)
    role = Role.ADMIN if args.command == "grant" else Role.MEMBER
    reason = args.reason or f"{args.command} by the command line"
    try:
        with Session(engine) as session:
            email = args.email.strip().lower()
            user_id = session.exec(select(User.id).where(func.lower(User.email) == email)).first()
            session.rollback()
            if user_id is None:
                print(f"No account has the e-mail {email}.", file=sys.stderr)
                return 1
            changed = set_role(session, None, user_id, role, reason)
    finally:
        engine.dispose()
    what = "an administrator" if role is Role.ADMIN else "a member"
    print(f"{email} is {what}{'' if changed else ' already'}.")
    return 0


if __name__ == "__main__":
    sys.exit(run())
