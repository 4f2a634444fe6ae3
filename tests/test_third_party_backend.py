"""A third party's backend, installed as its own distribution, passes the conformance kit.

``tests/third_party_backend`` is the ``pywry-state-example`` distribution; it registers
``example`` in the ``pywry.state_backends`` entry-point group, and the kit finds it
there by name, exactly as a deployment with ``PYWRY_DEPLOY__STATE_BACKEND=example`` would.
"""

from __future__ import annotations

import pytest
from pywry.registry import available_state_backends
from pywry.testing import BackendConformance


def test_example_backend_is_discovered_through_its_entry_point() -> None:
    assert "example" in available_state_backends()


class TestExampleBackend(BackendConformance):
    @pytest.fixture
    def backend_env(self) -> dict[str, str]:
        return {"PYWRY_DEPLOY__STATE_BACKEND": "example"}
