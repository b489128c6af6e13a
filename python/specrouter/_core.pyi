"""
SpecRouter's C++ engine (use the `specrouter` package, not this module directly)
"""

from collections.abc import Mapping, Sequence
import os
import pathlib


class SpecRouterError(RuntimeError):
    pass

class ConfigError(SpecRouterError):
    pass

class PluginError(SpecRouterError):
    pass

class UnknownComponentError(SpecRouterError):
    pass

class CheckpointError(SpecRouterError):
    pass

class CapacityError(SpecRouterError):
    pass

class UsageError(SpecRouterError):
    pass

class NumericalError(SpecRouterError):
    pass

def plugins() -> list:
    """
    Every registered component (kind, name, description, params, library), sorted by kind then name.
    """

def load_plugins(folders: Sequence[str | os.PathLike]) -> dict:
    """
    Loads every plugin library in `folders`; returns {'loaded': [...], 'errors': [...]}.
    """

def plugin_load_report() -> dict:
    """Every plugin library loaded so far and every refusal."""

class Plan:
    """
    A chain of pool indices (cheapest first, target last) and each level's draft length.
    """

    def __init__(self, chain: Sequence[int], draft_lengths: Sequence[int] = [], drafter_length: int = -1) -> None: ...

    @property
    def chain(self) -> list[int]:
        """pool indices, cheapest first, target last"""

    @chain.setter
    def chain(self, arg: Sequence[int], /) -> None: ...

    @property
    def draft_lengths(self) -> list[int]:
        """tokens each level proposes to the next (len(chain) - 1)"""

    @draft_lengths.setter
    def draft_lengths(self, arg: Sequence[int], /) -> None: ...

    @property
    def drafter_length(self) -> int:
        """
        tokens the bottom drafter proposes per round; -1: the executor's length, 0: no drafter this step
        """

    @drafter_length.setter
    def drafter_length(self, arg: int, /) -> None: ...

    def __eq__(self, arg: Plan, /) -> bool: ...

    def __repr__(self) -> str: ...

class SchedulingContext:
    """What a scheduler knows when it plans a step (a copy)."""

    @property
    def pool(self) -> list[str]:
        """pool names, cheapest first, target last; Plan.chain indexes it"""

    @property
    def batch_size(self) -> int:
        """sequences in the step"""

    @property
    def context_length(self) -> float:
        """mean committed tokens per sequence"""

    @property
    def has_estimates(self) -> bool:
        """whether costs and acceptances were measured yet"""

    def index(self, name: str) -> int:
        """The pool index of the model called `name`; ValueError when none is."""

    def forward_seconds(self, model: int, tokens_per_sequence: int = 1) -> float:
        """
        Estimated seconds of one forward pass of pool model `model` over `tokens_per_sequence` new tokens for
        this step's batch and context. During plan() only; ValueError without estimates.
        """

    def acceptance_rate(self, drafter: int, verifier: int) -> float:
        """
        Estimated probability that `verifier` accepts one token drafted by `drafter` (pool indices,
        drafter < verifier). During plan() only; ValueError without estimates.
        """

    def predict_seconds_per_token(self, plan: Plan) -> float:
        """
        The chain cost model's time per committed target token of `plan` for this step (what the greedy
        and dp schedulers minimise). During plan() only; ValueError without estimates.
        """

class StepOutcome:
    """One step as it ran (what Scheduler.observe receives)."""

    @property
    def index(self) -> int:
        """0, 1, 2, ... in the run"""

    @property
    def plan(self) -> Plan:
        """the plan the scheduler chose"""

    @property
    def executor_plan(self) -> Plan:
        """the same plan over the executor's pool"""

    @property
    def batch_size(self) -> int:
        """sequences in the step"""

    @property
    def context_length(self) -> float:
        """mean committed tokens per sequence before the step"""

    @property
    def request_classes(self) -> list[str]:
        """class of each sequence, batch order"""

    @property
    def committed_tokens(self) -> int:
        """target tokens the step committed, all sequences"""

    @property
    def target_passes(self) -> int:
        """forward passes of the target in the step"""

    @property
    def start_seconds(self) -> float:
        """run time when the step began"""

    @property
    def seconds(self) -> float:
        """how long the step took"""

    @property
    def predicted_seconds_per_token(self) -> float:
        """time per token the estimates predicted; NaN without estimates"""

def register_scheduler(name: str, description: str, params: list, factory: object, source_file: str = '') -> None:
    """
    Registers a Python scheduler: factory(**params) returns an object with plan(context) -> Plan and optionally observe(outcome). params: [(name, type, default or None, doc)].
    """

class DraftRequest:
    """What a drafter is asked for one sequence (a copy)."""

    @property
    def context(self) -> list[int]:
        """
        the committed tokens (prompt included), then the tokens this step produced so far
        """

    @property
    def max_tokens(self) -> int:
        """propose at most this many tokens"""

def register_drafter(name: str, description: str, params: list, factory: object, source_file: str = '') -> None:
    """
    Registers a Python drafter: factory(**params) returns an object with propose(requests) -> one list of token ids, or (tokens, probs), per request. params: [(name, type, default or None, doc)].
    """

class VerifyRequest:
    """
    One sequence's draft and the verifying model's distributions, valid only during verify(): the tensors view the engine's memory (no copy) and must be neither kept nor written.
    """

    @property
    def draft_tokens(self) -> list[int]:
        """the k proposed tokens, one per node"""

    @property
    def parents(self) -> list[int]:
        """
        parent node of each draft token (-1: a root); empty for a chain (node i's parent is i - 1)
        """

    @property
    def target_probs(self) -> object:
        """
        float32 [k + 1, vocab] tensor p: row 0 after the committed prefix, row j + 1 after node j's path
        """

    @property
    def draft_probs(self) -> object:
        """
        float32 [k, vocab] tensor q, row j the distribution node j was drawn from; None: one-hot rows
        """

    @property
    def greedy(self) -> bool:
        """True: accept while the draft is the argmax; no randomness"""

    @property
    def vocab_size(self) -> int:
        """entries per row"""

    def uniform(self) -> float:
        """
        The run's next random number in [0, 1): the draw a C++ verifier makes with next_uniform(rng), in the same sequence, so a Python verifier drawing in the same order reproduces its tokens.
        """

class Verdict:
    """What a verifier decides for one sequence."""

    def __init__(self, accepted_path: Sequence[int], next_token: int, bonus: bool) -> None: ...

    @property
    def accepted_path(self) -> list[int]:
        """indices of the accepted draft tokens, root to leaf"""

    @accepted_path.setter
    def accepted_path(self, arg: Sequence[int], /) -> None: ...

    @property
    def next_token(self) -> int:
        """the recovered token, or the bonus token"""

    @next_token.setter
    def next_token(self, arg: int, /) -> None: ...

    @property
    def bonus(self) -> bool:
        """True when the accepted path ends at a node without children"""

    @bonus.setter
    def bonus(self, arg: bool, /) -> None: ...

    def __repr__(self) -> str: ...

def register_verifier(name: str, description: str, params: list, factory: object, source_file: str = '') -> None:
    """
    Registers a Python verifier: factory(**params) returns an object with verify(request) -> Verdict. params: [(name, type, default or None, doc)].
    """

class Pool:
    """Checkpoints loaded into one pool (cheapest first, target last)."""

    @property
    def names(self) -> list[str]:
        """pool names, cheapest first, target last"""

    @property
    def has_tokenizer(self) -> bool: ...

    @property
    def eos_token_ids(self) -> list[int]:
        """where generation stops"""

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (special tokens added, as the CLI does)."""

    def decode(self, ids: Sequence[int]) -> bytes:
        """
        The bytes of `ids` (special tokens skipped); the package decodes them as UTF-8.
        """

    def generate(self, prompts: Sequence[Sequence[int]], max_new_tokens: int, temperature: float, top_k: int, top_p: float, seed: int, ignore_eos: bool) -> list[tuple[list[int], str]]:
        """Plain decoding with the target: [(tokens, finish_reason)]."""

    def speculate(self, prompts: Sequence[Sequence[int]], request: SpeculateRequest, max_new_tokens: int, temperature: float, top_k: int, top_p: float, seed: int, ignore_eos: bool) -> tuple[list[tuple[list[int], str]], str]:
        """
        Speculative decoding: ([(tokens, finish_reason)], statistics as JSON text).
        """

    def logits(self, tokens: Sequence[int], model: str = '') -> object:
        """
        Logits of every position of `tokens` under `model` (default: the target), a torch.Tensor [len(tokens), vocab] sharing the engine's memory.
        """

class SpeculateRequest:
    """What Pool.speculate runs (the package fills it)."""

    def __init__(self) -> None: ...

    @property
    def chain(self) -> list[str]: ...

    @chain.setter
    def chain(self, arg: Sequence[str], /) -> None: ...

    @property
    def draft_lengths(self) -> list[int]: ...

    @draft_lengths.setter
    def draft_lengths(self, arg: Sequence[int], /) -> None: ...

    @property
    def verifier(self) -> str: ...

    @verifier.setter
    def verifier(self, arg: str, /) -> None: ...

    @property
    def verifier_params(self) -> dict[str, bool | int | float | str | list[int] | list[float] | list[str]]: ...

    @verifier_params.setter
    def verifier_params(self, arg: Mapping[str, bool | int | float | str | Sequence[int] | Sequence[float] | Sequence[str]], /) -> None: ...

    @property
    def collaboration(self) -> str: ...

    @collaboration.setter
    def collaboration(self, arg: str, /) -> None: ...

    @property
    def collaboration_params(self) -> dict[str, bool | int | float | str | list[int] | list[float] | list[str]]: ...

    @collaboration_params.setter
    def collaboration_params(self, arg: Mapping[str, bool | int | float | str | Sequence[int] | Sequence[float] | Sequence[str]], /) -> None: ...

    @property
    def drafter(self) -> str: ...

    @drafter.setter
    def drafter(self, arg: str, /) -> None: ...

    @property
    def drafter_params(self) -> dict[str, bool | int | float | str | list[int] | list[float] | list[str]]: ...

    @drafter_params.setter
    def drafter_params(self, arg: Mapping[str, bool | int | float | str | Sequence[int] | Sequence[float] | Sequence[str]], /) -> None: ...

    @property
    def drafter_length(self) -> int: ...

    @drafter_length.setter
    def drafter_length(self, arg: int, /) -> None: ...

    @property
    def scheduler(self) -> str: ...

    @scheduler.setter
    def scheduler(self, arg: str, /) -> None: ...

    @property
    def scheduler_params(self) -> dict[str, bool | int | float | str | list[int] | list[float] | list[str]]: ...

    @scheduler_params.setter
    def scheduler_params(self, arg: Mapping[str, bool | int | float | str | Sequence[int] | Sequence[float] | Sequence[str]], /) -> None: ...

def load_pool(folders: Sequence[tuple[str, str | os.PathLike]], dtype: str = 'float32', device: str = 'cpu', kernels: Mapping[str, str] = {}) -> Pool:
    """
    Loads [(name, folder)] into a Pool (the last is the target); vocabularies are checked first.
    """

def run_experiment(overrides: Sequence[str], config_dir: str = '', config_name: str = 'config') -> tuple[pathlib.Path, str]:
    """
    One run, composed as `specrouter run` composes it: (run folder, log text).
    """

def run_sweep(overrides: Sequence[str], config_dir: str = '', config_name: str = 'config') -> dict:
    """
    A sweep (`specrouter run -m`): {'folder', 'jobs', 'failed', 'log', 'errors'}.
    """

def leaderboard_csv(folder: str | os.PathLike) -> str:
    """The leaderboard of every results.h5 below `folder`, as CSV text."""

def leaderboard_markdown(folder: str | os.PathLike) -> str:
    """The leaderboard as `specrouter leaderboard` prints it (Markdown)."""

def project_data_dir() -> pathlib.Path:
    """Where configs/ and experiments/ are read from."""

def project_config_dir() -> pathlib.Path:
    """The default config folder."""

def read_tables(path: str | os.PathLike) -> dict:
    """
    Every table of a results file: {table: {column: list}} (docs/results-schema.md).
    """

def read_summary(path: str | os.PathLike) -> dict:
    """The /summary attributes of a results file ({} if none)."""

def read_metadata(path: str | os.PathLike, name: str) -> str:
    """A string attribute of /metadata (config_yaml, host, git_commit, ...)."""

def find_results_files(folder: str | os.PathLike) -> list[pathlib.Path]:
    """Every finished results.h5 below `folder`, sorted."""
