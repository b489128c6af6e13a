"""Runs from configs plus overrides, results as DataFrames, the leaderboard."""

import os

import pandas

import specrouter

from conftest import pair_overrides


def test_run_folder_and_tables(static_run):
    assert (static_run.folder / "results.h5").is_file()
    tables = static_run.results
    for table in ("requests", "steps", "step_levels", "model_calls", "output_tokens"):
        assert isinstance(tables[table], pandas.DataFrame), table
    assert len(tables["requests"]) == 3
    assert set(tables["requests"]["finish_reason"]) <= {"length", "eos"}
    assert (tables["steps"]["plan"] == "draft:4>target").all()


def test_summary_and_metadata(static_run):
    summary = static_run.summary
    assert summary["method"] == "static [draft:4>target]"
    assert summary["requests"] == 3
    assert "pool:" in specrouter.read_metadata(static_run.folder, "config_yaml")


def test_read_results_accepts_the_file_or_its_folder(static_run):
    by_folder = specrouter.read_results(static_run.folder)
    by_file = specrouter.read_results(static_run.results_file)
    assert by_folder.keys() == by_file.keys()


def test_leaderboard_of_a_sweep(work_dir):
    sweep = specrouter.run_sweep(pair_overrides(work_dir) + ["method=target_only,static_draft", "run.seed=0"],
                                 sweep_dir=work_dir / "sweep")
    assert sweep.jobs == 2 and sweep.failed == []
    board = sweep.leaderboard()
    assert isinstance(board, pandas.DataFrame)
    assert set(board["method"]) >= {"static [draft:4>target]"}
    assert "| " in specrouter.leaderboard_markdown(sweep.folder)


def test_plots_of_a_sweep(work_dir):
    """scripts/plot_results.py's figures, from Python: PNG files for the sweep's runs."""
    sweep = specrouter.run_sweep(pair_overrides(work_dir) + ["method=target_only,static_draft", "run.seed=1"],
                                 sweep_dir=work_dir / "plotted_sweep")
    written = specrouter.plot_results(sweep.folder, work_dir / "figures")
    assert written, "no figure written"
    for path in written:
        assert path.endswith(".png") and os.path.isfile(path), path
        assert os.path.dirname(os.path.abspath(path)) == str((work_dir / "figures").resolve()), path
