"""Shared fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pywry.runtime import current_runtime


@pytest.fixture(autouse=True)
def _forget_widgets() -> Iterator[None]:
    """Widgets a test shows are forgotten afterwards, so tests do not see each other's."""
    before = {w.label for w in current_runtime().widgets()}
    yield
    for widget in current_runtime().widgets():
        if widget.label not in before:
            current_runtime().forget(widget.label)
