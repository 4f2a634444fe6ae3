"""An app behind the built-in OpenID Connect login: a widget that says who you are.

``app:whoami`` answers ``app:you`` with the session's user and roles (from ``ctx``).
``admin-board`` is for sessions whose ``roles`` claim names ``admin``.
"""

from pywry.inline import deploy, get_server_app, show

app = get_server_app()


def on_whoami(data, event_type, label, ctx):
    board.emit("app:you", {"user": ctx.user})


board = show(
    "<h1>Private board</h1>", title="Board", label="board", callbacks={"app:whoami": on_whoami}
)

admin_board = show("<h1>Admin board</h1>", title="Admin", label="admin-board", roles=["admin"])


if __name__ == "__main__":
    deploy()
