"""Headless Chromium (Debian's package) driven by Playwright, with the flags this
environment needs. Never downloads a browser."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("PYWRY_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium chromium-driver "
            "(or set PYWRY_TEST_CHROMIUM)"
        )
    return CHROMIUM
