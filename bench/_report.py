"""The results file: machine facts, the targets table, and the raw figures behind it.

``Samples`` collects one value per round per key (``"page.pywry.cpu_us"``...). A
``Row`` turns the samples of each round into one ratio (so a slow moment of the shared
machine hits both sides of a ratio in the same round), and the table gives the median
ratio, its spread (lowest-highest over rounds), the target and whether it is met.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Row", "Samples", "machine_facts", "render"]

Round = dict[str, float]


@dataclass
class Samples:
    """Values per key and round; ``current_round`` is the round ``add`` records into."""

    by_round: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    notes: list[str] = field(default_factory=list)
    current_round: int = 0

    def add(self, key: str, value: float) -> None:
        self.by_round[key][self.current_round] = value

    def values(self, key: str) -> list[float]:
        """The key's values in round order (rounds where it failed are left out)."""
        found = self.by_round.get(key, {})
        return [found[r] for r in sorted(found)]

    def rounds(self) -> list[Round]:
        numbers = sorted({r for per_key in self.by_round.values() for r in per_key})
        return [{k: v[r] for k, v in self.by_round.items() if r in v} for r in numbers]

    def median(self, key: str) -> float | None:
        values = self.values(key)
        return statistics.median(values) if values else None


@dataclass(frozen=True)
class Row:
    """One line of the targets table."""

    measure: str
    ratio: Callable[[Round], float]
    target: float
    higher_is_better: bool
    figures: Callable[[Samples], str]
    needs: tuple[str, ...]

    def per_round(self, samples: Samples) -> list[float]:
        return [self.ratio(r) for r in samples.rounds() if all(k in r for k in self.needs)]

    def cells(self, samples: Samples, *, judge: bool = True) -> list[str]:
        ratios = self.per_round(samples)
        sign = "≥" if self.higher_is_better else "≤"
        target = f"{sign} {self.target:g}x"
        if not ratios:
            return [self.measure, "not run", "", "", target, "-"]
        median = statistics.median(ratios)
        met = median >= self.target if self.higher_is_better else median <= self.target
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}x (n={len(ratios)})"
        verdict = ("met" if met else "**not met**") if judge else "(smoke: not judged)"
        return [self.measure, f"{median:.2f}x", spread, self.figures(samples), target, verdict]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command_output(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "not installed"
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""
    )


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_facts(root: Path, cores: str, extra: dict[str, str]) -> dict[str, str]:
    """What a reader needs to judge the figures: hardware, load, versions, commit."""
    commit = _command_output(["git", "-C", str(root), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "packages"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    server_commit = _command_output(
        ["git", "-C", str(root), "log", "-1", "--format=%h %s", "--", "packages"]
    )
    facts = {
        "commit": commit + (" (packages/ modified)" if dirty else ""),
        "server code (last commit touching packages/)": server_commit[:100],
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} online; {cores}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "uvicorn / fastapi / starlette": " / ".join(
            _version(d) for d in ("uvicorn", "fastapi", "starlette")
        ),
        "websockets / uvloop / httptools": " / ".join(
            _version(d) for d in ("websockets", "uvloop", "httptools")
        ),
        "redis-py / hiredis": f"{_version('redis')} / {_version('hiredis')}",
        "redis-server": _command_output(["redis-server", "--version"]),
        "wrk": _command_output(["wrk", "--version"]),
    }
    return facts | extra


def _num(value: float) -> str:
    """Three significant digits or more, with thousands separators."""
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(
    title: str,
    intro: str,
    facts: dict[str, str],
    rows: list[Row],
    samples: Samples,
    raw_labels: dict[str, str],
    *,
    judge: bool = True,
) -> str:
    """The whole Markdown report."""
    fact_lines = "\n".join(f"- {k}: {v}" for k, v in facts.items())
    header = ["measure", "ratio (median)", "spread over rounds", "figures (medians)"]
    targets = _table([*header, "target", "met"], [row.cells(samples, judge=judge) for row in rows])
    raw: list[list[str]] = []
    for key, label in raw_labels.items():
        values = samples.values(key)
        if values:
            raw.append(
                [
                    label,
                    _num(statistics.median(values)),
                    f"{_num(min(values))}-{_num(max(values))}",
                    " ".join(_num(v) for v in values),
                ]
            )
    raw_table = _table(["figure", "median", "spread", "per round"], raw)
    notes = "\n".join(f"- {n}" for n in samples.notes) or "- none"
    return (
        f"# {title}\n\n{intro}\n\n## Machine\n\n{fact_lines}\n\n## Targets\n\n{targets}\n\n"
        f"## Figures\n\n{raw_table}\n\n## Notes from this run\n\n{notes}\n"
    )
