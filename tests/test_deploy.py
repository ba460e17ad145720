"""deploy/: nginx in front of two dashboard servers on one PostgreSQL database, for real.

The configuration test runs everywhere. The served one is slow: it skips, saying why, where
nginx (Debian's package, /usr/sbin/nginx), Chromium or Playwright is missing, and fails instead
when LEDGER_REQUIRE_E2E=1, as in CI.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from browsers import unavailable
from server import serve_dashboard
from sqlalchemy import Engine
from test_e2e import fill_add_form, heading, metric, sign_in_as

from shipments.db import REPO_ROOT, head_revision

NGINX = Path(os.environ.get("LEDGER_NGINX", shutil.which("nginx") or "/usr/sbin/nginx"))
NGINX_CONF = REPO_ROOT / "deploy" / "nginx_conf.py"
# Every server takes the same cookie secret, as deploy/run.sh gives them.
SHARED_SECRET = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}


def _configure(folder: Path, listen: str, ports: list[int]) -> Path:
    """Write a standalone nginx configuration with the script the README names."""
    made = subprocess.run(
        [sys.executable, str(NGINX_CONF), "--listen", listen, "--standalone", str(folder)]
        + [arg for port in ports for arg in ("--port", str(port))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return Path(made.stdout.strip())


def test_nginx_takes_its_body_limit_from_streamlits_upload_limit(tmp_path: Path):
    """One place per fact: the upload limit is .streamlit/config.toml's, nginx follows it."""
    import tomllib

    upload_mib = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())["server"][
        "maxUploadSize"
    ]
    config = _configure(tmp_path, "127.0.0.1:8080", [8501, 8502]).read_text()
    assert f"client_max_body_size {upload_mib + 1}m;" in config
    servers = re.findall(r"^\s*server (127\.0\.0\.1:\d+) ", config, flags=re.MULTILINE)
    assert servers == ["127.0.0.1:8501", "127.0.0.1:8502"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def run_nginx(config: Path) -> Iterator[str]:
    """Run nginx in the foreground with ``config`` until it answers; yield its address."""
    if not NGINX.exists():
        unavailable(f"nginx not found at {NGINX} (apt-get install -y nginx)")
    folder = config.parent
    listen = re.search(r"^\s*listen (\S+);", config.read_text(), flags=re.MULTILINE)
    assert listen is not None
    base = f"http://{listen.group(1)}"
    command = [str(NGINX), "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([*command, "-g", "daemon off;"], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            if nginx.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not start: {(folder / 'error.log').read_text()}")
            try:
                with socket.create_connection(listen.group(1).split(":"), timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}, refused.read()


def _upstreams(access_log: Path, path: str | None = None) -> list[list[str]]:
    """Return, for each request of ``path`` (or any) logged so far, the servers nginx tried.

    nginx logs a request when it ends: a WebSocket once it closes.
    """
    tried = []
    for line in access_log.read_text().splitlines():
        found = re.search(r'"GET (\S+) HTTP/[\d.]+" \d+ upstream=(.*?) upstream_status=', line)
        if found and path in (None, found.group(1)):
            tried.append(found.group(2).split(", "))
    return tried


def _upstreams_of_posts(access_log: Path, path: str) -> list[str]:
    """Return the server that answered each POST of ``path`` logged so far."""
    answered = []
    for line in access_log.read_text().splitlines():
        found = re.search(r'"POST (\S+) HTTP/[\d.]+" \d+ upstream=(.*?) upstream_status=', line)
        if found and found.group(1) == path:
            answered.append(found.group(2).split(", ")[-1])
    return answered


@contextmanager
def two_servers_behind_nginx(
    database_url: str, folder: Path
) -> Iterator[tuple[str, dict[str, ExitStack], Path]]:
    """Run two dashboard servers on one database behind nginx, as deploy/run.sh does.

    Yield nginx's address, each server's stack by its address (close one to stop that server),
    and nginx's access log.
    """
    with ExitStack() as everything:
        servers = {}
        for name in ("first", "second"):
            (folder / name).mkdir()
            stack = everything.enter_context(ExitStack())
            served = stack.enter_context(
                serve_dashboard(database_url, folder / name, env=SHARED_SECRET)
            )
            servers[served.base.removeprefix("http://")] = stack
        (folder / "nginx").mkdir()
        config = _configure(
            folder / "nginx",
            f"127.0.0.1:{_free_port()}",
            [int(address.rsplit(":", 1)[1]) for address in servers],
        )
        base = everything.enter_context(run_nginx(config))
        yield base, servers, folder / "nginx" / "access.log"


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_servers_behind_nginx_keep_the_dashboard_up_when_one_stops(
    browser: Any,
    seeded_engine: Engine,
    database_url: str,
    tmp_path: Path,
):
    seeded_engine.dispose()
    with two_servers_behind_nginx(database_url, tmp_path) as (base, servers, access_log):
        status, headers, body = _get(f"{base}/ready")
        assert (status, json.loads(body)) == (200, {"ready": True, "schema": head_revision()})
        assert headers["x-frame-options"] == "DENY"  # the servers' headers pass through

        context = browser.new_context()
        page = context.new_page()
        earlier = len(_upstreams(access_log))
        page.goto(base)
        # The figures come over the WebSocket: shown, they prove the upgrade went through nginx.
        page.get_by_text("Total delivered").wait_for(timeout=30_000)
        assert metric(page, "Total delivered") == "269.000 t"
        [[answered]] = _upstreams(access_log, "/")
        assert answered in servers
        # Sticky: the page, its scripts and the rest all went to the one server.
        assert {tuple(tried) for tried in _upstreams(access_log)[earlier:]} == {(answered,)}
        [route] = [c for c in context.cookies() if c["name"] == "ledger_route"]

        servers.pop(answered).close()  # stop the server that answered
        [other] = servers

        page.reload()
        page.get_by_text("Total delivered").wait_for(timeout=30_000)
        assert metric(page, "Total delivered") == "269.000 t"
        # Same sticky cookie, still hashed to the stopped server: nginx moved on to the other,
        # at once or after trying the stopped one (if the page's reconnecting had not already
        # shown nginx it was down).
        assert [c for c in context.cookies() if c["name"] == "ledger_route"] == [route]
        assert _upstreams(access_log, "/")[-1] in ([other], [answered, other])
        # The first page's WebSocket (logged once the stop closed it) was on the same server.
        assert _upstreams(access_log, "/_stcore/stream")[0] == [answered]
        context.close()

        status, _, body = _get(f"{base}/ready")
        assert (status, json.loads(body)["ready"]) == (200, True)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_editor_keeps_working_through_nginx_when_their_server_stops(
    browser: Any,
    seeded_engine: Engine,
    database_url: str,
    tmp_path: Path,
):
    """The session lives in the database, not in the server that signed the editor in."""
    seeded_engine.dispose()
    with two_servers_behind_nginx(database_url, tmp_path) as (base, servers, access_log):
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        page = context.new_page()
        sign_in_as(page, base)
        [signed_in_by] = _upstreams_of_posts(access_log, "/auth/sign-in")
        [answered] = {tuple(tried) for tried in _upstreams(access_log, "/edit")}
        assert [signed_in_by] == list(answered)  # sticky: one server did both

        servers.pop(signed_in_by).close()  # stop the server that answered
        [other] = servers

        page.reload()
        heading(page, "Edit the ledger")  # still signed in, without signing in again
        page.get_by_role("button", name="Sign out (ana)").wait_for(timeout=30_000)
        assert _upstreams(access_log, "/edit")[-1] in ([other], [signed_in_by, other])
        fill_add_form(
            page,
            cargo="rice",
            tonnes="7.5",
            url="https://example.org/rice-through-nginx",
            title="Rice through nginx",
        )
        page.get_by_role("button", name="Add shipment").click()
        page.get_by_text("Added shipment 5").wait_for(timeout=30_000)

        found = page.context.request.get(f"{base}/data/shipments.csv?cargo=rice")
        assert found.status == 200
        rows = list(csv.DictReader(io.StringIO(found.text())))
        assert [(r["id"], r["tonnes"], r["recorded_by"]) for r in rows] == [("5", "7.500", "ana")]
        context.close()
