"""Listing the engine's plugins, loading more, and registering schedulers, drafters and
verifiers written in Python.

    @specrouter.scheduler("every_other", params={"draft_length": 4})
    class EveryOther(specrouter.Scheduler):
        def __init__(self, draft_length):
            self.draft_length, self.step = draft_length, 0
        def plan(self, context):
            self.step += 1
            if self.step % 2:
                return specrouter.Plan([len(context.pool) - 1])          # the target alone
            return specrouter.Plan([0, len(context.pool) - 1], [self.draft_length])
        def observe(self, outcome):
            pass

A registered scheduler is a scheduler like the C++ ones: `scheduler.plugin=every_other`
in run_experiment's overrides, or pool.speculate(..., scheduler="every_other"). The engine
calls plan() before and observe() after every step, holding the GIL only for those calls.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from . import _core
from ._core import DraftRequest, Plan, SchedulingContext, StepOutcome, Verdict, VerifyRequest  # noqa: F401  (re-exported)

_UNSET = object()


@dataclass(frozen=True)
class Param:
    """A declared parameter: its default (omit it for a required one), a one-line doc and
    its type (bool, int, float, string, list[int], list[float], list[string]), inferred
    from the default when not given."""

    default: Any = _UNSET
    doc: str = ""
    type: str | None = None


def _type_of(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)) and value:
        element = _type_of(name, value[0])
        if element in ("int", "float", "string"):
            return f"list[{element}]"
    raise TypeError(f"parameter '{name}': cannot infer its type from {value!r}; declare it with "
                    "specrouter.Param(default, doc, type='list[int]')")


def _param_specs(params: Mapping[str, Any]) -> list[tuple[str, str, Any, str]]:
    specs = []
    for name, declared in params.items():
        param = declared if isinstance(declared, Param) else Param(default=declared)
        required = param.default is _UNSET
        if required and param.type is None:
            raise TypeError(f"parameter '{name}' is required: give its type, specrouter.Param(type='int')")
        kind = param.type or _type_of(name, param.default)
        default = None if required else (list(param.default) if isinstance(param.default, tuple) else param.default)
        specs.append((name, kind, default, param.doc))
    return specs


class Scheduler:
    """What a Python scheduler implements (subclassing is optional: the engine calls plan()
    and, when defined, observe()).

    plan(context) returns the Plan of the next step: context.pool holds the pool's names
    (cheapest first, target last) and Plan.chain indexes it. observe(outcome) receives the
    StepOutcome of the step just run (its plan, committed tokens, seconds, batch size).
    During plan(), when context.has_estimates, the engine's estimates can be read:
    context.forward_seconds(model, tokens), context.acceptance_rate(drafter, verifier) and
    context.predict_seconds_per_token(plan), the chain cost model the C++ schedulers use.
    Both run in the decoding loop's thread with the GIL held; keep them quick.
    """

    def plan(self, context: SchedulingContext) -> Plan:
        raise NotImplementedError

    def observe(self, outcome: StepOutcome) -> None:
        pass


class Drafter:
    """What a Python drafter implements (subclassing is optional: the engine calls propose()).

    propose(requests) gets one DraftRequest per sequence of the step (its `context`: the
    committed tokens, prompt included, then the tokens this step produced so far; and
    `max_tokens`) and returns one proposal per request, in order: a list of at most
    max_tokens token ids (a deterministic drafter: each token counts as drawn from the
    one-hot distribution on itself), or (token ids, probs) with probs a float32
    [len(tokens), vocab] tensor: the distributions the tokens were drawn from, which the
    verifier needs to stay lossless when sampling. An empty list proposes nothing (the
    step decodes plainly for that sequence). Runs with the GIL held; keep it quick.
    """

    def propose(self, requests: Sequence[DraftRequest]) -> list:
        raise NotImplementedError


class Verifier:
    """What a Python verifier implements (subclassing is optional: the engine calls verify()).

    verify(request) gets one VerifyRequest per sequence: draft_tokens (k ids), parents
    (empty for a chain), target_probs (float32 [k + 1, vocab] tensor p: row i the target's
    distribution before draft token i, row k after the last), draft_probs ([k, vocab] q,
    the distributions the tokens were drawn from, or None: one-hot), greedy, vocab_size,
    and uniform(): the run's next random number in [0, 1), the same draws a C++ verifier
    makes, so a verifier drawing in the same order reproduces its tokens. It returns a
    Verdict(accepted_path, next_token, bonus). The tensors view the engine's memory
    without a copy: read them during the call only, never write or keep them. The engine
    checks the request's shapes before the call and the verdict after it. Runs with the
    GIL held; keep it quick.
    """

    def verify(self, request: VerifyRequest) -> Verdict:
        raise NotImplementedError


def _registration(register_native, name: str, description: str, params: Mapping[str, Any] | None):
    def register(cls):
        try:
            source = inspect.getsourcefile(cls) or ""
        except TypeError:
            source = ""
        doc = description or (inspect.getdoc(cls) or "").split("\n")[0]
        register_native(name, doc, _param_specs(params or {}), cls, os.path.abspath(source) if source else "")
        cls.specrouter_name = name
        return cls

    return register


def scheduler(name: str, description: str = "", params: Mapping[str, Any] | None = None):
    """Class decorator: registers the class as scheduler `name` in the engine's registries.

    params: {name: default or specrouter.Param(...)}, the parameters a config section
    (`scheduler: {plugin: name, key: value}`) or scheduler_params may set; the engine
    validates them and calls the class with them as keyword arguments. A name is
    registered once per process (as for C++ plugins); registering it again raises
    PluginError. The description defaults to the first line of the class's docstring.
    """
    return _registration(_core.register_scheduler, name, description, params)


def drafter(name: str, description: str = "", params: Mapping[str, Any] | None = None):
    """Class decorator: registers the class as drafter `name` (a bottom drafter below the
    chain: `drafter.plugin=name` in a run, pool.speculate(..., drafter=name)); parameters
    as for specrouter.scheduler."""
    return _registration(_core.register_drafter, name, description, params)


def verifier(name: str, description: str = "", params: Mapping[str, Any] | None = None):
    """Class decorator: registers the class as verifier `name` (`verifier.plugin=name` in a
    run, pool.speculate(..., verifier=name)); parameters as for specrouter.scheduler."""
    return _registration(_core.register_verifier, name, description, params)


def plugins(kind: str | None = None) -> list[dict[str, Any]]:
    """Every registered component, or those of one kind ("drafter", "verifier",
    "scheduler", "kernel", "collaboration"): name, description, params (name, type,
    default, required, doc), and the library it came from ("python" for Python ones)."""
    components = _core.plugins()
    return [c for c in components if kind is None or c["kind"] == kind]


def load_plugins(folders: Sequence[str | os.PathLike]) -> dict[str, list]:
    """Loads every plugin library in `folders` (as --plugin-path does); returns
    {'loaded': [paths], 'errors': [one line per refused library]}."""
    return _core.load_plugins([os.fspath(folder) for folder in folders])
