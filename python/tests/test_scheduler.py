"""Schedulers written in Python, registered into the engine's registries."""

import pytest

import specrouter

from conftest import pair_overrides


@specrouter.scheduler("py_static", params={
    "chain": specrouter.Param([], "pool names, cheapest first, ending at the target", type="list[string]"),
    "draft_lengths": specrouter.Param([], "tokens each level proposes to the next", type="list[int]"),
})
class PythonStatic(specrouter.Scheduler):
    """The static scheduler's plan every step, written in Python."""

    def __init__(self, chain, draft_lengths):
        self.chain, self.draft_lengths = chain, draft_lengths
        self.observed = 0

    def plan(self, context):
        if not self.chain:
            return specrouter.Plan([len(context.pool) - 1])
        return specrouter.Plan([context.index(name) for name in self.chain], list(self.draft_lengths))

    def observe(self, outcome):
        self.observed += 1


@specrouter.scheduler("py_raises")
class Raises:
    def plan(self, context):
        raise ValueError("no plan today")


def output_tokens(run):
    tokens = run.results["output_tokens"]
    return {request: list(group["token"]) for request, group in tokens.groupby("id")}


def test_listed_with_its_parameters():
    [listed] = [p for p in specrouter.plugins("scheduler") if p["name"] == "py_static"]
    assert listed["library"] == "python"
    assert [(p["name"], p["type"]) for p in listed["params"]] == [("chain", "list[string]"),
                                                                   ("draft_lengths", "list[int]")]
    assert listed["description"].startswith("The static scheduler's plan")


def test_python_static_gives_the_static_schedulers_tokens_in_a_run(static_run, work_dir):
    python_run = specrouter.run_experiment(pair_overrides(work_dir) + ["method=static_draft", "scheduler.plugin=py_static"],
                                           output_dir=work_dir / "py_static")
    assert python_run.summary["scheduler"] == "py_static"
    assert output_tokens(python_run) == output_tokens(static_run)
    assert list(python_run.results["steps"]["plan"]) == list(static_run.results["steps"]["plan"])


def test_python_static_gives_the_fixed_chains_tokens_in_speculate(pool):
    prompts = ["one two three", "four"]
    fixed = pool.speculate(prompts, chain=["draft", "target"], draft_lengths=[3], max_new_tokens=12)
    scheduled = pool.speculate(prompts, chain=["draft", "target"], draft_lengths=[3], max_new_tokens=12,
                               scheduler=PythonStatic,
                               scheduler_params={"chain": ["draft", "target"], "draft_lengths": [3]})
    assert scheduled.sequences == fixed.sequences
    assert scheduled.statistics["steps"] == fixed.statistics["steps"]


def test_a_python_error_becomes_an_exception_not_a_crash(pool):
    with pytest.raises(specrouter.SpecRouterError, match="no plan today"):
        pool.speculate([[1, 2, 3]], max_new_tokens=4, scheduler="py_raises")


def test_registering_a_name_twice_is_refused():
    with pytest.raises(specrouter.PluginError, match="duplicate scheduler name 'py_static'"):
        specrouter.scheduler("py_static")(PythonStatic)


def test_parameters_are_validated(pool):
    with pytest.raises(specrouter.ConfigError, match="unknown parameter 'chains'"):
        pool.speculate([[1, 2]], scheduler="py_static", scheduler_params={"chains": []}, max_new_tokens=2)


@specrouter.scheduler("py_reads_estimates")
class ReadsEstimates(specrouter.Scheduler):
    """Plans with the engine's cost model once it has estimates; keeps every context."""

    def __init__(self):
        self.contexts, self.predictions = [], []

    def plan(self, context):
        self.contexts.append(context)
        draft = specrouter.Plan([0, 1], [3])
        if not context.has_estimates:
            return draft
        self.predictions.append((context.predict_seconds_per_token(draft), context.forward_seconds(1),
                                 context.acceptance_rate(0, 1)))
        return draft


def test_a_python_scheduler_reads_the_estimates_during_plan_only(static_run, work_dir):
    instances = []
    original_init = ReadsEstimates.__init__

    def remember(self):
        original_init(self)
        instances.append(self)

    ReadsEstimates.__init__ = remember
    try:
        specrouter.run_experiment(pair_overrides(work_dir) + ["method=target_only", "scheduler.plugin=py_reads_estimates",
                                                            "~scheduler.chain", "~scheduler.draft_lengths"],
                                  output_dir=work_dir / "reads_estimates")
    finally:
        ReadsEstimates.__init__ = original_init
    scheduler = instances[-1]
    assert scheduler.predictions, "the run never gave the scheduler estimates"
    for seconds_per_token, forward, acceptance in scheduler.predictions:
        assert seconds_per_token > 0 and forward > 0 and 0 <= acceptance <= 1
    kept = next(context for context in scheduler.contexts if context.has_estimates)
    with pytest.raises(ValueError, match="during plan"):
        kept.forward_seconds(1)
