"""``python -m pywry_server``: the ``pywry`` command."""

from __future__ import annotations

from pywry_server.cli import main

if __name__ == "__main__":
    main(prog_name="pywry")
