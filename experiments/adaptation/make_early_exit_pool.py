#!/usr/bin/env python3
"""Writes a two-model random pool whose draft is accepted often: an early-exit pair.

The target is a random 4-layer Llama (the shape of configs/pool/tiny_random.yaml) whose
layers above the first write into the residual stream scaled by 0.05, as trained models'
later layers refine rather than rewrite (specrouter/model/early_exit.h does the same in
C++ for the benchmarks); the draft is its first layer with the same embeddings, final
norm and lm_head. Both use the byte-level tokenizer. So plans with the draft are
accepted at rates speculation is studied at, and a slowdown of the draft is something
an adaptive scheduler has to react to.

    .venv/bin/python experiments/adaptation/make_early_exit_pool.py [OUT_DIR]

writes OUT_DIR/early-exit-target and OUT_DIR/early-exit-draft (default
.cache/checkpoints), the folders configs/pool/early_exit_pair.yaml loads (about 4 MB).
Seeded: the same files every time. At this size fixed costs dominate a forward pass, so
the draft is not much cheaper than the target; adaptation experiments slow the target
down by an event to model a costlier one (experiments/adaptation/README.md).
"""
import json
import pathlib
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

SHAPE = dict(vocab_size=259, hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=1024, rms_norm_eps=1e-5, rope_theta=10000.0,
             tie_word_embeddings=False, bos_token_id=256, eos_token_id=257, hidden_act="silu")
RESIDUAL_SCALE = 0.05  # writes of layers 1.. into the residual stream
TOKENIZER = {"specrouter_tokenizer": "bytes", "special_tokens": ["<bos>", "<eos>", "<pad>"], "bos_token": "<bos>",
             "eos_token": "<eos>", "add_bos": True}


def save(model, folder):
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "tokenizer.json").write_text(json.dumps(TOKENIZER, indent=2) + "\n")


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/checkpoints")
    torch.manual_seed(0)
    target = LlamaForCausalLM(LlamaConfig(**SHAPE, torch_dtype="float32")).eval()
    with torch.no_grad():
        for layer in target.model.layers[1:]:
            layer.self_attn.o_proj.weight.mul_(RESIDUAL_SCALE)
            layer.mlp.down_proj.weight.mul_(RESIDUAL_SCALE)
    draft = LlamaForCausalLM(LlamaConfig(**{**SHAPE, "num_hidden_layers": 1}, torch_dtype="float32")).eval()
    state = {k: v for k, v in target.state_dict().items() if not k.startswith("model.layers.") or k.startswith("model.layers.0.")}
    draft.load_state_dict(state)
    save(target, out / "early-exit-target")
    save(draft, out / "early-exit-draft")
    print(f"wrote {out / 'early-exit-target'} and {out / 'early-exit-draft'}")


if __name__ == "__main__":
    main()
