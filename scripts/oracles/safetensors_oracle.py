#!/usr/bin/env python3
"""Reference files and checks for the C++ checkpoint reader/writer (tests/checkpoint).

The `safetensors` and `transformers` libraries are the oracles: what they write, the C++
side must read bit for bit and rewrite byte for byte; what the C++ side writes, they
must load with identical values.

Commands (every output folder must exist):
  files OUT   safetensors files of every dtype, written by `safetensors.torch.save_file`,
              plus float-conversion tables computed by torch.
  llama OUT   a tiny random LlamaForCausalLM saved with `save_pretrained`, sharded
              (max_shard_size="20KB") into OUT/llama and unsharded into OUT/llama_single.
  check DIR   loads the C++-written DIR/cpp.safetensors and folder DIR/cpp_folder and
              compares them with DIR/cpp.tsv + DIR/cpp.bin; re-saves with the library and
              compares the bytes.
  safetensors DIR   check DIR, then files DIR (one interpreter start for both).

Manifests are TSV, one tensor per line: name, dtype, comma-separated shape, byte offset
into the companion .bin file, byte count. Metadata manifests hold key<TAB>value lines.
Prints one line per check and exits non-zero on the first mismatch.
"""

import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

DTYPES = {
    "BOOL": torch.bool,
    "U8": torch.uint8,
    "I8": torch.int8,
    "F8_E5M2": torch.float8_e5m2,
    "F8_E4M3": torch.float8_e4m3fn,
    "I16": torch.int16,
    "U16": torch.uint16,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I32": torch.int32,
    "U32": torch.uint32,
    "F32": torch.float32,
    "F64": torch.float64,
    "I64": torch.int64,
    "U64": torch.uint64,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
LLAMA_MAX_SHARD_SIZE = "20KB"  # huggingface_hub reads this as 20000 bytes


def raw_bytes(tensor):
    return tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def from_raw(data, dtype, shape):
    flat = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
    return flat.view(dtype).reshape(shape)


def write_manifest(path_stem, tensors, metadata=None):
    """Writes <stem>.tsv and <stem>.bin for the ordered dict `tensors`."""
    offset = 0
    with open(path_stem + ".tsv", "w", encoding="utf-8") as tsv, open(path_stem + ".bin", "wb") as blob:
        for name, tensor in tensors.items():
            data = raw_bytes(tensor)
            shape = ",".join(str(d) for d in tensor.shape)
            tsv.write(f"{name}\t{NAMES[tensor.dtype]}\t{shape}\t{offset}\t{len(data)}\n")
            blob.write(data)
            offset += len(data)
    if metadata is not None:
        with open(path_stem + ".meta.tsv", "w", encoding="utf-8") as meta:
            for key, value in metadata.items():
                meta.write(f"{key}\t{value}\n")


def read_manifest(path_stem):
    with open(path_stem + ".bin", "rb") as blob:
        data = blob.read()
    tensors = {}
    with open(path_stem + ".tsv", encoding="utf-8") as tsv:
        for line in tsv:
            name, dtype, shape, offset, nbytes = line.rstrip("\n").split("\t")
            dims = [int(d) for d in shape.split(",")] if shape else []
            start = int(offset)
            tensors[name] = from_raw(data[start : start + int(nbytes)], DTYPES[dtype], dims)
    return tensors


def every_dtype_tensors(generator):
    tensors = {}
    for index, (name, dtype) in enumerate(DTYPES.items()):
        shape = (3, 4 + index % 3)
        if dtype == torch.bool:
            tensors[f"t.{name}"] = torch.randint(0, 2, shape, generator=generator).bool()
        elif dtype.is_floating_point:
            tensors[f"t.{name}"] = (torch.randn(shape, generator=generator) * 3).to(dtype)
        else:
            bits = torch.randint(0, 256, (shape[0] * shape[1] * dtype.itemsize,), generator=generator)
            tensors[f"t.{name}"] = bits.to(torch.uint8).view(dtype).reshape(shape)
    tensors["scalar"] = torch.tensor(2.5, dtype=torch.float32)
    tensors["empty"] = torch.zeros((0, 3), dtype=torch.bfloat16)
    tensors["model.layers.0.self_attn.q_proj.weight"] = torch.randn((8, 8), generator=generator).to(torch.bfloat16)
    tensors["name with \"quotes\" and é"] = torch.arange(5, dtype=torch.int32)
    return tensors


def conversion_tables(generator):
    """float32 sources and torch's bf16/f16 roundings of them, and every 16-bit pattern widened."""
    special = torch.tensor(
        [0.0, -0.0, 1.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 65504.0,
         65519.0, 65520.0, 1e10, -1e10, 2**-24, 2**-25, 3 * 2**-25, 2**-14 - 2**-25, 1e-45,
         3.4028234663852886e38, float("inf"), float("-inf"), float("nan")],
        dtype=torch.float32)
    scales = torch.pow(2.0, torch.randint(-30, 20, (20000,), generator=generator).float())
    randoms = torch.randn(20000, generator=generator) * scales
    # Exact ties: float32 values halfway between two neighbouring halves / bfloat16s.
    halves = torch.randint(0x0400, 0x7C00, (4000,), generator=generator).to(torch.int16)
    half_ties = (halves.view(torch.float16).float().view(torch.int32) + 0x1000).view(torch.float32)
    upper = torch.randint(0x0080, 0x7F80, (4000,), generator=generator).to(torch.int32)
    bf16_ties = ((upper << 16) | 0x8000).view(torch.float32)
    source = torch.cat([special, randoms, half_ties, -half_ties, bf16_ties, -bf16_ties])
    all_bits = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
    return {
        "conv.source": source,
        "conv.bf16": source.to(torch.bfloat16),
        "conv.f16": source.to(torch.float16),
        "all_f16.bits": all_bits,
        "all_f16.widened": all_bits.view(torch.float16).float(),
        "all_bf16.widened": all_bits.view(torch.bfloat16).float(),
    }


def command_files(out):
    generator = torch.Generator().manual_seed(20250507)
    tensors = every_dtype_tensors(generator)
    metadata = {"format": "pt"}
    save_file(tensors, os.path.join(out, "dtypes.safetensors"), metadata=metadata)
    write_manifest(os.path.join(out, "dtypes"), tensors, metadata)

    plain = {"b": torch.ones(3, dtype=torch.float16), "a": torch.zeros(2, dtype=torch.float64)}
    save_file(plain, os.path.join(out, "nometa.safetensors"))
    write_manifest(os.path.join(out, "nometa"), plain)

    tables = conversion_tables(generator)
    save_file(tables, os.path.join(out, "conversions.safetensors"))
    print("OK files")


def command_llama(out):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.generation_config.eos_token_id = [2, 5]
    model.save_pretrained(os.path.join(out, "llama"), max_shard_size=LLAMA_MAX_SHARD_SIZE)
    model.save_pretrained(os.path.join(out, "llama_single"))
    # state_dict order is the order save_pretrained shards in.
    write_manifest(os.path.join(out, "llama"), model.state_dict())
    print("OK llama")


def fail(message):
    print("MISMATCH " + message)
    sys.exit(1)


def compare_loaded(path, expected, loaded_names):
    if sorted(loaded_names) != sorted(expected):
        fail(f"{path}: names {sorted(loaded_names)} != {sorted(expected)}")


def check_tensor(where, name, actual, expected):
    if actual.dtype != expected.dtype or list(actual.shape) != list(expected.shape):
        fail(f"{where}: {name}: {actual.dtype}{list(actual.shape)} != {expected.dtype}{list(expected.shape)}")
    if raw_bytes(actual) != raw_bytes(expected):
        fail(f"{where}: {name}: bytes differ")


def command_check(directory):
    expected = read_manifest(os.path.join(directory, "cpp"))
    metadata = {}
    with open(os.path.join(directory, "cpp.meta.tsv"), encoding="utf-8") as meta:
        for line in meta:
            key, value = line.rstrip("\n").split("\t")
            metadata[key] = value

    path = os.path.join(directory, "cpp.safetensors")
    with safe_open(path, framework="pt") as handle:
        compare_loaded(path, expected, list(handle.keys()))
        if handle.metadata() != metadata:
            fail(f"{path}: metadata {handle.metadata()} != {metadata}")
        loaded = {name: handle.get_tensor(name) for name in handle.keys()}
    for name, tensor in expected.items():
        check_tensor(path, name, loaded[name], tensor)
    with open(path, "rb") as cpp_file:
        if cpp_file.read() != save(loaded, metadata=metadata):
            fail(f"{path}: bytes differ from safetensors.torch.save of the same tensors")
    print("OK single file loads identically and equals the library's bytes")

    folder = os.path.join(directory, "cpp_folder")
    with open(os.path.join(folder, "model.safetensors.index.json"), encoding="utf-8") as index_file:
        index_text = index_file.read()
    index = json.loads(index_text)
    if json.dumps(index, indent=2, sort_keys=True) + "\n" != index_text:
        fail("index text is not json.dumps(indent=2, sort_keys=True) + newline")
    compare_loaded(folder, expected, list(index["weight_map"]))
    total = 0
    for shard in sorted(set(index["weight_map"].values())):
        with safe_open(os.path.join(folder, shard), framework="pt") as handle:
            if handle.metadata() != {"format": "pt"}:
                fail(f"{shard}: metadata {handle.metadata()}")
            for name in handle.keys():
                if index["weight_map"].get(name) != shard:
                    fail(f"{shard}: holds {name}, which the index maps to {index['weight_map'].get(name)}")
                tensor = handle.get_tensor(name)
                check_tensor(shard, name, tensor, expected[name])
                total += tensor.numel() * tensor.element_size()
    if index["metadata"]["total_size"] != total:
        fail(f"total_size {index['metadata']['total_size']} != {total}")
    print("OK sharded folder loads identically")


def command_safetensors(directory):
    command_check(directory)
    command_files(directory)


COMMANDS = {"files": command_files, "llama": command_llama, "check": command_check,
            "safetensors": command_safetensors}


def main(argv):
    if len(argv) != 3 or argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    COMMANDS[argv[1]](argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
