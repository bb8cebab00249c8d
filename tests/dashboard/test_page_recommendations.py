"""AppTest: the Recommendations page for a playlist, a user and a hand-built seed list.

On the tiny catalog without a trained model the co-occurrence baseline serves; the
page must say so, never recommend a seed, and its "why" column must match the
co-occurrence counts computed here with plain SQL.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.apptest_helpers import open_page, selectbox, texts
from tests.dashboard.conftest import sql

pytestmark = pytest.mark.usefixtures("no_autotrain")


def _shared(home: Path, track_id: int, seeds: list[int]) -> tuple[int, dict[int, int]]:
    """(distinct playlists holding the track and any seed, {seed: shared playlists})."""
    marks = ",".join("?" * len(seeds))
    total = sql(home, f"SELECT count(DISTINCT a.playlist_id) FROM playlist_tracks a "
                      f"JOIN playlist_tracks b ON a.playlist_id = b.playlist_id "
                      f"WHERE a.track_id = ? AND b.track_id IN ({marks})", (track_id, *seeds))
    per_seed = sql(home, f"SELECT b.track_id, count(DISTINCT a.playlist_id) FROM playlist_tracks a "
                         f"JOIN playlist_tracks b ON a.playlist_id = b.playlist_id "
                         f"WHERE a.track_id = ? AND b.track_id IN ({marks}) GROUP BY b.track_id",
                   (track_id, *seeds))
    return total[0][0], dict(per_seed)


def _check_table(at, home: Path, seeds: list[int], names: dict[int, str]) -> pd.DataFrame:
    table = at.main.dataframe[-1].value
    ids = {name: tid for tid, name in names.items()}
    assert len(table) > 0
    assert not set(table["track"]) & {names[s] for s in seeds}, "a seed was recommended"
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["match"].is_monotonic_decreasing or len(set(table["match"])) == 1
    assert table["match"].iloc[0] == 100 and table["match"].between(0, 100).all()
    for row in table.itertuples():
        total, per_seed = _shared(home, ids[row.track], seeds)
        assert row.shared_playlists == total
        expected = sorted(per_seed.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert row.why == (", ".join(f"{names[s]} ({n})" for s, n in expected)
                           or "no shared playlist with the seeds")
    return table


def _names(home: Path) -> dict[int, str]:
    return dict(sql(home, "SELECT id, name FROM tracks"))


def test_playlist_recommendations_with_why_and_csv(home: Path, tiny: dict) -> None:
    at = open_page("recommendations")
    assert "co-occurrence baseline" in texts(at)
    at.text_input(key="rec_playlist_query").input("rock classics").run()
    assert not at.exception
    assert selectbox(at, "rec_playlist").value == tiny["pl:Rock Classics"]
    seeds = [tiny["A"], tiny["B"], tiny["C"]]
    table = _check_table(at, home, seeds, _names(home))
    # Pebble (D) shares two playlists with the rock seeds, more than any other track.
    assert table["track"].iloc[0] == "Pebble"
    assert table["why"].iloc[0] == "Highway Song (2), Thunder Road Trip (1), Granite (1)"
    assert [b.label for b in at.main.get("download_button")] == ["Download CSV"]


def test_user_recommendations_merge_all_their_playlists(home: Path, tiny: dict) -> None:
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("User").run()
    assert not at.exception
    owners = selectbox(at, "rec_owner")
    assert owners.options == ["Alice — 2 playlists, 4 tracks", "Bob — 1 playlist, 3 tracks"]
    assert owners.value == "alice"
    seeds = [tiny[x] for x in "ABFG"]
    table = _check_table(at, home, seeds, _names(home))
    assert set(table["track"]) <= {"Granite", "Pebble", "Slow Morning"}
    assert "Top" in at.main.subheader[-1].value and "Alice" in at.main.subheader[-1].value


def test_seed_list_built_by_track_search(home: Path, tiny: dict) -> None:
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("Track list").run()
    at.text_input(key="rec_track_query").input("stone band").run()
    pick = selectbox(at, "rec_track_pick")
    assert [o.split(" — ")[0] for o in pick.options] == ["Granite", "Pebble"]
    pick.set_value(tiny["C"]).run()
    at.button(key="rec_add").click().run()
    assert not at.exception
    assert at.session_state["rec_seed_ids"] == [tiny["C"]]
    table = _check_table(at, home, [tiny["C"]], _names(home))
    assert table["track"].iloc[0] == "Highway Song"  # C is with A in two playlists
    at.button(key="rec_clear").click().run()
    assert at.session_state["rec_seed_ids"] == []


def test_unknown_playlist_title_says_what_to_do(home: Path, tiny: dict) -> None:
    at = open_page("recommendations")
    at.text_input(key="rec_playlist_query").input("zzz no such playlist").run()
    assert not at.exception
    assert "No playlist title contains" in at.main.warning[0].value


def test_users_page_without_crawled_owners_points_to_crawl(home: Path, catalog) -> None:
    from data.store import PlaylistRecord, TrackRecord
    with catalog.write():
        ids = catalog.upsert_tracks([TrackRecord("spotify:track:x", "X")])
        pid = catalog.upsert_playlist(PlaylistRecord("mpd", "1", "only mpd"))
        catalog.set_playlist_tracks(pid, list(ids.values()))
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("User").run()
    assert not at.exception
    assert "No crawled playlist owners yet" in at.main.info[-1].value


def _column_config(at) -> dict:
    import json
    return json.loads(at.main.dataframe[-1].proto.columns)


def test_playlist_picker_labels_and_hides_playlists_without_tracks(home: Path, tiny: dict,
                                                                   catalog) -> None:
    """MPD playlists have no owner: no 'by nan'. A crawled playlist whose items the API
    refused reports 80 tracks but has none stored: it must not be listed at all."""
    from data.store import PlaylistRecord
    with catalog.write():
        catalog.upsert_playlist(PlaylistRecord(source="spotify", source_id="refused",
                                               name="Rock refused", owner_id="carol",
                                               owner_name="Carol", num_tracks=80))
    at = open_page("recommendations")
    at.text_input(key="rec_playlist_query").input("rock").run()
    options = selectbox(at, "rec_playlist")
    labels = options.options
    assert labels == ["Rock Classics — 3 tracks · MPD", "rock road trip — 3 tracks · MPD",
                      "Alice rock — 2 tracks · Crawled by Alice"]
    assert not any("nan" in label for label in labels)


def test_table_fits_the_page_and_match_is_explained(home: Path, tiny: dict) -> None:
    from dashboard.frames.recommend_table import TABLE_WIDTH_BUDGET_PX
    at = open_page("recommendations")
    at.text_input(key="rec_playlist_query").input("rock classics").run()
    table = at.main.dataframe[-1].value
    assert list(table.columns) == ["rank", "track", "artist", "link", "match",
                                   "shared_playlists", "why", "examples"]
    config = _column_config(at)
    widths = [config[c].get("width") for c in table.columns]
    assert all(isinstance(w, int) for w in widths) and sum(widths) <= TABLE_WIDTH_BUDGET_PX
    assert "100 is the top recommendation" in config["match"]["help"]
    # Item kNN co-occurrence counts for the rock seeds: Pebble 2 (100), the last 0.
    assert table["match"].iloc[0] == 100 and table["match"].iloc[-1] == 0


def test_a_link_with_a_playlist_id_opens_its_recommendations(home: Path, tiny: dict) -> None:
    """What a click on the Crawl page's graph does: ?playlist=<catalog id>."""
    from streamlit.testing.v1 import AppTest
    from tests.dashboard.apptest_helpers import TIMEOUT_S
    from tests.dashboard.conftest import APP

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["playlist"] = str(tiny["pl:Bob's mix"])
    at.switch_page("views/recommendations.py").run()
    assert not at.exception
    assert at.text_input(key="rec_playlist_query").value == "Bob's mix"
    assert selectbox(at, "rec_playlist").value == tiny["pl:Bob's mix"]
    assert "Bob's mix" in at.main.subheader[-1].value
    table = _check_table(at, home, [tiny[x] for x in "CDA"], _names(home))
    assert len(table) > 0


def test_a_slow_model_load_shows_a_notice_then_the_recommendations(
        home: Path, tiny: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import ml.serving.recommender

    release = threading.Event()
    load = ml.serving.recommender.load_recommender

    def held_load(*args, **kwargs):  # the load of a large catalog, held until released
        assert release.wait(60)
        return load(*args, **kwargs)

    monkeypatch.setattr(ml.serving.recommender, "load_recommender", held_load)
    monkeypatch.setenv("PLAYLISTGRAPH_MODEL_WAIT_S", "0")
    at = open_page("recommendations")
    assert "Preparing the co-occurrence baseline" in texts(at)
    assert not at.main.dataframe and not at.text_input  # nothing to pick before the model
    release.set()
    for thread in threading.enumerate():
        if thread.name == "load-served-model":
            thread.join(60)
    at.run()
    assert not at.exception
    assert "Preparing the co-occurrence baseline" not in texts(at)
    assert "co-occurrence baseline" in texts(at)
    assert len(at.main.dataframe[-1].value) > 0
