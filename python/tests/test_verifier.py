"""Verifiers written in Python: the Python token verifier (plugin_fixtures.py) gives the C++
token verifier's tokens, greedy and sampled with the same seed; requests and verdicts are
checked by the engine."""

import pytest
import torch

import specrouter

from plugin_fixtures import PythonTokenVerifier

PROMPTS = ["abcabcabcabc", "the cat the cat the"]


@specrouter.verifier("py_inspecting")
class Inspecting:
    """Records what it was given, then accepts nothing and recovers the target's argmax."""

    seen = []

    def verify(self, request):
        Inspecting.seen.append((request, request.target_probs.shape, request.target_probs.dtype,
                                None if request.draft_probs is None else request.draft_probs.shape,
                                float(request.target_probs[0].sum()), len(request.draft_tokens)))
        return specrouter.Verdict([], int(request.target_probs[0].argmax()), len(request.draft_tokens) == 0)


@specrouter.verifier("py_bad_verdict")
class BadVerdict:
    def verify(self, request):
        return specrouter.Verdict([5, 6, 7, 8, 9, 10], 0, True)


@specrouter.verifier("py_not_a_verdict")
class NotAVerdict:
    def verify(self, request):
        return [0], 1, False


def test_listed_as_a_verifier():
    [listed] = [p for p in specrouter.plugins("verifier") if p["name"] == "py_token"]
    assert listed["library"] == "python"


def test_greedy_python_token_verifier_equals_plain_generation(pool):
    plain = pool.generate(PROMPTS, max_new_tokens=16)
    speculative = pool.speculate(PROMPTS, chain=["draft", "target"], draft_lengths=[3], verifier=PythonTokenVerifier,
                                 max_new_tokens=16)
    assert speculative.sequences == plain.sequences


@pytest.mark.parametrize("drafter", [None, "py_uniform"])
def test_sampled_python_token_verifier_reproduces_the_cpp_one(pool, drafter):
    import test_drafter  # noqa: F401  (registers py_uniform)
    settings = dict(chain=["draft", "target"], draft_lengths=[3], temperature=1.0, max_new_tokens=20, drafter=drafter)
    for seed in (1, 2, 3):
        cpp = pool.speculate(PROMPTS, verifier="token", seed=seed, **settings)
        python = pool.speculate(PROMPTS, verifier="py_token", seed=seed, **settings)
        assert python.sequences == cpp.sequences, seed
        assert python.statistics["levels"] == cpp.statistics["levels"]


def test_the_request_views_the_rows_as_tensors(pool):
    Inspecting.seen.clear()
    out = pool.speculate(PROMPTS[:1], chain=["draft", "target"], draft_lengths=[2], verifier="py_inspecting",
                         temperature=1.0, seed=0, max_new_tokens=4)
    assert out.sequences and Inspecting.seen
    request, shape, dtype, draft_shape, total, k = next(seen for seen in Inspecting.seen if seen[-1] > 0)
    assert shape == (k + 1, pool.vocab_size) and dtype == torch.float32 and abs(total - 1.0) < 1e-4
    assert draft_shape == (k, pool.vocab_size)
    with pytest.raises(specrouter.UsageError, match="after verify"):
        request.uniform()  # the run's random numbers are reachable during the call only


def test_a_verdict_off_the_draft_is_refused_naming_the_verifier(pool):
    with pytest.raises(specrouter.SpecRouterError, match="Python verifier 'py_bad_verdict'.*accepted_path"):
        pool.speculate(PROMPTS, chain=["draft", "target"], draft_lengths=[2], verifier="py_bad_verdict",
                       max_new_tokens=4)
    with pytest.raises(specrouter.SpecRouterError, match="Python verifier 'py_not_a_verdict'.*Verdict"):
        pool.speculate(PROMPTS, chain=["draft", "target"], draft_lengths=[2], verifier="py_not_a_verdict",
                       max_new_tokens=4)
