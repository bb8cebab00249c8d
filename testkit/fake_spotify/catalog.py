"""What the fake Spotify Web API serves: the playlists of an MPD-format sample, each given a
Spotify id, an owner and an access rule, and the JSON objects the 2026 API returns.

Everything is a pure function of the sample and `seed`, so tests can compute what a
crawl must find. Access rules (as a development-mode app sees them in 2026):
'public' items readable, 'restricted' items answer 403 unless the signed-in user owns
the playlist, 'spotify' (owned by Spotify) answers 404 for metadata and items.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from data.mpd import MpdPlaylist, parse_slice, slice_files
from data.store import TrackRecord

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
JUNK_KINDS = ("null", "local", "episode", "invalid")
_SEARCH_NULL_EVERY = 7  # with junk on, a null result after every 7 real ones


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def spotify_id(*parts: object) -> str:
    """A stable 22-character base62 id."""
    n = int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest(), "big")
    chars = []
    for _ in range(22):
        n, r = divmod(n, 62)
        chars.append(_B62[r])
    return "".join(chars)


@dataclass(frozen=True)
class FakePlaylist:
    id: str
    pid: int
    name: str
    description: str | None
    collaborative: bool
    followers: int
    owner_id: str
    owner_name: str
    access: str  # 'public' | 'restricted' | 'spotify'
    legacy: bool  # items carry the track under the pre-2026 key 'track'
    tracks: tuple[TrackRecord, ...]

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.id}"


class FakeCatalog:
    def __init__(self, playlists: list[MpdPlaylist], *, seed: int = 0,
                 restricted_share: float = 0.25, spotify_share: float = 0.05,
                 legacy_share: float = 0.2, users: int | None = None,
                 features: dict[str, dict[str, float]] | None = None,
                 overrides: dict[int, dict] | None = None):
        """`overrides` {pid: {field: value}} pins access/owner/legacy for hand-made tests."""
        self.seed = seed
        n_users = users or max(3, len(playlists) // 4)
        self.playlists: list[FakePlaylist] = []
        for mp in sorted(playlists, key=lambda p: int(p.record.source_id)):
            pid = int(mp.record.source_id)
            u = (_hash(seed, "access", pid) % 10_000) / 10_000
            access = ("spotify" if u < spotify_share else
                      "restricted" if u < spotify_share + restricted_share else "public")
            user = _hash(seed, "owner", pid) % n_users
            fields = dict(
                id=spotify_id(seed, "playlist", pid), pid=pid, name=mp.record.name,
                description=mp.record.description, collaborative=bool(mp.record.collaborative),
                followers=mp.record.num_followers or 0,
                owner_id=f"fakeuser{user:04d}", owner_name=f"Listener {user}", access=access,
                legacy=(_hash(seed, "legacy", pid) % 10_000) / 10_000 < legacy_share,
                tracks=tuple(mp.tracks))
            fields.update((overrides or {}).get(pid, {}))
            if fields["access"] == "spotify":
                fields.update(owner_id="spotify", owner_name="Spotify")
            self.playlists.append(FakePlaylist(**fields))
        self.by_id = {p.id: p for p in self.playlists}
        self.by_pid = {p.pid: p for p in self.playlists}
        self.features = features or {}
        # search index: artist name (lower case) → {playlist id: tracks by artists so named}
        self._by_artist: dict[str, dict[str, int]] = {}
        for p in self.playlists:
            for t in p.tracks:
                for a in t.artists:
                    hits = self._by_artist.setdefault(a.name.strip().lower(), {})
                    hits[p.id] = hits.get(p.id, 0) + 1

    @classmethod
    def from_sample(cls, sample_dir: Path, **kwargs) -> "FakeCatalog":
        """The playlists (and audio features) of a directory of MPD-format slices."""
        playlists = [p for f in slice_files([Path(sample_dir)]) for p in parse_slice(f).playlists]
        if not playlists:
            raise ValueError(f"{sample_dir}: no MPD slice files (mpd.slice.*.json[.gz])")
        return cls(playlists, features=_read_features(Path(sample_dir)), **kwargs)

    # ---- what the API answers ------------------------------------------------------------

    def entries(self, playlist: FakePlaylist, junk: bool) -> list[dict | None]:
        """The playlist's items as served: its tracks, plus junk entries when junk is on."""
        items: list[dict | None] = [self._item(playlist, t, i) for i, t in enumerate(playlist.tracks)]
        for position, kind in reversed(self.junk_plan(playlist) if junk else []):
            items.insert(position, self._junk(playlist, kind, position))
        return items

    def junk_plan(self, playlist: FakePlaylist) -> list[tuple[int, str]]:
        """(position, kind) of the junk entries served when junk is on: every third
        playlist gets one of each kind, spread through its items."""
        if _hash(self.seed, "junk", playlist.pid) % 3:
            return []
        n = len(playlist.tracks)
        return [(round(i * n / len(JUNK_KINDS)), kind) for i, kind in enumerate(JUNK_KINDS)]

    def search(self, query: str, junk: bool) -> list[str | None]:
        """Playlist ids matching `query` in rank order (None: a null result, junk on).

        A playlist matches when an artist of its tracks is named `query` (ranked by how
        many of its tracks are by that artist) or its name contains `query`.
        """
        q = query.strip().lower()
        if not q:
            return []
        scores = dict(self._by_artist.get(q, {}))
        for p in self.playlists:
            if q in p.name.lower():
                scores[p.id] = scores.get(p.id, 0) + 1
        ranked: list[str | None] = sorted(scores, key=lambda pid: (-scores[pid],
                                                                   self.by_id[pid].pid))
        if junk:
            for i in range(len(ranked) // _SEARCH_NULL_EVERY, 0, -1):
                ranked.insert(i * _SEARCH_NULL_EVERY, None)
        return ranked

    def owned_by(self, user_id: str) -> list[FakePlaylist]:
        return [p for p in self.playlists if p.owner_id == user_id]

    def seed_playlist(self) -> FakePlaylist:
        """A readable playlist to start a crawl from (the public one with most tracks among
        the first 50)."""
        public = [p for p in self.playlists[:50] if p.access == "public"] or \
                 [p for p in self.playlists if p.access == "public"]
        return max(public, key=lambda p: (len(p.tracks), -p.pid))

    # ---- JSON objects --------------------------------------------------------------------

    def simplified(self, p: FakePlaylist, base: str, junk: bool) -> dict:
        total = len(p.tracks) + (len(self.junk_plan(p)) if junk else 0)
        counts = {"href": f"{base}playlists/{p.id}/items", "total": total}
        return {
            "collaborative": p.collaborative, "description": p.description or "",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{p.id}"},
            "href": f"{base}playlists/{p.id}", "id": p.id, "images": [], "name": p.name,
            "owner": self.owner(p, base), "primary_color": None, "public": True,
            "snapshot_id": spotify_id(self.seed, "snapshot", p.pid),
            ("tracks" if p.legacy else "items"): counts, "type": "playlist", "uri": p.uri,
        }

    def owner(self, p: FakePlaylist, base: str) -> dict:
        return {"display_name": p.owner_name,
                "external_urls": {"spotify": f"https://open.spotify.com/user/{p.owner_id}"},
                "href": f"{base}users/{p.owner_id}", "id": p.owner_id, "type": "user",
                "uri": f"spotify:user:{p.owner_id}"}

    def _item(self, p: FakePlaylist, t: TrackRecord, i: int) -> dict:
        return {"added_at": f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00Z",
                "added_by": {"id": p.owner_id, "type": "user"}, "is_local": False,
                "primary_color": None, ("track" if p.legacy else "item"): track_object(t)}

    def _junk(self, p: FakePlaylist, kind: str, position: int) -> dict | None:
        key = "track" if p.legacy else "item"
        if kind == "null":
            return {"added_at": None, "added_by": None, "is_local": False, key: None}
        if kind == "local":
            return {"added_at": None, "added_by": None, "is_local": True, key: {
                "album": {"name": "Home recordings", "id": None, "uri": None, "type": "album"},
                "artists": [{"name": "Me", "id": None, "uri": None, "type": "artist"}],
                "duration_ms": 123000, "id": None, "is_local": True, "name": f"demo {position}",
                "type": "track", "uri": f"spotify:local:Me:Home+recordings:demo+{position}:123"}}
        if kind == "episode":
            eid = spotify_id(self.seed, "episode", p.pid, position)
            return {"added_at": None, "added_by": None, "is_local": False, key: {
                "type": "episode", "id": eid, "uri": f"spotify:episode:{eid}",
                "name": f"Episode {position}", "duration_ms": 1_800_000,
                "show": {"id": spotify_id(self.seed, "show", p.pid), "name": "A podcast",
                         "type": "show"}}}
        return {"added_at": None, "added_by": None, "is_local": False,
                key: {"type": "track", "name": "no id", "id": None, "uri": None}}


def track_object(t: TrackRecord) -> dict:
    """A 2026 track object (no popularity or available_markets for development-mode apps)."""
    artists = [_artist_object(a.uri, a.name) for a in t.artists]
    album = None
    if t.album_uri:
        album_id = t.album_uri.rsplit(":", 1)[1]
        album = {"album_type": "album", "artists": artists[:1],
                 "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
                 "id": album_id, "images": [], "name": t.album_name or "",
                 "release_date": "2017-01-01", "release_date_precision": "day",
                 "total_tracks": 1, "type": "album", "uri": t.album_uri}
    track_id = t.uri.rsplit(":", 1)[1]
    return {"album": album, "artists": artists, "disc_number": 1, "duration_ms": t.duration_ms,
            "explicit": False, "external_ids": {},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "id": track_id, "is_local": False, "name": t.name, "preview_url": None,
            "track_number": 1, "type": "track", "uri": t.uri}


def _artist_object(uri: str, name: str) -> dict:
    if not uri.startswith("spotify:artist:"):  # known by name only
        return {"id": None, "name": name, "type": "artist", "uri": None}
    artist_id = uri.rsplit(":", 1)[1]
    return {"external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
            "id": artist_id, "name": name, "type": "artist", "uri": uri}


def _read_features(sample_dir: Path) -> dict[str, dict[str, float]]:
    for name in ("audio_features.csv.gz", "audio_features.csv"):
        path = sample_dir / name
        if path.exists():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", newline="", encoding="utf-8") as fh:
                return {row["id"]: {k: float(v) for k, v in row.items() if k != "id" and v}
                        for row in csv.DictReader(fh)}
    return {}
