"""The README's commands as a new user types them: `--home` in any position for every
`python -m data|ml|crawler` subcommand, one line for a Python without the packages, and the
activation line the set-up scripts print."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.__main__ import build_parser as data_parser
from tests.data.conftest import REPO_ROOT, error_lines

# the arguments each subcommand needs besides --home
REQUIRED = {
    "data": {"ingest": ["some-dir"], "listening": ["export.zip"], "features": ["f.csv"],
             "sample": ["--out", "o"], "stats": [], "load-sample": [], "remove-sample": []},
    "ml": {"train": [], "evaluate": [], "recommend": ["--playlist", "mpd:1"], "index": [],
           "runs": []},
}


def _parser(package: str) -> argparse.ArgumentParser:
    if package == "data":
        return data_parser()
    from ml.__main__ import build_parser
    return build_parser()


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(action.choices)


@pytest.mark.parametrize("package", ["data", "ml"])
def test_every_subcommand_takes_home_before_or_after_it(package: str):
    parser = _parser(package)
    assert _subcommands(parser) == set(REQUIRED[package]), "a subcommand is not covered here"
    for command, needed in REQUIRED[package].items():
        assert parser.parse_args([command, *needed]).home is None
        assert parser.parse_args(["--home", "A", command, *needed]).home == "A"
        assert parser.parse_args([command, "--home", "B", *needed]).home == "B"
        assert parser.parse_args([command, *needed, "--home", "B"]).home == "B"
        assert parser.parse_args(["--home", "A", command, *needed, "--home", "B"]).home == "B"


def _run(*args: str, python: list[str] | None = None, home: Path | None = None,
         cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PLAYLISTGRAPH_HOME"}
    if home is not None:
        env["PLAYLISTGRAPH_HOME"] = str(home)
    return subprocess.run([*(python or [sys.executable]), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command, says", [
    (["data", "stats", "--home", "{home}"], "store version"),
    (["ml", "runs", "--home", "{home}"], "no runs yet"),
    (["ml", "recommend", "--tracks", "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "--home", "{home}"],
     "none of the given tracks is in the catalog"),
    (["crawler", "--resume", "--home", "{home}"], "nothing to resume: no crawl in {home}"),
])
def test_home_after_the_subcommand_is_the_home_used(tmp_path: Path, home: Path,
                                                     command: list[str], says: str):
    other = tmp_path / "given-home"
    done = _run("-m", *[c.format(home=other) for c in command], home=home)
    assert says.format(home=other) in done.stdout + done.stderr, done.stderr
    assert other.is_dir() and list(home.iterdir()) == []  # nothing written to $PLAYLISTGRAPH_HOME


@pytest.mark.parametrize("command", [["data", "stats"], ["ml", "runs"], ["crawler", "--help"]])
def test_a_python_without_the_packages_says_so_in_one_line(home: Path, command: list[str]):
    """`python -S` runs without site-packages: what a user gets with the system Python."""
    done = _run("-m", *command, python=[sys.executable, "-S"], home=home)
    assert done.returncode == 1
    assert len(error_lines(done.stderr)) == 1 == len(done.stderr.splitlines())
    assert "Traceback" not in done.stderr
    assert "is missing" in done.stderr and "pip install -r requirements.txt" in done.stderr


def test_the_scripts_print_the_activation_line_the_readme_gives(tmp_path: Path):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    top = readme[:readme.index("## Where things live")]
    assert "\nsource .venv/bin/activate\n" in top
    for script in ("run.sh", "test.sh"):
        assert "bash scripts/venv.sh" in (REPO_ROOT / "scripts" / script).read_text()
    # Everything is installed already: no index needed, nothing changes.
    done = subprocess.run(["bash", "scripts/venv.sh", "requirements.txt"], cwd=REPO_ROOT,
                          env={**os.environ, "PIP_NO_INDEX": "1"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(": source .venv/bin/activate")
    # and after it, the README's `python -m ...` is the project's Python, from any shell
    path = ":".join(p for p in os.environ["PATH"].split(":") if ".venv" not in p)
    shell = subprocess.run(["bash", "-c", "source .venv/bin/activate && python -m crawler --help"],
                           cwd=REPO_ROOT, env={**os.environ, "PATH": path}, capture_output=True,
                           text=True, timeout=120)
    assert shell.returncode == 0, shell.stderr
    assert "--seed-playlist" in shell.stdout
