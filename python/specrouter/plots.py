"""The figures of scripts/plot_results.py, callable from Python: the script's own
functions, loaded from the copy installed with the package (or the checkout's), never a
second implementation. Needs h5py, numpy and matplotlib, as the script does."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_SCRIPT_PLACES = (
    Path(__file__).resolve().parent / "_scripts" / "plot_results.py",          # installed
    Path(__file__).resolve().parents[2] / "scripts" / "plot_results.py",       # a checkout
)
_module = None


def plot_results_module():
    """scripts/plot_results.py as a module (find_runs, plot_speedup, plot_acceptance, ...).
    Raises ImportError when h5py or matplotlib is missing."""
    global _module
    if _module is None:
        script = next((place for place in _SCRIPT_PLACES if place.is_file()), None)
        if script is None:
            raise ImportError("scripts/plot_results.py is neither installed with the package nor in a checkout")
        spec = importlib.util.spec_from_file_location("specrouter_plot_results", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _module = module
    return _module


def plot_results(results_dir: str | os.PathLike, out_dir: str | os.PathLike) -> list[str]:
    """Writes every figure of `scripts/plot_results.py RESULTS_DIR OUT_DIR` (speedup,
    plan over time, estimates, acceptance) and returns the files written."""
    return plot_results_module().plot_all(os.fspath(results_dir), os.fspath(out_dir))
