"""Conformance of the :class:`~pywry.state.base.StateBackend` lifecycle and facts."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

import pytest

from pywry.state.base import Capability, StateBackend
from pywry.state.records import WidgetRecord
from pywry.testing._fixtures import BackendFactory
from pywry.testing._support import DEADLINE, LONG_TTL, uid

__all__ = ["LifecycleTests"]

_SECRET_NAME = re.compile(r"KEY|PASSWORD|SECRET|TOKEN", re.IGNORECASE)


def _secrets(env: dict[str, str]) -> set[str]:
    """Values in ``env`` that must never show in ``describe()``."""
    found = {value for name, value in env.items() if _SECRET_NAME.search(name) and value}
    for value in env.values():
        if "://" in value:
            password = urlsplit(value).password
            if password:
                found.add(password)
    return found


class LifecycleTests:
    """Start/close pairs, ``ping``, ``check_writable``, ``describe``, declared facts."""

    @pytest.mark.asyncio
    async def test_start_and_aclose_are_idempotent(self, backend_factory: BackendFactory) -> None:
        instance = backend_factory()
        await instance.start()
        await instance.start()
        record = WidgetRecord(widget_id=uid("widget"))
        await instance.widgets.register(record, ttl=LONG_TTL)
        assert await instance.widgets.get(record.widget_id) == record
        await instance.aclose()
        await instance.aclose()

    @pytest.mark.asyncio
    async def test_async_with_yields_the_backend(self, backend_factory: BackendFactory) -> None:
        instance = backend_factory()
        async with instance as entered:
            assert entered is instance
            await entered.ping()

    @pytest.mark.asyncio
    async def test_ping_answers(self, backend: StateBackend) -> None:
        await backend.ping()

    @pytest.mark.asyncio
    async def test_check_writable_passes_and_leaves_nothing(self, backend: StateBackend) -> None:
        """A healthy store accepts the write probe, again and again, and keeps no trace."""
        widget = WidgetRecord(widget_id=uid("widget"))
        await backend.widgets.register(widget, ttl=LONG_TTL)
        before = await backend.widgets.active()
        for _ in range(3):
            await backend.check_writable()
        assert await backend.widgets.active() == before
        assert await backend.connections.get("pywry-write-probe") is None

    @pytest.mark.asyncio
    async def test_describe_names_the_backend(
        self, backend: StateBackend, request: pytest.FixtureRequest
    ) -> None:
        facts = backend.describe()
        assert isinstance(facts, dict)
        assert facts["backend"] == backend.name
        text = json.dumps(facts)
        try:
            env: dict[str, str] = request.getfixturevalue("backend_env")
        except pytest.FixtureLookupError:
            env = {}
        for secret in _secrets(env):
            assert secret not in text, "describe() must not reveal secrets"

    @pytest.mark.asyncio
    async def test_declared_facts(self, backend: StateBackend) -> None:
        cls = type(backend)
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", cls.name), "name: one lowercase token"
        assert isinstance(cls.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in cls.capabilities)

    @pytest.mark.asyncio
    async def test_aclose_with_an_open_subscription(self, backend_factory: BackendFactory) -> None:
        instance = backend_factory()
        await instance.start()
        sub = await instance.events.subscribe(uid("channel"))
        await asyncio.wait_for(instance.aclose(), DEADLINE)
        await asyncio.wait_for(sub.aclose(), DEADLINE)

    def test_settings_model_fields_are_the_backends_own(self, backend: StateBackend) -> None:
        """Fields of ``settings_model`` start with the backend's name and have defaults."""
        model = type(backend).settings_model
        if model is None:
            return
        for field, info in model.model_fields.items():
            assert field.startswith(f"{backend.name}_"), (
                f"{type(backend).__name__}.settings_model field {field!r} must start with "
                f"{backend.name + '_'!r}, so it cannot clash with PyWry's or another backend's"
            )
            assert not info.is_required(), f"{field!r} needs a default (a setting may be unset)"
