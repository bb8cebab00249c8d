"""A stand-in background job for the job-runner tests: `python -m tests.dashboard.sample_job`.

Arguments: seconds to run, exit status. Writes what it saw of its environment to
$PLAYLISTGRAPH_HOME/job_env.txt, prints a line per tenth of a second, and on SIGTERM
prints 'stopped cleanly' and exits 0 (as the trainer and the crawler do).
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path


def main() -> int:
    seconds, status = float(sys.argv[1]), int(sys.argv[2])
    home = Path(os.environ["PLAYLISTGRAPH_HOME"])
    (home / "job_env.txt").write_text(os.environ.get("SAMPLE_JOB_VALUE", ""))
    signal.signal(signal.SIGTERM, lambda *_: (print("stopped cleanly", flush=True), sys.exit(0)))
    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline:
        print(f"step {step}", flush=True)
        step += 1
        time.sleep(0.1)
    print(f"finished after {step} steps" if status == 0 else "error: the job failed on purpose",
          flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
