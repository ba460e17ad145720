#!/usr/bin/env bash
# Start N dashboard servers on one database and nginx in front of them, in the foreground;
# Ctrl-C (or nginx stopping) stops them all. A server that stops is said so and left stopped:
# nginx sends its browsers to the others (the README's "Running more than one server"); a
# supervisor such as deploy/ledger-dashboard@.service restarts it in production.
#
#   LEDGER_DATABASE_URL=postgresql+psycopg://... LEDGER_COOKIE_SECRET=... deploy/run.sh [N] [LISTEN]
#
# N servers (default 2) on 127.0.0.1:8501..850N, nginx on LISTEN (default 8080). Their logs,
# nginx's configuration, pid file and logs go to LEDGER_DEPLOY_DIR (default: a new temporary
# folder, printed at start).
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-2}"
listen="${2:-8080}"
: "${LEDGER_DATABASE_URL:?set LEDGER_DATABASE_URL, the one database every server uses}"
: "${LEDGER_COOKIE_SECRET:?set LEDGER_COOKIE_SECRET, the same secret for every server}"
folder="${LEDGER_DEPLOY_DIR:-$(mktemp -d -t ledger-deploy.XXXXXX)}"
mkdir -p "$folder"
echo "logs and nginx configuration in $folder"

# Migrate and seed once, before the servers start (each would otherwise, one after another).
.venv/bin/python -m shipments init

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
ports=()
for n in $(seq 1 "$count"); do
  port=$((8500 + n))
  # Streamlit takes the cookie secret from its environment, never from a command-line flag
  # (which every user of the machine could read in the process list).
  STREAMLIT_SERVER_COOKIE_SECRET="$LEDGER_COOKIE_SECRET" .venv/bin/streamlit run dashboard.py \
    --server.port "$port" --server.address 127.0.0.1 >"$folder/server-$port.log" 2>&1 &
  pids+=("$!")
  ports+=(--port "$port")
done
for n in $(seq 1 "$count"); do
  port=$((8500 + n))
  until curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
    kill -0 "${pids[$((n - 1))]}" || { echo "server $port stopped: see $folder/server-$port.log"; exit 1; }
    sleep 1
  done
  echo "server on 127.0.0.1:$port is ready"
done

config="$(.venv/bin/python deploy/nginx_conf.py --listen "$listen" "${ports[@]}" --standalone "$folder")"
nginx -p "$folder" -c "$config" -e "$folder/error.log" -g 'daemon off;' &
pids+=("$!")
nginx_pid="$!"
echo "the dashboard is on http://localhost:${listen##*:}/ (Ctrl-C stops everything)"
# Wait for nginx alone; say when a server stops, while the others go on serving.
said=()
while kill -0 "$nginx_pid" 2>/dev/null; do
  for n in $(seq 1 "$count"); do
    if [ -z "${said[$n]:-}" ] && ! kill -0 "${pids[$((n - 1))]}" 2>/dev/null; then
      echo "server $((8500 + n)) stopped (see $folder/server-$((8500 + n)).log); the others serve on"
      said[n]=1
    fi
  done
  sleep 2
done
