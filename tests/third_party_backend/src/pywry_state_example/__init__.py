"""An example third-party PyWry state backend over one JSON keyspace."""

from __future__ import annotations

from pywry_state_example.backend import ExampleBackend, ExampleSettings

__all__ = ["ExampleBackend", "ExampleSettings"]
