"""The dashboard, run headless with Streamlit's AppTest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from shipments.db import REPO_ROOT, make_engine, migrate, session_scope
from shipments.ledger import retract_shipment
from shipments.seed import prepare_database

DASHBOARD = str(REPO_ROOT / "dashboard.py")


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run_dashboard(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    return app.run()


def test_first_start_creates_seeds_and_shows_the_total(database_url: str, monkeypatch):
    app = run_dashboard(monkeypatch, database_url)
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {
        "Total delivered": "269.000 t",
        "Shipments": "4",
        "Latest event": "2019-05-27",
    }
    assert list(app.dataframe[0].value["tonnes"]) == ["65.000", "71.000", "64.000", "69.000"]


def test_empty_ledger_says_so(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        for shipment_id in (1, 2, 3, 4):
            retract_shipment(session=session, shipment_id=shipment_id, reason="test", by="ana")
    engine.dispose()
    app = run_dashboard(monkeypatch, database_url)
    assert not app.exception
    assert [i.value for i in app.info] == ["The ledger holds no shipments yet."]
    assert len(app.metric) == 0


def test_unreachable_database_shows_a_message_not_a_traceback(monkeypatch):
    app = run_dashboard(
        monkeypatch, "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    assert not app.exception
    assert "The ledger database cannot be opened" in app.error[0].value


def test_migrated_but_unseeded_database_is_seeded_on_start(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    app = run_dashboard(monkeypatch, database_url)
    assert {m.label: m.value for m in app.metric}["Total delivered"] == "269.000 t"


def test_streamlit_run_starts_without_a_prompt(tmp_path):
    """`streamlit run dashboard.py` serves a healthy app with no terminal to answer prompts."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            DASHBOARD,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        healthy = False
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as r:
                    healthy = r.read() == b"ok"
                    break
            except OSError:
                time.sleep(0.25)
        assert healthy, f"no healthy server; exit code {server.poll()}"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Email" not in output
