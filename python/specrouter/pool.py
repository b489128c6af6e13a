"""Loading checkpoint folders into a pool, and decoding with it.

    pool = specrouter.load_pool(["models/draft", "models/target"])   # cheapest first
    out = pool.generate("Hello", max_new_tokens=16)                    # the target alone
    out = pool.speculate("Hello", chain=["draft", "target"], draft_lengths=[4])
    out.sequences, out.texts, out.statistics
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence, Union

import torch

from . import _core

Prompts = Union[str, Sequence[str], Sequence[int], Sequence[Sequence[int]], torch.Tensor]
ModelSpec = Union[str, os.PathLike, tuple]

_DTYPES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float64: "float64"}


@dataclass
class GenerationOutput:
    """What generate() and speculate() return, one entry per prompt."""

    sequences: list[list[int]]
    """The new token ids of each prompt (the prompt not included)."""
    finish_reasons: list[str]
    """Why each stopped: "eos", "max_tokens" or "context"."""
    texts: list[str] | None = None
    """The new tokens as text, when the target's folder has a tokenizer."""
    statistics: dict[str, Any] | None = field(default=None, repr=False)
    """speculate() only: the step statistics (`specrouter speculate --stats` as a dict):
    steps, target passes, tau, tokens per second, and per chain level what was drafted,
    accepted, recovered and bonus."""


def _base_name(folder: ModelSpec) -> str:
    name = os.path.basename(os.path.normpath(os.fspath(folder)))
    return name if name not in ("", ".", "..") else "model"


def _named_folders(models: ModelSpec | Sequence[ModelSpec]) -> list[tuple[str, str]]:
    """(name, folder) pairs; a bare folder is named after its base name, a repeated name
    gets -2, -3, ... as `specrouter speculate` names them."""
    if isinstance(models, (str, os.PathLike)) or (isinstance(models, tuple) and len(models) == 2
                                                   and isinstance(models[0], str) and not isinstance(models[1], tuple)):
        models = [models]
    named: list[tuple[str, str]] = []
    for model in models:
        if isinstance(model, tuple):
            name, folder = model
        elif isinstance(model, (str, os.PathLike)):
            name, folder = None, model
        else:
            raise TypeError(f"a model is a folder or a (name, folder) pair, not {type(model).__name__}")
        base = name or _base_name(folder)
        unique, suffix = base, 2
        while any(unique == taken for taken, _ in named):
            unique, suffix = f"{base}-{suffix}", suffix + 1
        named.append((unique, os.fspath(folder)))
    return named


def load_pool(models: ModelSpec | Sequence[ModelSpec], dtype: str | torch.dtype = "float32", device: str = "cpu",
              kernels: Mapping[str, str] | None = None) -> "Pool":
    """Loads Hugging Face checkpoint folders into one pool, cheapest first, target last.

    models: a folder, or a list of folders or (name, folder) pairs; a folder's pool name is
    its base name. dtype: float32, bfloat16 or float64 (or the torch dtype). kernels:
    {operation: implementation} over configs/kernels/cpu.yaml's choices. Every folder's
    config.json is read and the vocabularies compared before any weights are loaded; a
    missing folder or a mismatch raises ConfigError naming it.
    """
    if isinstance(dtype, torch.dtype):
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be float32, bfloat16 or float64, not {dtype}")
        dtype = _DTYPES[dtype]
    return Pool(_core.load_pool(_named_folders(models), dtype, device, dict(kernels or {})))


class Pool:
    """Models loaded together. generate() decodes with the target alone (the reference);
    speculate() decodes with a chain of them through the engine's decoding loop."""

    def __init__(self, native: _core.Pool):
        self._native = native

    @property
    def names(self) -> list[str]:
        """Pool names, cheapest first, target last."""
        return self._native.names

    @property
    def target(self) -> str:
        """The target's pool name."""
        return self._native.names[-1]

    @property
    def vocab_size(self) -> int:
        return self._native.vocab_size

    @property
    def has_tokenizer(self) -> bool:
        """Whether the target's folder has a tokenizer.json (text in and out)."""
        return self._native.has_tokenizer

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` with the target's tokenizer."""
        return self._native.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids` (special tokens skipped; invalid UTF-8 replaced)."""
        return self._native.decode(list(ids)).decode("utf-8", errors="replace")

    def generate(self, prompts: Prompts, max_new_tokens: int = 32, temperature: float = 0.0, top_k: int = 0,
                 top_p: float = 1.0, seed: int = 0, ignore_eos: bool = False) -> GenerationOutput:
        """Plain decoding with the target alone (the core's generate()): greedy at
        temperature 0, else sampled with top_k / top_p; prompt i samples with (seed, i)."""
        ids = self._token_prompts(prompts)
        results = self._native.generate(ids, max_new_tokens, temperature, top_k, top_p, seed, ignore_eos)
        return self._output(results)

    def speculate(self, prompts: Prompts, chain: Sequence[str] | None = None, draft_lengths: Sequence[int] | None = None,
                  verifier: str | type = "token", verifier_params: Mapping[str, Any] | None = None,
                  drafter: str | type | None = None, drafter_params: Mapping[str, Any] | None = None, drafter_length: int = 4,
                  collaboration: str = "collaborative_verification",
                  collaboration_params: Mapping[str, Any] | None = None,
                  scheduler: str | type | None = None, scheduler_params: Mapping[str, Any] | None = None,
                  max_new_tokens: int = 32, temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
                  seed: int = 0, ignore_eos: bool = False) -> GenerationOutput:
        """Speculative decoding through the engine (what `specrouter speculate` runs).

        chain: pool names, cheapest first, ending at the target (default: the whole pool);
        draft_lengths: tokens each level below the target proposes to the next (default 4
        each). verifier, drafter (a bottom drafter plugin below the chain, e.g. "ngram"),
        collaboration and scheduler are registered plugin names (Python ones included; a
        class registered with @specrouter.scheduler may be passed itself), each with its
        parameters as a dict, checked against the plugin's declarations. With a scheduler,
        it chooses every step's plan; without, every step runs the chain. Greedy output
        equals generate()'s; sampled output follows the target's distribution.
        """
        request = _core.SpeculateRequest()
        request.chain = list(chain or [])
        request.draft_lengths = list(draft_lengths or [])
        if isinstance(verifier, type):
            verifier = getattr(verifier, "specrouter_name", None) or _not_registered(verifier)
        request.verifier = verifier
        request.verifier_params = dict(verifier_params or {})
        request.collaboration = collaboration
        request.collaboration_params = dict(collaboration_params or {})
        if drafter is not None and not isinstance(drafter, str):
            drafter = getattr(drafter, "specrouter_name", None) or _not_registered(drafter)
        request.drafter = drafter or ""
        request.drafter_params = dict(drafter_params or {})
        request.drafter_length = drafter_length
        if scheduler is not None and not isinstance(scheduler, str):
            scheduler = getattr(scheduler, "specrouter_name", None) or _not_registered(scheduler)
        request.scheduler = scheduler or ""
        request.scheduler_params = dict(scheduler_params or {})
        ids = self._token_prompts(prompts)
        results, statistics = self._native.speculate(ids, request, max_new_tokens, temperature, top_k, top_p, seed,
                                                     ignore_eos)
        return self._output(results, json.loads(statistics))

    def logits(self, tokens: Sequence[int] | torch.Tensor, model: str | None = None) -> torch.Tensor:
        """Logits of every position of `tokens` under `model` (default: the target):
        [len(tokens), vocab], float32 (float64 for a float64 model), on the CPU. The
        tensor shares the engine's memory (no copy)."""
        if isinstance(tokens, torch.Tensor):
            tokens = tokens.reshape(-1).tolist()
        return self._native.logits(list(tokens), model or "")

    def _token_prompts(self, prompts: Prompts) -> list[list[int]]:
        if isinstance(prompts, torch.Tensor):
            prompts = prompts.tolist()
        if isinstance(prompts, str):
            prompts = [prompts]
        prompts = list(prompts)
        if prompts and all(isinstance(token, int) for token in prompts):
            prompts = [prompts]  # one prompt of token ids
        ids = []
        for prompt in prompts:
            if isinstance(prompt, str):
                ids.append(self.encode(prompt))
            elif isinstance(prompt, (list, tuple)) and all(isinstance(token, int) for token in prompt):
                ids.append(list(prompt))
            else:
                raise TypeError("prompts are text, token ids, a list of either, or a torch tensor of ids; got "
                                f"{type(prompt).__name__}")
        return ids

    def _output(self, results, statistics=None) -> GenerationOutput:
        sequences = [tokens for tokens, _ in results]
        texts = [self.decode(tokens) for tokens in sequences] if self.has_tokenizer else None
        return GenerationOutput(sequences, [reason for _, reason in results], texts, statistics)

    def __repr__(self) -> str:
        return f"Pool({', '.join(self.names)})"


def _not_registered(scheduler) -> str:
    raise TypeError(f"{scheduler!r} is not a registered plugin: decorate it with @specrouter.scheduler(...) "
                    "or @specrouter.drafter(...), or pass a registered name")
