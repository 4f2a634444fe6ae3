"""PyWry's benchmark suite: the server measured against baselines in the same run.

    python bench/run.py            # full run (about 6 minutes), writes bench/results/<date>.md
    python bench/run.py --smoke    # every measurement briefly (under a minute), no thresholds
    nox -s bench [-- --smoke]      # the same, from built wheels

Servers run pinned to one core, the load (wrk, the WebSocket client, this process) to
the other. Every round runs every measurement once, rounds are interleaved (odd rounds
in reverse order) and each ratio is taken within a round; the table gives the median
ratio and its spread. See docs/performance.md for what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import uvloop
from _fixture import (
    ECHO_APP,
    PYWRY_APP,
    Fixture,
    cross_worker_session,
    get_json,
    pywry_env,
    start_all,
    stopping,
)
from _procs import Cores, Server, choose_cores, cpu_seconds, start_server
from _report import Samples, machine_facts, render
from _rows import RAW_LABELS, ROWS
from http_load import wrk
from pubsub import pubsub_round_trips
from ws_load import Opener, echo_opener, idle_rss, latency, percentile, pywry_opener, throughput

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Plan:
    """How long and how often each measurement runs."""

    rounds: int
    http_seconds: int
    ws_seconds: float
    ws_warmup: float
    clients: int
    latency_count: int
    latency_warmup: int
    rss_sockets: int
    rss_rounds: int


FULL = Plan(5, 4, 4.0, 1.0, 50, 2000, 200, 500, 3)
SMOKE = Plan(1, 1, 0.5, 0.2, 5, 50, 10, 20, 1)


def _jobs(f: Fixture, plan: Plan, samples: Samples) -> list[Callable[[], None]]:
    def http(key: str, server: Server, path: str, body: Path | None = None) -> Callable[[], None]:
        def job() -> None:
            run = wrk(
                server.base_url + path, server.proc.pid, seconds=plan.http_seconds, body_file=body
            )
            for name in ("rate", "cpu_us", "p50_ms", "p99_ms", "server_busy"):
                samples.add(f"{key}.{name}", getattr(run, name))

        job.__name__ = key
        return job

    def lat(key: str, opener: Opener, count: int) -> Callable[[], None]:
        def job() -> None:
            times = uvloop.run(
                latency(opener, "app:ping", "app:pong", count=count, warmup=plan.latency_warmup)
            )
            samples.add(f"{key}.p50_ms", percentile(times, 0.5) * 1000)
            samples.add(f"{key}.p99_ms", percentile(times, 0.99) * 1000)

        job.__name__ = key
        return job

    def tp(
        key: str, server: Server, labels: list[str] | None, event: str, answer: str
    ) -> Callable[[], None]:
        def job() -> None:
            opener = pywry_opener(server.ws_url, labels) if labels else echo_opener(server.ws_url)
            redis_before = cpu_seconds(f.redis.proc.pid)
            result = uvloop.run(
                throughput(
                    opener,
                    event,
                    answer,
                    clients=plan.clients,
                    seconds=plan.ws_seconds,
                    warmup=plan.ws_warmup,
                    server_pid=server.proc.pid,
                )
            )
            for name in ("rate", "cpu_us", "p50_ms", "p99_ms", "client_busy", "server_busy"):
                samples.add(f"{key}.{name}", getattr(result, name))
            if key == "tp.redis":
                events = result.rate * (plan.ws_seconds + plan.ws_warmup)
                samples.add(
                    f"{key}.redis_cpu_us",
                    (cpu_seconds(f.redis.proc.pid) - redis_before) / events * 1e6,
                )
            if result.client_busy > 0.85:
                samples.notes.append(
                    f"{key}: the load client used {result.client_busy:.0%} of its core, so this "
                    "rate is a lower bound of the server's (its CPU per event still holds)"
                )
            if result.duplicates:
                samples.notes.append(f"{key}: {result.duplicates} duplicate seq numbers received")

        job.__name__ = key
        return job

    def pubsub() -> None:
        url = f"redis://127.0.0.1:{f.redis.port}/0"
        times = uvloop.run(
            pubsub_round_trips(url, count=plan.latency_count, warmup=plan.latency_warmup)
        )
        samples.add("lat.pubsub.p50_ms", percentile(times, 0.5) * 1000)
        samples.add("lat.pubsub.p99_ms", percentile(times, 0.99) * 1000)

    jobs = [
        http("page.pywry", f.quick, f.page_path),
        http("page.fastapi", f.http["fastapi"], f.page_path),
        http("page.starlette", f.http["starlette"], f.page_path),
        http("page.asgi", f.http["asgi"], f.page_path),
        http("root.pywry", f.quick, "/"),
        http("root.fastapi", f.http["fastapi"], "/"),
        lat("lat.echo", echo_opener(f.echo.ws_url), plan.latency_count),
        lat("lat.memory", pywry_opener(f.memory.ws_url, f.boards[:1]), plan.latency_count),
        lat("lat.cross", lambda: cross_worker_session(f.redis_x2), plan.latency_count // 2),
        pubsub,
        tp("tp.echo", f.echo, None, "app:ping", "app:pong"),
        tp("tp.memory", f.memory, f.boards[: plan.clients], "app:ping", "app:pong"),
        tp("tp.redis", f.redis_x1, f.boards[: plan.clients], "app:ping", "app:pong"),
        tp("tp.figure", f.memory, f.charts[: plan.clients], "app:redraw", "plotly:update-figure"),
    ]
    if f.dash is not None:
        jobs.append(http("dash.light", f.dash, "/_dash-update-component", f.dash_bodies["light"]))
        jobs.append(http("dash.figure", f.dash, "/_dash-update-component", f.dash_bodies["figure"]))
    return jobs


def _rss_rounds(plan: Plan, cores: Cores, workdir: Path, redis: Server, samples: Samples) -> None:
    """RSS per idle socket, on fresh servers each round (so earlier churn does not hide it)."""
    py = sys.executable
    for number in range(plan.rss_rounds):
        samples.current_round = number
        with ExitStack() as stack:
            env = pywry_env(plan.clients + 1, "memory", redis)
            pywry = stack.enter_context(
                stopping(start_server("rss pywry", [py, str(PYWRY_APP)], cores, workdir, env=env))
            )
            echo = stack.enter_context(
                stopping(start_server("rss echo", [py, str(ECHO_APP)], cores, workdir))
            )
            label = str(get_json(pywry.base_url + "/labels")["boards"][0])
            samples.add(
                "rss.pywry",
                uvloop.run(
                    idle_rss(
                        pywry_opener(pywry.ws_url, [label]),
                        pywry.proc.pid,
                        sockets=plan.rss_sockets,
                    )
                ),
            )
            samples.add(
                "rss.starlette",
                uvloop.run(
                    idle_rss(echo_opener(echo.ws_url), echo.proc.pid, sockets=plan.rss_sockets)
                ),
            )


def _output_path(requested: str | None, smoke: bool) -> Path:
    if requested:
        return Path(requested)
    if smoke:
        return HERE / "results" / "smoke.md"  # git-ignored
    stem = HERE / "results" / dt.date.today().isoformat()
    path, n = stem.with_suffix(".md"), 2
    while path.exists():  # never overwrite an earlier run's file
        path, n = stem.parent / f"{stem.name}-{n}.md", n + 1
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="everything briefly, no thresholds")
    parser.add_argument("--rounds", type=int, default=None, help="override the number of rounds")
    parser.add_argument(
        "--out", default=None, help="results file (default bench/results/<date>.md)"
    )
    args = parser.parse_args()
    plan = SMOKE if args.smoke else FULL
    if args.rounds:
        plan = dataclasses.replace(plan, rounds=args.rounds)
    started = time.monotonic()
    cores = choose_cores()
    samples = Samples()
    facts = machine_facts(ROOT, cores.describe(), {})
    with tempfile.TemporaryDirectory(prefix="pywry-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        fixture = start_all(plan.clients, cores, workdir, stack, samples.notes)
        jobs = _jobs(fixture, plan, samples)
        if not args.smoke:
            print("warm-up", file=sys.stderr)
            warm = Samples()
            for job in _jobs(fixture, Plan(1, 1, 1.0, 0.5, plan.clients, 300, 50, 0, 0), warm):
                job()
        for number in range(plan.rounds):
            print(f"round {number + 1}/{plan.rounds}", file=sys.stderr)
            samples.current_round = number
            for job in jobs if number % 2 == 0 else jobs[::-1]:
                try:
                    job()
                except Exception as exc:  # one failed measurement must not lose the run
                    if args.smoke:
                        raise
                    samples.notes.append(f"round {number + 1}: {job.__name__} failed: {exc}")
        print("idle sockets", file=sys.stderr)
        try:
            _rss_rounds(plan, cores, workdir, fixture.redis, samples)
        except Exception as exc:
            if args.smoke:
                raise
            samples.notes.append(f"RSS per idle socket failed: {exc}")
        out = _output_path(args.out, args.smoke)
        facts["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        facts["duration"] = f"{time.monotonic() - started:.0f} s"
        facts["plan"] = (
            f"{plan.rounds} rounds; wrk {plan.http_seconds} s x 50 connections; {plan.clients} "
            f"WebSocket clients x {plan.ws_seconds:g} s after {plan.ws_warmup:g} s warm-up; "
            f"{plan.latency_count} sequential round trips; {plan.rss_sockets} idle sockets"
            f" x {plan.rss_rounds} fresh servers"
        )
        title = "Benchmark (smoke run, figures not meaningful)" if args.smoke else "Benchmark"
        intro = f"`python bench/run.py{' --smoke' if args.smoke else ''}`, {dt.date.today()}. "
        intro += f"N = {plan.clients} clients. How to read it: `docs/performance.md`."
        report = render(title, intro, facts, ROWS, samples, RAW_LABELS, judge=not args.smoke)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")
        print(report)
        print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
