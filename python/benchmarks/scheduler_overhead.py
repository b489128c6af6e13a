"""Per-step overhead of a scheduler written in Python against the C++ static scheduler.

    python python/benchmarks/scheduler_overhead.py CHECKPOINTS_DIR [--repeats N]

CHECKPOINTS_DIR holds the tiny_pair checkpoints (draft/, target/; the walk-through or
the tests make them). Both schedulers return the same plan every step, so the tokens and
the steps are identical and the difference in wall time per step is what calling into
Python costs (taking the GIL, building the context and outcome copies, the two calls).
Each configuration runs --repeats times, alternating, and the median is reported. Run
it on an otherwise idle machine: on shared cores the spread swamps the difference.
"""

import argparse
import statistics
import time

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
    start = time.perf_counter()
    out = pool.speculate(prompts, chain=["draft", "target"], draft_lengths=[4], scheduler=scheduler,
                         scheduler_params={"chain": ["draft", "target"], "draft_lengths": [4]},
                         max_new_tokens=max_new_tokens, ignore_eos=True)
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-new-tokens", type=int, default=200)
    args = parser.parse_args()
    pool = specrouter.load_pool([f"{args.checkpoints}/draft", f"{args.checkpoints}/target"])
    prompts = [[1, 2, 3, 4]]
    timed(pool, prompts, "static", 16)  # warm up both paths
    timed(pool, prompts, "overhead_python_static", 16)
    seconds = {"static": [], "overhead_python_static": []}
    steps = {}
    for _ in range(args.repeats):
        for name in seconds:
            elapsed, out = timed(pool, prompts, name, args.max_new_tokens)
            seconds[name].append(elapsed)
            steps[name] = out.statistics["steps"]
    assert steps["static"] == steps["overhead_python_static"], steps
    per_step = {name: statistics.median(values) / steps[name] for name, values in seconds.items()}
    overhead = per_step["overhead_python_static"] - per_step["static"]
    print(f"steps per run: {steps['static']}, repeats: {args.repeats}")
    for name, value in per_step.items():
        spread = (max(seconds[name]) - min(seconds[name])) / steps[name]
        print(f"{name:24s} {value * 1e6:9.1f} us/step (median; max-min {spread * 1e6:.1f} us/step)")
    print(f"python overhead: {overhead * 1e6:.1f} us/step, ratio {per_step['overhead_python_static'] / per_step['static']:.3f}")


if __name__ == "__main__":
    main()
