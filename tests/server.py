"""Run the dashboard as `streamlit run` would, for tests that talk to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Served:
    """A running dashboard: its address, and what it printed (filled in once it stops)."""

    base: str
    output: str = ""


@contextmanager
def serve_dashboard(
    database_url: str,
    home: Path,
    *,
    secrets_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """Run `streamlit run dashboard.py` on a free port until healthy; yield its address.

    ``secrets_file`` is the only secrets.toml the server reads (none there: no secrets at all);
    without it, Streamlit looks where it always does (``home``/.streamlit and the repository's).
    ``env`` adds to (or overrides) the server's environment.
    """
    from shipments.db import REPO_ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url, "HOME": str(home), **(env or {})}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            *(["--secrets.files", str(secrets_file)] if secrets_file is not None else []),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no healthy dashboard (exit code {server.poll()})")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.25)
        served = Served(base)
        yield served
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        if "served" in locals():
            served.output = output
