"""``python -m tools.migrate`` (``make migrate``): upgrade the database of DATABASE_URL to
this version's schema by hand, or say where it stands (``status``). The app does the same
upgrade at start-up; this is for operators who upgrade before starting the new release."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from core.config import ConfigError, load_settings
from core.db import make_engine
from core.schema import SchemaError, current_revision, head_revision, upgrade_schema


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.migrate", description=__doc__)
    parser.add_argument(
        "action", nargs="?", choices=("upgrade", "status"), default="upgrade",
        help="upgrade (the default) or status: the database's revision and this code's",
    )  # fmt: skip
    parser.add_argument("--database-url", help="default: the app's DATABASE_URL")
    args = parser.parse_args(argv)
    try:
        url = args.database_url or load_settings().database_url
        engine = make_engine(url)
    except (ConfigError, SQLAlchemyError, ImportError) as exc:
        print(f"Cannot open the database: {exc}", file=sys.stderr)
        return 2
    where = engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "status":
            found = current_revision(engine)
            print(f"{where}: at {found or 'no revision (new, or made before migrations)'}; "
                  f"this code's newest is {head_revision()}")  # fmt: skip
            return 0
        change = upgrade_schema(engine)
    except SchemaError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"Cannot open the database {where}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if change.before is None:
        print(f"{where}: created at {change.after}")
    elif change.changed:
        print(f"{where}: upgraded from {change.before or 'before migrations'} to {change.after}")
    else:
        print(f"{where}: already at {change.after}; nothing to do")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
