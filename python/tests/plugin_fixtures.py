"""Python plugins shared by the pytest suite and the conformance program
(python/tests/conformance): a token verifier written as plugins/verifiers/token is, and a
sampling drafter that reports its distributions, and a scheduler that plans with the
engine's estimates and cost model.

Importing this module registers them (once per process): verifier "py_token", drafter
"py_bigram", scheduler "py_cost_model".
"""

import random

import torch

import specrouter


def _argmax(row):
    """The first index of the largest entry (ties to the lowest id, as the C++ argmax)."""
    best = 0
    for v in range(1, len(row)):
        if row[v] > row[best]:
            best = v
    return best


def _sample_proportional(weights, u):
    """Inverse-CDF sampling of u over weights >= 0 (token_verifier.cpp's sample_proportional):
    the token whose cumulative weight first exceeds u × total; -1 when all are zero."""
    total = 0.0
    for w in weights:
        total += w
    if not total > 0:
        return -1
    threshold = u * total
    cumulative = 0.0
    last_with_mass = -1
    for v, w in enumerate(weights):
        if w <= 0:
            continue
        cumulative += w
        last_with_mass = v
        if threshold < cumulative:
            break
    return last_with_mass


@specrouter.verifier("py_token")
class PythonTokenVerifier(specrouter.Verifier):
    """Token-level verification of a linear draft in Python: greedy match, or speculative sampling."""

    def verify(self, request):
        parents = request.parents
        for i, parent in enumerate(parents):
            if parent != i - 1:
                raise ValueError(f"py_token verifies linear drafts only, got a tree draft (parents[{i}] = {parent})")
        # Small rows: Python floats are doubles, as token_verifier.cpp computes, so the same
        # draws give the same tokens.
        p = request.target_probs.tolist()
        tokens = request.draft_tokens
        if request.greedy:
            for i, x in enumerate(tokens):
                best = _argmax(p[i])
                if x != best:
                    return specrouter.Verdict(list(range(i)), best, False)
            return specrouter.Verdict(list(range(len(tokens))), _argmax(p[-1]), True)
        q = None if request.draft_probs is None else request.draft_probs.tolist()
        for i, x in enumerate(tokens):
            q_x = 1.0 if q is None else q[i][x]
            if request.uniform() * q_x < p[i][x]:  # accept with probability min(1, p(x) / q(x))
                continue
            q_i = [1.0 if v == x else 0.0 for v in range(len(p[i]))] if q is None else q[i]
            u = request.uniform()
            token = _sample_proportional([max(0.0, pv - qv) for pv, qv in zip(p[i], q_i)], u)
            if token < 0:  # p == q up to rounding
                token = _sample_proportional([max(0.0, pv) for pv in p[i]], u)
            return specrouter.Verdict(list(range(i)), token, False)
        return specrouter.Verdict(list(range(len(tokens))), _sample_proportional([max(0.0, v) for v in p[-1]],
                                                                                 request.uniform()), True)


@specrouter.drafter("py_bigram", params={"vocab": specrouter.Param(type="int", doc="vocabulary size"),
                                         "seed": specrouter.Param(0, "the drafter's own generator")})
class PythonBigramDrafter(specrouter.Drafter):
    """Samples each token from half the last token's latest successor in the context, half
    uniform, and reports those distributions (probs)."""

    def __init__(self, vocab, seed):
        self.vocab = vocab
        self.random = random.Random(seed)

    def propose(self, requests):
        return [self.draft(list(request.context), request.max_tokens) for request in requests]

    def draft(self, context, max_tokens):
        tokens, rows = [], []
        for _ in range(max_tokens):
            guess = (context[-1] + 1) % self.vocab
            for i in range(len(context) - 2, -1, -1):
                if context[i] == context[-1]:
                    guess = context[i + 1]
                    break
            row = [0.5 / self.vocab] * self.vocab
            row[guess] += 0.5
            token = guess if self.random.random() < 0.5 else self.random.randrange(self.vocab)
            tokens.append(token)
            rows.append(row)
            context.append(token)
        return tokens, torch.tensor(rows, dtype=torch.float32).reshape(len(tokens), self.vocab)


@specrouter.scheduler("py_cost_model", params={"max_draft_length": specrouter.Param(6, "longest draft tried")})
class PythonCostModelScheduler(specrouter.Scheduler):
    """Plain decoding until the engine has estimates; then, each step, the two-level plan
    (any cheaper model drafting for the target, 1 to max_draft_length tokens) or plain
    decoding, whichever the chain cost model predicts is fastest per committed token."""

    def __init__(self, max_draft_length):
        self.max_draft_length = max_draft_length

    def plan(self, context):
        target = len(context.pool) - 1
        best = specrouter.Plan([target])
        if not context.has_estimates or target == 0:
            return best
        best_seconds = context.predict_seconds_per_token(best)
        for drafter in range(target):
            for length in range(1, self.max_draft_length + 1):
                plan = specrouter.Plan([drafter, target], [length])
                seconds = context.predict_seconds_per_token(plan)
                if seconds < best_seconds:
                    best, best_seconds = plan, seconds
        return best
