"""The memory backend passes the conformance kit, selected by its entry-point name."""

from __future__ import annotations

import pytest
from pywry.testing import BackendConformance


class TestMemoryBackend(BackendConformance):
    @pytest.fixture
    def backend_env(self) -> dict[str, str]:
        return {"PYWRY_DEPLOY__STATE_BACKEND": "memory"}
