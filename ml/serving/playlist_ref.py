"""Which stored playlist a user means by `--playlist TEXT`.

Accepted forms: `mpd:PID` or a bare number (an MPD pid, as users of the MPD know them; a
real MPD copy's playlist first, else the bundled sample's), `sample:PID` (the sample's),
`id:N` (the catalog's own id), a Spotify playlist id, open.spotify.com URL or
`spotify:playlist:` URI, and otherwise words of its title (`title:TEXT` forces that, for
a title that is a number). A title picks a playlist when exactly one title is equal to
it (ignoring case) or, failing that, exactly one title contains it.
"""
from __future__ import annotations

from dataclasses import dataclass

from data.catalog_reads import playlist_by_source, playlists_titled, search_playlists
from data.spotify_ids import SeedError, parse_playlist_ref
from data.store import Catalog
from ml.errors import UserError

FORMS = ("give mpd:PID or a bare MPD pid (sample:PID for the bundled sample), id:N for the catalog's own id, a Spotify playlist "
         "id, URL or spotify:playlist: URI, or words of its title (title:TEXT for a title "
         "that is a number)")
_SHOWN = 3  # candidates named in an 'ambiguous' error


@dataclass(frozen=True)
class PickedPlaylist:
    id: int
    name: str
    source: str
    source_id: str
    tracks: int
    how: str  # how the text was read, e.g. "MPD pid"

    def describe(self) -> str:
        """One line: which playlist was picked, under every name it has, and why."""
        return (f"playlist {_ref(self.source, self.source_id)} (id:{self.id}) {self.name!r}, "
                f"{self.tracks} tracks: picked by {self.how}")


def resolve_playlist(catalog: Catalog, text: str) -> PickedPlaylist:
    """The playlist `text` names; UserError (one line, listing the forms) when none or many."""
    ref = text.strip()
    lower = ref.lower()
    if not ref:
        raise UserError(f"--playlist is empty; {FORMS}")
    if lower.startswith("id:"):
        number = ref[3:].strip()
        found = int(number) if number.isdigit() and catalog.playlists([int(number)]) else None
        return _picked(catalog, found, text, "catalog id")
    if lower.startswith("sample:"):
        pid = ref[7:].strip()
        return _picked(catalog, playlist_by_source(catalog, "sample", pid), text, "sample pid")
    if lower.startswith("mpd:") or ref.isdigit():
        pid = ref[4:].strip() if lower.startswith("mpd:") else ref
        # A real MPD copy first; else the bundled sample, which has MPD pids of its own.
        found = playlist_by_source(catalog, "mpd", pid)
        if found is None and playlist_by_source(catalog, "sample", pid) is not None:
            return _picked(catalog, playlist_by_source(catalog, "sample", pid), text,
                           "MPD pid of the bundled sample")
        return _picked(catalog, found, text, "MPD pid")
    if lower.startswith("title:"):
        return _by_title(catalog, ref[6:].strip(), text)
    try:
        spotify_id = parse_playlist_ref(ref)
    except SeedError:
        return _by_title(catalog, ref, text)
    return _picked(catalog, playlist_by_source(catalog, "spotify", spotify_id), text,
                   "Spotify playlist id")


def _by_title(catalog: Catalog, title: str, text: str) -> PickedPlaylist:
    if not title:
        raise UserError(f"--playlist {text!r} has no title to search; {FORMS}")
    exact = playlists_titled(catalog, title, limit=_SHOWN + 1)
    if len(exact) == 1:
        return _picked(catalog, exact[0], text, f"its title, {title!r}")
    if exact:
        raise UserError(f"{text!r} is the title of {_count(exact)} playlists "
                        f"({_names(catalog, exact)}); {FORMS}")
    containing = [row["id"] for row in search_playlists(catalog, title, limit=_SHOWN + 1)]
    if len(containing) == 1:
        return _picked(catalog, containing[0], text, f"the only title containing {title!r}")
    if containing:
        raise UserError(f"{text!r} is in the titles of {_count(containing)} playlists "
                        f"({_names(catalog, containing)}); {FORMS}")
    raise UserError(f"no playlist title contains {title!r}; {FORMS}")


def _picked(catalog: Catalog, playlist_id: int | None, text: str, how: str) -> PickedPlaylist:
    rows = catalog.playlists([playlist_id]) if playlist_id is not None else []
    if not rows:
        raise UserError(f"no playlist with {how} {text.strip()!r} in the catalog; {FORMS}")
    row = rows[0]
    return PickedPlaylist(row["id"], row["name"] or "", row["source"], row["source_id"],
                          len(catalog.playlist_track_ids(row["id"])), how)


def _count(ids: list[int]) -> str:
    return f"more than {_SHOWN}" if len(ids) > _SHOWN else str(len(ids))


def _names(catalog: Catalog, ids: list[int]) -> str:
    rows = catalog.playlists(ids[:_SHOWN])
    return ", ".join(f"{_ref(r['source'], r['source_id'])} {r['name']!r}" for r in rows)


def _ref(source: str, source_id: str) -> str:
    return f"{source}:{source_id}" if source in ("mpd", "sample") else \
        f"spotify:playlist:{source_id}"
