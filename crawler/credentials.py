"""Spotify app credentials, held so that they never print.

The secret is in a field that `repr()` and `str()` mask, so an error message or a log
line that includes a `Credentials` cannot leak it. Where credentials come from is
crawler/connection.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ENV_ID = "SPOTIPY_CLIENT_ID"
ENV_SECRET = "SPOTIPY_CLIENT_SECRET"


class CredentialsError(ValueError):
    """No usable credentials, or a secrets file that cannot be read (one line)."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=***)"

    __repr__ = __str__
