"""Reading a seed playlist given as an open.spotify.com URL, a spotify: URI or a bare id."""
from __future__ import annotations

import re
from urllib.parse import urlparse

_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# spotify:playlist:ID and the older spotify:user:NAME:playlist:ID
_URI = re.compile(r"^spotify:(?:user:[^:\s]+:)?playlist:([0-9A-Za-z]{22})$")


class SeedError(ValueError):
    pass


def parse_playlist_ref(text: str) -> str:
    """The 22-character playlist id in `text`; SeedError (one line) when there is none."""
    raw = text.strip()
    if _ID.match(raw):
        return raw
    match = _URI.match(raw)
    if match:
        return match.group(1)
    if "open.spotify.com" in raw:
        url = urlparse(raw if "://" in raw else "https://" + raw)
        # /playlist/ID, also behind /intl-xx/ or /embed/, with or without ?si=...
        parts = [p for p in url.path.split("/") if p]
        if url.hostname == "open.spotify.com" and "playlist" in parts:
            tail = parts[parts.index("playlist") + 1:]
            if tail and _ID.match(tail[0]):
                return tail[0]
    raise SeedError(
        f"{text!r} is not a Spotify playlist; give an open.spotify.com/playlist/... URL, "
        "a spotify:playlist:... URI or the 22-character playlist id")
