"""Limits: nesting measured before decoding, the event token bucket, log clipping."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from pywry_server.codes import ErrorCode
from pywry_server.limits import MAX_JSON_DEPTH, EventRate, SocketLimit, clip, nesting_exceeds
from pywry_server.protocol import Event, Ping, ProtocolError, parse_frame

MAX = 1_048_576


def depth(value: Any) -> int:
    """Reference depth of a decoded value (containers count one level each)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


LEAVES = [1, 2.5, None, True, "[{", '}]\\"[', "\\", "", "x]]"]


def random_value(rnd: random.Random, levels: int) -> Any:
    """A spine ``levels`` deep with shallow siblings; strings and keys full of brackets."""
    if levels == 0:
        return rnd.choice(LEAVES)
    siblings = [rnd.choice([*LEAVES, [], {}, [1, "]"]]) for _ in range(rnd.randint(0, 2))]
    children = [*siblings, random_value(rnd, levels - 1)]
    rnd.shuffle(children)
    if rnd.random() < 0.5:
        return children
    return {f'k{i}"[{{\\': child for i, child in enumerate(children)}


def test_nesting_matches_the_decoded_depth_on_seeded_values() -> None:
    rnd = random.Random(20261202)
    checked = 0
    for _ in range(2000):
        value = random_value(rnd, rnd.randint(0, 45))
        text = json.dumps(value, ensure_ascii=rnd.random() < 0.5)
        actual = depth(value)
        for limit in (0, 1, 3, 8, MAX_JSON_DEPTH):
            assert nesting_exceeds(text, limit) == (actual > limit), (text, limit, actual)
            checked += 1
    assert checked == 10_000


@pytest.mark.parametrize("levels", [964, 100_000])
def test_deep_frames_are_refused_before_decoding(levels: int) -> None:
    for text in (
        "[" * levels + "]" * levels,
        '{"type":"event","event":"app:x","data":' + "[" * levels + "]" * levels + "}",
        '{"a":' * levels + "1" + "}" * levels,
        "[" * levels,  # truncated: a decoder would recurse before seeing the error
    ):
        with pytest.raises(ProtocolError) as info:
            parse_frame(text, max_bytes=MAX)
        assert info.value.code == ErrorCode.TOO_DEEP


def test_depth_at_the_limit_is_accepted_one_more_is_not() -> None:
    inner = MAX_JSON_DEPTH - 1  # the frame object itself is one level
    ok = '{"type":"event","event":"app:x","data":' + "[" * inner + "]" * inner + "}"
    assert isinstance(parse_frame(ok, max_bytes=MAX), Event)
    deep = '{"type":"event","event":"app:x","data":' + "[" * (inner + 1) + "]" * (inner + 1) + "}"
    with pytest.raises(ProtocolError) as info:
        parse_frame(deep, max_bytes=MAX)
    assert info.value.code == ErrorCode.TOO_DEEP


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"type": "event", "event": "app:x", "data": "[" * 5000 + '\\"' + "{" * 50})
    assert isinstance(parse_frame(text, max_bytes=MAX), Event)


def test_shallow_but_unbalanced_text_is_bad_json_not_too_deep() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_frame('{"type": "event", "data": [1, [2, [3', max_bytes=MAX)
    assert info.value.code == ErrorCode.BAD_JSON


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    rate = EventRate(2.0, 3, clock=clock)
    assert [rate.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rate.take() == pytest.approx(0.5)  # empty: one token comes back in 1/rate s
    clock.now += 0.5
    assert rate.take() == 0.0
    assert rate.take() > 0
    clock.now += 60  # refills to the burst, never beyond
    assert [rate.take() for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert rate.take() > 0


def test_token_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        EventRate(0, 1)
    with pytest.raises(ValueError, match="burst >= 1"):
        EventRate(1, 0)


def test_event_over_the_rate_is_rate_limited_with_its_id() -> None:
    clock = Clock()
    rate = EventRate(1.0, 2, clock=clock)
    frame = '{"type":"event","id":"c-%d","event":"app:x","data":null}'
    for n in (1, 2):
        assert isinstance(parse_frame(frame % n, max_bytes=MAX, rate=rate), Event)
    with pytest.raises(ProtocolError) as info:
        parse_frame(frame % 3, max_bytes=MAX, rate=rate)
    assert (info.value.code, info.value.frame_id) == (ErrorCode.RATE_LIMITED, "c-3")
    assert "2 events at once or 1 per second" in str(info.value)
    assert isinstance(parse_frame('{"type":"ping"}', max_bytes=MAX, rate=rate), Ping)
    clock.now += 1.0
    assert isinstance(parse_frame(frame % 3, max_bytes=MAX, rate=rate), Event)


def test_a_bad_id_is_never_echoed() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_frame(json.dumps({"type": "nope", "id": "x" * 5000}), max_bytes=MAX)
    assert info.value.frame_id is None


def test_error_messages_quote_client_text_clipped() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_frame(json.dumps({"type": "event", "event": "e" * 500_000}), max_bytes=MAX)
    assert info.value.code == ErrorCode.BAD_EVENT
    assert len(str(info.value)) < 300
    with pytest.raises(ProtocolError) as info:
        parse_frame(json.dumps({"type": ["t" * 100_000] * 50}), max_bytes=MAX)
    assert len(str(info.value)) < 400


def test_clip_keeps_log_lines_short_and_on_one_line() -> None:
    line = clip("evil\nINFO forged line\r\n" * 10_000)
    assert "\n" not in line and "\r" not in line
    assert len(line) < 260
    assert line.endswith("(230000 chars)")
    assert clip("https://ok.example") == "'https://ok.example'"
    assert len(clip({"k": [["x" * 10_000] * 100] * 100})) < 260
    assert clip(None) == "None"


async def test_socket_limit_counts_open_sockets_and_closes_1013_without_denial_support() -> None:
    release = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await release.wait()
        else:
            sent.append({"passed": scope["type"]})

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(dict(message))

    limit = SocketLimit(app, max_sockets=1)
    held = asyncio.create_task(limit({"type": "websocket"}, receive, send))
    await asyncio.sleep(0)
    assert limit.open == 1
    await limit({"type": "websocket"}, receive, send)  # a server without the extension
    assert sent == [{"type": "websocket.close", "code": 1013, "reason": "too many sockets"}]
    await limit({"type": "http"}, receive, send)  # HTTP is uvicorn's to limit: passes
    assert sent[-1] == {"passed": "http"}
    release.set()
    await held
    assert limit.open == 0
