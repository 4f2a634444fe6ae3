"""The template backend passes the conformance kit, found through its entry point."""

from __future__ import annotations

import pytest
from pywry.testing import BackendConformance


class TestTemplateBackend(BackendConformance):
    @pytest.fixture
    def backend_env(self) -> dict[str, str]:
        # Everything the backend reads from the environment goes here (URLs, paths
        # under tmp_path, a unique key prefix per test for a shared server, ...).
        return {"PYWRY_DEPLOY__STATE_BACKEND": "template"}
