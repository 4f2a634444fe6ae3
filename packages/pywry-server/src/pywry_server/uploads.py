"""Uploads over HTTP: a ``FileInput``'s files arrive in pieces, on any worker.

``POST {prefix}/{label}/upload`` (JSON ``{viewer, componentId, files: [{name, size,
type}]}``) checks the viewer against the request's session, the component, the sizes
and types, and answers a signed token; ``PUT {prefix}/{label}/upload/{token}/{file}/{piece}``
stores one piece (at most 1 MiB, in order, once) in the backend's blob store;
``POST {prefix}/{label}/upload/{token}/done`` checks every file is complete and runs the
component's event once, for that viewer, with ``{files: [{name, size, type, id}]}``:
here, or on the worker that owns a widget made at run time (handed over like a
WebSocket event, ``inbound.py``). Any step may land on any worker. See ``docs/files.md``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pywry._file_sink import UploadInfo
from pywry.downloads import safe_filename
from pywry.errors import UploadError
from pywry.state.base import Capability
from pywry.state.blobs import MAX_CHUNK_BYTES
from pywry.toolbar.files import MAX_FILES, FileInput, file_input_of_record, find_file_input

from pywry_server._upload_rules import Refused, accepts, answers, media_type_of
from pywry_server._upload_slots import UploadSlots
from pywry_server.availability import OWNER_GONE
from pywry_server.dispatch import WorkerBusy
from pywry_server.messages import ViewerRef

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.context import Viewer
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend

    from pywry_server._upload_slots import Slot
    from pywry_server.access import AccessGuard
    from pywry_server.availability import Availability
    from pywry_server.dispatch import Dispatcher
    from pywry_server.files import Downloads
    from pywry_server.inbound import InboundRouter
    from pywry_server.viewers import ViewerDirectory

__all__ = ["PIECE_BYTES", "Uploads"]

#: Size of every piece but a file's last.
PIECE_BYTES = MAX_CHUNK_BYTES


class Uploads:
    """This worker's side of uploads (one per worker; state lives in the backend)."""

    def __init__(
        self,
        settings: PyWrySettings,
        backend: StateBackend,
        *,
        runtime: Runtime,
        access: AccessGuard,
        viewers: ViewerDirectory,
        downloads: Downloads,
        dispatcher: Dispatcher,
        inbound: InboundRouter,
        availability: Availability,
    ) -> None:
        deploy = settings.deploy
        self._runtime, self._access, self._viewers = runtime, access, viewers
        self._downloads, self._dispatcher = downloads, dispatcher
        self._inbound, self._availability = inbound, availability
        self.max_bytes = deploy.upload_max_bytes
        self._ttl = deploy.upload_ttl
        self._backend = backend
        #: Upload batches going on, per viewer, counted in the backend (every worker's).
        self._slots = UploadSlots(backend, limit=deploy.upload_max_active, ttl=self._ttl)

    # -- start ------------------------------------------------------------------------

    @answers
    async def start(self, label: str, request: Request) -> JSONResponse:
        self._check_files_capability()
        await self._access.check_request(request, label)
        try:
            body = await request.json()
        except ValueError:
            raise Refused(400, "upload_bad_request", "the body must be JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("files"), list):
            raise Refused(400, "upload_bad_request", "expected {viewer, componentId, files: [...]}")
        viewer = await self._viewer(request, body.get("viewer"))
        component, _ = await self._file_input(label, str(body.get("componentId", "")))
        if component is None or component.disabled:
            raise Refused(404, "upload_not_found", "this widget has no such file input")
        files = body["files"]
        most = MAX_FILES if component.multiple else 1
        if not 0 < len(files) <= most:
            raise Refused(400, "upload_bad_request", f"send 1 to {most} files, got {len(files)}")
        limit = min(self.max_bytes, component.max_bytes or self.max_bytes)
        accepted: list[list[Any]] = []
        rejected: list[dict[str, Any]] = []
        for index, entry in enumerate(files):
            problem, described = self._check_file(component, entry, limit)
            if problem is not None:
                rejected.append({"index": index, **problem})
            else:
                accepted.append([index, *described])
        if not accepted:
            first = rejected[0]
            status = (
                413
                if first["error"] == "upload_too_large"
                else (415 if first["error"] == "upload_type_refused" else 400)
            )
            raise Refused(status, first["error"], first["detail"], rejected=rejected)
        slot = await self._slots.take(viewer.viewer_id)
        if slot is None:
            limit = self._slots.limit
            raise Refused(
                429,
                "upload_busy",
                f"{limit} uploads of this page are going on (the limit is {limit}, "
                "PYWRY_DEPLOY__UPLOAD_MAX_ACTIVE); wait for one to end",
            )
        batch = secrets.token_urlsafe(18)
        claims = {
            "k": "u",
            "b": batch,
            "l": label,
            "c": component.component_id,
            "v": viewer.viewer_id,
            "s": viewer.session_id,
            "e": int(time.time()) + self._ttl,
            "f": [entry[1:] for entry in accepted],
            "q": list(slot),
        }
        token = await self._downloads.sign(claims)
        out = [
            {"index": i, "name": n, "size": s, "type": t, "pieces": _pieces(s)}
            for i, n, s, t in accepted
        ]
        answer = {"token": token, "pieceBytes": PIECE_BYTES, "files": out, "rejected": rejected}
        return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})

    def _check_file(
        self, component: FileInput, entry: Any, limit: int
    ) -> tuple[dict[str, str] | None, list[Any]]:
        if not isinstance(entry, dict):
            return {"error": "upload_bad_request", "detail": "a file is {name, size, type}"}, []
        raw_name, size = entry.get("name"), entry.get("size")
        if not isinstance(raw_name, str) or not isinstance(size, int) or isinstance(size, bool):
            return {"error": "upload_bad_request", "detail": "a file needs a name and a size"}, []
        name = safe_filename(raw_name[:1000])
        declared = entry.get("type") if isinstance(entry.get("type"), str) else ""
        media_type = media_type_of(str(declared), name)
        if size < 0:
            return {"error": "upload_bad_request", "detail": f"{name}: size must be >= 0"}, []
        if size > limit:
            return {
                "error": "upload_too_large",
                "name": name,
                "detail": f"{name} is {size:,} bytes, over the limit of {limit:,} bytes",
            }, []
        if not accepts(component, name, media_type):
            allowed = ", ".join(component.accept)
            return {
                "error": "upload_type_refused",
                "name": name,
                "detail": f"{name} ({media_type}) is not an accepted type ({allowed})",
            }, []
        return None, [name, size, media_type]

    async def _free(self, claims: dict[str, Any]) -> None:
        """Free the batch's slot: it ended, or the page gave it up."""
        if not isinstance(claims.get("q"), list):  # a token signed before slots were kept
            return
        index, generation = claims["q"]
        slot: Slot = (int(index), int(generation))
        await self._slots.free(str(claims["v"]), slot, str(claims["b"]))

    async def _file_input(self, label: str, component_id: str) -> tuple[FileInput | None, bool]:
        """The widget's ``FileInput`` and whether another worker runs its callbacks.

        A widget this worker defines is read here; one made at run time on another
        worker from its record in the backend, while its owner lives (else ``503``).
        """
        widget = self._runtime.get(label)
        if widget is not None:
            return find_file_input(widget, component_id), False
        record = await self._backend.widgets.get(label)
        if record is None:
            return None, True
        reason = await self._availability.record_reason(record)
        if reason is not None or record.owner is None:
            detail = reason or "no worker runs this widget's callbacks"
            raise Refused(503, "widget_unavailable", f"{detail}; reload the page")
        return file_input_of_record(record.payload, component_id), True

    # -- pieces -----------------------------------------------------------------------

    @answers
    async def piece(
        self, label: str, token: str, file: int, piece: int, request: Request
    ) -> JSONResponse:
        claims = await self._batch(label, token, request)
        try:
            return await self._piece(claims, file, piece, request)
        except Refused:  # the page gives this batch up: its slot is free again
            await self._free(claims)
            raise

    async def _piece(
        self, claims: dict[str, Any], file: int, piece: int, request: Request
    ) -> JSONResponse:
        files = claims["f"]
        if not 0 <= file < len(files):
            raise Refused(400, "upload_bad_piece", f"file {file} is not in this upload")
        name, size = str(files[file][0]), int(files[file][1])
        pieces = _pieces(size)
        if not 0 <= piece < pieces:
            raise Refused(
                400, "upload_bad_piece", f"{name} has pieces 0 to {pieces - 1}, got {piece}"
            )
        expected = min(PIECE_BYTES, size - piece * PIECE_BYTES)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > expected:
            raise Refused(
                413, "upload_too_large", f"piece {piece} of {name} must be {expected} bytes"
            )
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > expected:
                raise Refused(
                    413, "upload_too_large", f"piece {piece} of {name} must be {expected} bytes"
                )
        if len(data) != expected:
            raise Refused(
                400,
                "upload_bad_piece",
                f"piece {piece} of {name} is {len(data)} bytes, expected {expected} (truncated?)",
            )
        batch, blobs = str(claims["b"]), self._backend.blobs
        if piece > 0 and await blobs.get_chunk(_marks(batch, file), piece - 1) is None:
            raise Refused(409, "upload_out_of_order", f"send piece {piece - 1} of {name} first")
        if not await self._backend.events.claim(f"upload:{batch}:{file}:{piece}", ttl=self._ttl):
            raise Refused(
                409, "upload_duplicate_piece", f"piece {piece} of {name} was already sent"
            )
        ttl = self._ttl + 120
        await blobs.put_chunk(_blob(batch, file), piece, bytes(data), ttl=ttl)
        await blobs.put_chunk(_marks(batch, file), piece, b"1", ttl=ttl)
        return JSONResponse({"file": file, "piece": piece, "received": len(data)})

    # -- done -------------------------------------------------------------------------

    @answers
    async def finish(self, label: str, token: str, request: Request) -> JSONResponse:
        claims = await self._batch(label, token, request)
        batch, viewer_id = str(claims["b"]), str(claims["v"])
        try:
            entries = await self._complete(claims)
            component, elsewhere = await self._file_input(label, str(claims["c"]))
            if component is None:
                raise Refused(404, "upload_not_found", "this widget has no such file input")
        except Refused:  # never to be handed over: the slot is free again
            await self._free(claims)
            raise
        if not elsewhere:  # the owner's own limit applies there, as for a forwarded event
            try:
                self._dispatcher.check_room()
            except WorkerBusy as exc:
                raise Refused(503, "worker_busy", str(exc)) from None
        if not await self._backend.events.claim(f"upload:{batch}:done", ttl=self._ttl):
            raise Refused(409, "upload_finished", "this upload was already handed over")
        await self._free(claims)
        ref = await self._viewers.resume(viewer_id, str(claims["s"]))
        if ref is None:
            raise Refused(403, "upload_forbidden", "this page's viewer has expired; reload")
        data = {"files": entries, "componentId": component.component_id}
        status = await self._inbound.hand_over(label, component.event, data, viewer=ref)
        if status == "unavailable":  # the owner died since the check above
            raise Refused(503, "widget_unavailable", f"{OWNER_GONE}; reload the page")
        return JSONResponse({"files": entries}, status_code=202)

    async def _complete(self, claims: dict[str, Any]) -> list[dict[str, Any]]:
        batch, blobs = str(claims["b"]), self._backend.blobs
        entries = []
        for file, (name, size, media_type) in enumerate(claims["f"]):
            pieces = _pieces(int(size))
            if pieces and await blobs.get_chunk(_marks(batch, file), pieces - 1) is None:
                raise Refused(
                    400,
                    "upload_truncated",
                    f"{name} is incomplete: not all {pieces} pieces arrived",
                )
            file_claims = {
                "k": "f",
                "b": _blob(batch, file),
                "n": int(size),
                "p": pieces,
                "f": name,
                "t": media_type,
                "v": claims["v"],
                "e": claims["e"],
            }
            file_id = await self._downloads.sign(file_claims)
            entries.append({"name": name, "size": int(size), "type": media_type, "id": file_id})
        return entries

    # -- checks -----------------------------------------------------------------------

    def _check_files_capability(self) -> None:
        if Capability.FILES not in self._backend.capabilities:
            raise Refused(404, "upload_not_found", "this deployment does not store files")

    async def _viewer(self, request: Request, viewer_id: Any) -> ViewerRef:
        session = await self._downloads.session_of(request)
        if not isinstance(viewer_id, str):
            raise Refused(400, "upload_bad_request", "viewer (the page's viewer id) is required")
        viewer = await self._viewers.resume(viewer_id, session)
        if viewer is None:
            raise Refused(403, "upload_forbidden", "this page does not belong to your session")
        return viewer

    async def _batch(self, label: str, token: str, request: Request) -> dict[str, Any]:
        self._check_files_capability()
        claims = await self._downloads.verify(token) if token.isascii() else None
        if claims is None or claims.get("k") != "u" or claims.get("l") != label:
            raise Refused(403, "upload_forbidden", "the upload token is not valid for this widget")
        session = await self._downloads.session_of(request)
        if not hmac.compare_digest(str(claims["s"]).encode(), session.encode()):
            raise Refused(403, "upload_forbidden", "this upload belongs to another session")
        if float(claims["e"]) < time.time():
            raise Refused(410, "upload_expired", "the upload took too long; pick the files again")
        return claims

    # -- the callback's side (FileSink) -------------------------------------------------

    async def open_upload(self, file_id: str, viewer: Viewer) -> UploadInfo:
        claims = await self._downloads.verify(file_id) if file_id.isascii() else None
        if claims is None or claims.get("k") != "f":
            raise UploadError(f"{file_id[:40]!r} is not an uploaded file's id")
        if not hmac.compare_digest(str(claims["v"]).encode(), viewer.viewer_id.encode()):
            raise UploadError("this file was uploaded by another viewer")
        if float(claims["e"]) < time.time():
            raise UploadError("this upload has expired (PYWRY_DEPLOY__UPLOAD_TTL)")
        return UploadInfo(
            id=file_id,
            blob_id=str(claims["b"]),
            name=str(claims["f"]),
            size=int(claims["n"]),
            type=str(claims["t"]),
            pieces=int(claims["p"]),
        )

    async def upload_piece(self, info: UploadInfo, index: int) -> bytes:
        piece = await self._backend.blobs.get_chunk(info.blob_id, index)
        if piece is None:
            raise UploadError(f"piece {index} of {info.name} is no longer stored")
        return piece


def _pieces(size: int) -> int:
    return -(-size // PIECE_BYTES)


def _blob(batch: str, file: int) -> str:
    return f"up-{batch}-{file}"


def _marks(batch: str, file: int) -> str:
    return f"upm-{batch}-{file}"
