"""The catalog schema and its migrations, versioned with PRAGMA user_version.

Each migration is a script that takes the database from version i to i + 1.
Append new migrations at the end; never edit one that has shipped.
"""
from __future__ import annotations

import sqlite3
from typing import Callable

from data import home
from data.playlist_identity import mark_bundled_sample

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

_V2_CRAWL = """
-- The crawler's state (python -m crawler), next to the catalog it fills. Playlists,
-- tracks, artists and albums a crawl finds live in the core tables; these hold what
-- only the crawl needs: the frontier, the visited sets, provenance, the
-- playlist-artist graph, the pages of the unit in flight and the live counters.

-- One row per crawl: its settings, state and counters (the dashboard polls this row).
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    seeds TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'stopped', 'done', 'failed')),
    message TEXT,
    resume_after TEXT,
    pid INTEGER,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    waits INTEGER NOT NULL DEFAULT 0,
    wait_s REAL NOT NULL DEFAULT 0,
    skipped_null INTEGER NOT NULL DEFAULT 0,
    skipped_local INTEGER NOT NULL DEFAULT 0,
    skipped_episode INTEGER NOT NULL DEFAULT 0,
    skipped_invalid INTEGER NOT NULL DEFAULT 0,
    features TEXT
);

-- Every playlist a crawl has met: status 'queued' is the frontier (popped by seq, so
-- breadth first); 'crawled' and 'unreachable' are the visited set, in visit_seq order.
-- The metadata columns hold what discovery said, so the frontier can be shown.
CREATE TABLE crawl_playlists (
    crawl_id INTEGER NOT NULL REFERENCES crawls (id),
    spotify_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    found_via INTEGER REFERENCES artists (id),
    status TEXT NOT NULL CHECK (status IN ('queued', 'crawled', 'unreachable')),
    reason TEXT,
    visit_seq INTEGER,
    playlist_id INTEGER REFERENCES playlists (id),
    name TEXT,
    description TEXT,
    owner_id TEXT,
    owner_name TEXT,
    collaborative INTEGER,
    total INTEGER,
    tracks INTEGER,
    skipped INTEGER,
    PRIMARY KEY (crawl_id, spotify_id)
) WITHOUT ROWID;
CREATE INDEX crawl_playlists_by_status ON crawl_playlists (crawl_id, status, seq);

-- Artists met in crawled playlists, in discovery order; each is searched at most once.
CREATE TABLE crawl_artists (
    crawl_id INTEGER NOT NULL REFERENCES crawls (id),
    artist_id INTEGER NOT NULL REFERENCES artists (id),
    seq INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    searched INTEGER NOT NULL DEFAULT 0,
    query TEXT,
    pages INTEGER,
    found INTEGER,
    PRIMARY KEY (crawl_id, artist_id)
) WITHOUT ROWID;
CREATE INDEX crawl_artists_pending ON crawl_artists (crawl_id, searched, seq);
CREATE INDEX crawl_artists_by_query ON crawl_artists (crawl_id, query);

-- The playlist-artist graph: a crawled playlist holds tracks by the artist ...
CREATE TABLE crawl_playlist_artists (
    crawl_id INTEGER NOT NULL REFERENCES crawls (id),
    spotify_id TEXT NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES artists (id),
    tracks INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, spotify_id, artist_id)
) WITHOUT ROWID;

-- ... and searching the artist's name found the playlist (rank = place in the results).
CREATE TABLE crawl_artist_finds (
    crawl_id INTEGER NOT NULL REFERENCES crawls (id),
    artist_id INTEGER NOT NULL REFERENCES artists (id),
    spotify_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, artist_id, spotify_id)
) WITHOUT ROWID;

-- API pages fetched for the unit in flight; a resumed crawl reads them instead of asking
-- again. Deleted when the unit commits.
CREATE TABLE crawl_pages (
    crawl_id INTEGER NOT NULL REFERENCES crawls (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    page INTEGER NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (crawl_id, kind, key, page)
) WITHOUT ROWID;
"""

_V3_COUNTS = """
-- Graph statistics kept at write time (data.graph_counts), so that no read rescans the
-- playlist-track rows: per track and per artist the distinct playlists holding it, by
-- source (rows with both zero are absent), the degree histograms and counters.
CREATE TABLE track_playlist_counts (
    track_id INTEGER PRIMARY KEY REFERENCES tracks (id),
    mpd INTEGER NOT NULL,
    spotify INTEGER NOT NULL
);
CREATE TABLE artist_playlist_counts (
    artist_id INTEGER PRIMARY KEY REFERENCES artists (id),
    mpd INTEGER NOT NULL,
    spotify INTEGER NOT NULL
);
CREATE TABLE degree_histogram (
    kind TEXT NOT NULL CHECK (kind IN ('playlist', 'track', 'artist')),
    degree INTEGER NOT NULL,
    nodes INTEGER NOT NULL,
    PRIMARY KEY (kind, degree)
) WITHOUT ROWID;
CREATE TABLE graph_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
-- Playlists whose rows are stored but not yet in the counts (an MPD ingest counts its
-- playlists at its end; a killed one leaves them here for the next).
CREATE TABLE uncounted_playlists (playlist_id INTEGER PRIMARY KEY REFERENCES playlists (id));

-- What the store holds already, counted once.
INSERT INTO track_playlist_counts (track_id, mpd, spotify)
SELECT pt.track_id, count(DISTINCT CASE WHEN p.source = 'mpd' THEN pt.playlist_id END),
       count(DISTINCT CASE WHEN p.source = 'spotify' THEN pt.playlist_id END)
FROM playlist_tracks pt JOIN playlists p ON p.id = pt.playlist_id GROUP BY pt.track_id;
INSERT INTO artist_playlist_counts (artist_id, mpd, spotify)
SELECT ta.artist_id, count(DISTINCT CASE WHEN p.source = 'mpd' THEN pt.playlist_id END),
       count(DISTINCT CASE WHEN p.source = 'spotify' THEN pt.playlist_id END)
FROM track_artists ta JOIN playlist_tracks pt ON pt.track_id = ta.track_id
JOIN playlists p ON p.id = pt.playlist_id GROUP BY ta.artist_id;
INSERT INTO degree_histogram (kind, degree, nodes)
SELECT 'playlist', d, count(*) FROM (SELECT count(DISTINCT track_id) AS d FROM playlist_tracks
                                     GROUP BY playlist_id) GROUP BY d;
INSERT INTO degree_histogram (kind, degree, nodes)
SELECT 'track', mpd + spotify, count(*) FROM track_playlist_counts GROUP BY mpd + spotify;
INSERT INTO degree_histogram (kind, degree, nodes)
SELECT 'artist', mpd + spotify, count(*) FROM artist_playlist_counts GROUP BY mpd + spotify;
INSERT INTO graph_counters (name, value)
SELECT 'playlist_track_rows', count(*) FROM playlist_tracks
UNION ALL SELECT 'playlist_track_edges', coalesce(sum(mpd + spotify), 0) FROM track_playlist_counts
UNION ALL SELECT 'tracks_mpd', count(*) FILTER (WHERE mpd > 0) FROM track_playlist_counts
UNION ALL SELECT 'tracks_spotify', count(*) FILTER (WHERE spotify > 0) FROM track_playlist_counts
UNION ALL SELECT 'tracks_both', count(*) FILTER (WHERE mpd > 0 AND spotify > 0) FROM track_playlist_counts
UNION ALL SELECT 'artists_mpd', count(*) FILTER (WHERE mpd > 0) FROM artist_playlist_counts
UNION ALL SELECT 'artists_spotify', count(*) FILTER (WHERE spotify > 0) FROM artist_playlist_counts
UNION ALL SELECT 'artists_both', count(*) FILTER (WHERE mpd > 0 AND spotify > 0) FROM artist_playlist_counts;
"""

_V4_SAMPLE_SOURCE = """
-- A playlist's identity includes where it came from: the bundled generated sample gets
-- source 'sample', so its pids never shadow a real MPD copy's ('mpd'); 'export' is a
-- user's own Spotify data export. The graph-count columns stay two: `mpd` counts 'mpd' and
-- 'sample' playlists, `spotify` counts 'spotify' and 'export' ones (data.graph_counts).
-- SQLite cannot change a CHECK in place: the table is rebuilt (ids kept) and renamed.
CREATE TABLE playlists_v4 (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('mpd', 'sample', 'spotify', 'export')),
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
INSERT INTO playlists_v4 SELECT * FROM playlists;
DROP TABLE playlists;
ALTER TABLE playlists_v4 RENAME TO playlists;
"""


def _v4_sample_source(conn: sqlite3.Connection) -> None:
    """Rebuild `playlists` with the new sources, then re-label the stored playlists that
    came from the bundled sample (rule: data.playlist_identity.mark_bundled_sample)."""
    for statement in _statements(_V4_SAMPLE_SOURCE):
        conn.execute(statement)
    mark_bundled_sample(lambda sql, params: conn.execute(sql, tuple(params)),
                        home.BUNDLED_SAMPLE)


_V5_LISTENING = """
-- A listener's plays from Spotify's data export (python -m data listening). The
-- listener's id is the export's username or the name given with --as; nothing else about
-- the person is stored (the export's ip_addr and user agent are never even decoded).
CREATE TABLE listeners (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- One row per play. ts: when the play ended, Unix seconds UTC ('account' rows, from the
-- short history, know it to the minute). The key makes a re-import add nothing.
CREATE TABLE plays (
    listener_id INTEGER NOT NULL REFERENCES listeners (id),
    ts INTEGER NOT NULL,
    track_id INTEGER NOT NULL REFERENCES tracks (id),
    ms_played INTEGER NOT NULL,
    reason_start TEXT,
    reason_end TEXT,
    shuffle INTEGER,
    skipped INTEGER,
    offline INTEGER,
    incognito INTEGER,
    platform TEXT,
    conn_country TEXT,
    history TEXT NOT NULL CHECK (history IN ('extended', 'account')),
    PRIMARY KEY (listener_id, ts, track_id, ms_played)
) WITHOUT ROWID;
CREATE INDEX plays_by_track ON plays (track_id);
-- One row per export file imported (what the import itself recorded as done).
CREATE TABLE listening_files (
    listener_id INTEGER NOT NULL REFERENCES listeners (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    rows INTEGER NOT NULL,
    plays INTEGER NOT NULL,
    skipped TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (listener_id, name)
) WITHOUT ROWID;
"""

# Secondary indexes a bulk load may drop and rebuild (see Catalog.bulk_load);
# each statement must match its migration's.
DEFERRABLE_INDEXES = {
    "playlist_tracks_by_track":
        "CREATE INDEX playlist_tracks_by_track ON playlist_tracks (track_id, playlist_id)",
    "track_artists_by_artist":
        "CREATE INDEX track_artists_by_artist ON track_artists (artist_id, track_id)",
}

# A migration is a script, or a function for one that needs more than SQL.
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    _V1_CORE, _V2_CRAWL, _V3_COUNTS, _v4_sample_source, _V5_LISTENING]
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
            step = MIGRATIONS[version]
            if callable(step):
                step(conn)
            else:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # an interrupt may land after the COMMIT (Catalog.write)
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
