"""Where the crawler connects and as which app: one resolution for the CLI and the dashboard.

Each setting comes from the first place that has it:

1. a flag (`--api-base`, `--token-url`; the dashboard has none);
2. the environment: PLAYLISTGRAPH_SPOTIFY_API_BASE, PLAYLISTGRAPH_SPOTIFY_TOKEN_URL,
   SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET;
3. Streamlit secrets: `.streamlit/secrets.toml` in the working directory, then
   `~/.streamlit/secrets.toml` (then, in the dashboard, `st.secrets`), with top-level keys
   named like the environment variables or a `[spotify]` table with `api_base`,
   `token_url`, `client_id` and `client_secret`;
4. Spotify's own URLs (credentials have no default).

Credentials have no flag: a secret on a command line is visible to every user of the
machine (`ps`) and stays in the shell's history. The id and the secret are taken as a
pair from one place.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from crawler.credentials import ENV_ID, ENV_SECRET, Credentials, CredentialsError

ENV_API_BASE = "PLAYLISTGRAPH_SPOTIFY_API_BASE"
ENV_TOKEN_URL = "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL"
DEFAULT_API_BASE = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"
SECRETS_TABLE = "spotify"
_TABLE_KEYS = {ENV_API_BASE: "api_base", ENV_TOKEN_URL: "token_url", ENV_ID: "client_id",
               ENV_SECRET: "client_secret"}
HOW_TO_SET = (f"set {ENV_ID} and {ENV_SECRET} (from your app at "
              "https://developer.spotify.com/dashboard) in the environment, or in "
              ".streamlit/secrets.toml; for the local fake API, run "
              "`python -m testkit.fake_spotify` and paste the lines it prints")
RESOLUTION_HELP = (f"Connection: --api-base / --token-url, else ${ENV_API_BASE} / "
                   f"${ENV_TOKEN_URL}, else those keys in .streamlit/secrets.toml, else "
                   f"Spotify's. Credentials: ${ENV_ID} / ${ENV_SECRET}, else those keys in "
                   ".streamlit/secrets.toml (no flag: a secret on a command line is visible "
                   "to other users). The dashboard's Crawl page resolves them the same way.")


class ConnectionSettingError(ValueError):
    """A base or token URL that cannot be used; the message names where it came from."""


@dataclass(frozen=True)
class Endpoints:
    api_base: str
    token_url: str


@dataclass(frozen=True)
class SecretsSource:
    """One parsed secrets mapping and what to call it in a message (never its contents)."""
    label: str
    values: Mapping

    def get(self, env_name: str) -> str:
        table = self.values.get(SECRETS_TABLE)
        table = table if isinstance(table, Mapping) else {}
        value = self.values.get(env_name) or table.get(_TABLE_KEYS[env_name]) or ""
        return value.strip() if isinstance(value, str) else ""


class SpotifyConnection:
    """Resolves endpoints and credentials from flags, `env` and secrets sources.

    `secrets=None` reads the secrets files when a setting is first needed from them;
    `extra_secrets` come after the files (the dashboard's `st.secrets`).
    """

    def __init__(self, env: Mapping[str, str] | None = None,
                 secrets: Sequence[SecretsSource] | None = None,
                 extra_secrets: Sequence[SecretsSource] = ()):
        self.env = os.environ if env is None else env
        self._secrets = None if secrets is None else list(secrets)
        self._extra = list(extra_secrets)

    def endpoints(self, api_base: str | None = None,
                  token_url: str | None = None) -> Endpoints:
        """The API base and token URL; ConnectionSettingError for one that is not a URL."""
        return Endpoints(self._url("--api-base", api_base, ENV_API_BASE, DEFAULT_API_BASE),
                         self._url("--token-url", token_url, ENV_TOKEN_URL, DEFAULT_TOKEN_URL))

    def credentials(self) -> Credentials:
        """The app's id and secret; CredentialsError (saying how to set them) when absent."""
        client_id, secret = self.env.get(ENV_ID, "").strip(), self.env.get(ENV_SECRET, "").strip()
        if client_id and secret:
            return Credentials(client_id, secret)
        for source in self.secrets_sources():
            if source.get(ENV_ID) and source.get(ENV_SECRET):
                return Credentials(source.get(ENV_ID), source.get(ENV_SECRET))
        missing = [name for name, value in ((ENV_ID, client_id), (ENV_SECRET, secret))
                   if not value]
        raise CredentialsError(f"no Spotify credentials ({', '.join(missing)} not set): "
                               f"{HOW_TO_SET}")

    def secrets_sources(self) -> list[SecretsSource]:
        if self._secrets is None:
            self._secrets = [s for s in map(read_secrets_file, default_secrets_files()) if s]
        return [*self._secrets, *self._extra]

    def _url(self, flag: str, given: str | None, env_name: str, default: str) -> str:
        value, where = (given.strip(), flag) if given and given.strip() else (None, None)
        if value is None and self.env.get(env_name, "").strip():
            value, where = self.env[env_name].strip(), f"${env_name}"
        for source in self.secrets_sources() if value is None else ():
            if source.get(env_name):
                value, where = source.get(env_name), f"{env_name} in {source.label}"
                break
        if value is None:
            return default
        if not value.startswith(("http://", "https://")):
            raise ConnectionSettingError(f"{where} must be an http:// or https:// URL, not "
                                         f"{value!r}")
        return value


def default_secrets_files() -> list[Path]:
    """Where Streamlit looks: the project's .streamlit/ (cwd), then the user's ~/.streamlit/."""
    return [Path.cwd() / ".streamlit" / "secrets.toml",
            Path.home() / ".streamlit" / "secrets.toml"]


def read_secrets_file(path: Path) -> SecretsSource | None:
    """A secrets file's values, None when there is no such file."""
    try:
        with open(path, "rb") as fh:
            return SecretsSource(str(path), tomllib.load(fh))
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # Say which file and why, never its contents (it holds the secret).
        raise CredentialsError(f"cannot read {path} ({type(exc).__name__}); fix the file or "
                               f"set {ENV_ID} and {ENV_SECRET} in the environment") from None
