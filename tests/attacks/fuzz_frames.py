"""A seeded generator of hostile WebSocket frames: every shape, every wrong type.

``frames(seed, count)`` yields ``(kind, payload, text)``: a text frame (``text``) or a
binary one; a text frame's payload is ``str``, or ``bytes`` that are not UTF-8.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

Frame = tuple[str, str | bytes, bool]

#: Text that trips up parsers, terminals and logs.
NASTY = [
    "",
    " ",
    "\x00",
    "\n\r\t\x1b[31m",
    "\u2028\u2029",
    "\ufeff",
    "\ud800",  # a lone surrogate (JSON-escaped when sent)
    "\U0001f600" * 3,
    "e\u0301" * 10,
    "\u202e" + "txt.exe",
    "<script>alert(1)</script>",
    "%s%n%x",
    "'; DROP TABLE widgets; --",
    "../../etc/passwd",
    "pywry:ready",
    "toolbar:secret-reveal",
    "pywry:download",
    "app:ping",
    "chart:export",
    "a:" + "b" * 127,
    "__proto__",
    "constructor",
    "NaN",
]
TYPES = ["hello", "event", "ping", "welcome", "ack", "error", "HELLO", "Event", " ping", None]


class Fuzzer:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    # -- values ----------------------------------------------------------------
    def text(self) -> str:
        rnd = self.rnd
        pick = rnd.random()
        if pick < 0.4:
            return rnd.choice(NASTY)
        if pick < 0.8:
            points = [
                rnd.choice([rnd.randint(0, 0x7F), rnd.randint(0, 0x10FFFF)]) for _ in range(24)
            ]
            return "".join(map(chr, points[: rnd.randint(0, 24)]))
        if pick < 0.998:
            return rnd.choice("ab\x00\u00e9\U0001f600") * rnd.randint(100, 5000)
        return "x" * rnd.randint(100_000, 900_000)  # huge but under the 1 MiB limit

    def scalar(self) -> Any:
        rnd = self.rnd
        return rnd.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                rnd.randint(-(2**70), 2**70),
                10**300,
                rnd.random() * 10 ** rnd.randint(-300, 300),
                float("nan"),
                float("inf"),
                self.text(),
            ]
        )

    def value(self, depth: int = 0) -> Any:
        rnd = self.rnd
        if depth > 6 or rnd.random() < 0.45:
            return self.scalar()
        if rnd.random() < 0.5:
            return [self.value(depth + 1) for _ in range(rnd.randint(0, 5))]
        return {self.key(): self.value(depth + 1) for _ in range(rnd.randint(0, 5))}

    def key(self) -> str:
        rnd = self.rnd
        return rnd.choice(["type", "id", "event", "data", "lastSeq", self.text()[:40]])

    def deep(self) -> str:
        rnd = self.rnd
        levels = rnd.choice([33, 64, 252, 964, 5000, 100_000])
        shapes = [("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")]
        opener, closer = shapes[0] if levels > 5000 else rnd.choice(shapes)
        inner = opener * levels + "1" + closer * levels
        return rnd.choice(
            [inner, '{"type":"event","id":"x","event":"app:ping","data":' + inner + "}"]
        )

    # -- frames ----------------------------------------------------------------
    def hello(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello"}
        if self.rnd.random() < 0.9:
            frame["lastSeq"] = self.rnd.choice(
                [None, -1, 0, 3, 2**63, 10**40, "5", 1.5, True, [], {}, self.value()]
            )
        return frame

    def event(self) -> dict[str, Any]:
        rnd = self.rnd
        frame: dict[str, Any] = {"type": "event"}
        if rnd.random() < 0.85:
            frame["id"] = rnd.choice(
                [f"f-{rnd.randint(0, 10**9)}", "", "x" * 65, "bad id", 5, None, [], self.text()]
            )
        if rnd.random() < 0.95:
            frame["event"] = rnd.choice(
                [
                    "app:ping",
                    "chart:export",
                    "app:nothing",
                    "grid:cell-click",
                    "plotly:hover",
                    *NASTY,
                    1,
                    None,
                    [],
                    {},
                    self.text(),
                ]
            )
        if rnd.random() < 0.9:
            frame["data"] = self.value() if rnd.random() < 0.7 else {"n": self.scalar()}
        return frame

    def ping(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "ping"}
        for _ in range(self.rnd.randint(0, 3)):
            frame[self.key()] = self.value()
        return frame

    def wrong_type(self) -> dict[str, Any]:
        base = self.rnd.choice([self.hello, self.event, self.ping])()
        base["type"] = self.rnd.choice([*TYPES, self.value()])
        return base

    def encode(self, message: Any) -> str:
        """JSON text, raw UTF-8 or ``\\u`` escaped (always escaped for lone surrogates)."""
        text = json.dumps(message, ensure_ascii=self.rnd.random() < 0.5)
        try:
            text.encode()
        except UnicodeEncodeError:
            return json.dumps(message)
        return text

    def truncated(self) -> str:
        text = self.encode(self.rnd.choice([self.hello, self.event, self.ping])())
        return text[: self.rnd.randint(0, max(0, len(text) - 1))]

    def frame(self) -> Frame:
        rnd = self.rnd
        makers: list[tuple[float, str, Callable[[], str | bytes]]] = [
            (0.18, "json-any", lambda: self.encode(self.value())),
            (0.20, "event", lambda: self.encode(self.event())),
            (0.08, "hello", lambda: self.encode(self.hello())),
            (0.06, "ping", lambda: self.encode(self.ping())),
            (0.12, "wrong-type", lambda: self.encode(self.wrong_type())),
            (0.08, "truncated", self.truncated),
            (0.06, "deep", self.deep),
            (0.08, "not-json", lambda: self.text().encode(errors="replace").decode()),
            (0.10, "binary", lambda: rnd.randbytes(rnd.randint(0, 2000))),
            (0.03, "invalid-utf8", self.invalid_utf8),
        ]
        roll, total = rnd.random(), 0.0
        for weight, kind, make in makers:
            total += weight
            if roll < total:
                payload = make()
                return kind, payload, kind != "binary"
        return "ping", '{"type":"ping"}', True

    def invalid_utf8(self) -> bytes:
        good = self.encode(self.event()).encode()
        cut = self.rnd.randint(0, len(good))
        bad = self.rnd.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])
        return good[:cut] + bad + good[cut:]


def frames(seed: int, count: int) -> Iterator[Frame]:
    fuzzer = Fuzzer(seed)
    for _ in range(count):
        yield fuzzer.frame()
