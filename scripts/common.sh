# Shared by the scripts in this folder: installing what is missing and building.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_ROOT/build}

# Debian 12 packages the build, the tests and the development engine need.
PACKAGES=(
    build-essential cmake ninja-build pkg-config git
    qt6-base-dev libssl-dev openssl
    qt6-charts-dev libqt6opengl6-dev
    mariadb-server
)
# The peer the benchmark (scripts/bench.sh, and its quick mode in the test suite) measures
# the proxy against.
BENCH_PACKAGES=(websockify)
# Making and checking the packages (installer/, the package tests): cpack's .deb needs
# dpkg-shlibdeps (dpkg-dev) and fakeroot; the tests validate with systemd-analyze (systemd),
# desktop-file-validate, appstreamcli, groff (man-db), lintian, run the postinst (adduser,
# procps' kill) and the logrotate rule.
PACKAGE_PACKAGES=(dpkg-dev fakeroot file binutils systemd desktop-file-utils appstream man-db
    groff-base lintian logrotate adduser procps util-linux)
# What scripts/test.sh needs besides: the format check, libFuzzer (scripts/fuzz.sh), the
# conformance suite (Python 3, standard library only), the browser test (Chromium, and
# certutil for the NSS database it reads), the benchmark's quick mode, the package tests and
# the desktop app's screenshots (an X server without a display, xwininfo to see the window,
# ImageMagick's import to take the picture).
TEST_PACKAGES=(clang-format clang-14 libclang-rt-14-dev python3 chromium libnss3-tools
    ca-certificates xvfb xauth x11-utils imagemagick
    "${BENCH_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}")

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs those of the given packages, and Node.js, that are not installed yet; apt-get
# update runs only if something is missing.
install_packages() {
    local missing=()
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$package")
    done
    command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installing ${missing[*]}"
        as_root apt-get update -qq
        # On a machine with systemd, the mariadb-server package starts Debian's own MariaDB
        # service. The project does not use it: it runs its engines in folders of its own.
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"
    fi
}

install_node_packages() {
    say "Installing the pinned Node packages (tests/integration/package-lock.json)"
    (cd "$REPO_ROOT/tests/integration" && npm ci --no-audit --no-fund --loglevel=error)
}

build() {
    say "Building in $BUILD_DIR"
    cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBUILD_TESTING=ON >/dev/null
    cmake --build "$BUILD_DIR"
}
