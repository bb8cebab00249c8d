#!/usr/bin/env bash
# The GPU check, in one call, from a copy of the working tree on a CUDA machine:
#   1. the model tests (tests/ml, model and training ones) on cuda
#      (PLAYLISTGRAPH_TEST_DEVICE=cuda reaches tests/ml/conftest.py's fast_config);
#   2. one epoch of the default model at 1M generated playlists (2.26M tracks, 66M edges):
#      seconds and peak GPU memory (benchmarks/train.py's full-scale part);
#   3. the two-stage recommendation latency with GraphSAGE on the GPU, exact and from the
#      ANN indexes (benchmarks/recommend.py --device cuda, 2.26M tracks);
# and writes all of it to benchmarks/results/gpu-<device>.json.
#
#   benchmarks/gpu_check.sh              # on the GPU machine (about 10 minutes)
#   benchmarks/gpu_check.sh --dry-run    # on the CPU at a tiny scale (CI: seconds)
#
# Environment: PYTHON (default .venv/bin/python, else python3), GPU_CHECK_OUT (folder of
# the JSON; default benchmarks/results). Each step has a time cap, so one slow step
# cannot spend the whole device budget; a step that fails or times out is recorded with
# its exit status and the rest still run.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT_DIR=${GPU_CHECK_OUT:-benchmarks/results}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ "${1:-}" = "--dry-run" ]; then
    MODE=dry-run DEVICE=cpu
    TESTS="tests/ml/models/test_graphsage.py -k ${GPU_CHECK_TESTS_K:-shape}"
    TEST_CAP=300 TRAIN_ARGS="--gpu-scale 0.0005 --gpu-batch 256" TRAIN_CAP=300
    RECOMMEND_ARGS="--tracks 3000 --playlists 1000 --edges 20000 --queries 2 --recall-queries 8
        --batch-playlists 32 --exact-batch-playlists 8 --trees 3 --k 50 --candidates 20"
    RECOMMEND_CAP=300
else
    MODE=cuda DEVICE=cuda
    TESTS="tests/ml/models/test_graphsage.py tests/ml/pipeline/test_train_run.py tests/ml/training/test_loss_chunks.py
        tests/ml/training/test_recompute.py tests/ml/training/test_epoch_steps.py"
    # caps: 150 + 240 + 180 s, inside one 600-second device command
    TEST_CAP=150 TRAIN_ARGS="--gpu-scale 1" TRAIN_CAP=240
    # 2.26M tracks; a 300K-playlist graph keeps the set-up (generation, item-kNN, the
    # re-ranker's tables) to a few minutes of the device budget
    RECOMMEND_ARGS="--tracks 2262292 --playlists 300000 --edges 20000000 --queries 50
        --recall-queries 32 --batch-playlists 2000 --exact-batch-playlists 256"
    RECOMMEND_CAP=180
fi

started=$(date +%s)
# 1. model tests on the device
PLAYLISTGRAPH_TEST_DEVICE=$DEVICE timeout "$TEST_CAP" "$PY" -m pytest -q -p no:cacheprovider \
    $TESTS --junitxml "$WORK/tests.xml" > "$WORK/tests.log" 2>&1
TESTS_RC=$?
# 2. one epoch of the default model at 1M generated playlists
timeout "$TRAIN_CAP" "$PY" benchmarks/train.py --skip-cpu --gpu-device "$DEVICE" $TRAIN_ARGS \
    --gpu-epochs 1 --gpu-out "$WORK/train.json" > "$WORK/train.log" 2>&1
TRAIN_RC=$?
# 3. two-stage latency, GraphSAGE on the device
timeout "$RECOMMEND_CAP" "$PY" benchmarks/recommend.py --device "$DEVICE" --models reranked \
    $RECOMMEND_ARGS --out "$WORK/recommend.json" > "$WORK/recommend.log" 2>&1
RECOMMEND_RC=$?

MODE=$MODE WORK=$WORK OUT_DIR=$OUT_DIR TESTS_RC=$TESTS_RC TRAIN_RC=$TRAIN_RC \
RECOMMEND_RC=$RECOMMEND_RC STARTED=$started "$PY" - <<'EOF'
import json, os, re, time
import xml.etree.ElementTree as ET
from pathlib import Path

import torch

work, out_dir = Path(os.environ["WORK"]), Path(os.environ["OUT_DIR"])


def read(name):
    path = work / name
    return json.loads(path.read_text()) if path.exists() else None


def tail(name, lines=15):
    path = work / name
    return path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []


tests = {"rc": int(os.environ["TESTS_RC"]), "log_tail": tail("tests.log")}
if (work / "tests.xml").exists():
    suite = ET.parse(work / "tests.xml").getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests.update({k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")})
cuda = torch.cuda.is_available() and os.environ["MODE"] == "cuda"
device = torch.cuda.get_device_name(0) if cuda else "cpu"
name = "dryrun" if os.environ["MODE"] == "dry-run" else re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-")
result = {
    "mode": os.environ["MODE"], "device": device, "torch": torch.__version__,
    "cuda_available": torch.cuda.is_available(),
    "seconds": round(time.time() - int(os.environ["STARTED"]), 1),
    "model_tests": tests,
    "train_epoch": {"rc": int(os.environ["TRAIN_RC"]), "result": read("train.json"),
                    "log_tail": tail("train.log")},
    "two_stage_latency": {"rc": int(os.environ["RECOMMEND_RC"]), "result": read("recommend.json"),
                          "log_tail": tail("recommend.log")},
}
path = out_dir / f"gpu-{name}.json"
path.write_text(json.dumps(result, indent=1) + "\n")
train = (result["train_epoch"]["result"] or {})
print(f"{device}: model tests rc {tests['rc']} ({tests.get('tests', '?')} run, "
      f"{tests.get('failures', '?')} failed); epoch {train.get('epoch_seconds_median')} s, "
      f"peak GPU {train.get('peak_gpu_memory_gib')} GiB; latency rc {result['two_stage_latency']['rc']}")
print(f"wrote {path}")
EOF
