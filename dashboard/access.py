"""Who may use the Spotify account through the dashboard: only the person at the machine,
unless the dashboard is deliberately served to others and protected by a password.

`.streamlit/config.toml` binds the server to 127.0.0.1, so by default no other machine can
open the dashboard. Serving it to other machines (`--server.address 0.0.0.0`, or another
address in the config) is an explicit choice; then signing in to Spotify and saving to it
are refused until a dashboard password is set, and each browser session must enter it.

The password is checked here, on the server, and stored only as a salted scrypt hash
(`<home>/dashboard-password`, mode 0600):

    python -m dashboard.access set-password      # asks twice, never echoes
    python -m dashboard.access clear-password
"""
from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import secrets
import sys
from pathlib import Path

from data.atomic import write_text_atomic
from data.home import home_dir, password_path

LOOPBACK = ("127.0.0.1", "::1", "localhost")
# scrypt cost: ~50 ms and 16 MiB per check, so guessing is slow and a check is not.
_N, _R, _P = 2 ** 14, 8, 1
MIN_LENGTH = 8


def is_loopback(address: str | None) -> bool:
    """Whether the server listens on this machine only (an unset address means every
    interface, Streamlit's own default)."""
    address = (address or "").strip().strip("[]")
    return address in LOOPBACK or address.startswith("127.")


def served_address() -> str | None:
    import streamlit as st
    return st.get_option("server.address")


def has_password(home: Path) -> bool:
    return password_path(home).is_file()


def set_password(home: Path, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password needs at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(16)
    record = {"scheme": "scrypt", "n": _N, "r": _R, "p": _P, "salt": salt.hex(),
              "hash": _scrypt(password, salt, _N, _R, _P).hex()}
    write_text_atomic(password_path(home), json.dumps(record), mode=0o600)


def check_password(home: Path, password: str) -> bool:
    try:
        record = json.loads(password_path(home).read_text(encoding="utf-8"))
        expected = bytes.fromhex(record["hash"])
        got = _scrypt(password, bytes.fromhex(record["salt"]), int(record["n"]),
                      int(record["r"]), int(record["p"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def clear_password(home: Path) -> bool:
    try:
        password_path(home).unlink()
        return True
    except FileNotFoundError:
        return False


def account_refusal(home: Path, address: str | None, unlocked: bool) -> str | None:
    """Why this browser session may not use the Spotify account now (None: it may)."""
    if is_loopback(address):
        return None
    where = address or "every network interface"
    if not has_password(home):
        return (f"This dashboard is served to other machines ({where}) and has no password, "
                "so signing in to Spotify and saving to it are off: set one with "
                "`python -m dashboard.access set-password`, or serve on 127.0.0.1 only.")
    if not unlocked:
        return (f"This dashboard is served to other machines ({where}): enter the dashboard "
                "password in the sidebar to use your Spotify account.")
    return None


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=64 * 1024 * 1024, dklen=32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.access",
        description="The dashboard password, needed for Spotify sign-in and saving when the "
                    "dashboard is served to other machines.")
    parser.add_argument("action", choices=("set-password", "clear-password"))
    parser.add_argument("--home", default=None, help="home directory (default: "
                        "$PLAYLISTGRAPH_HOME, else .playlistgraph/ in the repository)")
    parser.add_argument("--stdin", action="store_true",
                        help="read the password from the first line of standard input")
    args = parser.parse_args(argv)
    home = home_dir(args.home)
    if args.action == "clear-password":
        print("password removed" if clear_password(home) else "no password was set")
        return 0
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Dashboard password: ")
        if getpass.getpass("Again: ") != password:
            print("error: the two entries differ; nothing changed", file=sys.stderr)
            return 2
    try:
        set_password(home, password)
    except ValueError as exc:
        print(f"error: {exc}; nothing changed", file=sys.stderr)
        return 2
    print(f"password set (salted scrypt hash in {password_path(home)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
