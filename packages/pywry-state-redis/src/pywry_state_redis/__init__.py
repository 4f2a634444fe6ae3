"""Redis state backend for PyWry."""
