"""Per-step overhead of a scheduler written in Python against the C++ static scheduler.

    python python/benchmarks/scheduler_overhead.py CHECKPOINTS_DIR [--repeats N]

CHECKPOINTS_DIR holds the tiny_pair checkpoints (draft/, target/; the walk-through or
the tests make them). Both schedulers return the same plan every step, so the tokens and
the steps are identical and the difference in wall time per step is what calling into
Python costs (taking the GIL, building the context and outcome copies, the two calls).
Each configuration runs --repeats times, alternating; the median wall time and the
median CPU time of the process per step are reported, with one compute thread by default
(--threads) so that idle OpenMP threads do not spin into the numbers. Run it on an
otherwise idle machine: on shared cores the wall-time spread swamps the difference, and
the CPU time is the steadier of the two.
"""

import argparse
import statistics
import time

import torch

import specrouter


@specrouter.scheduler("overhead_python_static", params={
    "chain": specrouter.Param(["draft", "target"], type="list[string]"),
    "draft_lengths": specrouter.Param([4], type="list[int]"),
})
class PythonStatic(specrouter.Scheduler):
    def __init__(self, chain, draft_lengths):
        self.chain, self.draft_lengths = chain, draft_lengths

    def plan(self, context):
        return specrouter.Plan([context.index(name) for name in self.chain], self.draft_lengths)

    def observe(self, outcome):
        pass


def timed(pool, prompts, scheduler, max_new_tokens):
    start, cpu_start = time.perf_counter(), time.process_time()
    out = pool.speculate(prompts, chain=["draft", "target"], draft_lengths=[4], scheduler=scheduler,
                         scheduler_params={"chain": ["draft", "target"], "draft_lengths": [4]},
                         max_new_tokens=max_new_tokens, ignore_eos=True)
    return time.perf_counter() - start, time.process_time() - cpu_start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-new-tokens", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # libtorch's pool, which the engine computes with
    pool = specrouter.load_pool([f"{args.checkpoints}/draft", f"{args.checkpoints}/target"])
    prompts = [[1, 2, 3, 4]]
    timed(pool, prompts, "static", 16)  # warm up both paths
    timed(pool, prompts, "overhead_python_static", 16)
    names = ["static", "overhead_python_static"]
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    steps = {}
    for _ in range(args.repeats):
        for name in names:
            elapsed, cpu_seconds, out = timed(pool, prompts, name, args.max_new_tokens)
            wall[name].append(elapsed)
            cpu[name].append(cpu_seconds)
            steps[name] = out.statistics["steps"]
    assert steps["static"] == steps["overhead_python_static"], steps
    print(f"steps per run: {steps['static']}, repeats: {args.repeats}, threads: {args.threads}")
    for label, measure in (("wall", wall), ("cpu", cpu)):
        per_step = {name: statistics.median(values) / steps[name] for name, values in measure.items()}
        for name in names:
            spread = (max(measure[name]) - min(measure[name])) / steps[name]
            print(f"{label:4s} {name:24s} {per_step[name] * 1e6:9.1f} us/step (median; max-min {spread * 1e6:.1f})")
        python, native = per_step["overhead_python_static"], per_step["static"]
        print(f"{label:4s} python overhead {(python - native) * 1e6:.1f} us/step, ratio {python / native:.3f}")
        # Runs alternate, so each repeat gives a paired difference: neighbours share the
        # machine's state, and the spread of the differences is the overhead's own spread.
        differences = sorted((p - n) / steps["static"] * 1e6
                             for p, n in zip(measure["overhead_python_static"], measure["static"]))
        quartiles = statistics.quantiles(differences, n=4) if len(differences) >= 4 else [differences[0], 0, differences[-1]]
        print(f"{label:4s} paired difference {statistics.median(differences):.1f} us/step "
              f"(quartiles {quartiles[0]:.1f} .. {quartiles[2]:.1f}, {len(differences)} pairs)")

if __name__ == "__main__":
    main()
