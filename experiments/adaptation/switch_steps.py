#!/usr/bin/env python3
"""Steps an adaptive scheduler takes to move off a slowed model, from a run's results.h5.

For each `slowdown` event in /events: the plan used most in the `--window` steps before
it, the first step at or after it whose plan no longer uses the slowed model, and the
number of steps in between (0: the very step the slowdown started on already avoided it).
With a `slowdown_end`, the same for the way back: steps until a plan uses the model again.

    /usr/bin/python3 experiments/adaptation/switch_steps.py RESULTS.h5 [--window 50]

Needs h5py only (Debian: python3-h5py).
"""
import argparse
import collections

import h5py


def uses(plan, model):
    return any(level.split(":")[0] == model for level in plan.split(">")[:-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--window", type=int, default=50, help="steps before the event that define the plan in use")
    args = parser.parse_args()
    with h5py.File(args.results, "r") as f:
        plans = list(f["steps/plan"].asstr()[()])
        kinds = list(f["events/kind"].asstr()[()])
        steps = list(f["events/step"][()])
        descriptions = list(f["events/description"].asstr()[()])
        summary = dict(f["summary"].attrs)
    print(f"{summary.get('method')}: {len(plans)} steps; plans {summary.get('plans')}")
    for kind, step, text in zip(kinds, steps, descriptions):
        model = text.split(" ")[0]
        before = collections.Counter(plans[max(0, step - args.window):step]).most_common(1)
        if kind == "slowdown":
            after = next((s for s in range(step, len(plans)) if not uses(plans[s], model)), None)
            print(f"slowdown at step {step} ({text}); plan before: {before[0][0] if before else '-'}; "
                  + (f"first plan without {model}: step {after} ({plans[after]}), {after - step} steps; "
                     f"later {sum(uses(p, model) for p in plans[after:])} of {len(plans) - after} steps still used it"
                     if after is not None else f"never moved off {model}"))
        elif kind == "slowdown_end":
            back = next((s for s in range(step, len(plans)) if uses(plans[s], model)), None)
            print(f"slowdown ended at step {step}; "
                  + (f"first plan with {model} again: step {back} ({plans[back]}), {back - step} steps"
                     if back is not None else f"{model} not used again"))


if __name__ == "__main__":
    main()
