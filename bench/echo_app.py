"""The baseline: a bare FastAPI WebSocket route that echoes every frame (one uvicorn worker)."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PYWRY_SERVER__PORT"]),
        log_level="warning",
    )
