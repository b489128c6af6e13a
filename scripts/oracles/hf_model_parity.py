#!/usr/bin/env python3
"""Oracle for the C++ model runtime: tiny random Hugging Face models and their outputs.

For every supported architecture (and the options that change the arithmetic) this
builds a tiny float32 model with transformers, saves it with `save_pretrained` (one of
them sharded with a small `max_shard_size`), and records, for fixed token inputs, the
logits of a full forward pass and the tokens of greedy `generate(do_sample=False)`.

    python scripts/oracles/hf_model_parity.py --out DIR

writes DIR/<case>/ (config.json, model*.safetensors, ...) and DIR/expected.json:

    {"cases": [{"name", "folder", "sequences": [{"tokens", "logits": [[...]]}],
                "generate": {"prompt", "max_new_tokens", "eos_token_ids", "tokens"}}]}

tests/model/hf_parity_test.cpp runs it and compares the C++ runtime against it.
"""

import argparse
import json
import math
import os
import sys

import torch
import transformers

VOCAB = 128
SEQUENCE_LENGTHS = (5, 11, 70)  # 70 > 64 spans two of the runtime's attention query chunks
PROMPT_LENGTH = 6
NEW_TOKENS = 10


def common(**overrides):
    config = dict(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        rms_norm_eps=1e-5,
        hidden_act="silu",
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    config.update(overrides)
    return config


def cases():
    """(name, config class, model class, config kwargs, max_shard_size or None)."""
    llama3_rope = {
        "rope_type": "llama3",
        "rope_theta": 10000.0,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 32,
    }
    return [
        ("llama", transformers.LlamaConfig, transformers.LlamaForCausalLM, common(), None),
        ("llama_sharded", transformers.LlamaConfig, transformers.LlamaForCausalLM, common(), "40KB"),
        ("llama3_rope", transformers.LlamaConfig, transformers.LlamaForCausalLM,
         common(rope_parameters=llama3_rope), None),
        ("llama_bias", transformers.LlamaConfig, transformers.LlamaForCausalLM,
         common(attention_bias=True, mlp_bias=True, num_key_value_heads=4), None),
        ("mistral_window", transformers.MistralConfig, transformers.MistralForCausalLM,
         common(sliding_window=4), None),
        ("qwen2", transformers.Qwen2Config, transformers.Qwen2ForCausalLM, common(), None),
        ("qwen2_tied", transformers.Qwen2Config, transformers.Qwen2ForCausalLM,
         common(tie_word_embeddings=True), None),
        ("qwen3", transformers.Qwen3Config, transformers.Qwen3ForCausalLM,
         common(hidden_size=48, head_dim=16, num_key_value_heads=1), None),
    ]


def randomise(model, seed):
    """Weights with realistic scale (the default 0.02 init gives near-uniform logits)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("norm.weight"):
                values = 1.0 + 0.1 * torch.randn(parameter.shape, generator=generator)
            elif parameter.dim() == 2 and "embed_tokens" in name:
                values = torch.randn(parameter.shape, generator=generator)
            elif parameter.dim() == 2:
                values = torch.randn(parameter.shape, generator=generator) / math.sqrt(parameter.shape[1])
            else:
                values = 0.1 * torch.randn(parameter.shape, generator=generator)
            parameter.copy_(values)


def tokens(length, seed):
    generator = torch.Generator().manual_seed(seed)
    # Avoid the eos id so greedy generation's prompt is ordinary text.
    return torch.randint(3, VOCAB, (length,), generator=generator).tolist()


def run_case(index, name, config_class, model_class, kwargs, shard_size, out_dir):
    torch.manual_seed(index)
    config = config_class(**kwargs)
    model = model_class(config).eval().to(torch.float32)
    randomise(model, seed=100 + index)
    folder = os.path.join(out_dir, name)
    save_kwargs = {"max_shard_size": shard_size} if shard_size else {}
    model.save_pretrained(folder, **save_kwargs)

    record = {"name": name, "folder": name, "sequences": []}
    with torch.inference_mode():
        for j, length in enumerate(SEQUENCE_LENGTHS):
            ids = tokens(length, seed=1000 * index + j)
            logits = model(torch.tensor([ids])).logits[0].to(torch.float32)
            record["sequences"].append({"tokens": ids, "logits": logits.tolist()})

        prompt = tokens(PROMPT_LENGTH, seed=1000 * index + 99)
        generated = model.generate(
            torch.tensor([prompt]),
            attention_mask=torch.ones(1, PROMPT_LENGTH, dtype=torch.long),
            do_sample=False,
            max_new_tokens=NEW_TOKENS,
            eos_token_id=kwargs["eos_token_id"],
            pad_token_id=kwargs["pad_token_id"],
        )[0, PROMPT_LENGTH:].tolist()
    record["generate"] = {
        "prompt": prompt,
        "max_new_tokens": NEW_TOKENS,
        "eos_token_ids": [kwargs["eos_token_id"]],
        "tokens": generated,
    }
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the models and expected.json into")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    records = [run_case(i, *case, args.out) for i, case in enumerate(cases())]
    expected = os.path.join(args.out, "expected.json")
    with open(expected + ".tmp", "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "cases": records}, f)
    os.replace(expected + ".tmp", expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
