"""Realistic synthetic MPD-format sample data (numpy + stdlib only).

`generate_sample(n, seed, out_dir)` writes slice files named and shaped like the
Million Playlist Dataset's (`mpd.slice.0-999.json`, ...; `.json.gz` with gzip=True),
an `audio_features.csv` keyed by the 22-character track id for every track in the
sample, and a `manifest.json` with exact counts. Same (n, seed, start_pid, gzip,
features) -> byte-identical files; the playlists do not depend on slice_size.

The data has the MPD's shape without containing any of it (the taste model and the
synthetic catalog are in `data.sample_catalog`):

- playlist lengths 5..250, truncated lognormal: mean ~66, median 49, p10 15, p90 ~148;
- every playlist mixes one or two of 20 tastes (country, chill, rap, workout, ...)
  plus a few globally popular hits; its title comes from the taste's vocabulary,
  ~2% have a description; audio features cluster by taste;
- heavy-tailed popularity: the top track is in ~5% of playlists, the top artist in
  ~11%, most tracks in one; num_artists ~0.64 and num_albums ~0.82 of num_tracks;
  the catalog grows with the sample so that 1,000,000 playlists would show ~2.29M
  tracks / 296K artists / 731K albums (the real MPD: 2.26M / 296K / 735K);
- the real files' quirks: `"collaborative": "false"` as a string, `description` only
  on some playlists, the real key order, a few tracks repeated within a playlist
  (~0.2% of rows; the real MPD has ~1.5%).

The bundled sample (data/sample: 3,000 playlists, seed 7) measures: lengths mean
67.1 / median 49 / p10 15 / p90 152; 201,393 rows; 77,653 tracks, 11,928 artists,
40,889 albums; top track in 5.3% of playlists, top artist in 11.1%, median track
degree 1 (64% of tracks in one playlist); within-playlist audio-feature spread 0.58
of the between-playlist one; co-occurrence kNN recall@500 0.34 vs popularity 0.17.
"""
from __future__ import annotations

import gzip as _gzip
import json
import operator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from data import sample_catalog as sc
from data.atomic import atomic_path

BLOCK = 1000                # playlists drawn together (content does not depend on slice_size)
END_DAY = 1509408000        # 2017-10-31 00:00 UTC, the newest modified_at
OLDEST_AGE_DAYS = 2860      # back to early 2010
DUPLICATE_P = 0.12          # share of playlists holding one or two repeated tracks (as in MPD)
DESCRIPTION_P = 0.019
COLLABORATIVE_P = 0.023
GZIP_LEVEL = 6

_dumps = json.JSONEncoder(ensure_ascii=True).encode
_quote = json.encoder.encode_basestring_ascii  # str -> JSON string literal, ASCII-only
_POS = [f'{{"pos": {i}, ' for i in range(sc.LENGTH_RANGE[1] + 1)]


@dataclass(frozen=True)
class SampleManifest:
    playlists: int
    playlist_tracks: int
    unique_tracks: int
    unique_artists: int
    unique_albums: int
    tracks_with_features: int
    slices: list[str]
    seed: int


def generate_sample(n_playlists: int, seed: int, out_dir: Path, *, slice_size: int = 1000,
                    gzip: bool = False, features: bool = True,
                    start_pid: int = 0) -> SampleManifest:
    """Write an MPD-format sample of `n_playlists` playlists (pids from `start_pid`) to
    `out_dir`: slices of `slice_size` playlists (the last may be partial), the audio
    features of every track in them (unless features=False), and manifest.json.

    The catalog is sized for `n_playlists`; the playlists depend on (n_playlists, seed,
    start_pid), not on slice_size. Files already in `out_dir` are overwritten, never
    deleted."""
    if n_playlists < 1:
        raise ValueError("n_playlists must be at least 1")
    if slice_size < 1:
        raise ValueError("slice_size must be at least 1")
    if start_pid < 0:
        raise ValueError("start_pid must be non-negative")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cat = sc.SyntheticCatalog(n_playlists, seed)
    writer = _Writer(cat, seed)
    ext = ".json.gz" if gzip else ".json"
    stamp = _generated_on(seed)

    slices: list[str] = []
    stream = writer.playlists(n_playlists, start_pid)
    # compression (zlib releases the GIL) overlaps with drawing the next slice
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: list[Future] = []
        for first in range(start_pid, start_pid + n_playlists, slice_size):
            last = min(first + slice_size, start_pid + n_playlists) - 1
            name = f"mpd.slice.{first}-{last}{ext}"
            parts = [next(stream) for _ in range(last - first + 1)]
            head = _dumps({"generated_on": stamp, "slice": f"{first}-{last}", "version": "v1"})
            text = '{"info": ' + head + ', "playlists": [\n' + ",\n".join(parts) + "\n]}\n"
            del parts
            while len(pending) >= 2:
                pending.pop(0).result()
            pending.append(pool.submit(_write, out_dir / name, [text.encode("ascii")], gzip))
            slices.append(name)
        for job in pending:
            job.result()

    seen = np.flatnonzero(writer.seen_tracks)
    n_features = 0
    if features:
        _write(out_dir / ("audio_features.csv.gz" if gzip else "audio_features.csv"),
               _features_csv(cat, writer.names, seen), gzip)
        n_features = len(seen)
    manifest = SampleManifest(
        playlists=n_playlists, playlist_tracks=writer.rows, unique_tracks=len(seen),
        unique_artists=int(np.unique(cat.track_artist[seen]).size),
        unique_albums=int(np.unique(cat.track_album[seen]).size),
        tracks_with_features=n_features, slices=slices, seed=int(seed))
    _write(out_dir / "manifest.json",
           [(json.dumps(asdict(manifest), indent=2) + "\n").encode("ascii")], False)
    return manifest


# ----------------------------------------------------------------------------- sampling
def sample_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    lo, hi = sc.LENGTH_RANGE
    median, sigma = sc.LENGTH_LOGNORMAL
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while len(todo):
        x = np.round(np.exp(rng.normal(np.log(median), sigma, len(todo))))
        ok = (x >= lo) & (x <= hi)
        out[todo[ok]] = x[ok]
        todo = todo[~ok]
    return out


@dataclass
class Block:
    lengths: np.ndarray   # [P]
    genre1: np.ndarray    # [P] primary taste
    genre2: np.ndarray    # [P] secondary taste (== genre1 when there is none)
    offsets: np.ndarray   # [P+1] into tracks
    tracks: np.ndarray    # catalog track ids, playlist after playlist, in position order


def sample_block(cat: sc.SyntheticCatalog, rng: np.random.Generator, n: int) -> Block:
    """Track lists for `n` playlists, vectorised."""
    G = sc.N_GENRES
    share = np.array([g.share for g in sc.GENRES])
    L = sample_lengths(rng, n)
    g1 = rng.choice(G, n, p=share / share.sum())
    aff_cdf = np.cumsum(sc.partner_matrix(), axis=1)
    has2 = rng.random(n) < sc.SECOND_GENRE_P
    g2 = np.minimum((aff_cdf[g1] < rng.random(n)[:, None]).sum(axis=1), G - 1)
    g2 = np.where(has2, g2, g1)
    w1 = np.where(has2, rng.uniform(*sc.PRIMARY_WEIGHT, n), 1.0)
    n_hit = rng.binomial(L, rng.beta(*sc.HIT_SHARE, n))
    n_gen = L - n_hit

    # distinct artist draws: fewer per track in long playlists
    r = sc.ARTIST_DRAWS * (L / 40.0) ** sc.ARTIST_DRAWS_SLOPE * rng.uniform(0.75, 1.25, n)
    m = np.clip(np.round(n_gen * np.clip(r, 0.05, 1.0)), np.minimum(n_gen, 1), n_gen)
    m = m.astype(np.int64)
    dpl = np.repeat(np.arange(n), m)
    dgen = np.where(rng.random(len(dpl)) < w1[dpl], g1[dpl], g2[dpl])
    dart = cat.sample_artists(dgen, rng.random(len(dpl)))
    doff = np.concatenate([[0], np.cumsum(m)])

    # genre slots: one per artist draw, the rest repeat drawn artists (favouring the first)
    spl = np.repeat(np.arange(n), n_gen)
    local = np.arange(len(spl)) - np.repeat(np.concatenate([[0], np.cumsum(n_gen)])[:-1], n_gen)
    mm = m[spl]
    rep = np.minimum((mm * rng.random(len(spl)) ** sc.REPEAT_SKEW).astype(np.int64), mm - 1)
    pick = np.where(local >= mm, rep, local)
    strk = cat.sample_tracks(dart[doff[spl] + pick], rng.random(len(spl)))
    hpl = np.repeat(np.arange(n), n_hit)
    htrk = cat.sample_hits(rng.random(len(hpl)))

    pl = np.concatenate([spl, hpl])
    trk = np.concatenate([strk, htrk])
    order = rng.random(len(pl))
    for rnd in range(1, 1000):
        # drop repeats (keep the earliest by `order`), then top up short playlists
        key = pl * cat.n_tracks + trk
        o = np.lexsort((order, key))
        first = np.ones(len(o), dtype=bool)
        first[1:] = key[o][1:] != key[o][:-1]
        keep = o[first]
        pl, trk, order = pl[keep], trk[keep], order[keep]
        need = L - np.bincount(pl, minlength=n)
        if (need <= 0).all():
            break
        short = np.flatnonzero(need > 0)
        fpl = np.repeat(short, need[short] * 2 + 3)
        if rnd <= 8:
            fgen = np.where(rng.random(len(fpl)) < w1[fpl], g1[fpl], g2[fpl])
            ftrk = cat.sample_tracks(cat.sample_artists(fgen, rng.random(len(fpl))),
                                     rng.random(len(fpl)))
        else:  # a tiny catalog ran dry: anything will do
            ftrk = rng.integers(0, cat.n_tracks, len(fpl))
        pl = np.concatenate([pl, fpl])
        trk = np.concatenate([trk, ftrk])
        order = np.concatenate([order, rnd + rng.random(len(fpl))])
    o = np.lexsort((order, pl))
    pl, trk = pl[o], trk[o]
    start = np.concatenate([[0], np.cumsum(np.bincount(pl, minlength=n))])
    sel = (np.arange(len(pl)) - start[pl]) < L[pl]
    pl, trk = pl[sel], trk[sel]
    o = np.lexsort((rng.random(len(pl)), pl))  # positions: shuffled
    trk = trk[o]
    offsets = np.concatenate([[0], np.cumsum(L)])

    # a few playlists hold a track twice (re-added later), as real ones do
    dup = np.flatnonzero((rng.random(n) < DUPLICATE_P) & (L >= 6))
    for times in (1, 2):
        dup = dup[rng.random(len(dup)) < (1.0 if times == 1 else 0.3)]
        j = offsets[dup] + (L[dup] // 2 + (rng.random(len(dup)) * (L[dup] - L[dup] // 2))
                            .astype(np.int64))
        i = offsets[dup] + (rng.random(len(dup)) * (j - offsets[dup])).astype(np.int64)
        trk[j] = trk[i]
    return Block(lengths=L, genre1=g1, genre2=g2, offsets=offsets, tracks=trk)


# ----------------------------------------------------------------------------- writing
class _Writer:
    def __init__(self, cat: sc.SyntheticCatalog, seed: int):
        self.cat = cat
        self.seed = int(seed)
        self.names = sc.Names(cat)
        self.seen_tracks = np.zeros(cat.n_tracks, dtype=bool)
        self.rows = 0
        self._frag: list[str | None] = [None] * cat.n_tracks
        self._title_cdf = _title_cdf()

    def playlists(self, n: int, start_pid: int) -> Iterator[str]:
        for b, first in enumerate(range(0, n, BLOCK)):
            count = min(BLOCK, n - first)
            rng = np.random.default_rng([self.seed, start_pid, b, 0xB10C])
            yield from self._block(sample_block(self.cat, rng, count), rng, start_pid + first)

    def _fragments(self, tracks: np.ndarray) -> None:
        """JSON members after `pos` (in the real key order) for tracks not built yet."""
        nm, cat, frag = self.names, self.cat, self._frag
        nm.prepare(tracks)
        artist_uri, album_uri = nm.artist_uri, nm.album_uri
        artist_name, album_name = nm.artist_name, nm.album_name
        for t, tid, name, a, b, dur in zip(tracks.tolist(), nm.make_ids(sc._KIND_TRACK, tracks),
                                           nm.track_names(tracks),
                                           cat.track_artist[tracks].tolist(),
                                           cat.track_album[tracks].tolist(),
                                           cat.track_duration[tracks].tolist()):
            frag[t] = (f'"artist_name": {_quote(artist_name(a))}, '
                       f'"track_uri": "spotify:track:{tid}", "artist_uri": "{artist_uri(a)}", '
                       f'"track_name": {_quote(name)}, "album_uri": "{album_uri(b)}", '
                       f'"duration_ms": {dur}, "album_name": {_quote(album_name(b))}}}')

    def _block(self, blk: Block, rng: np.random.Generator, pid0: int) -> Iterator[str]:
        cat = self.cat
        n = len(blk.lengths)
        trk = blk.tracks
        self._fragments(np.unique(trk[~self.seen_tracks[trk]]))
        self.seen_tracks[trk] = True
        self.rows += len(trk)
        pl = np.repeat(np.arange(n), blk.lengths)
        art = cat.track_artist[trk]
        num_artists = np.bincount(np.unique(pl * cat.n_artists + art) // cat.n_artists,
                                  minlength=n).tolist()
        num_albums = np.bincount(np.unique(pl * cat.n_albums_catalog + cat.track_album[trk])
                                 // cat.n_albums_catalog, minlength=n).tolist()
        duration = np.bincount(pl, weights=cat.track_duration[trk], minlength=n)
        duration = duration.astype(np.int64).tolist()
        age = np.minimum(np.floor(np.exp(rng.normal(np.log(210), 1.3, n))), OLDEST_AGE_DAYS)
        modified = (END_DAY - age.astype(np.int64) * 86400).tolist()
        edits = np.exp(rng.normal(np.log(2 + blk.lengths / 6.0), 0.7))
        edits = np.clip(np.round(edits), 1, blk.lengths).astype(np.int64).tolist()
        followers = np.minimum(rng.zipf(2.6, n), 50_000).tolist()
        collab = (rng.random(n) < COLLABORATIVE_P).tolist()
        has_desc = (rng.random(n) < DESCRIPTION_P).tolist()
        u = rng.random((n, 6))
        genre = np.where(u[:, 0] < 0.85, blk.genre1, blk.genre2)
        base = (self._title_cdf[genre] <= u[:, 1:2]).sum(axis=1)
        titles = [sc.GENRES[g].titles[min(i, len(sc.GENRES[g].titles) - 1)]
                  for g, i in zip(genre.tolist(), base.tolist())]
        u = u.tolist()
        frag = self._frag
        offsets = blk.offsets.tolist()
        for p in range(n):
            lo, hi = offsets[p], offsets[p + 1]
            rows = ", ".join(map(operator.add, _POS, [frag[t] for t in trk[lo:hi].tolist()]))
            name = self._title(titles[p], art[lo:hi], modified[p], u[p])
            text = (f'{{"name": {_quote(name)}, '
                    f'"collaborative": "{"true" if collab[p] else "false"}", "pid": {pid0 + p}, '
                    f'"modified_at": {modified[p]}, "num_tracks": {hi - lo}, '
                    f'"num_albums": {num_albums[p]}, "num_followers": {followers[p]}, '
                    f'"tracks": [{rows}], "num_edits": {edits[p]}, '
                    f'"duration_ms": {duration[p]}, "num_artists": {num_artists[p]}')
            if has_desc[p]:
                g = sc.GENRES[int(blk.genre1[p])]
                desc = sc.DESCRIPTIONS[int(u[p][4] * len(sc.DESCRIPTIONS))].format(k=g.keyword)
                text += f', "description": {_quote(desc.capitalize() if u[p][5] < 0.5 else desc)}'
            yield text + "}"

    def _title(self, name: str, artists: np.ndarray, modified: int, u: list[float]) -> str:
        """Vary the taste's title like real ones: seasons, years, emoji, case, names."""
        year = 1970 + modified // 31_556_952
        v = u[2]
        if v < 0.03:
            season = sc.SEASONS[int(u[3] * len(sc.SEASONS))]
            yr = (str(year), str(year), f"'{year % 100:02d}", str(year % 100))[int(u[4] * 4)]
            name = f"{season} {yr}"
        elif v < 0.06:
            name = f"{name} {year}"
        elif v < 0.12:
            name = sc.GENERIC_TITLES[int(u[3] * len(sc.GENERIC_TITLES))]
        elif v < 0.14:
            top, count = np.unique(artists, return_counts=True)
            if count.max() >= 0.25 * len(artists):  # named after the artist it is about
                name = self.names.artist_name(int(top[np.argmax(count)]))
                name = name.lower() if u[3] < 0.5 else name
        elif v < 0.16:
            name = sc.FIRST[int(u[3] * len(sc.FIRST))]
            name = name.upper() if u[4] < 0.3 else name.lower() if u[4] < 0.5 else name
        w = u[5]
        if w < 0.04:
            name = f"{name} {sc.EMOJI[int(w * 1000) % len(sc.EMOJI)]}"
        elif w < 0.08:
            name += " "  # real titles keep their trailing spaces
        elif w < 0.16:
            name = name.lower()
        return name


def _title_cdf() -> np.ndarray:
    """[genre, title] cumulative weights (Zipf over each taste's title list, padded with 1)."""
    width = max(len(g.titles) for g in sc.GENRES)
    out = np.ones((sc.N_GENRES, width))
    for i, g in enumerate(sc.GENRES):
        w = 1.0 / (np.arange(len(g.titles)) + 1.5)
        out[i, :len(g.titles)] = np.cumsum(w / w.sum())
        out[i, len(g.titles) - 1:] = 1.0
    return out


def _generated_on(seed: int) -> str:
    h = sc.mix64(int(seed) & ((1 << 64) - 1))
    return (f"2017-12-{1 + h % 28:02d} {(h >> 8) % 24:02d}:{(h >> 16) % 60:02d}:"
            f"{(h >> 24) % 60:02d}.{(h >> 32) % 1_000_000:06d}")


def _features_csv(cat: sc.SyntheticCatalog, names: sc.Names, tracks: np.ndarray,
                  chunk: int = 20_000) -> Iterator[bytes]:
    """audio_features.csv, in chunks of rows."""
    f = sc.audio_features(cat, tracks)
    yield ("id," + ",".join(sc.FEATURE_COLUMNS) + "\n").encode("ascii")
    row = "%s,%.3f,%.3f,%d,%.3f,%d,%.3g,%.3g,%.3g,%.3f,%.3f,%.3f,%d,%d\n"
    for lo in range(0, len(tracks), chunk):
        sl = slice(lo, lo + chunk)
        ids = names.make_ids(sc._KIND_TRACK, tracks[sl])
        cols = [ids] + [f[c][sl].tolist() for c in sc.FEATURE_COLUMNS]
        yield "".join([row % r for r in zip(*cols)]).encode("ascii")


def _write(path: Path, chunks: Iterable[bytes], compress: bool) -> None:
    """Write atomically; gzip without a timestamp or name, so output is byte-identical."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if compress:
            with _gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0,
                                compresslevel=GZIP_LEVEL) as gz:
                for data in chunks:
                    gz.write(data)
        else:
            for data in chunks:
                fh.write(data)
