#!/usr/bin/env bash
# Opens the desktop app under Xvfb on a sample config file (wss:// with a certificate for
# localhost from `cert generate`) and a sample Studio state file (one cluster that agrees
# with the proxy, one that does not), once per page, and keeps a screenshot of the window on
# each page as OUT/app-<page>.png.
# Fails when the window does not appear, the app dies, or a screenshot is blank.
#
#   screenshots.sh STUDIO_PROXY_BINARY OUT_FOLDER
set -euo pipefail

binary=$1
out=$2
pages=(proxy configuration clusters certificates log)

if [ -z "${DISPLAY:-}" ] || [ "${SCREENSHOTS_UNDER_XVFB:-}" != 1 ]; then
    # A server of our own, whatever display the caller has.
    exec env SCREENSHOTS_UNDER_XVFB=1 xvfb-run -a -s "-screen 0 1280x860x24" "$0" "$@"
fi

work=$(mktemp -d)
app_pid=
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Settings, recent files and the control-socket folder of this run only.
export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" "$out"
chmod 700 "$XDG_RUNTIME_DIR"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
# What an admin of a development cluster would serve: the app's own CA and certificate.
"$binary" cert generate --host localhost --host 127.0.0.1 --out "$work/certs" >/dev/null
cat >"$work/memsql.cnf" <<CNF
# The engine's config, as an admin keeps it
[server]
port = 3306
socket = $work/engine.sock
tracelogsdir = $work/tracelogs
https_proxy_port = $port
ssl_cert = certs/server.pem
ssl_key = certs/server.key
ssl_ca = certs/ca.crt
proxy_allowed_origins = https://studio.example.com
CNF
cat >"$work/studio.hcl" <<HCL
version = 1

# Through the proxy, as it serves
cluster "a1b2c3d4e5f6a7b8c9d0" {
  name        = "Local development"
  description = "The engine on this machine"
  hostname    = "localhost"
  port        = $port
  profile     = "DEVELOPMENT"
  websocket   = true
  websocketSSL = true
}

cluster "0f9e8d7c6b5a49382716" {
  name        = "Analytics"
  description = "Still on plain WebSocket"
  hostname    = "127.0.0.1"
  port        = 9000
  profile     = "STAGING"
  websocket   = true
  websocketSSL = false
}
HCL

for page in "${pages[@]}"; do
    "$binary" --config "$work/memsql.cnf" --studio-state "$work/studio.hcl" --page "$page" \
        --no-headless-check >"$work/app-$page.log" 2>&1 &
    app_pid=$!
    for _ in $(seq 1 150); do
        if xwininfo -root -tree 2>/dev/null | grep -q '"Studio Proxy'; then
            break
        fi
        kill -0 "$app_pid" 2>/dev/null || { cat "$work/app-$page.log" >&2; exit 1; }
        sleep 0.2
    done
    xwininfo -root -tree | grep -q '"Studio Proxy' || { echo "no window for $page" >&2; exit 1; }
    # Two status refreshes and a conflict check.
    sleep "${SCREENSHOT_SETTLE_SECONDS:-3}"
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/app-$page.log" >&2; exit 1; }
    import -window root "$out/app-$page.png"
    kill "$app_pid"
    wait "$app_pid" || true
    app_pid=
    colours=$(convert "$out/app-$page.png" -format '%k' info:)
    if [ "$colours" -lt 16 ]; then
        echo "app-$page.png has $colours colours: the window did not draw" >&2
        exit 1
    fi
    echo "$out/app-$page.png: $colours colours"
done
