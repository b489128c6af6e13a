#!/usr/bin/env python3
"""Writes a two-model random pool whose draft is accepted often: an early-exit pair.

The target is a random 4-layer Llama (the shape of configs/pool/tiny_random.yaml) whose
layers above the first write into the residual stream scaled by 0.05, as trained models'
later layers refine rather than rewrite (specrouter/model/early_exit.h does the same in
C++ for the benchmarks); the draft is its first layer with the same embeddings, final
norm and lm_head. Both use the byte-level tokenizer. So plans with the draft are
accepted at rates speculation is studied at, and a slowdown of the draft is something
an adaptive scheduler has to react to.

    .venv/bin/python experiments/adaptation/make_early_exit_pool.py [OUT_DIR] [--exits NAME:LAYERS,...]
        [--prefix P] [--layers N --hidden H --intermediate I --heads A --kv-heads KV]

writes OUT_DIR/early-exit-target and OUT_DIR/early-exit-draft (default
$SPECROUTER_CACHE/checkpoints, else ~/.cache/specrouter/checkpoints), the folders configs/pool/early_exit_pair.yaml loads (about 4 MB).
Seeded: the same files every time. At this size fixed costs dominate a forward pass, so
the draft is not much cheaper than the target; adaptation experiments slow the target
down by an event to model a costlier one (experiments/adaptation/README.md).
"""
import argparse
import os
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cache = os.environ.get("SPECROUTER_CACHE", os.path.expanduser("~/.cache/specrouter"))
    parser.add_argument("out", nargs="?", default=os.path.join(cache, "checkpoints"),
                        help="folder the models are written under (where configs/pool/ looks)")
    parser.add_argument("--prefix", default="early-exit", help="model folders are PREFIX-NAME")
    parser.add_argument("--exits", default="draft:1",
                        help="NAME:LAYERS,... early exits written beside the target (default draft:1)")
    parser.add_argument("--layers", type=int, default=SHAPE["num_hidden_layers"], help="target layers")
    parser.add_argument("--hidden", type=int, default=SHAPE["hidden_size"], help="hidden size")
    parser.add_argument("--intermediate", type=int, default=SHAPE["intermediate_size"], help="MLP size")
    parser.add_argument("--heads", type=int, default=SHAPE["num_attention_heads"], help="attention heads")
    parser.add_argument("--kv-heads", type=int, default=SHAPE["num_key_value_heads"], help="key/value heads")
    return parser.parse_args()


def main():
    args = parse_args()
    out = pathlib.Path(args.out)
    shape = {**SHAPE, "num_hidden_layers": args.layers, "hidden_size": args.hidden,
             "intermediate_size": args.intermediate, "num_attention_heads": args.heads,
             "num_key_value_heads": args.kv_heads}
    torch.manual_seed(0)
    target = LlamaForCausalLM(LlamaConfig(**shape, torch_dtype="float32")).eval()
    with torch.no_grad():
        for layer in target.model.layers[1:]:
            layer.self_attn.o_proj.weight.mul_(RESIDUAL_SCALE)
            layer.mlp.down_proj.weight.mul_(RESIDUAL_SCALE)
    written = [out / f"{args.prefix}-target"]
    save(target, written[0])
    for exit_spec in args.exits.split(","):
        name, layers = exit_spec.split(":")
        layers = int(layers)
        if not 0 < layers < args.layers:
            sys.exit(f"--exits {exit_spec}: an exit needs 1 to {args.layers - 1} layers")
        model = LlamaForCausalLM(LlamaConfig(**{**shape, "num_hidden_layers": layers}, torch_dtype="float32")).eval()
        kept = {f"model.layers.{i}." for i in range(layers)}
        state = {k: v for k, v in target.state_dict().items()
                 if not k.startswith("model.layers.") or any(k.startswith(p) for p in kept)}
        model.load_state_dict(state)
        written.append(out / f"{args.prefix}-{name}")
        save(model, written[-1])
    print("wrote " + ", ".join(str(w) for w in written))


if __name__ == "__main__":
    main()
