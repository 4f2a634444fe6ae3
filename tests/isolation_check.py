"""Run in an environment holding pywry-core alone (nox -s isolation).

Imports the whole public API and shows that nothing web or heavy comes with it, and
that deploy mode explains what to install.
"""

import sys

import pywry
import pywry.config
import pywry.inline
import pywry.state
import pywry.toolbar
from pywry.errors import ServerNotInstalledError

for heavy in ("fastapi", "uvicorn", "starlette", "redis", "sqlcipher3", "pandas", "plotly"):
    assert heavy not in sys.modules, f"importing pywry pulled in {heavy}"

widget = pywry.inline.show("<p>hi</p>", label="iso")
assert "<p>hi</p>" in pywry.inline.get_widget_html("iso")

message = ""
try:
    pywry.inline.get_server_app()
except ServerNotInstalledError as exc:
    message = str(exc)
if "pip install pywry-server" not in message:
    raise AssertionError(f"get_server_app() without pywry-server gave {message!r}")

print(f"pywry {pywry.__version__} imports alone: ok")
