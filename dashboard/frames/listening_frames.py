"""The Listening page's figures as pure functions of two frames (tested without Streamlit):

plays:  ts (datetime64, UTC), track_id, ms_played, skipped (bool), completed (bool);
        one row per play, ts ascending
tracks: track_id, name, artist, in_mpd (bool), in_crawl (bool); one row per played track
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.listening_reads import ListenerPlays

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MS_PER_HOUR = 3_600_000


def plays_frame(plays: ListenerPlays) -> pd.DataFrame:
    return pd.DataFrame({
        "ts": pd.to_datetime(plays.ts, unit="s", utc=True),
        "track_id": plays.track_id, "ms_played": plays.ms_played,
        "skipped": plays.skipped, "completed": plays.completed})


@dataclass(frozen=True)
class ListeningSummary:
    plays: int
    hours: float
    tracks: int  # distinct
    artists: int  # distinct
    skip_rate: float  # share of plays skipped
    new_share: float  # share of plays that were a track's first play
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def summary(plays: pd.DataFrame, tracks: pd.DataFrame) -> ListeningSummary:
    n = len(plays)
    if n == 0:
        return ListeningSummary(0, 0.0, 0, 0, 0.0, 0.0, None, None)
    played = tracks[tracks.track_id.isin(plays.track_id.unique())]
    return ListeningSummary(
        plays=n, hours=float(plays.ms_played.sum()) / _MS_PER_HOUR,
        tracks=int(plays.track_id.nunique()), artists=int(played.artist.nunique()),
        skip_rate=float(plays.skipped.mean()), new_share=float(first_plays(plays).mean()),
        first=plays.ts.iloc[0], last=plays.ts.iloc[-1])


def first_plays(plays: pd.DataFrame) -> pd.Series:
    """bool per play: the first play of its track in this history (plays are ts-ascending)."""
    return ~plays.track_id.duplicated()


def hours_per_month(plays: pd.DataFrame) -> pd.DataFrame:
    """month (first day, naive), hours, plays, skip_rate; every month from first to last."""
    if plays.empty:
        return pd.DataFrame(columns=["month", "hours", "plays", "skip_rate"])
    month = plays.ts.dt.tz_localize(None).dt.to_period("M")
    out = plays.groupby(month).agg(ms=("ms_played", "sum"), plays=("ms_played", "size"),
                                   skip_rate=("skipped", "mean"))
    out = out.reindex(pd.period_range(month.iloc[0], month.iloc[-1], freq="M"),
                      fill_value=0)
    return pd.DataFrame({"month": out.index.to_timestamp(), "hours": out.ms / _MS_PER_HOUR,
                         "plays": out.plays.astype(int),
                         "skip_rate": out.skip_rate.astype(float)}).reset_index(drop=True)


def top_tracks(plays: pd.DataFrame, tracks: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """track, artist, hours, plays, skip_rate: the n tracks with the most time played."""
    by = plays.groupby("track_id").agg(ms=("ms_played", "sum"), plays=("ms_played", "size"),
                                       skip_rate=("skipped", "mean"))
    top = by.sort_values(["ms", "plays"], ascending=False).head(n).join(
        tracks.set_index("track_id")[["name", "artist"]])
    return pd.DataFrame({"track": top.name.values, "artist": top.artist.values,
                         "hours": (top.ms / _MS_PER_HOUR).values, "plays": top.plays.values,
                         "skip_rate": top.skip_rate.values})


def top_artists(plays: pd.DataFrame, tracks: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """artist, hours, plays, tracks: the n artists with the most time played."""
    joined = plays[["track_id", "ms_played"]].merge(tracks[["track_id", "artist"]],
                                                    on="track_id", how="left")
    joined["artist"] = joined.artist.fillna("").replace("", "(unknown artist)")
    by = joined.groupby("artist").agg(ms=("ms_played", "sum"), plays=("ms_played", "size"),
                                      tracks=("track_id", "nunique"))
    top = by.sort_values(["ms", "plays"], ascending=False).head(n)
    return pd.DataFrame({"artist": top.index.values, "hours": (top.ms / _MS_PER_HOUR).values,
                         "plays": top.plays.values, "tracks": top.tracks.values})


def day_hour(plays: pd.DataFrame) -> pd.DataFrame:
    """day (Mon..Sun), hour (0-23, UTC), hours, plays: all 168 cells, empty ones 0."""
    day = plays.ts.dt.day_of_week.to_numpy()
    hour = plays.ts.dt.hour.to_numpy()
    cell = day * 24 + hour
    ms = np.bincount(cell, weights=plays.ms_played.to_numpy(), minlength=168)
    count = np.bincount(cell, minlength=168)
    return pd.DataFrame({"day": np.repeat(DAYS, 24), "hour": np.tile(np.arange(24), 7),
                         "hours": ms / _MS_PER_HOUR, "plays": count})


def new_vs_repeat(plays: pd.DataFrame) -> pd.DataFrame:
    """month, kind ('new track' | 'repeat'), plays: per month, plays of tracks heard for
    the first time in this history against plays of tracks heard before."""
    if plays.empty:
        return pd.DataFrame(columns=["month", "kind", "plays"])
    month = plays.ts.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    kind = np.where(first_plays(plays), "new track", "repeat")
    out = pd.DataFrame({"month": month, "kind": kind}).groupby(
        ["month", "kind"]).size().rename("plays").reset_index()
    return out


def catalog_overlap(plays: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """held_by ('MPD', 'crawls', 'MPD or crawls', 'neither'), plays, hours, share_of_time:
    how much of the listening is of tracks that the catalog's other sources also hold."""
    flags = plays[["track_id", "ms_played"]].merge(
        tracks[["track_id", "in_mpd", "in_crawl"]], on="track_id", how="left").fillna(
        {"in_mpd": False, "in_crawl": False})
    in_mpd, in_crawl = flags.in_mpd.astype(bool), flags.in_crawl.astype(bool)
    total = float(flags.ms_played.sum()) or 1.0
    rows = []
    for label, mask in (("MPD", in_mpd), ("crawls", in_crawl), ("MPD or crawls", in_mpd | in_crawl),
                        ("neither", ~(in_mpd | in_crawl))):
        ms = float(flags.ms_played[mask].sum())
        rows.append({"held_by": label, "plays": int(mask.sum()), "hours": ms / _MS_PER_HOUR,
                     "share_of_time": ms / total})
    return pd.DataFrame(rows)
