"""A skeleton PyWry state backend (entry point ``template``)."""

from __future__ import annotations

from pywry_state_template.backend import TemplateBackend

__all__ = ["TemplateBackend"]
