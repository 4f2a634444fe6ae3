"""The documentation: the settings reference matches the models, the site builds strictly.

``docs/settings.md`` is generated (``pywry config reference --backend redis --backend
sqlite``); ``docs/configuration.md`` is written by hand and must still name every
setting. ``mkdocs build --strict`` fails on a broken link, a missing anchor or a page
left out of the nav, which the last test proves with a deliberately broken copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pywry.config import DeploySettings, ServerSettings, backend_settings_models, env_var_for
from pywry_server.cli.reference import reference_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REGENERATE = "pywry config reference --backend redis --backend sqlite > docs/settings.md"


def _mkdocs(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_settings_reference_is_what_the_models_say() -> None:
    written = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert written == reference_markdown(["redis", "sqlite"]), f"out of date: run {REGENERATE}"


def test_the_reference_lists_every_setting_of_pywry_and_the_shared_backends() -> None:
    written = (DOCS / "settings.md").read_text(encoding="utf-8")
    models, _ = backend_settings_models()
    sections = [("server", ServerSettings), ("deploy", DeploySettings)]
    sections += [("deploy", models[name]) for name in ("redis", "sqlite")]
    for section, model in sections:
        for name in model.model_fields:
            assert f"| `{env_var_for(section, name)}` |" in written


def test_the_configuration_page_names_every_setting() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    models, _ = backend_settings_models()
    sections = [("server", ServerSettings), ("deploy", DeploySettings)]
    sections += [("deploy", models[name]) for name in ("redis", "sqlite")]
    missing = [
        env_var_for(section, name)
        for section, model in sections
        for name in model.model_fields
        if env_var_for(section, name) not in text
    ]
    assert missing == []


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    built = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "settings.html").is_file()
    assert "PYWRY_SERVER__PORT" in (tmp_path / "site" / "settings.html").read_text("utf-8")


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    page = copy / "docs" / "getting-started.md"
    page.write_text(page.read_text("utf-8") + "\nSee [the gone page](gone.md#nowhere).\n", "utf-8")
    built = _mkdocs(copy / "mkdocs.yml", tmp_path / "site")
    assert built.returncode != 0
    assert "gone.md" in built.stderr
