"""Baseline: a bare Starlette WebSocket route at ``/ws`` echoing every text frame.

Run: ``python echo_ws.py`` with ``PYWRY_SERVER__PORT`` set (one uvicorn worker, no access
log, the same uvicorn and loop as PyWry's server). ``/readyz`` answers 200.
"""

import os

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


async def readyz(request):
    return PlainTextResponse("ready")


app = Starlette(routes=[Route("/readyz", readyz), WebSocketRoute("/ws", echo)])

if __name__ == "__main__":
    port = int(os.environ["PYWRY_SERVER__PORT"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
