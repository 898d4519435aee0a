"""``python -m tools.servers [-n 2] [--port 8501]`` (``make servers N=2``): several app
processes behind nginx, on one address, until Ctrl-C.

Each process is the app as ``make run`` starts it (``python -m ui.serve``) on its own port;
nginx (``deploy/nginx.conf.template``, rendered into ``--run-dir``) listens on ``--port`` and
sends each browser to one process for good (sticky sessions: see the template). Every process
reads the same settings, so they share one database (``DATABASE_URL``: PostgreSQL, see the
README's "Running several servers") and one ``server.cookieSecret`` (Streamlit signs its XSRF
cookie with it: a browser moved to another process keeps its uploads working).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
ROUTE_COOKIE = "st_route"
MIME_TYPES = (  # Debian, Homebrew (Intel, Apple silicon)
    "/etc/nginx/mime.types",
    "/usr/local/etc/nginx/mime.types",
    "/opt/homebrew/etc/nginx/mime.types",
)


class ServersError(RuntimeError):
    """Why the servers cannot start, in a sentence."""


@dataclass
class Cluster:
    url: str  # nginx's address: the one people use
    app_urls: list[str]  # each process's own address
    processes: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def app_pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def nginx_binary() -> str:
    """nginx's path, or ServersError saying how to install it."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise ServersError(
            "nginx is not installed: apt-get install nginx (Debian, Ubuntu) or brew install nginx"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_config(listen: int, app_ports: list[int], run_dir: Path) -> str:
    """deploy/nginx.conf.template with this run's ports and folders."""
    mime = next((m for m in MIME_TYPES if Path(m).exists()), None)
    upstream = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in app_ports
    )
    text = TEMPLATE.read_text(encoding="utf-8")
    if mime is None:  # a stray install: the app sets its own content types anyway
        text = text.replace("    include {mime_types};\n", "")
    return text.format(
        run_dir=run_dir,
        mime_types=mime,
        route_cookie=ROUTE_COOKIE,
        upstream_servers=upstream,
        listen=f"127.0.0.1:{listen}",
    )


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Return once the Streamlit server at ``url`` answers ``/_stcore/health``; ServersError
    (with the end of its ``log``) if ``proc`` ends or ``timeout`` passes first."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServersError(f"{url} did not start:\n{tail}")
        time.sleep(0.2)


def start_app(
    port: int, env: dict[str, str], log: Path, args: tuple[str, ...] = (), cwd: Path = ROOT
):
    """One app process (``python -m ui.serve``, the app in ``cwd``) on ``port``, its output
    in ``log``."""
    out = log.open("w")
    command = [sys.executable, "-m", "ui.serve", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               *args]  # fmt: skip
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running_servers(
    n: int,
    *,
    port: int | None = None,
    app_ports: list[int] | None = None,
    env: dict[str, str] | None = None,
    work_dir: Path | None = None,
    app_dir: Path = ROOT,
) -> Iterator[Cluster]:
    """``n`` app processes (the app in ``app_dir``: another checkout for a benchmark's
    before and after) and nginx in front of them; stopped on leaving."""
    binary = nginx_binary()
    env = dict(os.environ if env is None else env)
    # one XSRF secret for all: a tab moved to another process keeps its uploads working
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_urlsafe(32))
    run_dir = Path(work_dir or tempfile.mkdtemp(prefix="servers-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    app_ports = app_ports or [free_port() for _ in range(n)]
    cluster = Cluster(f"http://127.0.0.1:{port}", [f"http://127.0.0.1:{p}" for p in app_ports])
    try:
        for number, app_port in enumerate(app_ports):
            log = run_dir / f"app-{number}.log"
            cluster.processes.append(start_app(app_port, env, log, cwd=app_dir))
        for number, (url, proc) in enumerate(zip(cluster.app_urls, cluster.processes, strict=True)):
            wait_healthy(url, proc, run_dir / f"app-{number}.log")
        conf = run_dir / "nginx.conf"
        conf.write_text(render_config(port, app_ports, run_dir), encoding="utf-8")
        nginx_log = run_dir / "nginx.log"
        cluster.nginx = subprocess.Popen(
            [binary, "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log")],
            stdout=nginx_log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_healthy(cluster.url, cluster.nginx, run_dir / "error.log", timeout=20)
        yield cluster
    finally:
        stop(cluster.nginx)
        for proc in cluster.processes:
            stop(proc)


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501, help="nginx's port (the address)")
    parser.add_argument("--first-app-port", type=int, default=8601)
    parser.add_argument("--run-dir", type=Path, default=ROOT / "data" / "servers")
    args = parser.parse_args(argv)
    from core.config import load_settings

    if load_settings().is_sqlite:
        print(
            "servers: DATABASE_URL is the SQLite file: every process writes it in turn, on this "
            "machine only. Use PostgreSQL for several servers (README: Running several servers).",
            file=sys.stderr,
        )
    ports = [args.first_app_port + n for n in range(args.processes)]
    try:
        with running_servers(
            args.processes, port=args.port, app_ports=ports, work_dir=args.run_dir
        ) as cluster:
            print(f"servers: {cluster.url} -> {', '.join(cluster.app_urls)} (Ctrl-C stops)")
            signal.signal(signal.SIGTERM, _interrupt)  # stopped by a supervisor: clean up too
            while True:
                time.sleep(3600)
    except ServersError as exc:
        print(f"servers: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
