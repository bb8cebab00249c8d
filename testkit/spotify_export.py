"""Generated Spotify data exports, in the documented shapes, for tests and benchmarks.

Never a real person's export: the listener, the IP addresses (TEST-NET-3, 203.0.113.x),
user agents and e-mail are made up, and the tracks come from the catalog the test built
(plus tracks the catalog lacks, with made-up URIs and names).

`generate_history` draws one listener's plays over a time span; `write_export` writes the
part of it between two times as an export folder or .zip, with the account-data files,
and returns an `ExportManifest`: what an import of exactly those files must store.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from data.spotify_export import normalize_name

EXTENDED_DIR = "Spotify Extended Streaming History"
ACCOUNT_DIR = "Spotify Account Data"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PLATFORMS = ("android", "ios", "windows", "osx", "web_player")
_COUNTRIES = ("DE", "SE", "FR")
YEAR_S = 365 * 86400


@dataclass(frozen=True)
class ExportTrack:
    uri: str
    name: str
    artist: str
    album: str
    duration_ms: int


@dataclass
class History:
    """One listener's generated rows (extended-history dicts, ts ascending) and tracks."""
    username: str
    rows: list[dict]
    ts: np.ndarray  # int64 [rows] Unix seconds
    catalog_uris: set[str]  # URIs of the tracks that came from the catalog
    library: list[ExportTrack]
    playlists: list[tuple[str, list[ExportTrack | str]]]  # items: a track or 'episode'/'local'
    local_names: list[tuple[str, str]]  # (artist, track) of local files: short history only


@dataclass
class ExportManifest:
    """What importing the written files must store (the generator's ground truth)."""
    plays: int = 0
    play_keys: set[tuple[int, str, int]] = field(default_factory=set)  # (ts, uri, ms_played)
    skipped: dict[str, int] = field(default_factory=dict)  # kind -> rows
    track_uris: set[str] = field(default_factory=set)  # every track URI in the files
    new_uris: set[str] = field(default_factory=set)  # those the catalog lacked
    playlists: dict[str, list[str]] = field(default_factory=dict)  # source_id suffix -> URIs
    short_rows: int = 0
    short_unmatched: int = 0  # local files: no catalog track has their names
    ip_addresses: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)  # other strings that must not be stored
    files: list[str] = field(default_factory=list)


def catalog_export_tracks(rows: Sequence[dict]) -> list[ExportTrack]:
    """ExportTracks from `Catalog.tracks()` rows, keeping only tracks whose (artist, name)
    is unique after normalization, so the short history's name match is unambiguous."""
    keys: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (normalize_name(r["artist"] or ""), normalize_name(r["name"]))
        keys[key] = keys.get(key, 0) + 1
    return [ExportTrack(r["uri"], r["name"], r["artist"], r["album"] or "",
                        int(r["duration_ms"] or 200_000)) for r in rows
            if r["artist"] and keys[(normalize_name(r["artist"]), normalize_name(r["name"]))] == 1]


def generate_history(catalog_tracks: Sequence[ExportTrack], *, plays: int, start: datetime,
                     days: int = 730, new_tracks: int = 200, username: str = "listener-test",
                     seed: int = 21, episode_share: float = 0.03, audiobook_share: float = 0.005,
                     null_share: float = 0.01, skip_share: float = 0.3) -> History:
    """`plays` extended-history rows over `days` from `start` (UTC), about `plays` x
    (1 - episode/audiobook/null shares) of them music; music drawn from the catalog's
    tracks and `new_tracks` made-up ones with a long-tailed taste."""
    rng = np.random.default_rng(seed)
    made_up = [ExportTrack(_uri(rng), f"Export Song {i}", f"Export Artist {i % 37}",
                           f"Export Album {i % 53}", int(rng.integers(120_000, 360_000)))
               for i in range(new_tracks)]
    pool = list(catalog_tracks[:max(1, 4 * new_tracks)]) + made_up
    order = rng.permutation(len(pool))
    taste = 1.0 / np.arange(1, len(pool) + 1) ** 0.9
    taste /= taste.sum()
    t0 = int(start.replace(tzinfo=timezone.utc).timestamp())
    span = days * 86400
    ts = np.unique(rng.integers(0, span, int(plays * 1.1) + 10))
    ts = np.sort(rng.choice(ts, plays, replace=False)) + t0
    # Evenings more: move a share of the plays to an hour from 18 to 23 of their day.
    hour = (ts // 3600) % 24
    late = rng.random(plays) < 0.4
    ts = np.where(late & (hour < 18), ts + (rng.integers(18, 24, plays) - hour) * 3600, ts)
    ts = np.unique(ts)
    while len(ts) < plays:  # the shift made a few equal: draw replacements
        ts = np.unique(np.concatenate([ts, rng.integers(t0, t0 + span, plays - len(ts))]))
    ts = np.sort(ts[:plays])

    kind = rng.choice(4, plays, p=[1 - episode_share - audiobook_share - null_share,
                                   episode_share, audiobook_share, null_share])
    picks = order[rng.choice(len(pool), plays, p=taste)]
    skipped = rng.random(plays) < skip_share
    rows = []
    seen_short: set[tuple[int, str, int]] = set()
    for i in range(plays):
        row = _base_row(rng, int(ts[i]))
        if kind[i] == 0:
            track = pool[picks[i]]
            ms = int(rng.integers(500, 30_000)) if skipped[i] else track.duration_ms
            # The short history knows the minute only: keep (minute, track, ms) unique.
            while (int(ts[i]) // 60, track.uri, ms) in seen_short:
                ms += 1
            seen_short.add((int(ts[i]) // 60, track.uri, ms))
            row.update(ms_played=ms, spotify_track_uri=track.uri,
                       master_metadata_track_name=track.name,
                       master_metadata_album_artist_name=track.artist,
                       master_metadata_album_album_name=track.album,
                       reason_end="fwdbtn" if skipped[i] else "trackdone",
                       skipped=bool(skipped[i]))
        elif kind[i] == 1:
            row.update(ms_played=int(rng.integers(1000, 3_000_000)),
                       episode_name=f"Episode {i}", episode_show_name="A Generated Show",
                       spotify_episode_uri=f"spotify:episode:{_uri(rng)[14:]}")
        elif kind[i] == 2:
            row.update(ms_played=int(rng.integers(1000, 3_000_000)),
                       audiobook_title="A Generated Book",
                       audiobook_uri=f"spotify:audiobook:{_uri(rng)[14:]}",
                       audiobook_chapter_uri=f"spotify:chapter:{_uri(rng)[14:]}",
                       audiobook_chapter_title="Chapter 1")
        else:
            row.update(ms_played=int(rng.integers(0, 5000)))  # no URI at all
        rows.append(row)

    played = [pool[k] for k in dict.fromkeys(picks.tolist())]
    library = played[:40] + made_up[-3:]  # a few saved but never played
    lists: list[tuple[str, list[ExportTrack | str]]] = [
        ("Road trip", [*played[5:25], "episode", *made_up[-2:]]),
        ("Focus", [*played[30:42], "local"]),
        ("Focus", played[50:58]),  # a second playlist of the same name
    ]
    local_names = [(f"Local Artist {i}", f"Home Recording {i}") for i in range(7)]
    return History(username, rows, ts, {t.uri for t in catalog_tracks}, library, lists,
                   local_names)


def write_export(history: History, out: Path, *, since: int | None = None,
                 until: int | None = None, as_zip: bool = False, endsong: bool = False,
                 file_rows: int = 20_000, account: bool = True) -> ExportManifest:
    """Write the rows with since <= ts < until as an export at `out` (a folder, or a .zip
    when `as_zip`), with the account data (library, playlists, the short history of the
    last year, Userdata.json) unless `account` is False. `endsong`: the older extended
    format (`endsong_N.json`, with username, ip_addr_decrypted, user_agent_decrypted)."""
    lo = since if since is not None else int(history.ts[0])
    hi = until if until is not None else int(history.ts[-1]) + 1
    keep = np.flatnonzero((history.ts >= lo) & (history.ts < hi))
    rows = [history.rows[i] for i in keep.tolist()]
    manifest = ExportManifest()
    files: dict[str, object] = {}
    if endsong:
        rows = [_endsong(r, history.username) for r in rows]
    for n, first in enumerate(range(0, len(rows), file_rows)):
        part = rows[first:first + file_rows]
        if endsong:
            name = f"endsong_{n}.json"
        else:
            y0, y1 = _year(part[0]["ts"]), _year(part[-1]["ts"])
            name = f"Streaming_History_Audio_{y0}{'' if y0 == y1 else '-' + y1}_{n}.json"
        files[f"{EXTENDED_DIR}/{name}"] = part
    skipped = {"episode": 0, "audiobook": 0, "no_track_uri": 0}
    for r in rows:
        for key in ("ip_addr", "ip_addr_decrypted"):
            if r.get(key):
                manifest.ip_addresses.add(r[key])
        if r.get("user_agent_decrypted"):
            manifest.secrets.add(r["user_agent_decrypted"])
        if r["spotify_track_uri"]:
            manifest.plays += 1
            manifest.play_keys.add((_epoch(r["ts"]), r["spotify_track_uri"], r["ms_played"]))
            manifest.track_uris.add(r["spotify_track_uri"])
        elif r.get("spotify_episode_uri"):
            skipped["episode"] += 1
        elif r.get("audiobook_uri"):
            skipped["audiobook"] += 1
        else:
            skipped["no_track_uri"] += 1

    if account:
        files[f"{ACCOUNT_DIR}/Userdata.json"] = {
            "username": history.username, "email": "listener@example.invalid",
            "country": "DE", "birthdate": "1990-01-01", "gender": "neutral",
            "postalCode": None, "mobileNumber": None, "creationTime": "2015-01-01"}
        files[f"{ACCOUNT_DIR}/YourLibrary.json"] = {
            "tracks": [{"artist": t.artist, "album": t.album, "track": t.name, "uri": t.uri}
                       for t in history.library],
            "albums": [], "shows": [], "episodes": [], "bannedTracks": [], "artists": [],
            "other": []}
        manifest.playlists["library"] = [t.uri for t in history.library]
        manifest.track_uris.update(t.uri for t in history.library)
        items_out = []
        names: dict[str, int] = {}
        for name, items in history.playlists:
            names[name] = names.get(name, 0) + 1
            key = f"playlist:{name}" + (f"#{names[name]}" if names[name] > 1 else "")
            manifest.playlists[key] = [t.uri for t in items if isinstance(t, ExportTrack)]
            manifest.track_uris.update(manifest.playlists[key])
            skipped["episode"] += sum(1 for t in items if t == "episode")
            skipped["local"] = skipped.get("local", 0) + sum(1 for t in items if t == "local")
            items_out.append({
                "name": name, "lastModifiedDate": "2024-05-01", "description": None,
                "numberOfFollowers": 0,
                "items": [_playlist_item(t) for t in items]})
        files[f"{ACCOUNT_DIR}/Playlist1.json"] = {"playlists": items_out}
        short = [{"endTime": _minute(r["ts"]), "artistName": r["master_metadata_album_artist_name"],
                  "trackName": r["master_metadata_track_name"], "msPlayed": r["ms_played"]}
                 for r in rows if r["spotify_track_uri"] and _epoch(r["ts"]) >= hi - YEAR_S]
        local = [{"endTime": _minute(_iso(hi - 3600 * (i + 1))), "artistName": a,
                  "trackName": t, "msPlayed": 150_000} for i, (a, t) in enumerate(
                      history.local_names)]
        short = sorted(short + local, key=lambda r: r["endTime"])
        for n, first in enumerate(range(0, len(short), 10_000)):
            files[f"{ACCOUNT_DIR}/StreamingHistory_music_{n}.json"] = short[first:first + 10_000]
        manifest.short_rows = len(short)
        manifest.short_unmatched = len(local)
    manifest.skipped = {k: v for k, v in skipped.items() if v}
    manifest.new_uris = manifest.track_uris - history.catalog_uris
    manifest.secrets.add(history.username)
    if account:
        manifest.secrets.add("listener@example.invalid")
    manifest.files = sorted(files)
    _write(files, out, as_zip)
    return manifest


def _write(files: dict[str, object], out: Path, as_zip: bool) -> None:
    if as_zip:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                archive.writestr(f"my_spotify_data/{name}", json.dumps(content, indent=1))
        return
    for name, content in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=1), encoding="utf-8")


def _base_row(rng: np.random.Generator, ts: int) -> dict:
    return {
        "ts": _iso(ts), "platform": _PLATFORMS[int(rng.integers(len(_PLATFORMS)))],
        "ms_played": 0, "conn_country": _COUNTRIES[int(rng.integers(len(_COUNTRIES)))],
        "ip_addr": f"203.0.113.{int(rng.integers(1, 255))}",
        "master_metadata_track_name": None, "master_metadata_album_artist_name": None,
        "master_metadata_album_album_name": None, "spotify_track_uri": None,
        "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
        "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None, "reason_start": "clickrow" if rng.random() < 0.3
        else "trackdone", "reason_end": "endplay", "shuffle": bool(rng.random() < 0.4),
        "skipped": None, "offline": bool(rng.random() < 0.05), "offline_timestamp": None,
        "incognito_mode": bool(rng.random() < 0.02),
    }


def _endsong(row: dict, username: str) -> dict:
    out = {k: v for k, v in row.items() if not k.startswith("audiobook") and k != "ip_addr"}
    out.update(username=username, ip_addr_decrypted=row["ip_addr"],
               user_agent_decrypted=f"unknown-agent/{row['platform']}-generated")
    out["spotify_episode_uri"] = row["spotify_episode_uri"]
    if row.get("audiobook_uri"):  # older exports had no audiobooks: such a row has no URI
        out["spotify_track_uri"] = None
    return out


def _playlist_item(item: ExportTrack | str) -> dict:
    base = {"track": None, "episode": None, "audiobook": None, "localTrack": None,
            "addedDate": "2024-04-01"}
    if item == "episode":
        base["episode"] = {"episodeName": "A Generated Episode", "showName": "A Generated Show",
                           "episodeUri": "spotify:episode:0000000000000000000000"}
    elif item == "local":
        base["localTrack"] = {"uri": "spotify:local:Local+Artist::Home+Recording:180"}
    else:
        base["track"] = {"trackName": item.name, "artistName": item.artist,
                         "albumName": item.album, "trackUri": item.uri}
    return base


def _uri(rng: np.random.Generator) -> str:
    return "spotify:track:" + "".join(_BASE62[i] for i in rng.integers(0, 62, 22))


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _minute(iso: str) -> str:
    return iso[:10] + " " + iso[11:16]


def _year(iso: str) -> str:
    return iso[:4]
