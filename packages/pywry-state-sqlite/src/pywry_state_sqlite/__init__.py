"""SQLite/SQLCipher state backend for PyWry."""
