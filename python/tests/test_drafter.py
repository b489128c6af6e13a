"""Drafters written in Python: deterministic (token ids) and sampling (with their
distributions), through speculate and through a run."""

import pytest
import torch

import specrouter

from conftest import pair_overrides


@specrouter.drafter("py_lookup", params={"max_ngram": specrouter.Param(2, "longest suffix looked up")})
class PythonLookup(specrouter.Drafter):
    """Prompt lookup in Python: continues the latest earlier occurrence of the context's suffix."""

    def __init__(self, max_ngram):
        self.max_ngram = max_ngram
        self.calls = 0

    def propose(self, requests):
        self.calls += 1
        return [self.lookup(request.context, request.max_tokens) for request in requests]

    def lookup(self, context, max_tokens):
        for n in range(min(self.max_ngram, len(context) - 1), 0, -1):
            suffix = context[-n:]
            for start in range(len(context) - n - 1, -1, -1):
                if context[start:start + n] == suffix:
                    return context[start + n:start + n + max_tokens]
        return []


@specrouter.drafter("py_uniform", params={"vocab": 259})
class PythonUniform:
    """Samples each token uniformly and says so (probs), so verification stays lossless."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.generator = torch.Generator().manual_seed(0)

    def propose(self, requests):
        out = []
        for request in requests:
            n = min(2, request.max_tokens)
            tokens = torch.randint(self.vocab, (n,), generator=self.generator).tolist()
            out.append((tokens, torch.full((n, self.vocab), 1.0 / self.vocab)))
        return out


@specrouter.drafter("py_too_long")
class TooLong:
    def propose(self, requests):
        return [[1] * (request.max_tokens + 1) for request in requests]


PROMPTS = ["abcabcabcabc", "the cat the cat the"]


def test_listed_as_a_drafter():
    [listed] = [p for p in specrouter.plugins("drafter") if p["name"] == "py_lookup"]
    assert listed["library"] == "python" and listed["params"][0]["name"] == "max_ngram"


def test_greedy_speculation_with_a_python_drafter_equals_plain_generation(pool):
    plain = pool.generate(PROMPTS, max_new_tokens=16)
    speculative = pool.speculate(PROMPTS, chain=["target"], drafter=PythonLookup, drafter_params={"max_ngram": 3},
                                 drafter_length=3, max_new_tokens=16)
    assert speculative.sequences == plain.sequences
    below_target = speculative.statistics["levels"][0]
    assert below_target["drafted"] > 0, speculative.statistics["levels"]


def test_a_sampling_python_drafter_with_its_distributions(pool):
    plain = pool.generate(PROMPTS, max_new_tokens=10)
    greedy = pool.speculate(PROMPTS, chain=["draft", "target"], draft_lengths=[2], drafter="py_uniform",
                            max_new_tokens=10)
    assert greedy.sequences == plain.sequences
    sampled = [pool.speculate(PROMPTS, chain=["target"], drafter="py_uniform", temperature=1.0, seed=3,
                              max_new_tokens=10).sequences for _ in range(2)]
    assert all(len(tokens) >= 1 for tokens in sampled[0])


def test_a_python_drafter_in_a_run(static_run, work_dir):
    overrides = pair_overrides(work_dir) + ["method=prompt_lookup", "~drafter.min_ngram", "~drafter.window",
                                            "drafter.plugin=py_lookup"]
    run = specrouter.run_experiment(overrides, output_dir=work_dir / "py_lookup")
    reference = specrouter.run_experiment(pair_overrides(work_dir) + ["method=target_only"],
                                          output_dir=work_dir / "target_only_for_lookup")
    assert run.summary["drafter"] == "py_lookup"
    tokens = lambda r: {i: list(g["token"]) for i, g in r.results["output_tokens"].groupby("id")}  # noqa: E731
    assert tokens(run) == tokens(reference)


def test_a_draft_longer_than_asked_is_an_error(pool):
    with pytest.raises(specrouter.SpecRouterError, match="at most"):
        pool.speculate(PROMPTS, chain=["target"], drafter="py_too_long", max_new_tokens=4)
