"""Per-widget access in core: the default rule, show*(roles=, private=), the app's check."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator

import pytest
from pywry import inline
from pywry.access import (
    AccessRequest,
    AccessViewer,
    AccessWidget,
    RequestSession,
    bind_request_session,
    decide,
    default_access_check,
    needs_check,
    reset_request_session,
    session_digest,
)
from pywry.context import EventContext, Viewer, ViewerState, viewer_scope
from pywry.errors import AccessError, PyWryError
from pywry.runtime import current_runtime


@pytest.fixture(autouse=True)
def _default_check() -> Iterator[None]:
    yield
    inline.set_access_check(None)


def _viewer(*roles: str, session: str | None = "s-1", user: str | None = "ada") -> AccessViewer:
    digest = session_digest(session) if session else None
    return AccessViewer(user=user, roles=frozenset(roles), session=digest, authenticated=True)


def _allowed(viewer: AccessViewer, widget: AccessWidget) -> bool:
    return asyncio.run(decide(AccessRequest(viewer, widget)))


def test_open_widget_is_for_everyone() -> None:
    widget = AccessWidget("w")
    assert not needs_check(widget)
    assert _allowed(AccessViewer(), widget)


def test_roles_are_any_of() -> None:
    widget = AccessWidget("w", roles=frozenset({"admin", "ops"}))
    assert _allowed(_viewer("ops"), widget)
    assert _allowed(_viewer("viewer", "admin"), widget)
    assert not _allowed(_viewer("viewer"), widget)
    assert not _allowed(AccessViewer(), widget)  # no session, no roles


def test_private_is_the_creator_session_only() -> None:
    widget = AccessWidget("w", private_to=session_digest("s-1"))
    assert widget.private and needs_check(widget)
    assert _allowed(_viewer(session="s-1"), widget)
    assert not _allowed(_viewer(session="s-2"), widget)
    assert not _allowed(_viewer(session=None), widget)


def test_private_and_roles_both_apply() -> None:
    widget = AccessWidget("w", roles=frozenset({"admin"}), private_to=session_digest("s-1"))
    assert _allowed(_viewer("admin", session="s-1"), widget)
    assert not _allowed(_viewer(session="s-1"), widget)
    assert not _allowed(_viewer("admin", session="s-2"), widget)


def test_show_functions_store_roles_in_the_record() -> None:
    html = inline.show("<p>x</p>", label="acl-html", roles=["ops", "admin", "ops"])
    chart = inline.show_plotly({"data": [], "layout": {}}, label="acl-chart", roles=["ops"])
    grid = inline.show_dataframe([{"a": 1}], label="acl-grid", roles=("ops",))
    assert html.to_record().roles == ["admin", "ops"]
    assert chart.to_record().roles == ["ops"] and grid.to_record().roles == ["ops"]
    assert html.to_record().private_to is None
    open_widget = inline.show("<p>x</p>", label="acl-open")
    assert open_widget.to_record().roles == [] and not open_widget.access.restricted


def test_roles_must_be_names() -> None:
    with pytest.raises(AccessError, match="list of role names"):
        inline.show("<p>x</p>", label="acl-bad", roles="admin")
    with pytest.raises(AccessError, match="1-128 characters"):
        inline.show("<p>x</p>", label="acl-bad", roles=[""])


def test_private_outside_any_session_is_a_clear_error() -> None:
    with pytest.raises(AccessError, match="private=True needs a session") as info:
        inline.show("<p>x</p>", label="acl-private", private=True)
    assert isinstance(info.value, PyWryError)
    assert current_runtime().get("acl-private") is None


def test_private_in_a_callback_belongs_to_the_viewers_session() -> None:
    ctx = EventContext(
        Viewer("viewer-0123456789abcdef", "browser-session-1", None),
        worker_id="w1",
        label="x",
        event="app:go",
        state=ViewerState({}, max_bytes=1024),
    )
    with viewer_scope(ctx):
        widget = inline.show("<p>mine</p>", label="acl-mine", private=True)
    record = widget.to_record()
    assert record.private_to == hashlib.sha256(b"browser-session-1").hexdigest()
    assert "browser-session-1" not in record.model_dump_json()  # the digest, never the id
    assert _allowed(_viewer(session="browser-session-1"), widget.access)
    assert not _allowed(_viewer(session="another-browser"), widget.access)


def test_private_in_a_request_handler_belongs_to_the_requests_session() -> None:
    session = RequestSession("request-session-1")
    token = bind_request_session(session)
    try:
        widget = inline.show("<p>mine</p>", label="acl-req", private=True)
    finally:
        reset_request_session(token)
    assert session.used  # the server keeps that session's cookie on the response
    assert widget.access.private_to == session_digest("request-session-1")
    token = bind_request_session(RequestSession(None))  # a request without a session
    try:
        with pytest.raises(AccessError):
            inline.show("<p>x</p>", label="acl-req-none", private=True)
    finally:
        reset_request_session(token)


def test_an_app_check_replaces_the_rule_sync_or_async() -> None:
    seen: list[AccessRequest] = []

    def only_ada(request: AccessRequest) -> bool:
        seen.append(request)
        return request.viewer.user == "ada"

    inline.set_access_check(only_ada)
    open_widget = AccessWidget("w")
    assert needs_check(open_widget)  # a plugged check is asked for every widget
    assert _allowed(_viewer(user="ada"), open_widget)
    assert not _allowed(_viewer(user="bob"), open_widget)
    assert seen[0].widget.label == "w" and seen[0].viewer.has_session

    async def admins_by_default_rule(request: AccessRequest) -> bool:
        await asyncio.sleep(0)
        return request.viewer.user != "mallory" and default_access_check(request)

    inline.set_access_check(admins_by_default_rule)
    admin_widget = AccessWidget("a", roles=frozenset({"admin"}))
    assert _allowed(_viewer("admin"), admin_widget)
    assert not _allowed(_viewer("admin", user="mallory"), admin_widget)
    assert not _allowed(_viewer(), admin_widget)
    inline.set_access_check(None)
    assert not needs_check(open_widget)


def test_set_access_check_refuses_non_callables() -> None:
    with pytest.raises(AccessError, match="callable"):
        inline.set_access_check("admin")  # type: ignore[arg-type]
