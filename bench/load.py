"""The load test: ``--pages`` (200) simulated browsers over 4 workers on a private Redis
for ``--minutes`` (5), each sending events and applying replies and broadcasts.

    python bench/load.py                       # 200 pages, 5 minutes, Redis
    python bench/load.py --minutes 1 --pages 50 --backend sqlite

Loopback only: the server is the chaos suite's app (``tests/chaos/apps``) under
``pywry serve --workers 4``; the pages are ``bench/_chaosclient.py``'s, which speak the
protocol like ``bridge.js``. Nothing is killed (that is ``bench/soak.py``). Prints, and
writes to ``bench/results/load-<date>.md``: events sent / answered / received / lost /
twice / never run, the reply latency percentiles per minute (from the first send of an
event to its reply), and every worker's RSS at the start and the end. Exits non-zero
when anything was lost, applied twice or never run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from _chaosclient import ChaosPage  # noqa: E402
from chaos.conftest import LABEL, SQLITE_KEY, Crowd, start_chaos, stop_chaos  # noqa: E402


class TimedPage(ChaosPage):
    """A chaos page that also times each event from its first send to its reply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_sent: dict[str, float] = {}
        self.latency: list[tuple[float, float]] = []  # (sent at, seconds to the reply)

    def _send(self, frame: dict[str, Any]) -> None:
        self.first_sent.setdefault(str(frame["id"]), time.monotonic())
        super()._send(frame)

    def _on_event(self, msg: dict[str, Any]) -> None:
        data = msg.get("data") or {}
        tag = str(data.get("tag")) if msg.get("event") == "chaos:reply" else ""
        outcome = self.events.get(tag)
        before = outcome.replies if outcome is not None else None
        super()._on_event(msg)
        if outcome is not None and before == 0 and outcome.replies == 1 and tag in self.first_sent:
            sent = self.first_sent[tag]
            self.latency.append((sent, time.monotonic() - sent))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        " / ".join(f"{cuts[q - 1] * 1000:.1f}" for q in (50, 90, 99))
        + f" / {max(values) * 1000:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--event-every", type=float, default=1.0, help="seconds per page")
    parser.add_argument("--backend", choices=["redis", "sqlite"], default="redis")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.backend == "sqlite":
        os.environ["PYWRY_SQLITE_KEY"] = SQLITE_KEY
    with tempfile.TemporaryDirectory(prefix="pywry-load-") as tmp:
        chaos = start_chaos(Path(tmp), args.backend)
        try:
            crowd = Crowd(chaos, count=0, event_every=args.event_every)
            crowd.pages = [
                TimedPage(chaos.ws_base, LABEL, event_every=args.event_every)
                for _ in range(args.pages)
            ]
            crowd.tasks = [crowd._call_soon(page.run()) for page in crowd.pages]
            crowd.wait_open(60)
            start_rss = {pid: rss_mib(pid) for pid in sorted(chaos.pids())}
            began = time.monotonic()
            time.sleep(args.minutes * 60)
            end_rss = {pid: rss_mib(pid) for pid in sorted(chaos.pids())}
            result = crowd.finish("load", timeout=60)
        finally:
            stop_chaos(chaos)
    lines = [
        f"# Load test, {dt.date.today().isoformat()}",
        "",
        f"`python bench/load.py --pages {args.pages} --minutes {args.minutes:g} "
        f"--backend {args.backend}`: 4 workers, one event per page every "
        f"{args.event_every:g} s (on average), broadcasts from the app; loopback only.",
        "",
        "| " + " | ".join(result.counts()) + " |",
        "|" + "---|" * len(result.counts()),
        "| " + " | ".join(str(v) for v in result.counts().values()) + " |",
        "",
        "| minute | replies | latency ms p50 / p90 / p99 / max |",
        "|---|---|---|",
    ]
    samples = [item for page in crowd.pages for item in page.latency]  # type: ignore[attr-defined]
    for minute in range(int(args.minutes + 0.999)):
        chunk = [s for t, s in samples if minute * 60 <= t - began < (minute + 1) * 60]
        lines.append(f"| {minute + 1} | {len(chunk)} | {percentiles(chunk)} |")
    lines += ["", "| worker pid | RSS MiB at start | RSS MiB at end |", "|---|---|---|"]
    for pid in sorted(set(start_rss) | set(end_rss)):
        start = f"{start_rss[pid]:.1f}" if pid in start_rss else "-"
        end = f"{end_rss[pid]:.1f}" if pid in end_rss else "-"
        lines.append(f"| {pid} | {start} | {end} |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = args.out or ROOT / "bench" / "results" / f"load-{dt.date.today().isoformat()}.md"
    out.write_text(report, encoding="utf-8")
    return 1 if (result.lost or result.twice or result.never_run) else 0


if __name__ == "__main__":
    sys.exit(main())
