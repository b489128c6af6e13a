#!/usr/bin/python3
"""Figures (PNG) from SpecRouter results files.

    scripts/plot_results.py RESULTS_DIR OUT_DIR

Reads every results.h5 below RESULTS_DIR (never *.partial; layout in
docs/results-schema.md) and writes to OUT_DIR:

  speedup.png                 speedup over the target-only baseline per method and workload
                              (grouped bars, one panel per pool; a bar is the mean over a
                              cell's runs of each run's tokens/s over the baseline's of the
                              same seed (the baseline mean when it lacks the seed), error
                              bar the sample standard deviation, as `specrouter
                              leaderboard` computes them)
  chain_<run>.png             for each run whose steps used more than one plan: the plan
                              chosen over time, with the run's /events marked
  estimates_<run>.png         for each run with /estimates: predicted vs measured time per
                              committed token over the run
  acceptance.png              acceptance per draft position when a run recorded it
                              (/acceptance_by_position), else acceptance per level
                              (accepted / drafted of each drafting model, from /step_levels)

<run> is the run folder below RESULTS_DIR with '/' replaced by '_'. Needs only h5py,
numpy and matplotlib (Debian: python3-h5py, python3-matplotlib). Exit status 3 when one
of them is missing, 2 for bad arguments, 1 when no results file could be read.
"""

import argparse
import math
import os
import sys

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as missing:  # reported, not a traceback: the caller may skip plots
    if __name__ != "__main__":
        raise  # imported (specrouter.plots): the importer reports it
    print(f"plot_results.py: {missing} (Debian: apt-get install python3-h5py python3-matplotlib)",
          file=sys.stderr)
    sys.exit(3)

READABLE_FORMAT_VERSION = 1


def column(group, name):
    data = group[name]
    if h5py.check_string_dtype(data.dtype) is not None:
        return data.asstr()[()]
    return data[()]


def table(f, name):
    """A table group as {column: numpy array}, or None when absent."""
    if name not in f:
        return None
    return {key: column(f[name], key) for key in f[name].keys()}


class Run:
    """What the figures need from one results file."""

    def __init__(self, path, root):
        self.path = path
        folder = os.path.relpath(os.path.dirname(path), root)
        self.name = "run" if folder == "." else folder.replace(os.sep, "_")
        with h5py.File(path, "r") as f:
            version = f.attrs.get("format_version")
            if version != READABLE_FORMAT_VERSION:
                raise ValueError(f"format_version {version}, this script reads {READABLE_FORMAT_VERSION}")
            if "summary" not in f:
                raise ValueError("no /summary group (an unfinished run?)")
            self.summary = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f["summary"].attrs.items()}
            for key in ("method", "workload", "tokens_per_second"):
                if key not in self.summary:
                    raise ValueError(f"attribute '{key}' of group '/summary': missing")
            self.steps = table(f, "steps")
            self.levels = table(f, "step_levels")
            self.estimates = table(f, "estimates")
            self.events = table(f, "events")
            self.positions = table(f, "acceptance_by_position")

    @property
    def method(self):
        return str(self.summary["method"])

    @property
    def workload(self):
        return str(self.summary["workload"])

    @property
    def pool(self):
        return str(self.summary.get("pool", ""))

    @property
    def baseline(self):
        return int(self.summary.get("baseline", 0)) == 1

    @property
    def seed(self):
        return int(self.summary.get("seed", 0))


def speedup_stat(runs, base_runs):
    """Mean and sample standard deviation (nan for one run) of the runs' per-seed speedups."""
    if not runs or not base_runs:
        return math.nan, math.nan
    base_mean = np.mean([r.summary["tokens_per_second"] for r in base_runs])
    if not base_mean > 0:
        return math.nan, math.nan
    speedups = []
    for run in runs:
        same_seed = [r.summary["tokens_per_second"] for r in base_runs if r.seed == run.seed]
        base = np.mean(same_seed) if same_seed and np.mean(same_seed) > 0 else base_mean
        speedups.append(run.summary["tokens_per_second"] / base)
    return float(np.mean(speedups)), (float(np.std(speedups, ddof=1)) if len(speedups) > 1 else math.nan)


def find_runs(root):
    runs, skipped = [], []
    for folder, _, files in sorted(os.walk(root)):
        if "results.h5" in files:
            path = os.path.join(folder, "results.h5")
            try:
                runs.append(Run(path, root))
            except (OSError, ValueError, KeyError) as error:
                skipped.append(f"{path}: {error}")
    return runs, skipped


def save(fig, out_dir, name, written):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)


def plot_speedup(runs, out_dir, written):
    pools = sorted({run.pool for run in runs})
    fig, axes = plt.subplots(len(pools), 1, figsize=(9, 3.8 * len(pools)), squeeze=False)
    for ax, pool in zip(axes[:, 0], pools):
        mine = [run for run in runs if run.pool == pool]
        workloads = sorted({run.workload for run in mine})
        methods = sorted({run.method for run in mine if not run.baseline})
        baselines = sorted({run.method for run in mine if run.baseline})
        width = 0.8 / max(len(methods), 1)
        for i, method in enumerate(methods):
            heights, errors = [], []
            for workload in workloads:
                cell = [r for r in mine if r.method == method and r.workload == workload]
                base = [r for r in mine if r.baseline and r.workload == workload]
                mean, std = speedup_stat(cell, base)
                heights.append(mean)
                errors.append(0.0 if math.isnan(std) else std)
            positions = np.arange(len(workloads)) + (i - (len(methods) - 1) / 2) * width
            ax.bar(positions, heights, width, yerr=errors, capsize=2, label=method)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_xticks(np.arange(len(workloads)))
        ax.set_xticklabels(workloads)
        ax.set_ylabel("speedup")
        base_text = ", ".join(baselines) if baselines else "none (no speedups)"
        ax.set_title(f"pool {pool or '(unnamed)'}: speedup over {base_text}")
        if methods:
            ax.legend(fontsize="small")
    save(fig, out_dir, "speedup.png", written)


def plot_chain_over_time(run, out_dir, written):
    plans = run.steps["plan"]
    if len(set(plans)) < 2:
        return
    names = sorted(set(plans), key=list(plans).index)
    index = {plan: i for i, plan in enumerate(names)}
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.45 * len(names)))
    ax.scatter(run.steps["time_seconds"], [index[p] for p in plans], s=6)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize="small")
    ax.set_xlabel("run time (s)")
    if run.events is not None and len(run.events.get("time_seconds", [])):
        for time, kind, description in zip(run.events["time_seconds"], run.events["kind"], run.events["description"]):
            ax.axvline(time, color="red", linewidth=1)
            ax.text(time, 0.98, f" {kind}: {description}", transform=ax.get_xaxis_transform(), rotation=90,
                    fontsize="x-small", color="red", va="top", ha="right")
    ax.set_title(f"{run.method} on {run.workload}: plan per step")
    save(fig, out_dir, f"chain_{run.name}.png", written)


def plot_estimates(run, out_dir, written):
    estimates = run.estimates
    if estimates is None or len(estimates["step"]) == 0:
        return
    x, label = estimates["step"], "step"
    if run.steps is not None and len(run.steps["time_seconds"]):
        times = run.steps["time_seconds"]
        x = np.array([times[s] if 0 <= s < len(times) else math.nan for s in estimates["step"]])
        label = "run time (s)"
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(x, estimates["predicted_seconds_per_token"] * 1e3, ".", markersize=3, label="predicted")
    ax.plot(x, estimates["measured_seconds_per_token"] * 1e3, ".", markersize=3, label="measured")
    ax.set_xlabel(label)
    ax.set_ylabel("ms per committed token")
    ax.set_title(f"{run.method} on {run.workload}: predicted vs measured")
    ax.legend(fontsize="small")
    save(fig, out_dir, f"estimates_{run.name}.png", written)


def acceptance_by_level(run):
    """model -> accepted / drafted over the run."""
    levels = run.levels
    if levels is None:
        return {}
    totals = {}
    for model, drafted, accepted in zip(levels["model"], levels["drafted"], levels["accepted"]):
        d, a = totals.get(model, (0, 0))
        totals[model] = (d + int(drafted), a + int(accepted))
    return {model: a / d for model, (d, a) in totals.items() if d > 0}


def plot_acceptance(runs, out_dir, written):
    with_positions = [run for run in runs if run.positions is not None and len(run.positions.get("position", []))]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    if with_positions:
        for run in with_positions:
            p = run.positions
            for model in sorted(set(p["model"])):
                mask = p["model"] == model
                rate = p["accepted"][mask] / np.maximum(p["drafted"][mask], 1)
                ax.plot(p["position"][mask], rate, marker="o", label=f"{run.method} / {run.workload} / {model}")
        ax.set_xlabel("draft position")
        ax.set_title("acceptance per draft position")
    else:
        bars = {}
        for run in runs:
            for model, rate in acceptance_by_level(run).items():
                bars.setdefault(f"{run.method}\n{run.workload}", {}).setdefault(model, []).append(rate)
        labels = sorted(bars)
        models = sorted({m for cell in bars.values() for m in cell})
        width = 0.8 / max(len(models), 1)
        for i, model in enumerate(models):
            heights = [np.mean(bars[l][model]) if model in bars[l] else math.nan for l in labels]
            ax.bar(np.arange(len(labels)) + (i - (len(models) - 1) / 2) * width, heights, width, label=model)
        ax.set_xticks(np.arange(len(labels)))
        ax.set_xticklabels(labels, fontsize="x-small")
        ax.set_title("acceptance per level (accepted / drafted; no per-position data recorded)")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("acceptance")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small")
    save(fig, out_dir, "acceptance.png", written)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dir")
    parser.add_argument("out_dir")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.results_dir):
        print(f"plot_results.py: no folder {args.results_dir}", file=sys.stderr)
        return 2
    runs, skipped = find_runs(args.results_dir)
    for why in skipped:
        print(f"plot_results.py: skipped {why}", file=sys.stderr)
    if not runs:
        print(f"plot_results.py: no usable results.h5 below {args.results_dir}", file=sys.stderr)
        return 1
    for path in plot_all(args.results_dir, args.out_dir, runs):
        print(path)
    return 0


def plot_all(results_dir, out_dir, runs=None):
    """Writes every figure for the runs below results_dir into out_dir; returns the files
    written. What main() does, callable from Python (specrouter.plot_results)."""
    if runs is None:
        runs, _ = find_runs(results_dir)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    plot_speedup(runs, out_dir, written)
    for run in runs:
        if run.steps is not None and len(run.steps.get("plan", [])):
            plot_chain_over_time(run, out_dir, written)
        plot_estimates(run, out_dir, written)
    plot_acceptance(runs, out_dir, written)
    return written


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
