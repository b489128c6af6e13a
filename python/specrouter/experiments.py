"""Experiments from the config groups plus overrides: the composition `specrouter run`
uses (configs/config.yaml, then `group=option` and `key=value` overrides), run by the
engine in this process.

    run = specrouter.run_experiment(["pool=tiny_pair", "method=static_draft"], output_dir="out/run1")
    run.results["requests"]      # a DataFrame per table of results.h5
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import _core
from .results import leaderboard, read_results, read_summary


@dataclass
class Run:
    """A finished run: its folder, results file, tables and summary."""

    folder: Path
    log: str = field(repr=False, default="")

    @property
    def results_file(self) -> Path:
        return self.folder / "results.h5"

    @property
    def results(self):
        """Every table of results.h5 as a pandas DataFrame (read on each access)."""
        return read_results(self.results_file)

    @property
    def summary(self) -> dict[str, Any]:
        """The run's /summary attributes (tokens_per_second, tau, method, ...)."""
        return read_summary(self.results_file)


@dataclass
class Sweep:
    """A finished sweep: its folder (one numbered run folder per job) and failed jobs."""

    folder: Path
    jobs: int
    failed: list[int]
    log: str = field(repr=False, default="")
    errors: str = field(repr=False, default="")

    def leaderboard(self):
        """The sweep's leaderboard as a DataFrame (one row per pool, method, workload)."""
        return leaderboard(self.folder)


def _overrides(overrides: Sequence[str], output_dir: str | os.PathLike | None, key: str) -> list[str]:
    if isinstance(overrides, str):
        raise TypeError("overrides is a list of strings, e.g. ['pool=tiny_random', 'workload.requests=4']")
    result = list(overrides)
    if output_dir is not None:
        result.append(f"{key}={os.fspath(output_dir)}")
    return result


def run_experiment(overrides: Sequence[str] = (), config_dir: str | os.PathLike | None = None,
                   output_dir: str | os.PathLike | None = None, config_name: str = "config") -> Run:
    """One run, as `specrouter run OVERRIDES...`: composes the config (config_dir defaults
    to the project's configs), checks every component (Python-registered ones included)
    before anything is written, runs and writes results.h5. output_dir sets
    run.output_dir. Raises ConfigError naming the key, file and line."""
    folder, log = _core.run_experiment(_overrides(overrides, output_dir, "run.output_dir"),
                                       os.fspath(config_dir) if config_dir else "", config_name)
    return Run(Path(folder), log)


def run_sweep(overrides: Sequence[str] = (), config_dir: str | os.PathLike | None = None,
              sweep_dir: str | os.PathLike | None = None, config_name: str = "config") -> Sweep:
    """A sweep, as `specrouter run -m OVERRIDES...`: comma lists in the overrides (and the
    config's declared sweeps) expand into jobs, each a run in <sweep_dir>/<job>; an
    interrupted sweep resumes. A failing job is listed in Sweep.failed."""
    outcome = _core.run_sweep(_overrides(overrides, sweep_dir, "run.sweep_dir"),
                              os.fspath(config_dir) if config_dir else "", config_name)
    return Sweep(Path(outcome["folder"]), outcome["jobs"], list(outcome["failed"]), outcome["log"], outcome["errors"])


def config_dir() -> Path:
    """The config folder used when none is given ($SPECROUTER_CONFIG_DIR, a checkout's
    configs/ when it is the working directory, else the package's own copy)."""
    return Path(_core.project_config_dir())
