"""Deploy-mode state: detection helpers and the backend interface."""
