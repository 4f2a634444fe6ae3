"""Sequence numbers in ``hello``: logs number from the clock in microseconds (about
1.8e15), so every number a page can hold exactly is accepted, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pywry.state import first_seq
from pywry.state.numbering import MAX_SEQ
from pywry_server.protocol import Hello, ProtocolError, parse_frame


def _hello(**fields: Any) -> Hello:
    frame = parse_frame(json.dumps({"type": "hello", **fields}), max_bytes=4096)
    assert isinstance(frame, Hello)
    return frame


@pytest.mark.parametrize("number", [0, 1, first_seq(), MAX_SEQ])
def test_every_number_a_page_holds_exactly_is_accepted(number: int) -> None:
    hello = _hello(lastSeq=number, viewerSeq=number)
    assert (hello.last_seq, hello.viewer_seq) == (number, number)
    assert _hello(lastSeqs={"a": number, "b": None}).last_seqs == {"a": number, "b": None}


@pytest.mark.parametrize("number", [-1, MAX_SEQ + 1, 10**30, 1.5, 1e15, True, "12"])
@pytest.mark.parametrize("key", ["lastSeq", "viewerSeq"])
def test_other_numbers_are_bad_messages(key: str, number: Any) -> None:
    with pytest.raises(ProtocolError, match=key) as caught:
        _hello(**{key: number})
    assert caught.value.code == "bad_message"


def test_a_composed_page_number_out_of_range_is_a_bad_message() -> None:
    with pytest.raises(ProtocolError, match="2\\*\\*53") as caught:
        _hello(lastSeqs={"a": MAX_SEQ + 1})
    assert caught.value.code == "bad_message"
