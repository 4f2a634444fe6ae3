"""The chaos soak: ``--minutes`` (5) of ``--pages`` (150) protocol-speaking pages against
4 workers on a private Redis (or SQLite), a worker SIGKILLed or SIGTERMed in turn every
``--every`` (30) seconds and one Redis restart (data kept) half-way; then the counts.

    nox -s soak                      # or: python bench/soak.py --minutes 5 --pages 150

Prints one ``[chaos soak-...]`` line (pages, sent, answered, received, lost, twice,
never_run, notified, resets, reconnects, killed_window) and exits non-zero when
anything was lost, applied twice or never run without a notice. Not part of CI (the
bounded version is ``tests/chaos``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from chaos.conftest import SQLITE_KEY, Crowd, start_chaos, stop_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between kills")
    parser.add_argument("--backend", choices=["redis", "sqlite"], default="redis")
    args = parser.parse_args()
    if args.backend == "sqlite":
        os.environ["PYWRY_SQLITE_KEY"] = SQLITE_KEY
    with tempfile.TemporaryDirectory(prefix="pywry-soak-") as tmp:
        chaos = start_chaos(Path(tmp), args.backend, PERSIST="1")
        try:
            crowd = Crowd(chaos, count=args.pages, event_every=1.0)
            crowd.wait_open(timeout=120)
            end = time.monotonic() + args.minutes * 60
            restarted, round_no = False, 0
            while time.monotonic() + args.every < end:
                crowd.busy(args.every)
                round_no += 1
                victim = sorted(chaos.pids())[0]
                sig = signal.SIGKILL if round_no % 2 else signal.SIGTERM
                print(f"[soak] round {round_no}: {sig.name} worker {victim}", flush=True)
                chaos.kill(victim, sig)
                chaos.wait_replaced(victim, timeout=120)
                if (
                    chaos.redis is not None
                    and not restarted
                    and time.monotonic() > end - (args.minutes * 30)
                ):
                    print("[soak] Redis stop/start (data kept)", flush=True)
                    chaos.redis.stop()
                    crowd.busy(3)
                    chaos.redis.start()
                    restarted = True
            crowd.busy(max(0.0, end - time.monotonic()))
            result = crowd.finish(f"soak-{args.backend}", timeout=90)
            up = chaos.ready() and len(chaos.pids()) == 4
            print(f"[soak] server up at the end: {up}")
        finally:
            stop_chaos(chaos)
    clean = result.lost == 0 and result.twice == 0 and result.never_run == 0
    return 0 if clean and up else 1


if __name__ == "__main__":
    raise SystemExit(main())
