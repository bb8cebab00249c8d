"""The dashboard listens on 127.0.0.1 only, unless it is explicitly opened up.

Starts `streamlit run dashboard/app.py` as the README says (the repository's
.streamlit/config.toml applies) and connects to this machine's non-loopback address:
refused by default, answered when started with `--server.address 0.0.0.0` (which shows
the check can see a listening server there).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _non_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return a.address
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _serve(home: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port",
         str(port), *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not _reachable("127.0.0.1", port):
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise RuntimeError("streamlit did not start")
        time.sleep(0.2)
    return server


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def test_the_default_server_is_not_reachable_on_a_non_loopback_address(home: Path) -> None:
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    port = _free_port()
    server = _serve(home, port)
    try:
        assert _reachable("127.0.0.1", port)
        assert not _reachable(address, port), f"the dashboard answers on {address}:{port}"
    finally:
        _stop(server)
    port = _free_port()
    opened = _serve(home, port, "--server.address", "0.0.0.0")  # the explicit choice
    try:
        assert _reachable(address, port)
    finally:
        _stop(opened)
