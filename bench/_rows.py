"""The targets table of issue 13, row by row: which samples make each ratio, and its target.

Keys are ``<measure>.<figure>``: ``page.*`` / ``root.*`` / ``dash.*`` are wrk runs
(``rate`` req/s, ``cpu_us`` server CPU per request); ``lat.*`` are one client's
sequential round trips (``p50_ms``); ``tp.*`` are closed-loop runs of N clients
(``rate`` round trips/s, ``cpu_us`` server CPU per round trip); ``rss.*`` are bytes of
RSS per idle socket. The rows stay the same from run to run, so result files compare
line by line.
"""

from __future__ import annotations

from _report import Round, Row, Samples

__all__ = ["RAW_LABELS", "ROWS"]


def _m(samples: Samples, key: str, unit: str = "", digits: int = 0) -> str:
    value = samples.median(key)
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def _page(s: Samples) -> str:
    return (
        f"CPU/req PyWry {_m(s, 'page.pywry.cpu_us', ' µs')}, FastAPI "
        f"{_m(s, 'page.fastapi.cpu_us', ' µs')}, Starlette {_m(s, 'page.starlette.cpu_us', ' µs')}"
        f", raw ASGI {_m(s, 'page.asgi.cpu_us', ' µs')}; req/s PyWry {_m(s, 'page.pywry.rate')}, "
        f"FastAPI {_m(s, 'page.fastapi.rate')}"
    )


def _root(s: Samples) -> str:
    return (
        f"CPU/req PyWry {_m(s, 'root.pywry.cpu_us', ' µs')}, FastAPI "
        f"{_m(s, 'root.fastapi.cpu_us', ' µs')}; req/s {_m(s, 'root.pywry.rate')} vs "
        f"{_m(s, 'root.fastapi.rate')}"
    )


def _lat(s: Samples) -> str:
    return (
        f"p50 {_m(s, 'lat.memory.p50_ms', ' ms', 3)} vs {_m(s, 'lat.echo.p50_ms', ' ms', 3)}; "
        f"p99 {_m(s, 'lat.memory.p99_ms', ' ms', 3)} vs {_m(s, 'lat.echo.p99_ms', ' ms', 3)}"
    )


def _tp(s: Samples) -> str:
    return (
        f"{_m(s, 'tp.memory.rate')} vs {_m(s, 'tp.echo.rate')} round trips/s; p99 "
        f"{_m(s, 'tp.memory.p99_ms', ' ms', 1)} vs {_m(s, 'tp.echo.p99_ms', ' ms', 1)}"
    )


def _cpu(s: Samples) -> str:
    return f"{_m(s, 'tp.memory.cpu_us', ' µs')} vs {_m(s, 'tp.echo.cpu_us', ' µs', 1)} per event"


def _redis(s: Samples) -> str:
    return (
        f"{_m(s, 'tp.redis.cpu_us', ' µs')} vs {_m(s, 'tp.memory.cpu_us', ' µs')} per event "
        f"(redis-server itself: {_m(s, 'tp.redis.redis_cpu_us', ' µs')})"
    )


def _cross(s: Samples) -> str:
    return (
        f"p50 {_m(s, 'lat.cross.p50_ms', ' ms', 3)} vs echo {_m(s, 'lat.echo.p50_ms', ' ms', 3)}"
        f" + 2 x pub/sub {_m(s, 'lat.pubsub.p50_ms', ' ms', 3)}"
    )


def _dash_light(s: Samples) -> str:
    return (
        f"{_m(s, 'tp.memory.rate')} vs Dash {_m(s, 'dash.light.rate')} per s; CPU "
        f"{_m(s, 'tp.memory.cpu_us', ' µs')} vs {_m(s, 'dash.light.cpu_us', ' µs')}"
    )


def _dash_figure(s: Samples) -> str:
    return (
        f"{_m(s, 'tp.figure.rate')} vs Dash {_m(s, 'dash.figure.rate')} per s; p99 "
        f"{_m(s, 'tp.figure.p99_ms', ' ms', 1)} vs {_m(s, 'dash.figure.p99_ms', ' ms', 1)}; "
        f"CPU {_m(s, 'tp.figure.cpu_us', ' µs')} vs {_m(s, 'dash.figure.cpu_us', ' µs')}"
    )


def _rss(s: Samples) -> str:
    return f"{_m(s, 'rss.pywry', ' B')} vs {_m(s, 'rss.starlette', ' B')} per socket"


def _cross_ratio(r: Round) -> float:
    return r["lat.cross.p50_ms"] / (r["lat.echo.p50_ms"] + 2 * r["lat.pubsub.p50_ms"])


ROWS = [
    Row(
        "widget page `/widget/{label}` vs bare FastAPI, same bytes (CPU per request)",
        lambda r: r["page.fastapi.cpu_us"] / r["page.pywry.cpu_us"],
        1.5,
        True,
        _page,
        ("page.fastapi.cpu_us", "page.pywry.cpu_us"),
    ),
    Row(
        "Quick Start's own `/` vs bare FastAPI `/`, same bytes (CPU per request)",
        lambda r: r["root.fastapi.cpu_us"] / r["root.pywry.cpu_us"],
        0.9,
        True,
        _root,
        ("root.fastapi.cpu_us", "root.pywry.cpu_us"),
    ),
    Row(
        "event round trip, memory, 1 client, p50 vs Starlette echo",
        lambda r: r["lat.memory.p50_ms"] / r["lat.echo.p50_ms"],
        1.5,
        False,
        _lat,
        ("lat.memory.p50_ms", "lat.echo.p50_ms"),
    ),
    Row(
        "event throughput, memory, N clients, vs echo",
        lambda r: r["tp.memory.rate"] / r["tp.echo.rate"],
        0.5,
        True,
        _tp,
        ("tp.memory.rate", "tp.echo.rate"),
    ),
    Row(
        "server CPU per event, memory, N clients, vs echo",
        lambda r: r["tp.memory.cpu_us"] / r["tp.echo.cpu_us"],
        3,
        False,
        _cpu,
        ("tp.memory.cpu_us", "tp.echo.cpu_us"),
    ),
    Row(
        "server CPU per event, Redis vs memory backend (1 worker)",
        lambda r: r["tp.redis.cpu_us"] / r["tp.memory.cpu_us"],
        2,
        False,
        _redis,
        ("tp.redis.cpu_us", "tp.memory.cpu_us"),
    ),
    Row(
        "cross-worker round trip p50 vs echo + 2 x redis-py pub/sub",
        _cross_ratio,
        2,
        False,
        _cross,
        ("lat.cross.p50_ms", "lat.echo.p50_ms", "lat.pubsub.p50_ms"),
    ),
    Row(
        "light callback, N clients, 1 worker: PyWry rate / Dash rate",
        lambda r: r["tp.memory.rate"] / r["dash.light.rate"],
        5,
        True,
        _dash_light,
        ("tp.memory.rate", "dash.light.rate"),
    ),
    Row(
        "figure job (`px.bar` per call), N clients: PyWry rate / Dash rate",
        lambda r: r["tp.figure.rate"] / r["dash.figure.rate"],
        1.5,
        True,
        _dash_figure,
        ("tp.figure.rate", "dash.figure.rate"),
    ),
    Row(
        "RSS per idle socket vs bare Starlette",
        lambda r: r["rss.pywry"] / r["rss.starlette"],
        1.3,
        False,
        _rss,
        ("rss.pywry", "rss.starlette"),
    ),
]

_RUNS = {
    "page.pywry": "widget page, PyWry",
    "page.fastapi": "widget page bytes, bare FastAPI",
    "page.starlette": "widget page bytes, Starlette route",
    "page.asgi": "widget page bytes, raw ASGI",
    "root.pywry": "Quick Start `/`, PyWry",
    "root.fastapi": "`/` bytes, bare FastAPI",
    "dash.light": "Dash light callback POST",
    "dash.figure": "Dash figure callback POST",
    "tp.echo": "echo, N clients",
    "tp.memory": "PyWry memory, N clients, light callback",
    "tp.redis": "PyWry redis x1, N clients, light callback",
    "tp.figure": "PyWry memory, N clients, figure job",
}
RAW_LABELS: dict[str, str] = {}
for _key, _label in _RUNS.items():
    RAW_LABELS[f"{_key}.rate"] = f"{_label}: per s"
    RAW_LABELS[f"{_key}.cpu_us"] = f"{_label}: server CPU µs each"
    RAW_LABELS[f"{_key}.p50_ms"] = f"{_label}: p50 ms"
    RAW_LABELS[f"{_key}.p99_ms"] = f"{_label}: p99 ms"
    RAW_LABELS[f"{_key}.server_busy"] = f"{_label}: server CPU share"
RAW_LABELS["tp.redis.redis_cpu_us"] = "PyWry redis x1: redis-server CPU µs per event"
for _key in ("tp.echo", "tp.memory", "tp.redis", "tp.figure"):
    RAW_LABELS[f"{_key}.client_busy"] = f"{_RUNS[_key]}: load client CPU share"
for _key, _label in {
    "lat.echo": "echo, 1 client",
    "lat.memory": "PyWry memory, 1 client",
    "lat.cross": "PyWry redis x2, cross-worker, 1 client",
    "lat.pubsub": "redis-py pub/sub",
}.items():
    RAW_LABELS[f"{_key}.p50_ms"] = f"{_label}: round trip p50 ms"
    RAW_LABELS[f"{_key}.p99_ms"] = f"{_label}: round trip p99 ms"
RAW_LABELS["rss.pywry"] = "PyWry: RSS bytes per idle socket"
RAW_LABELS["rss.starlette"] = "bare Starlette: RSS bytes per idle socket"
