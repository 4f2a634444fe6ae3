"""The chaos soak: ``--minutes`` (5) of ``--pages`` (150) protocol-speaking pages against
4 workers on a private Redis (or SQLite), a worker SIGKILLed or SIGTERMed in turn every
``--every`` (30) seconds and one Redis restart (data kept) half-way; then the counts.

    nox -s soak                      # or: python bench/soak.py --minutes 5 --pages 150

Prints one ``[chaos soak-...]`` line (pages, sent, answered, received, lost, twice,
never_run, notified, resets, reconnects, killed_window, reply_twice) and exits non-zero
when anything was lost, applied twice or never run without a notice, or the server is
not up with 4 workers at the end. ``--out FILE`` also writes the counts and the run's
events (kills, how long each worker took to go, hard stops) as Markdown. Not part of
CI (the bounded version is ``tests/chaos``).
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

from _chaosclient import Tally
from chaos.conftest import SQLITE_KEY, Crowd, _exited, start_chaos, stop_chaos


def _gone_after(pid: int, started: float, limit: float = 120.0) -> float:
    """Seconds from ``started`` until worker ``pid`` is gone (``limit`` at most)."""
    while not _exited(pid) and time.monotonic() - started < limit:
        time.sleep(0.05)
    return time.monotonic() - started


def _report(path: Path, args: argparse.Namespace, result: Tally, notes: list[str]) -> None:
    counts = result.counts()
    rows = "\n".join(f"| {name} | {value} |" for name, value in counts.items())
    events = "\n".join(f"- {note}" for note in notes)
    path.write_text(
        f"# Chaos soak, {time.strftime('%Y-%m-%d')}\n\n"
        f"`python bench/soak.py --minutes {args.minutes:g} --pages {args.pages} "
        f"--every {args.every:g} --backend {args.backend}` (what `nox -s soak` runs), "
        "on the shared 2-core machine, under `nice -n 10`.\n\n"
        f"| count | value |\n|---|---|\n{rows}\n\n## What happened\n\n{events}\n",
        encoding="utf-8",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between kills")
    parser.add_argument("--backend", choices=["redis", "sqlite"], default="redis")
    parser.add_argument("--out", type=Path, help="write the counts here as Markdown")
    args = parser.parse_args()
    notes: list[str] = []

    def note(text: str) -> None:
        print(f"[soak] {text}", flush=True)
        notes.append(text)

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
                started = time.monotonic()
                chaos.kill(victim, sig)
                took = _gone_after(victim, started)
                chaos.wait_replaced(victim, timeout=120)
                note(f"round {round_no}: {sig.name} worker {victim}, gone in {took:.1f}s")
                if (
                    chaos.redis is not None
                    and not restarted
                    and time.monotonic() > end - (args.minutes * 30)
                ):
                    note("Redis stopped for 3 s and started again (data kept)")
                    chaos.redis.stop()
                    crowd.busy(3)
                    chaos.redis.start()
                    restarted = True
            crowd.busy(max(0.0, end - time.monotonic()))
            result = crowd.finish(f"soak-{args.backend}", timeout=90)
            up = chaos.ready() and len(chaos.pids()) == 4
            hard_stops = chaos.mw.server.log().count("ending it with status")
            note(f"workers ended by the hard stop: {hard_stops}")
            note(f"server up with 4 workers at the end: {up}")
        finally:
            stop_chaos(chaos)
    if args.out is not None:
        _report(args.out, args, result, notes)
    clean = result.lost == result.twice == result.never_run == result.reply_twice == 0
    return 0 if clean and up else 1


if __name__ == "__main__":
    raise SystemExit(main())
