"""What every `python -m data|ml|crawler` command shares: `--home` in any position, and one
line instead of a traceback when the Python running it lacks a package.

Standard library only: it has to work in exactly the Python that lacks the packages.
"""
from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV = REPO_ROOT / ".venv"
_OUR_PACKAGES = {"data", "ml", "crawler", "dashboard", "tests", "benchmarks"}
HOME_HELP = ("home directory for the database, runs and caches (default: $PLAYLISTGRAPH_HOME, "
             "else .playlistgraph/ in the repository)")
SUBCOMMAND_HOME_HELP = HOME_HELP + "; allowed before or after the subcommand"


def home_option() -> argparse.ArgumentParser:
    """A parent parser with `--home` for each subcommand.

    The top-level parser defines `--home` with a default; a subcommand's copy has none
    (SUPPRESS), so `--home` before the subcommand is kept unless it is given again after.
    """
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--home", default=argparse.SUPPRESS, metavar="DIR",
                        help=SUBCOMMAND_HOME_HELP)
    return parent


def add_home_argument(parser: argparse.ArgumentParser, subcommands: bool = True) -> None:
    """`--home` of a command; with `subcommands`, each also takes one (`home_option`)."""
    parser.add_argument("--home", default=None, metavar="DIR",
                        help=SUBCOMMAND_HOME_HELP if subcommands else HOME_HELP)


@contextmanager
def missing_package_hint() -> Iterator[None]:
    """Turn an import of a third-party package that is not installed into one line, exit 1."""
    try:
        yield
    except ModuleNotFoundError as exc:
        package = (exc.name or "").split(".")[0]
        if not package or package in _OUR_PACKAGES:
            raise  # our own module missing: a bug, keep the traceback
        print(f"error: {missing_package_message(package)}", file=sys.stderr)
        raise SystemExit(1) from None


def missing_package_message(package: str) -> str:
    in_venv = Path(sys.prefix).resolve() == VENV.resolve() or \
        Path(sys.executable).absolute().parent.parent == VENV  # also with `python -S`
    if VENV.is_dir() and in_venv:
        return (f"the Python package {package!r} is missing from .venv; install the project's "
                "packages with `.venv/bin/python -m pip install -r requirements.txt`")
    if VENV.is_dir():
        return (f"the Python package {package!r} is missing from {sys.executable}, which is not "
                "the project's environment; run `source .venv/bin/activate` (or use "
                "`.venv/bin/python -m ...`), or `bash scripts/run.sh` to reinstall it")
    return (f"the Python package {package!r} is missing; install the project with "
            "`bash scripts/run.sh` (it makes .venv/), then run `source .venv/bin/activate`")
