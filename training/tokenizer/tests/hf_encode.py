#!/usr/bin/env python3
"""Encodes texts with Hugging Face `tokenizers` for the trained-tokenizer parity test.

usage: hf_encode.py TOKENIZER_JSON TEXTS_JSON OUT_JSON

TEXTS_JSON is a JSON list of strings; OUT_JSON gets {"tokenizers_version", "cases": [{"ids",
"ids_plain", "decoded"}...]} in the same order: ids with and without special tokens, and
the decoding of `ids` without skipping special tokens.
"""
import json
import sys

import tokenizers


def main() -> None:
    tokenizer = tokenizers.Tokenizer.from_file(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        texts = json.load(f)
    cases = []
    for text in texts:
        ids = tokenizer.encode(text, add_special_tokens=True).ids
        cases.append({
            "ids": ids,
            "ids_plain": tokenizer.encode(text, add_special_tokens=False).ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
        })
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        json.dump({"tokenizers_version": tokenizers.__version__, "cases": cases}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
