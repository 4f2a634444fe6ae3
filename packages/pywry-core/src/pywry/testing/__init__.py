"""The backend conformance kit: one pytest suite every state backend must pass.

Subclass :class:`BackendConformance` in a test module and say how to select the
backend with environment variables::

    import pytest
    from pywry.testing import BackendConformance


    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def backend_env(self, tmp_path) -> dict[str, str]:
            return {"PYWRY_DEPLOY__STATE_BACKEND": "mine", "MINE_URL": "mine://..."}

The kit loads settings from that environment (:func:`pywry.config.load_settings`),
finds the class through the ``pywry.state_backends`` entry point, builds it with
``from_settings`` and runs ``async with`` around each test. Tests of
:attr:`~pywry.state.base.Capability.SHARED` (other instances, another process) and
:attr:`~pywry.state.base.Capability.PERSISTENT` (reopen) and
:attr:`~pywry.state.base.Capability.FILES` (``backend.blobs``) skip unless the backend
class lists the capability in its ``capabilities``.

Fixtures a subclass may use or override: ``backend_env`` (required unless
``backend_factory`` is overridden), ``backend_settings``, ``backend_factory`` (returns
a callable building one unstarted backend), ``backend`` (started), ``make_backend``
(``await make_backend()`` builds and starts another instance, closed at teardown),
``run_in_subprocess``. Importing this package needs ``pytest`` and ``pytest-asyncio``
(``pip install pywry-core[testing]``); the rest of ``pywry`` does not.
"""

from __future__ import annotations

from pywry.testing._fixtures import BackendFactory, BackendFixtures, MakeBackend, RunInSubprocess
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, requires, uid
from pywry.testing.append_keys import AppendKeyTests
from pywry.testing.blobs import BlobStoreTests
from pywry.testing.connections import ConnectionRouterTests
from pywry.testing.events import EventBusTests
from pywry.testing.lifecycle import LifecycleTests
from pywry.testing.persistent import PersistenceTests
from pywry.testing.replay import ClaimTests, ReplayLogTests
from pywry.testing.sessions import SessionStoreTests
from pywry.testing.shared import SharedStateTests
from pywry.testing.widgets import WidgetStoreTests
from pywry.testing.workers import WorkerRegistryTests

__all__ = [
    "LONG_TTL",
    "SHORT_TTL",
    "AppendKeyTests",
    "BackendConformance",
    "BackendFactory",
    "BackendFixtures",
    "BlobStoreTests",
    "ClaimTests",
    "ConnectionRouterTests",
    "EventBusTests",
    "LifecycleTests",
    "MakeBackend",
    "PersistenceTests",
    "ReplayLogTests",
    "RunInSubprocess",
    "SessionStoreTests",
    "SharedStateTests",
    "WidgetStoreTests",
    "WorkerRegistryTests",
    "eventually",
    "requires",
    "uid",
]


class BackendConformance(
    WidgetStoreTests,
    SessionStoreTests,
    ConnectionRouterTests,
    WorkerRegistryTests,
    EventBusTests,
    ReplayLogTests,
    AppendKeyTests,
    ClaimTests,
    BlobStoreTests,
    LifecycleTests,
    SharedStateTests,
    PersistenceTests,
    BackendFixtures,
):
    """Every conformance test; subclass it and provide ``backend_env``."""
