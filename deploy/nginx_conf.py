"""Write the nginx configuration for several dashboard servers (deploy/ledger.conf.template).

    python deploy/nginx_conf.py --listen 8080 --port 8501 --port 8502 > ledger.conf
    python deploy/nginx_conf.py --listen 8080 --port 8501 --port 8502 --standalone DIR

The first prints the blocks for nginx's http block (Debian: /etc/nginx/conf.d/ledger.conf).
The second writes DIR/nginx.conf, a whole configuration with its pid file, logs and temporary
files in DIR, to run as the current user: ``nginx -p DIR -c DIR/nginx.conf -e DIR/error.log``.
client_max_body_size follows ``server.maxUploadSize`` in .streamlit/config.toml.
"""

from __future__ import annotations

import argparse
import os
import pwd
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "ledger.conf.template"
STREAMLIT_CONFIG = HERE.parent / ".streamlit" / "config.toml"
STREAMLIT_DEFAULT_UPLOAD_MIB = 200
# Streamlit accepts an upload body this much larger than maxUploadSize (the form's envelope).
UPLOAD_ENVELOPE_MIB = 1
# The dashboard servers' health: a server is left out after this many failures in FAIL_TIMEOUT.
MAX_FAILS = 1
FAIL_TIMEOUT = "10s"

STANDALONE = """\
# Written by deploy/nginx_conf.py --standalone: nginx run by the current user, files in {dir}.
{user}pid {dir}/nginx.pid;
error_log {dir}/error.log;
worker_processes 1;

events {{
    worker_connections 1024;
}}

http {{
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

{blocks}
}}
"""


def max_upload_mib(config: Path = STREAMLIT_CONFIG) -> int:
    """Return Streamlit's server.maxUploadSize (MiB) as the dashboard's config sets it."""
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    return int(settings.get("server", {}).get("maxUploadSize", STREAMLIT_DEFAULT_UPLOAD_MIB))


def render(*, listen: str, ports: list[int], access_log: str) -> str:
    """Return the template's blocks for dashboard servers on 127.0.0.1 at ``ports``."""
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT};"
        for port in ports
    )
    marks = {
        "@@UPSTREAM_SERVERS@@": servers,
        "@@LISTEN@@": listen,
        "@@MAX_BODY@@": f"{max_upload_mib() + UPLOAD_ENVELOPE_MIB}m",
        "@@ACCESS_LOG@@": access_log,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for mark, value in marks.items():
        text = text.replace(mark, value)
    return text


def standalone(*, folder: Path, listen: str, ports: list[int]) -> Path:
    """Write folder/nginx.conf, a whole configuration for the current user; return its path."""
    folder = folder.resolve()
    blocks = render(listen=listen, ports=ports, access_log=str(folder / "access.log"))
    # Started by root, nginx would run its workers as nobody, who cannot write in a private
    # folder; as any other user, nginx ignores the user directive (and warns), so leave it out.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    indented = "\n".join(f"    {line}" if line else "" for line in blocks.splitlines())
    path = folder / "nginx.conf"
    path.write_text(STANDALONE.format(dir=folder, user=user, blocks=indented), encoding="utf-8")
    return path


def main() -> None:
    """Print the blocks, or write a standalone configuration."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="8080", help="nginx's address: PORT or HOST:PORT")
    parser.add_argument(
        "--port", type=int, action="append", required=True, help="a dashboard server's port"
    )
    parser.add_argument("--standalone", type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.standalone:
        print(standalone(folder=args.standalone, listen=args.listen, ports=args.port))
    else:
        print(render(listen=args.listen, ports=args.port, access_log="/var/log/nginx/ledger.log"))


if __name__ == "__main__":
    main()
