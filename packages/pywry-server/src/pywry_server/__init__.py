"""PyWry deploy-mode server."""
