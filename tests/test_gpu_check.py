"""benchmarks/gpu_check.sh cannot rot: its CPU dry run at a tiny scale runs every step and
writes the JSON a GPU machine's run would write (on the GPU: tests on cuda, an epoch at
1M playlists with peak GPU memory, the two-stage latency with GraphSAGE on the device)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_dry_run_writes_every_part(tmp_path):
    env = {**os.environ, "GPU_CHECK_OUT": str(tmp_path), "PYTHON": sys.executable,
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "gpu-dryrun.json").read_text())
    assert result["mode"] == "dry-run" and result["device"] == "cpu"
    tests = result["model_tests"]
    assert tests["rc"] == 0 and tests["tests"] >= 1 and tests["failures"] == 0, tests
    train = result["train_epoch"]
    assert train["rc"] == 0, train["log_tail"]
    assert train["result"]["epochs_run"] == 1 and train["result"]["epoch_seconds_median"] > 0
    assert train["result"]["playlists"] >= 1000 and "peak_gpu_memory_gib" in train["result"]
    latency = result["two_stage_latency"]
    assert latency["rc"] == 0, latency["log_tail"]
    size = latency["result"]["sizes"][0]
    for path in ("exact", "ann"):
        rows = size["latency"]["reranked"][path]
        assert [r["seeds"] for r in rows] == [0, 1, 10, 50, 100]
        assert all(0 < r["p50_ms"] <= r["p95_ms"] for r in rows)
    assert size["throughput"]["ann"]["per_second"] > 0
    assert set(size["recall"]) == {"gnn", "als", "itemknn"}
