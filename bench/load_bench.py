"""Many viewers at once (issue 17): new sessions per second over Streamlit's own protocol.

Each simulated viewer does what a browser does to open the dashboard: it fetches ``/`` (and so
gets nginx's route cookie, when nginx is in front), opens ``/_stcore/stream``, asks for the
first page run (a ``BackMsg`` ``rerun_script`` holding the browser's ``ClientState``), reads
Streamlit's ``ForwardMsg`` messages until ``script_finished``, and closes. A crowd of N viewers
starts at once; sessions/s is N over the time until the last of them has its page.

Pages, each served by its own ``streamlit run`` from the repository's folder (so with the same
``.streamlit/config.toml``), all started before the first turn and warmed by one viewer each:

- ``one line``: a one-line Streamlit page;
- ``small``: four metrics and two small plotly charts, no database (the issue's baseline);
- ``same``: the Overview's own four metrics and charts, read once from a file the bench writes
  from the Overview itself (``AppTest``), drawn with plain ``st.metric`` and ``st.plotly_chart``
  of cached figures: what the Overview shows, with no database and nothing computed;
- ``overview``: this dashboard's Overview.

Turns are interleaved (in each turn, each crowd size, each page) and medians reported, with the
server's CPU seconds per session (from /proc). ``--processes 1 2 4`` then measures the Overview
behind nginx (``deploy/nginx_conf.py``) with that many servers on the same database.

    .venv/bin/python bench/load_bench.py [--database-url URL] [--crowds 10 25] [--turns 3]
        [--processes 1 2 4]

Without ``--database-url`` it makes a seeded SQLite ledger in a temporary folder. Traffic goes to
127.0.0.1 only, every crowd is bounded in size and each viewer in time (60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
VIEWER_TIMEOUT_S = 60.0

ONE_LINE = 'import streamlit as st\n\nst.write("Aid shipment ledger")\n'
SMALL = """import plotly.graph_objects as go
import streamlit as st

st.title("Aid shipment ledger")
total, count, latest, claims = st.columns(4)
total.metric("Total delivered", "269.000 t")
count.metric("Deliveries", "4")
latest.metric("Latest delivery", "2019-05-27")
claims.metric("Claims consistent / inconsistent", "5 / 2")
days = ["2019-03-29", "2019-04-13", "2019-05-16", "2019-05-27"]
st.plotly_chart(go.Figure(go.Scatter(x=days, y=[65, 136, 200, 269], line_shape="hv")))
st.plotly_chart(go.Figure(go.Bar(x=days, y=[65, 71, 64, 69])))
"""
# The Overview's output, drawn as plainly as Streamlit allows: figures built once and cached.
SAME = """import json
import sys

import plotly.graph_objects as go
import streamlit as st

SHOWN = json.loads(open(sys.argv[1], encoding="utf-8").read())


@st.cache_resource
def figures():
    return [go.Figure(json.loads(chart["spec"])) for chart in SHOWN["charts"]]


st.title(SHOWN["title"])
for column, (label, value) in zip(st.columns(len(SHOWN["metrics"])), SHOWN["metrics"]):
    column.metric(label, value)
for number, (chart, figure) in enumerate(zip(SHOWN["charts"], figures())):
    st.subheader(chart["title"])
    st.plotly_chart(
        figure, width="stretch", key=f"chart_{number}", on_select="rerun",
        selection_mode="points", config=json.loads(chart["config"]),
    )
"""
# The same, with a sidebar of the Overview's filter widgets: what those widgets cost by themselves.
FILTERS = """
with st.sidebar:
    st.header("Filters")
    for label in ("From", "To"):
        st.date_input(label, value=None, key=label, format="YYYY-MM-DD")
    for label in ("Donor", "Recipient", "Cargo"):
        st.multiselect(label, SHOWN.get("options", {}).get(label, []), key=label)
    st.text_input("At least N independent sources", key="sources")
    st.text_input("As of (UTC)", key="as_of")
"""
# Run in a fresh process: the Overview's title, metrics and charts as the page drew them.
SHOWN = """
import json, sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file("dashboard.py", default_timeout=600).run()
assert not app.exception, app.exception
charts = [e.proto for e in app.get("plotly_chart")]
titles = [h.value for h in app.subheader]
print(json.dumps({
    "title": app.title[0].value,
    "metrics": [[m.label, m.value] for m in app.metric],
    "options": {m.label: list(m.options) for m in app.multiselect},
    "charts": [{"spec": c.spec, "config": c.config, "title": t} for c, t in zip(charts, titles)],
}))
"""


@dataclass
class Server:
    """A page's server: its process(es) and the address viewers open."""

    name: str
    base: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cpu_s(self) -> float:
        """Return the CPU seconds its server processes have used (user + system)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick

    def rss_mb(self) -> float:
        """Return the resident memory of its processes, in MB."""
        kb = 0
        for process in self.processes:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
        return kb / 1024

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}{path}", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{base} did not become ready (exit code {process.poll()})")


def start_streamlit(script: Path, env: dict[str, str], *args: str) -> tuple[Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", str(script)),
            *("--server.port", str(port), "--server.address", "127.0.0.1"),
            *("--server.headless", "true", "--browser.gatherUsageStats", "false"),
            *(("--", *args) if args else ()),
        ],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, "/_stcore/health", process)
    return process, base


Popen = subprocess.Popen[bytes]


async def one_viewer(base: str) -> tuple[float, dict[str, int]]:
    """Open the page as a browser does; return the seconds to ``script_finished`` and what came."""
    start = time.perf_counter()
    cookie = await asyncio.to_thread(_get_page, base)
    seen: dict[str, int] = {}
    host = base.removeprefix("http://")
    headers = {"Cookie": cookie} if cookie else {}
    async with connect(
        f"ws://{host}/_stcore/stream",
        subprotocols=["streamlit"],  # type: ignore[list-item]
        origin=base,  # type: ignore[arg-type]
        additional_headers=headers,
        max_size=None,
        open_timeout=VIEWER_TIMEOUT_S,
    ) as socket_:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = ""
        state.page_script_hash = ""
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"{base}/"
        await socket_.send(back.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await socket_.recv())
            kind = message.WhichOneof("type") or "?"
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                kind = "element:" + (message.delta.new_element.WhichOneof("type") or "?")
            seen[kind] = seen.get(kind, 0) + 1
            if kind == "script_finished":
                if message.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"the page run ended with {message.script_finished}")
                break
    if seen.get("element:exception"):
        raise RuntimeError("the page showed an exception")
    return time.perf_counter() - start, seen


def _get_page(base: str) -> str:
    with urllib.request.urlopen(f"{base}/", timeout=VIEWER_TIMEOUT_S) as answer:
        answer.read()
        cookies = answer.headers.get_all("Set-Cookie") or []
    return "; ".join(c.split(";", 1)[0] for c in cookies)


async def crowd(base: str, size: int) -> tuple[float, list[float]]:
    """Start ``size`` viewers at once; return the time until the last is done, and each one's."""
    start = time.perf_counter()
    runs = [asyncio.wait_for(one_viewer(base), VIEWER_TIMEOUT_S) for _ in range(size)]
    done = await asyncio.gather(*runs)
    return time.perf_counter() - start, [seconds for seconds, _ in done]


def measure(servers: list[Server], crowds: list[int], turns: int) -> dict[tuple[str, int], Any]:
    """Interleave crowds over the servers ``turns`` times; return medians per (page, size)."""
    walls: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    slowest: dict[tuple[str, int], list[float]] = {}
    for turn in range(turns):
        for size in crowds:
            for server in servers:
                cpu = server.cpu_s()
                wall, each = asyncio.run(crowd(server.base, size))
                cpus.setdefault((server.name, size), []).append((server.cpu_s() - cpu) / size)
                walls.setdefault((server.name, size), []).append(wall)
                slowest.setdefault((server.name, size), []).append(max(each))
                print(f"turn {turn + 1} {server.name:>10} x{size}: {wall:.2f} s", file=sys.stderr)
                time.sleep(1.0)  # let the server close the sessions before the next crowd
    return {
        key: {
            "sessions_per_s": key[1] / statistics.median(wall),
            "all_done_s": statistics.median(wall),
            "slowest_viewer_s": statistics.median(slowest[key]),
            "cpu_ms_per_session": 1000 * statistics.median(cpus[key]),
        }
        for key, wall in walls.items()
    }


def start_pages(url: str, folder: Path) -> list[Server]:
    env = {**ENV, "LEDGER_DATABASE_URL": url, "HOME": str(folder)}
    shown = subprocess.run(
        [sys.executable, "-c", SHOWN], cwd=REPO, env=env, check=True, capture_output=True
    ).stdout
    (folder / "shown.json").write_bytes(shown)
    servers = []
    for name, code, args in (
        ("one line", ONE_LINE, ()),
        ("small", SMALL, ()),
        ("same", SAME, (str(folder / "shown.json"),)),
        ("same+filters", SAME + FILTERS, (str(folder / "shown.json"),)),
    ):
        script = folder / (name.replace(" ", "_") + ".py")
        script.write_text(code, encoding="utf-8")
        process, base = start_streamlit(script, env, *args)
        servers.append(Server(name, base, [process]))
    process, base = start_streamlit(REPO / "dashboard.py", env)
    servers.append(Server("overview", base, [process]))
    return servers


def start_behind_nginx(url: str, folder: Path, count: int) -> Server:
    """Start ``count`` dashboard servers on ``url`` and nginx in front (deploy/nginx_conf.py)."""
    env = {**ENV, "LEDGER_DATABASE_URL": url, "HOME": str(folder)}
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = "load-bench-shared-secret"
    processes, ports = [], []
    for _ in range(count):
        process, base = start_streamlit(REPO / "dashboard.py", env)
        processes.append(process)
        ports.append(base.rsplit(":", 1)[1])
    listen = free_port()
    conf_dir = folder / f"nginx-{count}"
    conf_dir.mkdir()
    config = subprocess.run(
        [
            *(sys.executable, str(REPO / "deploy" / "nginx_conf.py"), "--listen", str(listen)),
            *(arg for port in ports for arg in ("--port", port)),
            *("--standalone", str(conf_dir)),
        ],
        cwd=REPO,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    nginx = subprocess.Popen(
        [
            *("nginx", "-p", str(conf_dir), "-c", config),
            *("-e", str(conf_dir / "error.log"), "-g", "daemon off;"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{listen}"
    wait_ready(base, "/ready", nginx)
    server = Server(f"{count} proc", base, processes)
    server.processes.append(nginx)
    return server


def soak(url: str, folder: Path, crowds: int, size: int) -> list[float]:
    """Serve ``crowds`` crowds of ``size`` viewers from one Overview server; return its RSS (MB)
    after each: whether memory settles without a full collection after every page run."""
    env = {**ENV, "LEDGER_DATABASE_URL": url, "HOME": str(folder)}
    process, base = start_streamlit(REPO / "dashboard.py", env)
    server = Server("overview", base, [process])
    try:
        rss = []
        for _ in range(crowds):
            asyncio.run(crowd(base, size))
            time.sleep(1.0)
            rss.append(server.rss_mb())
        return rss
    finally:
        server.stop()


def table(results: dict[tuple[str, int], Any], crowds: list[int], names: list[str]) -> str:
    lines = [
        "| page | " + " | ".join(f"{n} viewers at once" for n in crowds) + " |",
        "| --- |" + " --- |" * len(crowds),
    ]
    for name in names:
        cells = []
        for size in crowds:
            r = results[(name, size)]
            cells.append(
                f"{r['sessions_per_s']:.1f} sessions/s (all done in {r['all_done_s']:.1f} s;"
                f" {r['cpu_ms_per_session']:.0f} ms CPU each)"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a ledger to serve (default: a fresh seed)")
    parser.add_argument("--crowds", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--processes", type=int, nargs="*", default=[])
    parser.add_argument("--skip-pages", action="store_true", help="only the --processes part")
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        metavar="CROWDS",
        help="then CROWDS crowds of the largest size, printing RSS after each",
    )
    args = parser.parse_args()
    if max(args.crowds) > 200:
        raise SystemExit("a crowd is at most 200 viewers: this is a bounded load test")
    folder = Path(tempfile.mkdtemp(prefix="load-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'seed.db'}"
    if not args.database_url:
        subprocess.run(
            [sys.executable, "-m", "shipments", "--database-url", url, "init"],
            cwd=REPO,
            env=ENV,
            check=True,
            capture_output=True,
        )
    print(f"ledger: {url.split('@')[-1]}; machine: {os.cpu_count()} cores", file=sys.stderr)
    try:
        if not args.skip_pages:
            servers = start_pages(url, folder)
            try:
                for server in servers:  # warm each: imports, caches, the first query
                    asyncio.run(crowd(server.base, 1))
                results = measure(servers, args.crowds, args.turns)
                print(table(results, args.crowds, [s.name for s in servers]))
                for size in args.crowds:
                    overview = results[("overview", size)]["sessions_per_s"]
                    for base_name in ("same", "same+filters", "small", "one line"):
                        ratio = overview / results[(base_name, size)]["sessions_per_s"]
                        print(f"- {size} at once: overview / {base_name} = {ratio:.2f}x")
                print(
                    "- server RSS after the turns (MB): "
                    + ", ".join(f"{s.name} {s.rss_mb():.0f}" for s in servers)
                )
            finally:
                for server in servers:
                    server.stop()
        if args.soak:
            rss = soak(url, folder, args.soak, max(args.crowds))
            sessions = args.soak * max(args.crowds)
            print(
                f"- soak, {sessions} sessions: RSS (MB) after each crowd: "
                + ", ".join(f"{r:.0f}" for r in rss)
            )
        scaled = {}
        for count in args.processes:
            server = start_behind_nginx(url, folder, count)
            try:
                for _ in range(count * 2):
                    asyncio.run(crowd(server.base, 1))
                scaled.update(measure([server], args.crowds, args.turns))
            finally:
                server.stop()
        if scaled:
            print()
            print(table(scaled, args.crowds, [f"{n} proc" for n in args.processes]))
            one = f"{args.processes[0]} proc"
            for count in args.processes[1:]:
                for size in args.crowds:
                    ratio = (
                        scaled[(f"{count} proc", size)]["sessions_per_s"]
                        / scaled[(one, size)]["sessions_per_s"]
                    )
                    print(f"- {size} at once: {count} processes / {one} = {ratio:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
