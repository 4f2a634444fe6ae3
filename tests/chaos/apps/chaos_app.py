"""The chaos suite's app: run it with PYWRY_SERVER__WORKERS=4 and a shared backend.

- ``chaos`` (a module-level widget): its callback ``chaos:job`` writes a line to
  ``PYWRY_CHAOS_RUNS`` when it starts (``{"tag", "pid"}``: the test counts runs from
  it), works for ``PYWRY_CHAOS_WORK`` seconds, then answers the viewer who asked with
  ``chaos:reply {tag, pid}``.
- every worker broadcasts ``chaos:tick {id}`` every ``PYWRY_CHAOS_TICK`` seconds (ids
  unique: ``<pid>-<n>``; ``PYWRY_CHAOS_TICK_BYTES`` of padding) until the file
  ``PYWRY_CHAOS_QUIET`` exists.
- ``GET /whoami``: this worker's pid (and a request for ``LIMIT_MAX_REQUESTS`` to count).
- ``GET /block``: writes this worker's pid to ``PYWRY_CHAOS_BLOCKED``, then blocks its
  event loop for two minutes (``time.sleep`` in an ``async def``, a classic user bug).
"""

import json
import os
import threading
import time
from pathlib import Path

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from pywry.inline import deploy, get_server_app, show

app = get_server_app()
RUNS = os.environ.get("PYWRY_CHAOS_RUNS", "chaos-runs.jsonl")
WORK = float(os.environ.get("PYWRY_CHAOS_WORK", "0.05"))
TICK = float(os.environ.get("PYWRY_CHAOS_TICK", "0.5"))
QUIET = Path(os.environ.get("PYWRY_CHAOS_QUIET", "chaos-quiet"))
PAD = "x" * int(os.environ.get("PYWRY_CHAOS_TICK_BYTES", "0"))


def on_job(data, event_type, label):
    line = json.dumps({"tag": data["tag"], "pid": os.getpid()}) + "\n"
    with open(RUNS, "a", encoding="utf-8") as fh:  # one short O_APPEND write: not interleaved
        fh.write(line)
    time.sleep(WORK)
    chaos.emit("chaos:reply", {"tag": data["tag"], "pid": os.getpid()})


chaos = show("<h1>Chaos</h1>", title="Chaos", label="chaos", callbacks={"chaos:job": on_job})


def _tick() -> None:
    n = 0
    while True:
        time.sleep(TICK)
        if QUIET.exists():
            continue
        n += 1
        try:  # dropped before the server starts and after it stops
            chaos.broadcast("chaos:tick", {"id": f"{os.getpid()}-{n}", "pad": PAD})
        except Exception as exc:
            print(f"chaos-tick: {exc!r}", flush=True)


@app.get("/whoami")
async def whoami():
    return {"pid": os.getpid()}


@app.get("/block")
async def block():
    Path(os.environ["PYWRY_CHAOS_BLOCKED"]).write_text(str(os.getpid()), encoding="ascii")  # noqa: ASYNC240
    time.sleep(120)  # noqa: ASYNC251 - on purpose: the loop never runs again
    return {"pid": os.getpid()}


if os.environ.get("PYWRY_CHAOS_TICK") != "0":
    threading.Thread(target=_tick, name="chaos-tick", daemon=True).start()

if __name__ == "__main__":
    deploy()
