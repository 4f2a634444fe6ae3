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

try:
    pywry.inline.get_server_app()
except ServerNotInstalledError as exc:
    assert "pip install pywry-server" in str(exc), exc
else:
    raise AssertionError("get_server_app() worked without pywry-server")

print(f"pywry {pywry.__version__} imports alone: ok")
