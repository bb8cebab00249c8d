"""No page sends per-edge (or per-track) data to the browser: every table and chart it
builds is an aggregate or a capped list, far smaller than the graph."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from data.features_import import import_features
from data.ingest import ingest
from data.sample import generate_sample
from data.store import Catalog
from tests.dashboard.apptest_helpers import open_page

PAGES = ("overview", "degrees", "training", "recommendations", "crawl")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample400")
    generate_sample(400, 9, out)
    return out


def _rows_sent(at) -> list[int]:
    """Rows of every dataframe and every chart dataset on the page (Streamlit ships chart
    data as Arrow tables beside the Vega-Lite spec)."""
    sizes = [len(df.value) for df in at.main.dataframe]
    for chart in at.main.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        sizes += [len(rows) for rows in spec.get("datasets", {}).values()]
        for dataset in chart.proto.datasets:
            sizes.append(pa.ipc.open_stream(dataset.data.data).read_all().num_rows)
    return sizes


@pytest.mark.parametrize("page", PAGES)
def test_page_payload_is_small_next_to_the_graph(home: Path, catalog: Catalog, sample_dir: Path,
                                                 page: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_AUTOTRAIN", "0")
    ingest(catalog, [sample_dir], progress=False)
    import_features(catalog, sample_dir / "audio_features.csv")
    edges = catalog.count("playlist_tracks")
    tracks = catalog.count("tracks")
    at = open_page(page)
    sizes = _rows_sent(at)
    if page in ("overview", "degrees", "recommendations"):
        assert sizes, "the page shows data; it must be counted"
    assert max(sizes, default=0) <= 500, sizes
    assert sum(sizes) < min(edges, tracks) / 10, (sizes, edges, tracks)
