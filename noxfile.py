"""Developer tasks. Every session installs the built wheels, not the working tree.

nox -s lint typecheck              static checks
nox -s "tests(backend='redis')"    the whole suite on one backend
nox -s e2e                         browser tests only
nox -s "isolation(package='pywry-core')"   core alone: no fastapi, no redis
nox -s bench [-- --smoke]          benchmarks: writes bench/results/<date>.md (needs wrk)
nox -s soak [-- --minutes 5]       chaos soak: 150 pages, workers killed, Redis restarted
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests", "isolation"]

ROOT = Path(__file__).parent
PACKAGES = ["pywry-core", "pywry-server", "pywry-state-redis", "pywry-state-sqlite"]
# Installed for the tests only: the backend template and an example third-party backend.
TEST_DISTS = ["packages/_template", "tests/third_party_backend"]
BACKENDS = ["memory", "sqlite", "redis"]
DIST = ROOT / "dist"


def _wheels(session: nox.Session, *folders: str) -> list[str]:
    """Build the wheels of ``folders`` (relative to the root) into dist/; return their paths."""
    out = DIST / session.name.replace("(", "-").replace(")", "").replace("'", "").replace("=", "-")
    session.run(
        "python",
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(out),
        *[str(ROOT / f) for f in folders],
    )
    return [str(w) for w in sorted(out.glob("*.whl"))]


def _install_all(session: nox.Session) -> None:
    session.install("--upgrade", "pip")
    wheels = _wheels(session, *[f"packages/{p}" for p in PACKAGES], *TEST_DISTS)
    session.install(*wheels)
    session.install("--force-reinstall", "--no-deps", *wheels)
    session.install("--group", "test")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("--upgrade", "pip")
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the four packages, the template and the example backend."""
    session.install("--upgrade", "pip")
    # pywry.testing imports pytest and the grid converts with numpy: their types count.
    core = f"-e{ROOT / 'packages' / 'pywry-core'}[testing,pandas]"
    others = [f"-e{ROOT / 'packages' / p}" for p in PACKAGES if p != "pywry-core"]
    session.install(core, *others, *[f"-e{ROOT / d}" for d in TEST_DISTS])
    session.install("--group", "lint")
    session.run("mypy")


@nox.session
@nox.parametrize("backend", BACKENDS)
def tests(session: nox.Session, backend: str) -> None:
    """The whole suite, with the server tests on ``backend`` (chosen by entry-point name)."""
    _install_all(session)
    session.run("pytest", f"--state-backend={backend}", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser tests only (headless Chromium from /usr/bin/chromium)."""
    _install_all(session)
    session.run("pytest", "-m", "e2e", "tests/e2e", *session.posargs)


@nox.session
@nox.parametrize("package", ["pywry-core"])
def isolation(session: nox.Session, package: str) -> None:
    """``package`` alone installs and imports without fastapi, uvicorn or redis."""
    session.install("--upgrade", "pip")
    session.install(*_wheels(session, f"packages/{package}"))
    session.run("python", str(ROOT / "tests" / "isolation_check.py"))


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite against baselines (docs/performance.md); ``-- --smoke`` is quick."""
    _install_all(session)
    session.run("python", str(ROOT / "bench" / "run.py"), *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs, strict: a broken link fails), after checking that
    the generated settings reference matches the settings models."""
    _install_all(session)
    session.install("--group", "docs")
    reference = session.run(
        "pywry", "config", "reference", "--backend", "redis", "--backend", "sqlite", silent=True
    )
    if (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") != reference:
        session.error(
            "docs/settings.md is out of date: pywry config reference --backend redis "
            "--backend sqlite > docs/settings.md"
        )
    session.run("mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"))


@nox.session
def soak(session: nox.Session) -> None:
    """Chaos soak (not in CI): 150+ pages for 5 minutes, kills and a Redis restart; counts."""
    _install_all(session)
    session.run("python", str(ROOT / "bench" / "soak.py"), *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build every distribution's wheel and sdist into dist/."""
    session.install("build")
    for package in PACKAGES:
        session.run("python", "-m", "build", "-o", str(DIST), str(ROOT / "packages" / package))
