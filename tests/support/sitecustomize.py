"""Loaded by every Python process the e2e tests start (PYTHONPATH points here).

When ``PYWRY_TEST_CALL_LOG`` names a file, every user callback PyWry runs is
appended to it as a JSON line ``{"callback", "event", "label", "data", "pid"}``, so
tests can prove that the user's own function ran with the documented payload.
"""

import json
import os

_log = os.environ.get("PYWRY_TEST_CALL_LOG")

if _log:
    import pywry.callbacks as _callbacks

    _original = _callbacks.run_callback

    def _append(line: dict[str, object]) -> None:
        with open(_log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")

    async def _recording(fn, data, event_type, label, **options):
        ok = await _original(fn, data, event_type, label, **options)
        line = {
            "callback": getattr(fn, "__qualname__", repr(fn)),
            "event": event_type,
            "label": label,
            "data": data,
            "ok": ok,
            "pid": os.getpid(),
        }
        _append(line)
        return ok

    _callbacks.run_callback = _recording
