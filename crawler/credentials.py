"""Spotify app credentials: from the environment, else from Streamlit secrets.

The secret is held in a field that never prints: `repr()` and `str()` mask it, so an
error message or a log line that includes a `Credentials` cannot leak it.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

ENV_ID = "SPOTIPY_CLIENT_ID"
ENV_SECRET = "SPOTIPY_CLIENT_SECRET"
HOW_TO_SET = (f"set {ENV_ID} and {ENV_SECRET} (from your app at "
              "https://developer.spotify.com/dashboard) in the environment, or as "
              f"{ENV_ID} / {ENV_SECRET} in .streamlit/secrets.toml")


class CredentialsError(ValueError):
    pass


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=***)"

    __repr__ = __str__


def load_credentials(env: Mapping[str, str] | None = None,
                     secrets_files: list[Path] | None = None) -> Credentials:
    """Environment first, then the first Streamlit secrets file that names both values.

    Secrets files hold either top-level SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET or a
    [spotify] table with client_id / client_secret.
    """
    env = os.environ if env is None else env
    client_id, secret = env.get(ENV_ID, "").strip(), env.get(ENV_SECRET, "").strip()
    if client_id and secret:
        return Credentials(client_id, secret)
    for path in secrets_files if secrets_files is not None else default_secrets_files():
        found = _from_secrets_file(path)
        if found:
            return found
    missing = [name for name, value in ((ENV_ID, client_id), (ENV_SECRET, secret)) if not value]
    raise CredentialsError(f"no Spotify credentials ({', '.join(missing)} not set): {HOW_TO_SET}")


def default_secrets_files() -> list[Path]:
    """Where Streamlit looks: the project's .streamlit/ (cwd), then the user's ~/.streamlit/."""
    return [Path.cwd() / ".streamlit" / "secrets.toml",
            Path.home() / ".streamlit" / "secrets.toml"]


def from_streamlit_secrets(secrets: Mapping) -> Credentials | None:
    """Credentials from a mapping shaped like `st.secrets`, or None when it lacks them."""
    table = secrets.get("spotify") if isinstance(secrets.get("spotify"), Mapping) else {}
    client_id = secrets.get(ENV_ID) or table.get("client_id") or ""
    secret = secrets.get(ENV_SECRET) or table.get("client_secret") or ""
    if isinstance(client_id, str) and isinstance(secret, str) and client_id.strip() \
            and secret.strip():
        return Credentials(client_id.strip(), secret.strip())
    return None


def _from_secrets_file(path: Path) -> Credentials | None:
    try:
        with open(path, "rb") as fh:
            return from_streamlit_secrets(tomllib.load(fh))
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # Say which file and why, never its contents (it holds the secret).
        raise CredentialsError(f"cannot read {path} ({type(exc).__name__}); fix the file or "
                               f"set {ENV_ID} and {ENV_SECRET} in the environment") from None
