"""SpecRouter from Python: the C++ engine does the work, Python is the way in.

    import specrouter
    pool = specrouter.load_pool(["models/draft", "models/target"])
    pool.generate("Hello", max_new_tokens=16)
    pool.speculate("Hello", chain=["draft", "target"], draft_lengths=[4])
    run = specrouter.run_experiment(["pool=tiny_pair", "method=static_draft"])
    run.results["steps"]                       # pandas DataFrame
    specrouter.plugins("scheduler")            # what can be named, with parameters

docs/python.md walks through it; plugins written in Python: specrouter.scheduler, specrouter.drafter.
"""

from . import _environment  # noqa: F401  (first: loads torch and points the engine at its data)
from . import _core
from .errors import (
    CapacityError,
    CheckpointError,
    ConfigError,
    NumericalError,
    PluginError,
    SpecRouterError,
    UnknownComponentError,
    UsageError,
)
from .experiments import Run, Sweep, config_dir, run_experiment, run_sweep
from .plots import plot_results
from .plugins import (
    Drafter,
    DraftRequest,
    Param,
    Plan,
    Scheduler,
    SchedulingContext,
    StepOutcome,
    Verdict,
    Verifier,
    VerifyRequest,
    drafter,
    load_plugins,
    plugins,
    scheduler,
    verifier,
)
from .pool import GenerationOutput, Pool, load_pool
from .results import leaderboard, leaderboard_markdown, read_metadata, read_results, read_summary

__version__ = "0.1.0"

__all__ = [
    "load_pool", "Pool", "GenerationOutput",
    "run_experiment", "run_sweep", "Run", "Sweep", "config_dir",
    "read_results", "read_summary", "read_metadata", "leaderboard", "leaderboard_markdown", "plot_results",
    "plugins", "load_plugins", "scheduler", "Scheduler", "drafter", "Drafter", "DraftRequest", "Param", "Plan", "SchedulingContext", "StepOutcome",
    "verifier", "Verifier", "VerifyRequest", "Verdict",
    "SpecRouterError", "ConfigError", "PluginError", "UnknownComponentError", "CheckpointError",
    "CapacityError", "UsageError", "NumericalError",
]
