"""Per-rerun cost of the authenticator with 10 and 10 000 users in the database.

For each user count, a seeded SQLite file gets extra accounts, then AppTest runs the
shop page logged out and logged in, many times, with two designs side by side:
- "rebuild": the authenticator's credentials rebuilt from the users table every rerun;
- "cached" (ours): built once per process, rebuilt only when the users table's version
  (count, last password change) moves.
It also times the pieces: building the credentials, reading the version, and
constructing ``stauth.Authenticate`` (which re-keys the credentials dict every run).
Prints one JSON object on its last line.

    python bench/auth.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _p50(xs):
    return round(statistics.median(xs) * 1000, 2)


def _p90(xs):
    return round(sorted(xs)[int(len(xs) * 0.9) - 1] * 1000, 2)


def make_database(path: Path, users: int) -> None:
    from sqlalchemy import insert

    from core.db import make_engine
    from core.models import User, utcnow
    from core.seed import init_database

    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    extra = users - 2
    if extra > 0:
        pw_hash = "$2b$12$" + "x" * 53  # never checked here
        now = utcnow()
        rows = [
            dict(
                email=f"member{n}@example.com",
                display_name=f"Member {n}",
                password_hash=pw_hash,
                created_at=now,
                password_changed_at=now,
            )
            for n in range(extra)
        ]
        with engine.begin() as conn:
            conn.execute(insert(User), rows)
    engine.dispose()


def time_pieces(db: Path, repeats: int) -> dict:
    import streamlit_authenticator as stauth
    from sqlmodel import Session

    from core import auth
    from core.db import make_engine

    engine = make_engine(f"sqlite:///{db}")
    build, version, construct = [], [], []
    with Session(engine) as session:
        creds = auth.build_credentials(session)
        for _ in range(repeats):
            t = time.perf_counter()
            auth.build_credentials(session)
            build.append(time.perf_counter() - t)
            t = time.perf_counter()
            auth.credentials_version(session)
            version.append(time.perf_counter() - t)
    for _ in range(repeats):
        t = time.perf_counter()
        stauth.Authenticate(creds, "bench", "k" * 32, 1.0, auto_hash=False)
        construct.append(time.perf_counter() - t)
    return {
        "build_credentials_ms": _p50(build),
        "read_version_ms": _p50(version),
        "construct_authenticate_ms": _p50(construct),
    }


def time_pages(db: Path, runs: int, design: str) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core import auth

    real_version = auth.credentials_version
    if design == "rebuild":
        # every call looks like a new version: the credentials are rebuilt every rerun
        auth.credentials_version = lambda session: (object(),)
    try:
        st.cache_resource.clear()
        results = {}
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
        assert not at.exception, at.exception
        for state in ("logged_out", "logged_in"):
            if state == "logged_in":
                at.switch_page("app_pages/login.py").run()
                fields = {t.label: t for t in at.text_input}
                fields["E-mail"].input("user1@gmail.com")
                fields["Password"].input("tototo")
                next(b for b in at.button if b.label == "Log in").click().run()
                assert at.session_state["user_id"] is not None
                at.switch_page("app_pages/catalogue.py").run()
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t)
                assert not at.exception, at.exception
            results[state] = {"p50_ms": _p50(times), "p90_ms": _p90(times)}
        return results
    finally:
        auth.credentials_version = real_version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--users", type=int, nargs="+", default=[10, 10_000])
    args = parser.parse_args()
    out: dict = {"runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        for users in args.users:
            data = Path(tmp) / f"u{users}"
            data.mkdir()
            db = data / "marketplace.db"
            make_database(db, users)
            os.environ["DATA_DIR"] = str(data)
            os.environ["DATABASE_URL"] = f"sqlite:///{db}"
            os.environ["MODEL_DIR"] = str(data / "model")
            entry = {"pieces": time_pieces(db, repeats=20)}
            for design in ("rebuild", "cached"):
                entry[design] = time_pages(db, args.runs, design)
                print(f"{users} users, {design}: {entry[design]}", file=sys.stderr)
            out[f"users_{users}"] = entry
    print(json.dumps(out))


if __name__ == "__main__":
    main()
