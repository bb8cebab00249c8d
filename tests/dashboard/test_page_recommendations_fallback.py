"""AppTest: with the newest (active) run's model file damaged, the Recommendations page
keeps serving the last good run and says why."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from data.store import Catalog
from ml.pipeline.train_run import run_training
from tests.dashboard.apptest_helpers import open_page, texts
from tests.ml.conftest import build_checkerboard, fast_config

pytestmark = pytest.mark.usefixtures("no_autotrain")


def test_the_last_good_run_serves_when_the_newest_is_damaged(home: Path, catalog: Catalog):
    build_checkerboard(catalog)
    good, damaged = (run_training(fast_config(epochs=1), home, progress=False,
                                  out=io.StringIO())[0] for _ in range(2))
    for run_dir in (good, damaged):  # both serve their GraphSAGE model
        evaluation = json.loads((run_dir / "evaluation.json").read_text())
        (run_dir / "evaluation.json").write_text(json.dumps({**evaluation, "served": "gnn"}))
    model = damaged / "model.pt"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])

    at = open_page("recommendations")
    shown = texts(at)
    assert f"active run {damaged.name} unusable" in shown and "model.pt" in shown
    assert f"serving run {good.name}, the newest run that loads" in shown
    assert f"Ranked by the GraphSAGE model of run `{good.name}`" in shown
    at.text_input(key="rec_playlist_query").input("jazz").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.main.dataframe[-1].value
    assert len(table) > 0
