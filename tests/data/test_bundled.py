"""'Is the sample loaded?' is read from what the load recorded, never from 'not empty'."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.bundled import (SAMPLE_FEATURES_KEY, SAMPLE_REMOVED_KEY, SAMPLE_STATE_KEY,
                          load_bundled_sample, needs_sample, sample_progress)
from data.ingest import ingest
from data.mpd import slice_files
from data.sample import generate_sample
from data.store import Catalog


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundled-style sample: 3 slices of 20 playlists and a features file."""
    out = tmp_path_factory.mktemp("bundled")
    generate_sample(60, 3, out, slice_size=20, gzip=True)
    return out


class Interrupted(Exception):
    pass


def _stop_at_slice(n: int):
    """on_slice that stops the load as it reaches slice `n` (1-based): what a page switch
    did to the load when it ran in a browser session."""
    seen = []

    def on_slice(path: Path) -> None:
        seen.append(path)
        if len(seen) == n:
            raise Interrupted()
    return on_slice


def test_fresh_home_needs_the_sample_and_a_full_load_satisfies_it(catalog: Catalog,
                                                                 sample: Path) -> None:
    assert needs_sample(catalog, sample)
    load_bundled_sample(catalog, progress=False, sample_dir=sample)
    progress = sample_progress(catalog, sample)
    assert progress.slices_done == progress.slices and len(progress.slices) == 3
    assert progress.features_done and progress.playlists == 60
    assert catalog.meta(SAMPLE_STATE_KEY) == "loaded"
    recorded = json.loads(catalog.meta(SAMPLE_FEATURES_KEY))
    assert recorded["file"] == "audio_features.csv.gz"
    assert recorded["stored"] == catalog.count("audio_features") == catalog.count("tracks")
    assert not needs_sample(catalog, sample)


def test_a_load_stopped_after_one_slice_is_still_needed(catalog: Catalog, sample: Path) -> None:
    with pytest.raises(Interrupted):
        load_bundled_sample(catalog, progress=False, sample_dir=sample, on_slice=_stop_at_slice(2))
    progress = sample_progress(catalog, sample)
    assert len(progress.slices_done) == 1 and progress.playlists == 20  # 1 of 3 slices in
    assert needs_sample(catalog, sample)  # the catalog is not empty, the sample is not in
    load_bundled_sample(catalog, progress=False, sample_dir=sample)  # the next start
    assert not needs_sample(catalog, sample)
    assert catalog.count("playlists") == 60


def test_every_slice_without_the_features_is_still_needed(catalog: Catalog, sample: Path) -> None:
    """Killed after the last slice, before the features import was recorded."""
    ingest(catalog, [sample], progress=False)
    with catalog.write():
        catalog.set_meta(SAMPLE_STATE_KEY, "loading")
    assert catalog.count("playlists") == 60 and catalog.count("audio_features") == 0
    assert needs_sample(catalog, sample)
    load_bundled_sample(catalog, progress=False, sample_dir=sample)
    assert not needs_sample(catalog, sample)
    assert catalog.count("audio_features") == catalog.count("tracks")


def test_a_partial_load_left_by_the_old_dashboard_is_finished(catalog: Catalog,
                                                             sample: Path) -> None:
    """Homes from before loads were marked: one sample slice ingested and nothing else."""
    ingest(catalog, [next(slice_files([sample]))], progress=False)
    assert catalog.meta(SAMPLE_STATE_KEY) is None
    assert needs_sample(catalog, sample)


def test_a_home_with_other_data_or_a_removed_sample_needs_none(catalog: Catalog, sample: Path,
                                                               tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_sample(10, 9, other, slice_size=10)
    (other / "mpd.slice.0-9.json").rename(other / "mpd.slice.5000-5009.json")
    ingest(catalog, [other], progress=False)
    assert not needs_sample(catalog, sample)  # the user's own data, no sample load began

    fresh = Catalog(tmp_path / "removed.sqlite")
    with fresh.write():  # what python -m data remove-sample leaves: no sample, for good
        fresh.set_meta(SAMPLE_REMOVED_KEY, "2026-12-07T12:00:00+00:00")
    assert fresh.count("playlists") == 0 and not needs_sample(fresh, sample)
    fresh.close()
