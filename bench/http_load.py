"""HTTP load with wrk: one run against one server, with the server's CPU per request.

wrk (``apt-get install wrk``) outruns any Python server by far, so what a run measures
is the server: it runs on the load core (this process's affinity, inherited), keeps
``connections`` keep-alive connections busy for ``seconds``, and ``wrk_report.lua``
prints its totals. CPU time of the server process tree is read from ``/proc`` before and
after, so ``cpu_us`` is server CPU per request, steady even when the shared machine's
load makes rates wander.

    python bench/http_load.py http://127.0.0.1:8080/ --seconds 5 --connections 50
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from _procs import cpu_seconds

__all__ = ["HttpRun", "dash_body", "wrk"]

LUA = Path(__file__).resolve().parent / "wrk_report.lua"


@dataclass(frozen=True)
class HttpRun:
    """One wrk run: rate, server CPU per request, latency percentiles."""

    rate: float  # requests per second
    cpu_us: float  # server CPU microseconds per request
    p50_ms: float
    p99_ms: float
    requests: int
    server_busy: float  # server CPU / wall time (1.0 = its core, fully used)


def wrk(
    url: str,
    server_pid: int | None,
    *,
    seconds: float,
    connections: int = 50,
    body_file: Path | None = None,
) -> HttpRun:
    """Run wrk against ``url``; ``server_pid``'s process tree is charged the CPU."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk not found: apt-get install wrk")
    env = {**os.environ, "WRK_BODY_FILE": str(body_file) if body_file else ""}
    command = [binary, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "30s", "--latency", "-s", str(LUA), url]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    cpu = (cpu_seconds(server_pid) - cpu_before) if server_pid else 0.0
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    report = json.loads(line.removeprefix("WRK_JSON "))
    if report["status_errors"] or report["socket_errors"]:
        raise RuntimeError(f"wrk saw errors against {url}: {report}; {_probe(url, body_file)}")
    requests = int(report["requests"])
    if requests == 0:
        raise RuntimeError(f"wrk completed no request against {url} in {wall:.1f}s")
    return HttpRun(
        rate=requests / (report["duration_us"] / 1e6),
        cpu_us=cpu / requests * 1e6,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        requests=requests,
        server_busy=cpu / (report["duration_us"] / 1e6),
    )


def _probe(url: str, body_file: Path | None) -> str:
    """One request like wrk's, to show what an error looks like."""
    data = body_file.read_bytes() if body_file else None
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as r:
            return f"a single request now answers {r.status}"
    except urllib.error.HTTPError as exc:
        return f"a single request answers {exc.code}: {exc.read()[:300]!r}"
    except OSError as exc:
        return f"a single request fails: {exc}"


def dash_body(workdir: Path, output: str, input_id: str, value: str) -> Path:
    """The JSON body of Dash's callback POST for ``input_id.value -> output``, as a file."""
    component, prop = output.split(".")
    body = {
        "output": output,
        "outputs": {"id": component, "property": prop},
        "inputs": [{"id": input_id, "property": "value", "value": value}],
        "changedPropIds": [f"{input_id}.value"],
        "state": [],
    }
    path = workdir / f"dash-{component}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--pid", type=int, default=None, help="server pid to charge CPU to")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    run = wrk(args.url, args.pid, seconds=args.seconds, connections=args.connections)
    print(run)


if __name__ == "__main__":
    main()
