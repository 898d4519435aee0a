"""Start the app as people start it (`make run`: `python -m ui.serve`, which is `streamlit run
Home.py` with a head start) on a free local port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tools.servers import free_port, wait_healthy


@contextmanager
def running_app(env: dict[str, str], log_path: Path, timeout: float = 90) -> Iterator[str]:
    """Yield the base URL once `/_stcore/health` answers ok; stop the server after."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.serve", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, proc, log_path, timeout)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
