"""Soak test: N processes x M threads mixing, for a fixed time, what the app's pages do.

Each thread logs in (good password, wrong password, unknown e-mail:
core.accounts.accounts.log_in, a server-side session and its check, as ui/accounts.py does),
registers, searches the catalogue (search_catalogue, count_matches) and shops (add_to_cart,
get_cart, remove_from_cart, checkout) on a fresh database seeded with several thousand
listings.
Refusals meant for the user (wrong password, locked e-mail, AccountError, CartError,
CheckoutError) count as "refused"; any other exception is an error, counted by kind (class
and message) and by operation. Prints a table per database, one JSON object last.

    python bench/soak.py [--processes 4] [--threads 8] [--seconds 20] [--items 10000]
                         [--database sqlite|postgres|both] [--pg-url URL]

PostgreSQL comes from --pg-url or TEST_DATABASE_URL (its tables are dropped first).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "soak-password-1"
HOT_ITEMS = 40  # 30 % of the shopping goes to these few items: buyers race for them
WORDS = ["", "", "dress", "jeans", "leather", "wool coat", "levi", "sezane", "blue", "sh"]
UNKNOWN_EMAILS = 5  # shared by every thread: soon locked, as under an attack
# operation -> weight; log-ins and registrations each cost an argon2id check (~20 ms)
MIX = {"login_good": 7, "login_bad": 4, "login_unknown": 4, "register": 3, "search": 42}
MIX["shop"] = 40


def setup(url: str, buyers: int, items: int) -> dict:
    """A fresh database: schema (and the demo data), 2 sellers (one locked out by failed
    log-ins), a buyer per thread, and ``items`` listings with a small photo."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from core.accounts.accounts import MAX_FAILED_LOGINS
    from core.accounts.passwords import hash_password
    from core.catalogue import categories
    from core.catalogue.photos import prepare_photo
    from core.catalogue.selling import photo_row
    from core.db import make_engine
    from core.models.accounts import LoginAttempt, User
    from core.models.base import utcnow
    from core.models.catalogue import Condition, Item
    from core.schema import drop_schema
    from demo.illustrations import garment_jpeg
    from demo.seed import create_demo_database

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        drop_schema(engine)
    create_demo_database(engine)
    now, rng = utcnow(), random.Random(1)
    base = dict(password_hash=hash_password(PASSWORD), address="1 rue du Test",
                postal_code="75001", city="Paris", created_at=now,
                password_changed_at=now)  # fmt: skip
    emails = [f"seller{n}@example.com" for n in range(2)]
    emails += [f"buyer{n}@example.com" for n in range(buyers)]
    rows = [{**base, "email": email, "display_name": email[:12]} for email in emails]
    with engine.begin() as conn:
        got = conn.execute(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
        sellers, buyer_ids = (ids := list(got.scalars()))[:2], ids[2:]
        # seller1 is under attack: locked from the start, so wrong guesses on it are cheap
        attempts = [dict(email=emails[1], attempted_at=now)] * MAX_FAILED_LOGINS
        conn.execute(insert(LoginAttempt), attempts)
    photo = prepare_photo(garment_jpeg("coat", "camel", size=160))  # made once, shared
    with Session(engine) as session:  # ORM objects: the model derives the search columns
        listings = []
        for n in range(items):
            cat = rng.choice(categories.CATEGORIES)
            title = f"{rng.choice(['Blue', 'Red', 'Leather', 'Wool'])} {cat.label_en.lower()} {n}"
            listings.append(Item(
                seller_id=rng.choice(sellers), title=title, description="Soak item.",
                category=cat.code, size=rng.choice(categories.sizes_for(cat.code)),
                brand=rng.choice(["Levi's", "Sézane", "Zara", "COS", "Barbour", "No brand"]),
                condition=rng.choice(list(Condition)).value, created_at=now, updated_at=now,
                price_cents=rng.randrange(5, 300) * 100,
            ))  # fmt: skip
        session.add_all(listings)
        session.flush()
        item_ids = [item.id for item in listings]
        session.add_all(photo_row(i, 0, photo) for i in item_ids)
        session.commit()
    engine.dispose()
    return dict(url=url, buyers=buyer_ids, items=item_ids, taken=emails[0], victim=emails[1])


class Stats:
    """Per operation: outcomes, refusal reasons, errors by kind (and where), latencies."""

    def __init__(self) -> None:
        self.ops: dict[str, dict] = {}

    def op(self, name: str) -> dict:
        empty = {"ok": 0, "refused": 0, "reasons": {}, "errors": {}, "lat": []}
        return self.ops.setdefault(name, empty)

    def call(self, name: str, fn, *args):
        """``fn(*args)``; a str (its reason) or an expected refusal is 'refused'; None if not ok."""
        from core.accounts.accounts import AccountError
        from core.trade.cart import CartError
        from core.trade.checkout import CheckoutError

        entry, start, result = self.op(name), time.perf_counter(), None
        try:
            result = fn(*args)
            if isinstance(result, str):  # a refusal that raises nothing (a log-in)
                _bump(entry["reasons"], result)
            entry["refused" if isinstance(result, str) else "ok"] += 1
        except (AccountError, CartError, CheckoutError) as exc:
            cause = f" [cause: {type(exc.__cause__).__name__}]" if exc.__cause__ else ""
            _bump(entry["reasons"], " ".join(str(exc).split())[:60] + cause)
            entry["refused"] += 1
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = [f.name for f in frames if f"{os.sep}core{os.sep}" in f.filename]
            kind = f"{type(exc).__name__}: {' '.join(str(exc).split())[:60]}"
            _bump(entry["errors"], f"{kind} @ {where[-1] if where else '?'}")
        entry["lat"].append(time.perf_counter() - start)
        return result

    def merge(self, other: dict) -> None:
        for name, theirs in other.items():
            mine = self.op(name)
            for field in ("ok", "refused", "lat"):
                mine[field] += theirs[field]
            for field in ("reasons", "errors"):
                for key, n in theirs[field].items():
                    _bump(mine[field], key, n)


def _bump(counts: dict, key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def in_session(engine, fn):
    """``fn`` run in a session of its own, as a page does (``with db_session() as s``)."""
    from sqlmodel import Session

    def run(*args):
        with Session(engine, expire_on_commit=False) as session:
            return fn(session, *args)

    return run


def log_in(engine, email: str, password: str) -> bool:
    """The log-in page as ui/accounts.py runs it: core.accounts.accounts.log_in (counted
    attempts, argon2id), then a server-side session, then the next run's check of that
    session."""
    from core.accounts import accounts, sessions

    user = in_session(engine, accounts.log_in)(email, password)  # raises LoginRefused
    token = in_session(engine, sessions.start_session)(user.id)
    return in_session(engine, sessions.session_user)(token) is not None


def browse(session, query, next_page: bool) -> None:
    """The shop page: a page of results, sometimes the next one too."""
    from core.catalogue.search import PageRequest, search_catalogue

    page = search_catalogue(session, query, PageRequest())
    if next_page and page.has_next:
        search_catalogue(session, query, PageRequest(after=page.last))


def thread_main(engine, plan: dict, tag: str, buyer: int, stop: float, stats: Stats) -> None:
    from core.accounts import accounts
    from core.catalogue.search import CatalogueQuery, Sort, count_matches
    from core.trade.cart import add_to_cart, get_cart, remove_from_cart
    from core.trade.checkout import Shipping, checkout

    rng, n, me = random.Random(tag), 0, f"buyer{buyer}@example.com"
    buyer_id, items, call = plan["buyers"][buyer], plan["items"], stats.call
    ship = Shipping("Soak Buyer", "1 rue du Test", "75001", "Paris")
    add, cart_of = in_session(engine, add_to_cart), in_session(engine, get_cart)
    remove, buy = in_session(engine, remove_from_cart), in_session(engine, checkout)
    while time.time() < stop:
        n += 1
        op = rng.choices(list(MIX), list(MIX.values()))[0]
        if op == "login_good":
            call(op, log_in, engine, me, PASSWORD)
        elif op == "login_bad":  # half on an account under attack: it stays locked
            victim = rng.choice([me, plan["victim"]])
            call(op, log_in, engine, victim, "wrong-password")
        elif op == "login_unknown":
            call(op, log_in, engine, f"nobody{rng.randrange(UNKNOWN_EMAILS)}@example.com", "x")
        elif op == "register":  # one in ten with an e-mail already taken
            email = plan["taken"] if rng.random() < 0.1 else f"new-{tag}-{n}@ex.com"
            call(op, in_session(engine, accounts.register_user), email, "New", PASSWORD, PASSWORD)
        elif op == "search":
            query = CatalogueQuery(
                rng.choice(WORDS), tuple(rng.sample(["dress", "coat", "pants"], rng.randrange(3))),
                sizes=("M",) if rng.random() < 0.2 else (),
                brands=("levis",) if rng.random() < 0.2 else (),
                min_price_cents=rng.choice([None, 1000]), max_price_cents=rng.choice([None, 15000]),
                sort=rng.choice(list(Sort)),
            )  # fmt: skip
            call("search", in_session(engine, browse), query, rng.random() < 0.3)
            call("count_matches", in_session(engine, count_matches), query)
        else:
            pool = items[-HOT_ITEMS:] if rng.random() < 0.3 else items
            call("add_to_cart", add, buyer_id, rng.choice(pool))
            cart = call("get_cart", cart_of, buyer_id)
            if cart is None:
                continue
            for entry in cart.entries:  # the cart page flags sold lines; the buyer drops them
                if not entry.available:
                    call("remove_from_cart", remove, buyer_id, entry.item.id)
            if cart.available and rng.random() < 0.15:
                call("remove_from_cart", remove, buyer_id, rng.choice(cart.item_ids))
            elif cart.available:
                call("checkout", buy, buyer_id, ship, cart.confirmation)


def worker(index: int, threads: int, seconds: float, plan: dict, go, queue) -> None:
    """One process: its own engine and ``threads`` threads; sends its stats back."""
    from core.db import make_engine

    engine = make_engine(plan["url"])
    queue.put(("ready", index))
    go.wait()
    stop, stats = time.time() + seconds, [Stats() for _ in range(threads)]
    pool = [
        threading.Thread(target=thread_main, args=(
            engine, plan, f"p{index}t{t}", index * threads + t, stop, stats[t]))
        for t in range(threads)
    ]  # fmt: skip
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    total = Stats()
    for s in stats:
        total.merge(s.ops)
    engine.dispose()
    queue.put(("done", total.ops))


def _ms(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * q))] * 1000, 1) if xs else 0.0


def soak(name: str, url: str, args) -> dict:
    started = time.perf_counter()
    plan = setup(url, args.processes * args.threads, args.items)
    setup_s = time.perf_counter() - started
    print(f"\n== {name}: {args.processes} processes x {args.threads} threads, {args.seconds:g} s,"
          f" {len(plan['items'])} listings added (setup {setup_s:.1f} s)")  # fmt: skip
    ctx = mp.get_context("spawn")
    queue, go = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=worker, args=(i, args.threads, args.seconds, plan, go, queue))
        for i in range(args.processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        queue.get(timeout=300)  # every process imported and connected: start together
    go.set()
    total = Stats()
    for _ in procs:
        total.merge(queue.get(timeout=args.seconds + 600)[1])
    for p in procs:
        p.join()
    row, columns = "{:<17}{:>7}{:>7}{:>8}{:>7}{:>9}{:>9}", ("n", "ok", "refused", "errors")
    print(row.format("operation", *columns, "p50 ms", "p99 ms"))
    ops, kinds, notes = {}, {}, []
    for op, e in sorted(total.ops.items()):
        errors = sum(e["errors"].values())
        ops[op] = dict(n=e["ok"] + e["refused"] + errors, ok=e["ok"], refused=e["refused"],
                       errors=errors, p50_ms=_ms(e["lat"], 0.5), p99_ms=_ms(e["lat"], 0.99),
                       refusals=e["reasons"], errors_by_kind=e["errors"])  # fmt: skip
        print(row.format(op, *(ops[op][c] for c in (*columns, "p50_ms", "p99_ms"))))
        for label, counts in (("refused", e["reasons"]), ("ERROR", e["errors"])):
            for key, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                notes.append(f"  {label:<8} {op:<16} {count:>6}  {key}")
                if label == "ERROR":
                    _bump(kinds, key.rsplit(" @ ", 1)[0], count)
    print("\n".join(sorted(notes, key=lambda line: "ERROR" in line)))
    errors, operations = sum(kinds.values()), sum(o["n"] for o in ops.values())
    print(f"{name}: {operations} operations, {errors} errors")
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {count:>6}  {kind}")
    return dict(processes=args.processes, threads=args.threads, seconds=args.seconds,
                items=len(plan["items"]), operations=operations, errors=errors,
                errors_by_kind=kinds, ops=ops)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--items", type=int, default=10_000, help="listings added to the seed")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    out, goals = {}, {}
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            out["sqlite"] = soak("sqlite", f"sqlite:///{tmp}/soak.db", args)
        goals["sqlite_zero_errors"] = out["sqlite"]["errors"] == 0
    if args.database in ("postgres", "both"):
        if args.pg_url:
            out["postgres"] = soak("postgres", args.pg_url, args)
            goals["postgres_zero_errors"] = out["postgres"]["errors"] == 0
        else:
            print("\npostgres: skipped (no --pg-url and no TEST_DATABASE_URL)")
    out["goals_met"] = goals
    print(json.dumps(out))


if __name__ == "__main__":
    main()
