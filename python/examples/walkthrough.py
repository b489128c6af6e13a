"""The walk-through of docs/python.md, run by the suite (ctest -R python_walkthrough).

    python python/examples/walkthrough.py [WORK_DIR]

Makes two random-weight checkpoints (the tiny_pair pool), then: plain generation,
speculative generation with a draft model and with an n-gram drafter, logits as a torch
tensor, a run from the configs with its results as pandas DataFrames, a scheduler and a
drafter written in Python run by the engine, and the leaderboard with them in it.
"""

import sys
import tempfile
from pathlib import Path

import torch

import specrouter

work = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="specrouter-walkthrough-"))
work.mkdir(parents=True, exist_ok=True)

# --- 1. A pool: any Hugging Face Llama/Qwen folders; here the project's random ones. ---
# pool=tiny_pair makes its checkpoints on first use (random_init); a short run does that.
pool_overrides = ["pool=tiny_pair", f"pool.models[0].path={work / 'draft'}", f"pool.models[1].path={work / 'target'}",
                  "workload=smoke", "workload.requests=3", "workload.max_new_tokens=12", "run.seed=0"]
specrouter.run_experiment(pool_overrides + ["method=target_only"], output_dir=work / "runs" / "target_only")

pool = specrouter.load_pool([work / "draft", work / "target"], dtype=torch.float32)
print(pool)  # Pool(draft, target): cheapest first, the target last

# --- 2. Plain decoding with the target, then speculative decoding with the chain. ---
prompts = ["The quick brown fox", "def fibonacci(n):"]
plain = pool.generate(prompts, max_new_tokens=20)
speculative = pool.speculate(prompts, chain=["draft", "target"], draft_lengths=[4], max_new_tokens=20)
assert speculative.sequences == plain.sequences  # greedy speculation is lossless
print("tau:", speculative.statistics["tau"], "steps:", speculative.statistics["steps"])

# A bottom drafter plugin instead of a draft model (prompt lookup, n-grams of the prompt).
ngram = pool.speculate(prompts, chain=["target"], drafter="ngram", drafter_params={"max_ngram": 3}, max_new_tokens=20)
assert ngram.sequences == plain.sequences

# Sampling: the same seed gives the same tokens; the output follows the target's distribution.
sampled = pool.speculate(prompts, chain=["draft", "target"], temperature=0.8, top_p=0.95, seed=1, max_new_tokens=20)
print(sampled.texts)

# --- 3. Logits: a torch.Tensor over the engine's memory, no copy. ---
ids = pool.encode("Speculative decoding")
logits = pool.logits(ids)  # [len(ids), vocab]
assert int(logits[-1].argmax()) == pool.generate([ids], max_new_tokens=1).sequences[0][0]

# --- 4. What can be named, and with which parameters. ---
for component in specrouter.plugins("drafter"):
    print(component["name"], [p["name"] for p in component["params"]])


# --- 5. A scheduler written in Python: the static plan, with a count of its steps. ---
@specrouter.scheduler("walkthrough_static", params={
    "chain": specrouter.Param(["draft", "target"], "pool names, target last"),
    "draft_lengths": specrouter.Param([4], "one per level below the target"),
})
class WalkthroughStatic(specrouter.Scheduler):
    """The same plan every step, like the C++ static scheduler."""

    def __init__(self, chain, draft_lengths):
        self.chain, self.draft_lengths, self.steps = chain, draft_lengths, 0

    def plan(self, context):
        return specrouter.Plan([context.index(name) for name in self.chain], self.draft_lengths)

    def observe(self, outcome):
        self.steps += 1


# It runs wherever a C++ scheduler does: a config override in a run...
static = specrouter.run_experiment(pool_overrides + ["method=static_draft"], output_dir=work / "runs" / "static")
python = specrouter.run_experiment(pool_overrides + ["method=static_draft", "scheduler.plugin=walkthrough_static",
                                                    "run.method=static in Python"], output_dir=work / "runs" / "python")
tables = python.results  # every table of results.h5 as a DataFrame
print(tables["steps"].head())
assert list(tables["output_tokens"]["token"]) == list(static.results["output_tokens"]["token"])

# ...or speculate(..., scheduler=...).
scheduled = pool.speculate(prompts, scheduler=WalkthroughStatic, max_new_tokens=20)
assert scheduled.sequences == plain.sequences

# --- 6. A drafter written in Python: prompt lookup, below the target. ---
@specrouter.drafter("walkthrough_lookup", params={"max_ngram": specrouter.Param(2, "longest suffix looked up")})
class WalkthroughLookup(specrouter.Drafter):
    """Continues the latest earlier occurrence of the context's last tokens."""

    def __init__(self, max_ngram):
        self.max_ngram = max_ngram

    def propose(self, requests):
        return [self.lookup(request.context, request.max_tokens) for request in requests]

    def lookup(self, context, max_tokens):
        for n in range(min(self.max_ngram, len(context) - 1), 0, -1):
            for start in range(len(context) - n - 1, -1, -1):
                if context[start:start + n] == context[-n:]:
                    return context[start + n:start + n + max_tokens]
        return []  # nothing to propose: this step decodes plainly


looked_up = pool.speculate(prompts, chain=["target"], drafter=WalkthroughLookup, max_new_tokens=20)
assert looked_up.sequences == plain.sequences
# In a run: the prompt_lookup method with this drafter instead of the C++ n-gram one
# (~ removes the n-gram drafter's parameters this one does not declare).
specrouter.run_experiment(pool_overrides + ["method=prompt_lookup", "~drafter.min_ngram", "~drafter.window",
                                            "drafter.plugin=walkthrough_lookup", "run.method=lookup in Python"],
                          output_dir=work / "runs" / "python_drafter")

# --- 7. The leaderboard of the runs' folder: the Python plugins are among its methods. ---
board = specrouter.leaderboard(work / "runs")
print(board[["method", "workload", "tokens_per_second", "tau"]])
assert {"static in Python", "lookup in Python"} <= set(board["method"])
print("walkthrough finished in", work)
