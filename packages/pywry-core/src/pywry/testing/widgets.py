"""Conformance of :class:`~pywry.state.base.WidgetStore`."""

from __future__ import annotations

import hashlib

import pytest

from pywry.state.base import StateBackend
from pywry.state.records import WidgetRecord
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, is_none, uid

__all__ = ["WidgetStoreTests"]


def sample_widget(widget_id: str | None = None, **changes: object) -> WidgetRecord:
    """A widget record that uses every field, with text that trips naive encodings."""
    fields: dict[str, object] = {
        "widget_id": widget_id or uid("widget"),
        "kind": "plotly",
        "title": 'Sales <b>&</b> "margins" — Q1 ✓',
        "content": "<div id='chart'>\n  line two\ttab\n</div>" + "x" * 5000,
        "payload": {"figure": {"data": [{"x": [1, 2.5, None], "y": ["a", "é"]}]}, "n": 3},
        "owner": "worker-a",
        "roles": ["admin", "analyst-é"],
        "private_to": hashlib.sha256(b"a-session-id").hexdigest(),
        "created_at": 1_700_000_000.25,
    }
    fields.update(changes)
    return WidgetRecord.model_validate(fields)


class WidgetStoreTests:
    """``backend.widgets``: records, TTL, the active set."""

    @pytest.mark.asyncio
    async def test_widget_round_trip_keeps_every_field(self, backend: StateBackend) -> None:
        record = sample_widget()
        await backend.widgets.register(record, ttl=LONG_TTL)
        assert await backend.widgets.get(record.widget_id) == record

    @pytest.mark.asyncio
    async def test_widget_without_owner_round_trips_none(self, backend: StateBackend) -> None:
        record = WidgetRecord(widget_id=uid("widget"))
        await backend.widgets.register(record, ttl=LONG_TTL)
        got = await backend.widgets.get(record.widget_id)
        assert got == record
        assert got is not None and got.owner is None and got.payload == {}

    @pytest.mark.asyncio
    async def test_widget_access_fields_round_trip(self, backend: StateBackend) -> None:
        """``roles`` and ``private_to`` decide per-widget access on every worker."""
        restricted = sample_widget(roles=["ops", "admin"], private_to="ab" * 32)
        open_widget = sample_widget(roles=[], private_to=None)
        for record in (restricted, open_widget):
            await backend.widgets.register(record, ttl=LONG_TTL)
        got = await backend.widgets.get(restricted.widget_id)
        assert got is not None and got.roles == ["ops", "admin"]
        assert got.private_to == "ab" * 32
        got = await backend.widgets.get(open_widget.widget_id)
        assert got is not None and got.roles == [] and got.private_to is None

    @pytest.mark.asyncio
    async def test_unknown_widget_is_none(self, backend: StateBackend) -> None:
        assert await backend.widgets.get(uid("missing")) is None

    @pytest.mark.asyncio
    async def test_register_replaces_the_record(self, backend: StateBackend) -> None:
        first = sample_widget(payload={"old": True, "gone": 1})
        second = sample_widget(first.widget_id, title="new", payload={"new": True}, owner=None)
        await backend.widgets.register(first, ttl=LONG_TTL)
        await backend.widgets.register(second, ttl=LONG_TTL)
        assert await backend.widgets.get(first.widget_id) == second

    @pytest.mark.asyncio
    async def test_active_lists_registered_and_not_removed(self, backend: StateBackend) -> None:
        kept, dropped = sample_widget(), sample_widget()
        for record in (kept, dropped):
            await backend.widgets.register(record, ttl=LONG_TTL)
        assert {kept.widget_id, dropped.widget_id} <= await backend.widgets.active()
        assert await backend.widgets.remove(dropped.widget_id) is True
        active = await backend.widgets.active()
        assert kept.widget_id in active and dropped.widget_id not in active

    @pytest.mark.asyncio
    async def test_remove_reports_whether_it_existed(self, backend: StateBackend) -> None:
        record = sample_widget()
        await backend.widgets.register(record, ttl=LONG_TTL)
        assert await backend.widgets.remove(record.widget_id) is True
        assert await backend.widgets.get(record.widget_id) is None
        assert await backend.widgets.remove(record.widget_id) is False
        assert await backend.widgets.remove(uid("missing")) is False

    @pytest.mark.asyncio
    async def test_widget_expires_and_leaves_active_set(self, backend: StateBackend) -> None:
        short, long = sample_widget(), sample_widget()
        await backend.widgets.register(short, ttl=SHORT_TTL)
        await backend.widgets.register(long, ttl=LONG_TTL)

        await eventually(
            lambda: _absent(backend, short.widget_id), "the short-TTL widget to leave active()"
        )
        assert await backend.widgets.get(short.widget_id) is None
        assert long.widget_id in await backend.widgets.active()
        assert await backend.widgets.get(long.widget_id) == long
        assert await backend.widgets.touch(short.widget_id, ttl=LONG_TTL) is False
        assert await backend.widgets.remove(short.widget_id) is False

    @pytest.mark.asyncio
    async def test_touch_extends_life(self, backend: StateBackend) -> None:
        touched, witness = sample_widget(), sample_widget()
        await backend.widgets.register(touched, ttl=SHORT_TTL)
        await backend.widgets.register(witness, ttl=SHORT_TTL)
        assert await backend.widgets.touch(touched.widget_id, ttl=LONG_TTL) is True

        await eventually(
            lambda: is_none(backend.widgets.get(witness.widget_id)),
            "the untouched widget to expire",
        )
        assert await backend.widgets.get(touched.widget_id) == touched
        assert touched.widget_id in await backend.widgets.active()

    @pytest.mark.asyncio
    async def test_touch_can_shorten_life(self, backend: StateBackend) -> None:
        record = sample_widget()
        await backend.widgets.register(record, ttl=LONG_TTL)
        assert await backend.widgets.touch(record.widget_id, ttl=SHORT_TTL) is True

        await eventually(
            lambda: is_none(backend.widgets.get(record.widget_id)),
            "the widget touched with a short TTL to expire",
        )

    @pytest.mark.asyncio
    async def test_touch_unknown_widget_is_false(self, backend: StateBackend) -> None:
        assert await backend.widgets.touch(uid("missing"), ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_register_after_expiry_revives(self, backend: StateBackend) -> None:
        record = sample_widget()
        await backend.widgets.register(record, ttl=SHORT_TTL)

        await eventually(
            lambda: is_none(backend.widgets.get(record.widget_id)), "the widget to expire"
        )
        await backend.widgets.register(record, ttl=LONG_TTL)
        assert await backend.widgets.get(record.widget_id) == record
        assert record.widget_id in await backend.widgets.active()

    @pytest.mark.asyncio
    @pytest.mark.parametrize("ttl", [0, -1, -0.5])
    async def test_widget_rejects_bad_ttl(self, backend: StateBackend, ttl: float) -> None:
        record = sample_widget()
        with pytest.raises(ValueError, match="ttl"):
            await backend.widgets.register(record, ttl=ttl)
        with pytest.raises(ValueError, match="ttl"):
            await backend.widgets.touch(record.widget_id, ttl=ttl)
        assert await backend.widgets.get(record.widget_id) is None

    @pytest.mark.asyncio
    async def test_widget_rejects_empty_id(self, backend: StateBackend) -> None:
        with pytest.raises(ValueError, match="widget_id"):
            await backend.widgets.register(WidgetRecord(widget_id=""), ttl=LONG_TTL)
        assert "" not in await backend.widgets.active()


async def _absent(backend: StateBackend, widget_id: str) -> bool:
    return widget_id not in await backend.widgets.active()
