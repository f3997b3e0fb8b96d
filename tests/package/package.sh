#!/usr/bin/env bash
# The packages as an admin gets them (ctest -L package, after a build):
#
#   package.sh build BUILD_DIR ROOT      cpack both packages, check what the .deb holds and
#                                        depends on, and the .tar.gz; unpack the .deb into ROOT
#   package.sh validate BUILD_DIR ROOT   the unit, the desktop entry, the metainfo, the man
#                                        page, the logrotate rule and lintian, on ROOT's files
#   package.sh service BUILD_DIR ROOT    the postinst makes the service's user; that user runs
#                                        the installed proxy; the installed logrotate rule
#                                        rotates its log and SIGHUP moves it to the new file
#
# ROOT is a throwaway root: the .deb's files, unpacked with dpkg -x.
set -euo pipefail

step=$1
build_dir=$(cd "$2" && pwd)
root=$3
packages=$build_dir/packages
app_id=org.studioproxy.StudioProxy

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf 'ok: %s\n' "$*"; }

deb_file() {
    local debs=("$packages"/studio-proxy_*.deb)
    [ -f "${debs[0]}" ] || fail "no .deb in $packages"
    printf '%s\n' "${debs[0]}"
}

build_packages() {
    rm -rf "$packages" "$root"
    (cd "$build_dir" && cpack -B "$packages" --config CPackConfig.cmake) \
        >"$build_dir/cpack.log" 2>&1 \
        || { cat "$build_dir/cpack.log"; fail "cpack failed"; }
    local deb tarball
    deb=$(deb_file)
    tarball=$(ls "$packages"/studio-proxy_*.tar.gz) || fail "no .tar.gz in $packages"
    ok "cpack made $(basename "$deb") and $(basename "$tarball")"

    # Every file an admin relies on, at the place Debian looks for it.
    local contents expected
    contents=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
    for expected in \
        '-rwxr-xr-x ./usr/bin/studio-proxy' \
        '-rw-r--r-- ./lib/systemd/system/studio-proxy.service' \
        '-rw-r--r-- ./etc/default/studio-proxy' \
        '-rw-r--r-- ./etc/logrotate.d/studio-proxy' \
        '-rw-r--r-- ./usr/share/man/man1/studio-proxy.1.gz' \
        "-rw-r--r-- ./usr/share/applications/$app_id.desktop" \
        "-rw-r--r-- ./usr/share/metainfo/$app_id.metainfo.xml" \
        "-rw-r--r-- ./usr/share/icons/hicolor/scalable/apps/$app_id.svg" \
        '-rw-r--r-- ./usr/share/doc/studio-proxy/copyright'; do
        grep -qxF -- "$expected" <<<"$contents" || fail "the .deb lacks $expected; it has:
$contents"
    done
    if grep -q ' ./usr/local/' <<<"$contents"; then
        fail "the .deb installs into /usr/local"
    fi
    ok "the .deb holds the binary, unit, settings, logrotate rule, man page, desktop files"

    # The libraries come from dpkg-shlibdeps: whatever the binary links must be there, with
    # the packages the maintainer scripts and the unit use.
    local depends names library package
    depends=$(dpkg-deb -f "$deb" Depends)
    printf 'Depends: %s\n' "$depends"
    names=$(tr ',' '\n' <<<"$depends" | awk '{ print $1 }')
    for package in adduser procps libc6 libqt6core6 libqt6network6 libssl3 libstdc++6; do
        grep -qxF "$package" <<<"$names" || fail "Depends lacks $package"
    done
    # The libraries the binary names itself (NEEDED), found where the loader finds them.
    local binary=$build_dir/app/studio-proxy soname
    while read -r soname; do
        library=$(ldd "$binary" | awk -v name="$soname" '$1 == name { print $3 }')
        [ -n "$library" ] || fail "the loader does not find $soname"
        package=$(dpkg -S "$(readlink -f "$library")" 2>/dev/null | head -1 | cut -d: -f1) \
            || package=$(dpkg -S "$library" 2>/dev/null | head -1 | cut -d: -f1) || true
        [ -n "$package" ] || fail "no package owns $library"
        grep -qxF "$package" <<<"$names" \
            || fail "the binary links $soname from $package, which Depends does not name"
    done < <(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }')
    ok "Depends names the package of every library the binary links"
    for field in Maintainer Section Priority Description; do
        [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "the .deb has no $field"
    done
    [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = \
        $'/etc/default/studio-proxy\n/etc/logrotate.d/studio-proxy' ] \
        || fail "conffiles does not list the two files under /etc"
    ok "control fields and conffiles"

    # The .tar.gz is the same tree below one folder.
    local listed in_deb
    listed=$(tar -tzf "$tarball" | sed 's|^[^/]*/||' | grep -v '/$' | sort)
    in_deb=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./||' | sort)
    [ "$listed" = "$in_deb" ] \
        || fail "the .tar.gz and the .deb hold different files:
$listed"
    ok "the .tar.gz holds the same files as the .deb"

    dpkg -x "$deb" "$root"
    local version
    version=$("$root/usr/bin/studio-proxy" --version)
    [ "$version" = "studio-proxy $(dpkg-deb -f "$deb" Version)" ] \
        || fail "the installed binary says \"$version\""
    ok "installed into $root; $root/usr/bin/studio-proxy --version says \"$version\""
}

validate() {
    [ -x "$root/usr/bin/studio-proxy" ] || fail "nothing unpacked in $root; run the build step"

    # systemd-analyze checks the unit inside the root: its commands must exist there, so the
    # root gets the system's units (sysinit.target and the like) and procps' /bin/kill, which
    # the package depends on. MANPATH lets it find the Documentation= man page in the root.
    local unit=$root/lib/systemd/system/studio-proxy.service
    cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
    mkdir -p "$root/bin"
    cp -a "$(readlink -f /bin/kill)" "$root/bin/kill"
    MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" \
        /lib/systemd/system/studio-proxy.service || fail "systemd-analyze verify"
    ok "systemd-analyze verify"

    # What the issue promises of the unit: never restarted, reload is SIGHUP, an unprivileged
    # user, the default config, and the hardening that keeps the socket and the log usable.
    local expected
    for expected in 'Restart=no' 'ExecReload=/bin/kill -HUP $MAINPID' 'User=studio-proxy' \
        'Environment=STUDIO_PROXY_CONFIG=/etc/memsql/memsql.cnf' \
        'EnvironmentFile=-/etc/default/studio-proxy' 'ProtectSystem=strict' \
        'NoNewPrivileges=yes' 'RuntimeDirectory=studio-proxy' 'LogsDirectory=studio-proxy'; do
        grep -qxF -- "$expected" "$unit" || fail "the unit lacks $expected"
    done
    grep -q '^ExecStart=/usr/bin/studio-proxy --headless --config ${STUDIO_PROXY_CONFIG} ' "$unit" \
        || fail "ExecStart is not the installed binary in headless mode"
    grep -B3 '^Restart=no' "$unit" | grep -qi 'waits for an admin' \
        || fail "Restart=no comes without the comment saying why"
    ok "the unit runs headless as studio-proxy, hardened, and never restarts"

    desktop-file-validate "$root/usr/share/applications/$app_id.desktop" \
        || fail "desktop-file-validate"
    ok "desktop-file-validate"
    appstreamcli validate --no-net "$root/usr/share/metainfo/$app_id.metainfo.xml" \
        || fail "appstreamcli validate"
    ok "appstreamcli validate --no-net"

    # groff's warnings (-ww) on the man page, as lintian would see them.
    local warnings
    warnings=$(zcat "$root/usr/share/man/man1/studio-proxy.1.gz" \
        | LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 2>&1)
    [ -z "$warnings" ] || fail "the man page: $warnings"
    local text section
    text=$(MANWIDTH=100 man -l "$root/usr/share/man/man1/studio-proxy.1.gz" 2>/dev/null)
    for section in 'SYNOPSIS' 'MODES' 'CONFIG KEYS' 'CTL' 'CERT' 'THE LOG' 'EXIT STATUS' 'FILES'; do
        grep -qx "$section" <<<"$text" || fail "the man page has no $section section"
    done
    ok "man page: no groff warnings; modes, ctl, cert, keys, log, exit status, files"

    # The rule itself runs in the service step, where its user exists.
    if grep -qE '^[[:space:]]*copytruncate' "$root/etc/logrotate.d/studio-proxy"; then
        fail "the logrotate rule uses copytruncate, which loses lines"
    fi

    # Errors and warnings fail; the informational tags accepted are: hardening-no-bindnow and
    # hardening-no-fortify-functions (the project's CMake flags, not the packaging, would add
    # them), binary-has-unneeded-section (CPack strips symbols only) and
    # package-supports-alternative-init-but-no-init.d-script (systemd only, on purpose).
    if command -v lintian >/dev/null; then
        lintian --no-cfg --fail-on error,warning --display-level '>=info' "$(deb_file)" \
            || fail "lintian"
        ok "lintian: no errors or warnings"
    fi
}

# Runs in a mount namespace of its own (as root), where /etc is a copy and /var/log a
# temporary folder: the postinst and logrotate act on those, and the machine's own user
# database and logs are left as they were.
service() {
    [ -x "$root/usr/bin/studio-proxy" ] || fail "nothing unpacked in $root; run the build step"
    if [ "$(id -u)" -ne 0 ]; then
        printf 'skipped: needs root (a mount namespace, a user made by adduser)\n'
        exit 77
    fi
    work=$(mktemp -d /tmp/studio-proxy-package-XXXXXX)
    trap 'rm -rf "$work"' EXIT
    dpkg-deb -e "$(deb_file)" "$work/control"
    unshare --mount --propagation private "$BASH_SOURCE" service-inside "$build_dir" "$root" "$work"
}

service_inside() {
    local work=$1
    # A copy of the folder, not of the files: adduser replaces /etc/passwd by a rename.
    cp -a /etc "$work/etc"
    mount --bind "$work/etc" /etc
    mkdir -p "$work/var-log"
    mount --bind "$work/var-log" /var/log

    # An engine host has the engine's group: memsql for SingleStore (made here when missing),
    # mysql for MariaDB.
    getent group memsql >/dev/null || groupadd --system memsql
    "$work/control/postinst" configure || fail "postinst configure"
    "$work/control/postinst" configure 0.1.0 || fail "postinst configure, run again (upgrade)"
    local entry groups
    entry=$(getent passwd studio-proxy) || fail "postinst made no studio-proxy user"
    IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
    [ "$uid" -lt 1000 ] || fail "studio-proxy is not a system user (uid $uid)"
    [ "$home" = /nonexistent ] || fail "studio-proxy's home is $home"
    [ "$shell" = /usr/sbin/nologin ] || fail "studio-proxy's shell is $shell"
    groups=" $(id -nG studio-proxy) "
    [[ $groups == *" studio-proxy "* && $groups == *" memsql "* ]] \
        || fail "studio-proxy is in groups:$groups"
    if getent group mysql >/dev/null; then
        [[ $groups == *" mysql "* ]] || fail "studio-proxy is not in mysql:$groups"
    fi
    ok "postinst made the system user studio-proxy, groups:$groups"

    # What the unit sets up (LogsDirectory, RuntimeDirectory, User=), then the proxy as that
    # user with the options /etc/default/studio-proxy gives it.
    install -d -o studio-proxy -g studio-proxy -m 0750 /var/log/studio-proxy
    install -d -o studio-proxy -g studio-proxy -m 0755 "$work/run"
    local port config options
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    config=$work/memsql.cnf
    printf 'http_proxy_port = %s\nsocket = %s/engine.sock\n' "$port" "$work" >"$config"
    chmod 0644 "$config"
    chmod 0755 "$work"
    options=$(. "$root/etc/default/studio-proxy" && printf '%s' "$STUDIO_PROXY_OPTIONS")
    # shellcheck disable=SC2086 # the unit splits $STUDIO_PROXY_OPTIONS the same way
    RUNTIME_DIRECTORY=$work/run setpriv --reuid studio-proxy --regid studio-proxy --init-groups \
        "$root/usr/bin/studio-proxy" --headless --config "$config" $options \
        >"$work/proxy.out" 2>&1 &
    local pid=$!
    local log=/var/log/studio-proxy/websocket_proxy.log
    for _ in $(seq 100); do
        grep -q 'listening on port' "$work/proxy.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/proxy.out"; fail "the proxy exited"; }
        sleep 0.1
    done
    grep -q "listening on port $port" "$log" || fail "no listening line in $log"
    [ "$(stat -c %U "$log")" = studio-proxy ] || fail "$log is not the service user's"
    local sockets
    sockets=$(ls "$work/run")
    [[ $sockets == studio-proxy-*.sock ]] || fail "no control socket in RUNTIME_DIRECTORY: $sockets"
    # ctl finds the service's socket from the config path, in the same RUNTIME_DIRECTORY.
    RUNTIME_DIRECTORY=$work/run "$root/usr/bin/studio-proxy" ctl --config "$config" status \
        >"$work/status" \
        && grep -q "port $port" "$work/status" \
        || fail "ctl status through the socket in RUNTIME_DIRECTORY: $(cat "$work/status")"
    ok "the installed proxy runs as studio-proxy, logs to $log, control socket $work/run/$sockets"

    # The installed rule, as cron or the timer would run it (forced: the log is young). Its
    # postrotate asks systemd to reload, which a machine without systemd skips; what
    # ExecReload then does, kill -HUP, is done here.
    logrotate -f -s "$work/logrotate.state" "$root/etc/logrotate.d/studio-proxy" \
        || fail "logrotate with the installed rule"
    [ -f "$log.1" ] || fail "logrotate left no $log.1"
    local owner
    owner=$(stat -c '%U %a' "$log")
    [ "$owner" = 'studio-proxy 640' ] || fail "the new $log: $owner"
    kill -HUP "$pid"
    for _ in $(seq 50); do
        grep -q 'log reopened on SIGHUP' "$log" && break
        sleep 0.1
    done
    grep -q 'log reopened on SIGHUP' "$log" || fail "after SIGHUP, nothing in the new $log"
    grep -q "listening on port $port" "$log.1" || fail "the rotated $log.1 lost the first lines"
    kill -0 "$pid" || fail "the proxy died on SIGHUP"
    kill -TERM "$pid"
    wait "$pid" || fail "the proxy exited with $? on SIGTERM"
    grep -q 'stopped' "$log" || fail "the stop went to the rotated file"
    ok "logrotate's rule and SIGHUP: first lines in $log.1, later ones in the new $log"
}

case $step in
build) build_packages ;;
validate) validate ;;
service) service ;;
service-inside) service_inside "$4" ;;
*) fail "unknown step $step" ;;
esac
