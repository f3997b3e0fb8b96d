#!/usr/bin/env bash
# Installs what is missing, builds, and runs the proxy's main job on a local development
# setup: a MariaDB engine of its own (Unix socket only, data under the state folder), a
# development certificate for localhost, and studio-proxy serving wss:// in front of it.
# Ctrl-C stops the proxy and the engine.
#
#   scripts/try-it.sh [--port N]      (default port 8443)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PORT=8443
while [ $# -gt 0 ]; do
    case "$1" in
    --port) PORT=$2; shift 2 ;;
    *) echo "usage: $0 [--port N]" >&2; exit 2 ;;
    esac
done

STATE=${XDG_STATE_HOME:-$HOME/.local/state}/studio-proxy/dev
ENGINE_DIR=$STATE/engine
SOCKET=$ENGINE_DIR/memsql.sock
CERTS=$STATE/certs

install_packages "${PACKAGES[@]}"
install_node_packages
build

mkdir -p "$ENGINE_DIR" "$CERTS" "$STATE/tracelogs"
# One run at a time: two would share the engine's data folder and the config file.
exec 9>"$STATE/try-it.lock"
flock -n 9 || { echo "another try-it.sh is running with $STATE; stop it first" >&2; exit 1; }
AS_ROOT=()
[ "$(id -u)" -eq 0 ] && AS_ROOT=(--user=root) # mariadbd refuses to run as root otherwise

if [ ! -d "$ENGINE_DIR/data/mysql" ]; then
    say "Creating a development engine in $ENGINE_DIR/data"
    mariadb-install-db --no-defaults --datadir="$ENGINE_DIR/data" \
        --auth-root-authentication-method=normal --skip-test-db "${AS_ROOT[@]}" >/dev/null
fi

if [ ! -f "$CERTS/server.pem" ]; then
    say "Making a development CA and a certificate for localhost in $CERTS"
    (
        cd "$CERTS"
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
            -keyout ca.key -out ca.pem -subj "/CN=Studio Proxy Development CA" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
            "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
            "extendedKeyUsage=serverAuth" >leaf.ext
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
            -out server.csr -subj "/CN=localhost" 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 397 \
            -extfile leaf.ext -out server.pem 2>/dev/null
        chmod 644 ca.pem server.pem
    )
fi

cat >"$STATE/memsql.cnf" <<CNF
# Written by scripts/try-it.sh for the development engine in this folder.
https_proxy_port = $PORT
ssl_cert = certs/server.pem
ssl_key = certs/server.key
socket = engine/memsql.sock
tracelogsdir = tracelogs
CNF

say "Starting the development engine (socket $SOCKET)"
mariadbd --no-defaults --datadir="$ENGINE_DIR/data" --socket="$SOCKET" --skip-networking \
    --pid-file="$ENGINE_DIR/mariadbd.pid" --log-error="$ENGINE_DIR/mariadbd.err" \
    --max-allowed-packet=64M "${AS_ROOT[@]}" 2>>"$ENGINE_DIR/mariadbd.err" &
ENGINE_PID=$!
PROXY_PID=
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    kill "$ENGINE_PID" 2>/dev/null && wait "$ENGINE_PID" 2>/dev/null
    true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || { echo "the engine did not start; see $ENGINE_DIR/mariadbd.err" >&2; exit 1; }

say "Starting studio-proxy"
"$BUILD_DIR/app/studio-proxy" --headless --config "$STATE/memsql.cnf" &
PROXY_PID=$!
sleep 0.5
kill -0 "$PROXY_PID" 2>/dev/null || { wait "$PROXY_PID"; exit 1; }

cat <<TRY

  The proxy serves wss://localhost:$PORT/ in front of the engine at $SOCKET.
  Try it from another terminal (engine user root, no password):

    node $REPO_ROOT/scripts/query.mjs --ca $CERTS/ca.pem wss://localhost:$PORT/ 'SELECT VERSION()'

  Change it at runtime, as with the engine's own proxy:

    $BUILD_DIR/app/studio-proxy ctl --config $STATE/memsql.cnf status

  Log: $STATE/tracelogs/websocket_proxy.log
  For a browser, trust $CERTS/ca.pem (see README.md). Ctrl-C stops the proxy and the engine.

TRY
wait "$PROXY_PID"
