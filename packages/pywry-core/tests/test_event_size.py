"""An event a widget sends is refused, clearly, when its JSON is over MAX_EVENT_BYTES."""

from __future__ import annotations

import pytest
from pywry import inline
from pywry.errors import InvalidEventError
from pywry.widgets.widget import MAX_EVENT_BYTES


def test_an_event_at_the_limit_is_sent_one_byte_more_is_refused() -> None:
    widget = inline.show("<p>x</p>", title="Sizes")
    quotes = 2  # a string's JSON is the text between two quotes
    widget.emit("app:fits", "x" * (MAX_EVENT_BYTES - quotes))
    with pytest.raises(InvalidEventError, match="MAX_EVENT_BYTES") as info:
        widget.emit("app:big", "x" * (MAX_EVENT_BYTES - quotes + 1))
    assert f"{MAX_EVENT_BYTES + 1:,} bytes" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_ascii_text_counts_its_escaped_bytes() -> None:
    widget = inline.show("<p>x</p>", title="Sizes")
    with pytest.raises(InvalidEventError, match="the limit is"):
        widget.emit("app:big", {"text": "\u00e9" * (MAX_EVENT_BYTES // 6 + 1)})  # \u00e9: 6 bytes
