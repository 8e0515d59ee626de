#!/usr/bin/env bash
# Install pollama as a systemd service, as Ollama's scripts/install.sh does for ollama:
# a `pollama` system user, pollama in a virtual environment at /opt/pollama, the unit
# deploy/pollama.service as /etc/systemd/system/pollama.service, enabled and started.
#
#   sudo deploy/install-systemd.sh            # installs this checkout
#   sudo deploy/install-systemd.sh 'pollama[model]'   # or any pip requirement / wheel path
#
# Needs python3 (3.11+) with venv, and a C/C++ compiler and cmake: pip compiles llama.cpp.
# Logs: journalctl -u pollama. Settings: sudo systemctl edit pollama.
set -euo pipefail

PREFIX=/opt/pollama
UNIT=/etc/systemd/system/pollama.service
SERVICE_USER=pollama
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="${1:-$(dirname "$HERE")}"

fail() {
    echo "error: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (sudo $0)"
command -v python3 >/dev/null || fail "python3 is not installed"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "pollama needs Python 3.11 or newer"
python3 -c 'import venv, ensurepip' 2>/dev/null || fail "python3's venv is missing (Debian/Ubuntu: apt-get install python3-venv)"
for tool in cc c++ cmake; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (Debian/Ubuntu: apt-get install build-essential cmake)"
done

if ! id "$SERVICE_USER" >/dev/null 2>&1; then
    echo "Creating the $SERVICE_USER user..."
    useradd --system --user-group --home-dir /var/lib/pollama --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
fi
# GPU device nodes belong to these groups where they exist (as Ollama's installer adds them).
for group in render video; do
    if getent group "$group" >/dev/null; then
        usermod -a -G "$group" "$SERVICE_USER"
    fi
done

echo "Installing pollama into $PREFIX (compiling llama.cpp takes a few minutes)..."
[ -x "$PREFIX/bin/python" ] || python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet --upgrade pip
"$PREFIX/bin/pip" install --quiet --upgrade "$SOURCE"
ln -sf "$PREFIX/bin/pollama" /usr/local/bin/pollama

echo "Installing $UNIT..."
install -m 0644 "$HERE/pollama.service" "$UNIT"

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable pollama
    systemctl restart pollama  # starts it, or restarts it on an upgrade
    echo "pollama is running: systemctl status pollama; logs: journalctl -u pollama"
else
    echo "systemd is not running here: the unit is installed but not started." >&2
fi
