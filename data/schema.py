"""The catalog schema and its migrations, versioned with PRAGMA user_version.

Each migration is a script that takes the database from version i to i + 1.
Append new migrations at the end; never edit one that has shipped.
"""
from __future__ import annotations

import sqlite3

AUDIO_FEATURES = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness",
    "acousticness", "instrumentalness", "liveness", "valence", "tempo",
)

_V1_CORE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('store_version', '0');

-- Artists are keyed by Spotify URI; one known only by name (MPD extracts without
-- artist_uri) is keyed 'name:<artist name>' with name_only = 1.
CREATE TABLE artists (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_only INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE albums (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    name TEXT
);
CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    album_id INTEGER REFERENCES albums (id),
    duration_ms INTEGER
);
CREATE TABLE track_artists (
    track_id INTEGER NOT NULL REFERENCES tracks (id),
    artist_id INTEGER NOT NULL REFERENCES artists (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (track_id, artist_id)
) WITHOUT ROWID;
CREATE INDEX track_artists_by_artist ON track_artists (artist_id, track_id);

-- source 'mpd' has source_id = pid; source 'spotify' has source_id = the playlist id.
-- The counters are NULL where the source does not give them.
CREATE TABLE playlists (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('mpd', 'spotify')),
    source_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    owner_id TEXT,
    owner_name TEXT,
    collaborative INTEGER,
    modified_at INTEGER,
    num_tracks INTEGER,
    num_albums INTEGER,
    num_artists INTEGER,
    num_followers INTEGER,
    num_edits INTEGER,
    duration_ms INTEGER,
    UNIQUE (source, source_id)
);
CREATE TABLE playlist_tracks (
    playlist_id INTEGER NOT NULL REFERENCES playlists (id),
    position INTEGER NOT NULL,
    track_id INTEGER NOT NULL REFERENCES tracks (id),
    PRIMARY KEY (playlist_id, position)
) WITHOUT ROWID;
CREATE INDEX playlist_tracks_by_track ON playlist_tracks (track_id, playlist_id);

CREATE TABLE audio_features (
    track_id INTEGER PRIMARY KEY REFERENCES tracks (id),
    danceability REAL, energy REAL, key INTEGER, loudness REAL, mode INTEGER,
    speechiness REAL, acousticness REAL, instrumentalness REAL, liveness REAL,
    valence REAL, tempo REAL,
    source TEXT NOT NULL
);

-- One row per MPD slice file that was ingested (for reporting and the dashboard).
CREATE TABLE ingested_slices (
    name TEXT PRIMARY KEY,
    playlists INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
) WITHOUT ROWID;
"""

MIGRATIONS: list[str] = [_V1_CORE]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    pass


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION, one transaction per migration."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"catalog schema version {current} is newer than this code ({SCHEMA_VERSION}); "
            "update PlaylistGraph or use another PLAYLISTGRAPH_HOME"
        )
    for version in range(current, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] != version:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit implicitly)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
