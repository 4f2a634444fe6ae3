"""A page that reconnects like ``bridge.js`` and counts what it got: the chaos harness.

``ChaosPage`` speaks ``docs/protocol.md`` over ``_wsclient``'s WebSocket, as a page's
``bridge.js`` does: ``hello`` with ``lastSeq``, ``viewer`` and ``viewerSeq``; every
event frame kept until its ``ack`` and sent again after each ``welcome``; an ``error``
``unavailable`` or ``rate_limited`` with the frame's id sent again 1-2 s later; events
applied once per ``seq`` (the widget's stream) and ``vseq`` (the viewer's own); after a
close, a reconnect with back-off. It records what a page would have applied:

- ``ticks``: broadcast ids applied (``chaos:tick``, one id per emit), so one applied
  twice (a spurious ``reset`` replaying old events) is seen;
- ``replies``: per event id, how many ``chaos:reply`` carrying it were applied;
- ``jumps``: where the widget's stream skipped numbers (``(had, got)``). Logs number
  from the clock (``pywry.state.numbering``): a log lost and made again starts far
  above the old one, so a skip is a loss only within one log; :func:`missed` tells
  the two apart from the first numbers of the logs the harness saw (``log_starts``);
- ``resets``, ``reconnects``, the worker each event was sent to.

:func:`tally` adds the callbacks that really ran (the app's own log) and classifies
every event: answered, lost (ran, no reply), twice, never run without notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from _wsclient import WebSocket, connect

__all__ = ["ChaosPage", "Outcome", "Tally", "missed", "tally"]

#: Close codes after which ``bridge.js`` stops instead of reconnecting.
FINAL_CLOSES = {4401, 4403, 4404}


@dataclass
class Outcome:
    """One browser event: what the page saw of it."""

    frame_id: str
    #: Workers (their pids) the frame was sent to, in order; the first is the original.
    sent_to: list[int] = field(default_factory=list)
    ack: str | None = None  # "ok" / "duplicate" / "unavailable" (an ack's status)
    #: An error frame that told the page the event was not taken and is not retried.
    refused: str | None = None
    replies: int = 0  # chaos:reply frames applied for it


class ChaosPage:
    """One page load of widget ``label``; ``run()`` until ``stop()``, reconnecting."""

    def __init__(self, ws_base: str, label: str, *, event_every: float = 0.5) -> None:
        self.ws_base = ws_base
        self.label = label
        self.client_id = "chaos" + uuid.uuid4().hex[:12]
        self.event_every = event_every
        self.last_seq: int | None = None
        self.last_vseq: int | None = None
        self.viewer: str | None = None
        self.worker_pid = 0
        self.events: dict[str, Outcome] = {}
        self.unacked: dict[str, dict[str, Any]] = {}
        self.ticks: Counter[str] = Counter()
        #: ``(had, got)`` each time the widget's stream skipped numbers.
        self.jumps: list[tuple[int, int]] = []
        self.resets = 0
        self.reconnects = 0
        self.welcomes = 0
        self.closes: Counter[int] = Counter()
        self.stopped_by: int | None = None
        self._ws: WebSocket | None = None
        self._open = asyncio.Event()
        self._sending = True
        self._running = True
        self._n = 0

    # -- the page's life ---------------------------------------------------------------
    async def run(self) -> None:
        """Connect, read, reconnect after each close (back-off), until :meth:`stop`."""
        attempt = 0
        async with asyncio.TaskGroup() as group:
            sender = group.create_task(self._send_events())
            while self._running:
                try:
                    await self._session()
                    attempt = 0
                except (TimeoutError, OSError, ConnectionError):
                    pass
                self._open.clear()
                if not self._running or self.stopped_by is not None:
                    break
                self.reconnects += 1
                attempt += 1
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt) * (0.75 + random.random() / 2))
            sender.cancel()

    async def _session(self) -> None:
        url = f"{self.ws_base}/widget/{self.label}/ws?client={self.client_id}"
        ws = await connect(url)
        self._ws = ws
        hello = {
            "type": "hello",
            "lastSeq": self.last_seq,
            "viewer": self.viewer,
            "viewerSeq": self.last_vseq,
        }
        ws.send(json.dumps(hello))
        try:
            while True:
                try:
                    text = await ws.recv()
                except ConnectionError:
                    break
                self._on_frame(json.loads(text))
        finally:
            self._open.clear()
            self._ws = None
            code = ws.closed or 1006
            self.closes[code] += 1
            if code in FINAL_CLOSES:
                self.stopped_by = code
            await ws.close()

    def _on_frame(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "welcome":
            self.welcomes += 1
            self.worker_pid = _pid_of(str(msg.get("workerId", "")))
            if self.last_seq is None:
                self.last_seq = int(msg["seq"])
            if msg.get("viewer") and msg["viewer"] != self.viewer:
                self.viewer = str(msg["viewer"])
                self.last_vseq = msg.get("viewerSeq")
            self._open.set()
            for frame in list(self.unacked.values()):
                self._send(frame)
        elif kind == "event":
            self._on_event(msg)
        elif kind == "reset":
            self.resets += 1
            if isinstance(msg.get("vseq"), int):
                self.last_vseq = int(msg["vseq"])
            else:
                self.last_seq = int(msg["seq"])
        elif kind == "ack":
            frame_id = str(msg.get("id"))
            if self.unacked.pop(frame_id, None) is not None:
                self.events[frame_id].ack = str(msg.get("status"))
        elif kind == "error" and msg.get("id"):
            frame_id = str(msg["id"])
            if msg.get("code") in ("unavailable", "rate_limited"):
                asyncio.get_running_loop().call_later(1 + random.random(), self._resend, frame_id)
            elif self.unacked.pop(frame_id, None) is not None:
                self.events[frame_id].refused = str(msg.get("code"))

    def _on_event(self, msg: dict[str, Any]) -> None:
        seq, vseq = msg.get("seq"), msg.get("vseq")
        if isinstance(seq, int):
            if self.last_seq is not None:
                if seq <= self.last_seq:
                    return  # seen already (replay and live overlap)
                if seq > self.last_seq + 1:
                    self.jumps.append((self.last_seq, seq))
            self.last_seq = seq
        elif isinstance(vseq, int):
            if self.last_vseq is not None and vseq <= self.last_vseq:
                return
            self.last_vseq = vseq
        data = msg.get("data") or {}
        if msg.get("event") == "chaos:tick":
            self.ticks[str(data.get("id"))] += 1
        elif msg.get("event") == "chaos:reply":
            outcome = self.events.get(str(data.get("tag")))
            if outcome is not None:
                outcome.replies += 1

    # -- browser events ------------------------------------------------------------------
    async def _send_events(self) -> None:
        while True:
            await asyncio.sleep(self.event_every * (0.5 + random.random()))
            if self._sending:
                self.emit("chaos:job")

    def emit(self, event: str) -> None:
        """Like ``window.pywry.emit``: a frame with a page-unique id, kept until its ack."""
        self._n += 1
        frame_id = f"{self.client_id}-{self._n}"
        frame = {"type": "event", "id": frame_id, "event": event, "data": {"tag": frame_id}}
        self.events[frame_id] = Outcome(frame_id)
        self.unacked[frame_id] = frame
        if self._open.is_set():
            self._send(frame)

    def _resend(self, frame_id: str) -> None:
        frame = self.unacked.get(frame_id)
        if frame is not None and self._open.is_set():
            self._send(frame)

    def _send(self, frame: dict[str, Any]) -> None:
        if self._ws is not None:
            self.events[frame["id"]].sent_to.append(self.worker_pid)
            self._ws.send(json.dumps(frame))

    # -- the end -----------------------------------------------------------------------
    def stop_sending(self) -> None:
        self._sending = False

    def settled(self, killed: frozenset[int] = frozenset()) -> bool:
        """Every event acknowledged (or refused) and every ``ok`` one answered, apart
        from those first sent to a worker in ``killed`` (they may never be)."""
        return all(
            o.replies > 0 or (o.sent_to and o.sent_to[0] in killed)
            for o in self.events.values()
            if o.ack in ("ok", "duplicate") or o.frame_id in self.unacked
        )

    async def stop(self) -> None:
        self._running = False
        ws = self._ws
        if ws is not None:
            await ws.close()


def _pid_of(worker_id: str) -> int:
    """The pid in a default worker id ``<host>-<pid>-<random>`` (0 if it has none)."""
    with contextlib.suppress(ValueError, IndexError):
        return int(worker_id.rsplit("-", 2)[-2])
    return 0


@dataclass
class Tally:
    """What every page of a run saw, against what the callbacks did."""

    pages: int = 0
    sent: int = 0  # browser events sent (distinct ids)
    answered: int = 0  # their callback ran once and its reply was applied once
    received: int = 0  # widget broadcasts applied
    lost: int = 0  # broadcasts skipped, or callbacks that ran and whose reply never came
    twice: int = 0  # a callback run twice, a reply or a broadcast applied twice
    never_run: int = 0  # acknowledged (or never acknowledged) and never run, no notice
    notified: int = 0  # refused with a notice (error frame, ack "unavailable")
    resets: int = 0
    reconnects: int = 0
    #: Lost or never run, all on a worker that was SIGKILLed (the at-most-once window).
    killed_window: int = 0
    details: list[str] = field(default_factory=list)
    #: A callback that ran once whose reply was appended twice (an append retried after
    #: Redis lost its answer; the emit's idempotency key prevents it).
    reply_twice: int = 0
    #: How the pages' sockets were closed (close code: count).
    closes: Counter[int] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        names = ["pages", "sent", "answered", "received", "lost", "twice", "never_run"]
        names += ["notified", "resets", "reconnects", "killed_window", "reply_twice"]
        return {name: int(getattr(self, name)) for name in names}

    def line(self) -> str:
        closes = " ".join(f"{code}x{n}" for code, n in sorted(self.closes.items()))
        return ", ".join(f"{k}={v}" for k, v in self.counts().items()) + f", closes={closes}"


def missed(had: int, got: int, log_starts: Iterable[int]) -> int:
    """Entries a page that had ``had`` and then got ``got`` never got.

    Within one log, the numbers in between. When a log was made again in between (its
    first number in ``log_starts``), the old one's numbers stop and the new one's start
    far above them: only the new log's entries before ``got`` are missing. ``had`` 0
    is a page that opened while there was no log: it misses nothing before the log's
    first number, if that is not known either.
    """
    begun = [start for start in log_starts if had < start <= got]
    if begun:
        return got - max(begun)
    return 0 if had == 0 else got - had - 1


def tally(
    pages: list[ChaosPage],
    runs: Counter[str],
    *,
    final_seq: int,
    log_starts: Iterable[int] = (),
    killed: frozenset[int] = frozenset(),
) -> Tally:
    """Classify every event of ``pages``; ``runs`` counts callback runs by event id.

    ``final_seq`` is the widget log's newest ``seq`` at the end: what a page still lacks
    of it is lost. ``log_starts`` are the first numbers of the widget's logs seen during
    the run (one, or more if the log was lost and made again). An event lost or never
    run only on SIGKILLed workers (``killed``) is counted in ``killed_window`` instead
    (see docs/operations.md).
    """
    starts = sorted(set(log_starts))
    out = Tally(pages=len(pages))
    for page in pages:
        out.resets += page.resets
        out.reconnects += page.reconnects
        out.closes.update(page.closes)
        out.received += sum(page.ticks.values())
        out.twice += sum(n - 1 for n in page.ticks.values() if n > 1)
        for had, got in page.jumps:
            if skipped := missed(had, got, starts):
                out.lost += skipped
                out.details.append(f"skipped {skipped}: a page went from {had} to {got}")
        if page.last_seq is not None and page.last_seq < final_seq:
            out.lost += missed(page.last_seq, final_seq + 1, starts)
            out.details.append(f"behind: a page ends at {page.last_seq}, the log at {final_seq}")
        for frame_id, outcome in page.events.items():
            out.sent += 1
            ran = runs.get(frame_id, 0)
            if ran > 1 or (outcome.replies > 1 and ran != 1):
                out.twice += 1
                out.details.append(f"twice: {frame_id} ran {ran}x, {outcome.replies} replies")
            elif outcome.replies > 1:  # ran once, its reply logged twice (see reply_twice)
                out.reply_twice += 1
                out.details.append(f"reply twice: {frame_id} ran once, {outcome.replies} replies")
            if outcome.refused is not None or outcome.ack == "unavailable":
                out.notified += 1
                continue
            # first sent to (and so claimed by) a worker that was SIGKILLed
            in_window = bool(outcome.sent_to) and outcome.sent_to[0] in killed
            if ran == 0:
                problem = "never run"
            elif outcome.replies == 0:
                problem = "lost reply"
            else:
                out.answered += 1
                continue
            if in_window:
                out.killed_window += 1
            elif problem == "never run":
                out.never_run += 1
            else:
                out.lost += 1
            out.details.append(f"{problem}: {frame_id} ack={outcome.ack} to={outcome.sent_to}")
    return out
