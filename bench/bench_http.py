"""HTTP serving: PyWry's widget page and plotly.js against a bare FastAPI baseline.

Run: ``.venv/bin/python bench/bench_http.py [--requests 2000] [--concurrency 16]``

Starts ``examples/quickstart.py`` (memory backend, access log off) and
``bench/static_app.py`` (a bare FastAPI app serving the very same bytes, read once at
start-up) as uvicorn subprocesses, then drives both with one httpx client. Reports
requests/s and the ratio PyWry/baseline; writes ``bench/results/http.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from servers import ServerProcess, start_server  # type: ignore[import-not-found]  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "http.md"
QUIET = {"PYWRY_SERVER__ACCESS_LOG": "false", "PYWRY_SERVER__LOG_LEVEL": "warning"}


async def _rate(url: str, requests: int, concurrency: int) -> float:
    """Requests per second for ``requests`` GETs of ``url``, ``concurrency`` at a time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.get(url)  # warm up
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:  # read the body as sent (gzip) and drop it: no decoding cost
                async with client.stream("GET", url, headers={"accept-encoding": "gzip"}) as r:
                    r.raise_for_status()
                    async for _chunk in r.aiter_raw():
                        pass

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - start)


async def _measure(pairs: dict[str, tuple[str, str, int]], concurrency: int) -> str:
    rows = []
    for name, (pywry_url, base_url, requests) in pairs.items():
        ours, theirs = [], []
        for _ in range(3):  # interleaved rounds, median of each
            ours.append(await _rate(pywry_url, requests, concurrency))
            theirs.append(await _rate(base_url, requests, concurrency))
        p, b = statistics.median(ours), statistics.median(theirs)
        rows.append(f"| {name} | {p:,.0f} | {b:,.0f} | {p / b:.2f}x |")
    return "\n".join(rows)


def main(requests: int, concurrency: int) -> str:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        pywry = start_server(ROOT / "examples" / "quickstart.py", tmp, env=QUIET)
        base: ServerProcess | None = None
        try:
            home = httpx.get(pywry.base_url + "/")
            label = home.text.split('"label":"', 1)[1].split('"', 1)[0]
            page_url = f"{pywry.base_url}/widget/{label}"
            script = next(
                part.split('"', 1)[0]
                for part in home.text.split('src="')[1:]
                if "plotly.min." in part
            )
            (tmp / "page.html").write_text(httpx.get(page_url).text, encoding="utf-8")
            raw = httpx.get(pywry.base_url + script, headers={"accept-encoding": "gzip"})
            gz = tmp / "asset.gz"
            with httpx.stream("GET", pywry.base_url + script) as response:
                gz.write_bytes(b"".join(response.iter_raw()))
            base = start_server(
                ROOT / "bench" / "static_app.py",
                tmp,
                env={"BENCH_PAGE": str(tmp / "page.html"), "BENCH_ASSET": str(gz)},
            )
            pairs = {
                f"widget page ({len(home.text):,} B)": (
                    page_url,
                    base.base_url + "/page",
                    requests,
                ),
                # 1.4 MB per response: fewer requests, or the client is all we measure.
                f"plotly.min.js ({gz.stat().st_size:,} B gzipped)": (
                    pywry.base_url + script,
                    base.base_url + "/asset",
                    max(50, requests // 20),
                ),
            }
            assert raw.headers.get("content-encoding") == "gzip"
            table = asyncio.run(_measure(pairs, concurrency))
        finally:
            pywry.stop()
            if base is not None:
                base.stop()
    return (
        f"# HTTP serving\n\n`bench/bench_http.py --requests {requests} --concurrency "
        f"{concurrency}`, Python {platform.python_version()}, one uvicorn worker each, "
        "median of 3 interleaved rounds.\n\n"
        "| what | PyWry req/s | bare FastAPI req/s (same bytes) | ratio |\n|---|---:|---:|---:|\n"
        f"{table}\n\n"
        "One httpx client process drives both servers, so near 1.0x means PyWry's per-request\n"
        "work (page rendering from the widget record, hashed-asset lookup, cache headers)\n"
        "costs no more than a bare route returning fixed bytes at this load; the client, not\n"
        "either server, is the limit here. Use `wrk` for the servers' own ceilings.\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    report = main(args.requests, args.concurrency)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
