"""Loading a pool, plain and speculative generation, logits."""

import pytest
import torch

import specrouter

PROMPTS = ["The quick brown fox", "def main():", "ab"]


def test_pool_names_and_tokenizer(pool):
    assert pool.names == ["draft", "target"]
    assert pool.target == "target"
    assert pool.has_tokenizer
    assert pool.vocab_size == 259


def test_named_folders(static_run, work_dir):
    pool = specrouter.load_pool([("small", work_dir / "draft"), ("big", work_dir / "target")], dtype=torch.float32)
    assert pool.names == ["small", "big"]


def test_greedy_speculation_equals_plain_generation(pool):
    plain = pool.generate(PROMPTS, max_new_tokens=16)
    speculative = pool.speculate(PROMPTS, chain=["draft", "target"], draft_lengths=[3], max_new_tokens=16)
    assert speculative.sequences == plain.sequences
    assert speculative.finish_reasons == plain.finish_reasons
    assert all(1 <= len(tokens) <= 16 for tokens in plain.sequences)  # a random model may emit <eos>
    assert plain.texts is not None and len(plain.texts) == len(PROMPTS)


def test_greedy_speculation_with_a_drafter_equals_plain_generation(pool):
    plain = pool.generate(PROMPTS, max_new_tokens=12)
    speculative = pool.speculate(PROMPTS, chain=["target"], drafter="ngram", drafter_params={"max_ngram": 3},
                                 max_new_tokens=12)
    assert speculative.sequences == plain.sequences


def test_speculation_statistics(pool):
    out = pool.speculate([[1, 2, 3]], chain=["draft", "target"], draft_lengths=[2], max_new_tokens=8)
    stats = out.statistics
    assert stats["new_tokens"] == 8
    assert stats["steps"] >= 1 and stats["tau"] >= 1
    assert [level["model"] for level in stats["levels"]][:1] == ["draft"]


def test_sampled_speculation_is_reproducible(pool):
    first = pool.speculate(PROMPTS, chain=["draft", "target"], temperature=0.8, top_k=50, seed=7, max_new_tokens=10)
    second = pool.speculate(PROMPTS, chain=["draft", "target"], temperature=0.8, top_k=50, seed=7, max_new_tokens=10)
    assert first.sequences == second.sequences


def test_token_id_prompts(pool):
    ids = pool.encode("hello")
    as_list = pool.generate(ids, max_new_tokens=4)
    as_tensor = pool.generate(torch.tensor([ids]), max_new_tokens=4)
    assert as_list.sequences == as_tensor.sequences


def test_logits_match_the_last_step_of_generation(pool):
    ids = pool.encode("The quick brown fox")
    logits = pool.logits(ids)
    assert isinstance(logits, torch.Tensor)
    assert logits.shape == (len(ids), pool.vocab_size)
    assert logits.dtype == torch.float32
    first = pool.generate([ids], max_new_tokens=1).sequences[0][0]
    assert int(logits[-1].argmax()) == first


def test_logits_match_transformers(pool, work_dir):
    transformers = pytest.importorskip("transformers")
    model = transformers.AutoModelForCausalLM.from_pretrained(work_dir / "target", torch_dtype=torch.float32)
    model.eval()
    ids = pool.encode("Speculative decoding")
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0]
    torch.testing.assert_close(pool.logits(ids), expected, atol=1e-4, rtol=1e-4)


def test_logits_share_memory_with_the_engine(pool):
    logits = pool.logits([1, 2, 3])
    # A tensor made from the engine's buffer (DLPack), not a copy: it is a view that does
    # not own its storage through Python, and writing to it works in place.
    logits[0, 0] = 123.0
    assert float(logits[0, 0]) == 123.0
    assert logits.is_contiguous()
