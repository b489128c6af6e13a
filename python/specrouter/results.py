"""Results as pandas: every table of a results.h5 (docs/results-schema.md) as a DataFrame,
and the leaderboard of a results folder (docs/leaderboard.md). pandas is imported on first
use, so `import specrouter` does not need it."""

from __future__ import annotations

import io
import os
from typing import Any

from . import _core


def _pandas():
    try:
        import pandas
    except ImportError as missing:
        raise ImportError("specrouter's results need pandas: pip install pandas") from missing
    return pandas


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """Every table of a results file as {table: DataFrame} (requests, steps, step_levels,
    model_calls, output_tokens, acceptance_by_position, ... as the run wrote them). `path`
    is a results.h5 or a run folder holding one."""
    pandas = _pandas()
    path = _results_file(path)
    return {table: pandas.DataFrame(columns) for table, columns in _core.read_tables(path).items()}


def read_summary(path: str | os.PathLike) -> dict[str, Any]:
    """The /summary attributes of a results file (or run folder): tokens_per_second, tau, ..."""
    return _core.read_summary(_results_file(path))


def read_metadata(path: str | os.PathLike, name: str) -> str:
    """A /metadata attribute: config_yaml, git_commit, host, cpu, gpu, start_time, ..."""
    return _core.read_metadata(_results_file(path), name)


def leaderboard(folder: str | os.PathLike):
    """The leaderboard of every results.h5 below `folder` as a DataFrame: one row per
    (pool, method, workload), the columns of `specrouter leaderboard --csv`."""
    return _pandas().read_csv(io.StringIO(_core.leaderboard_csv(os.fspath(folder))))


def leaderboard_markdown(folder: str | os.PathLike) -> str:
    """The leaderboard as `specrouter leaderboard` prints it."""
    return _core.leaderboard_markdown(os.fspath(folder))


def _results_file(path: str | os.PathLike) -> str:
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "results.h5")
    return path
