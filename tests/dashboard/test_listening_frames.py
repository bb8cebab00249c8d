"""The Listening page's figures on a hand-made history (worked out by hand) and its charts'
specs: pure functions, no Streamlit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.frames import listening_charts as charts
from dashboard.frames import listening_frames as frames
from data.listening_reads import ListenerPlays

# 2024-01-01 is a Monday. Tracks: 1 A (MPD and crawls), 2 E (MPD), 3 new, 4 G (MPD, crawls).
TS = ["2024-01-01T10:00:00", "2024-01-01T10:03:00", "2024-01-02T22:00:00",
      "2024-02-05T08:00:00", "2024-02-06T08:00:00"]
PLAYS = frames.plays_frame(ListenerPlays(
    ts=np.array(TS, dtype="datetime64[s]").astype(np.int64), track_id=np.array([1, 1, 2, 3, 4]),
    ms_played=np.array([180_000, 200_000, 5_000, 240_000, 1_000]),
    skipped=np.array([False, False, True, False, True]),
    completed=np.array([True, True, False, True, False])))
TRACKS = pd.DataFrame({"track_id": [1, 2, 3, 4], "name": ["A", "E", "New", "G"],
                       "artist": ["Rockers", "Calm", "Newcomer", "Calm"],
                       "in_mpd": [True, True, False, True], "in_crawl": [True, False, False, True]})
H = 3_600_000


def test_hours_per_month():
    months = frames.hours_per_month(PLAYS)
    assert months.month.dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02"]
    assert months.hours.tolist() == pytest.approx([385_000 / H, 241_000 / H])
    assert months.plays.tolist() == [3, 2]
    assert months.skip_rate.tolist() == pytest.approx([1 / 3, 1 / 2])


def test_day_hour_cells():
    cells = frames.day_hour(PLAYS).set_index(["day", "hour"])
    assert len(cells) == 168 and cells.plays.sum() == 5
    assert cells.loc[("Mon", 10), "plays"] == 2
    assert cells.loc[("Mon", 10), "hours"] == pytest.approx(380_000 / H)
    assert cells.loc[("Tue", 22), "plays"] == 1 and cells.loc[("Mon", 8), "plays"] == 1
    assert cells.loc[("Tue", 8), "plays"] == 1


def test_new_vs_repeat_and_tops_and_overlap():
    kinds = frames.new_vs_repeat(PLAYS)
    assert kinds.assign(month=kinds.month.dt.strftime("%m")).values.tolist() == [
        ["01", "new track", 2], ["01", "repeat", 1], ["02", "new track", 2]]
    artists = frames.top_artists(PLAYS, TRACKS, 2)
    assert artists.artist.tolist() == ["Rockers", "Newcomer"]
    assert artists.tracks.tolist() == [1, 1]
    overlap = frames.catalog_overlap(PLAYS, TRACKS).set_index("held_by")
    assert overlap.plays.to_dict() == {"MPD": 4, "crawls": 3, "MPD or crawls": 4, "neither": 1}
    assert overlap.share_of_time["neither"] == pytest.approx(240_000 / 626_000)


def test_charts_encode_the_frames():
    spec = charts.day_hour_chart(frames.day_hour(PLAYS)).to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["color"]["field"] == "hours"
    assert spec["encoding"]["y"]["sort"] == list(frames.DAYS)
    bars = charts.top_chart(frames.top_tracks(PLAYS, TRACKS), "track").to_dict()
    assert bars["encoding"]["y"]["field"] == "track" and bars["encoding"]["x"]["field"] == "hours"
    stacked = charts.new_vs_repeat_chart(frames.new_vs_repeat(PLAYS)).to_dict()
    assert stacked["encoding"]["y"]["stack"] == "normalize"
