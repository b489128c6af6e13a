#!/usr/bin/env python3
"""Reference encodings for the C++ tokenizer, produced by the Hugging Face `tokenizers` library.

Trains small tokenizers of every kind SpecRouter loads on a corpus this script writes itself,
saves each tokenizer.json, and records what `tokenizers` makes of a varied test corpus:

  OUT/corpus.txt                  the training corpus
  OUT/<name>/tokenizer.json       one folder per tokenizer kind
  OUT/expected.json               {"tokenizers_version": ..., "tokenizers": [{"name", "path",
                                   "cases": [{"text", "ids", "ids_plain", "decoded",
                                              "decoded_skip"}]}]}

ids: encode(text, add_special_tokens=True); ids_plain: the same with False; decoded:
decode(ids, skip_special_tokens=False); decoded_skip: decode(ids, skip_special_tokens=True).

Kinds: gpt2 (ByteLevel BPE), gpt2_prefix (ByteLevel add_prefix_space), smollm2 (Digits +
ByteLevel), llama3 (Llama 3 split regex, ignore_merges, BOS template), qwen2 (NFC, Qwen2
regex), llama2 (SentencePiece-style: Prepend/Replace normalizer, byte fallback, BOS
template), mistral (Metaspace prepend_scheme=first, split=false), metaspace (Metaspace
always/split with Metaspace decoder) and sp_unk (no byte fallback: fused unknown tokens).

Usage: tokenizer_oracle.py OUT_DIR
"""
import json
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]

TRAINING_CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.",
    "It's a truth universally acknowledged that we'll find what we're looking for, isn't it? I'd say they've done it.",
    "In 2023, the population was 8,045,311,447 people; by 2050 it may reach 9.7 billion (97 x 10^8).",
    "def encode(text: str) -> list[int]:\n    ids = []\n    for word in text.split():\n        ids.append(vocab[word])\n    return ids\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += values[i] * weights[i];\n}\nreturn sum / n;\n",
    "Привет, мир! Как дела? Всё хорошо, спасибо. Москва — столица России.",
    "Γειά σου κόσμε. Η γλώσσα είναι ελληνική.",
    "你好，世界。今天天气很好，我们去公园散步吧。日本語のテキストも少しあります。",
    "안녕하세요, 세계! 오늘은 날씨가 좋네요.",
    "مرحبا بالعالم. هذه جملة باللغة العربية.",
    "नमस्ते दुनिया। यह हिंदी में एक वाक्य है।",
    "Emoji time: 😀 😃 🎉 👍 🚀 ❤️ — and more: 🙂🙃",
    "Whitespace   runs    and\ttabs\t\tand\n\n\nnewlines   at the end   ",
    "naïve café résumé façade jalapeño Zürich São Paulo",
    "<|endoftext|> special tokens appear in text: <s> and </s> and <|begin_of_text|> too.",
    "URLs like https://example.com/path?query=1&x=y and emails like someone@example.org.",
    '{"key": "value", "list": [1, 2, 3], "nested": {"a": true, "b": null}}',
    "HELLO World hello WORLD HeLLo wOrLd. DON'T WON'T CAN'T SHOULDN'T.",
] * 3

TEST_CORPUS = [
    "Hello world",
    "",
    " ",
    "  ",
    "\n",
    "   leading and trailing   ",
    "Whitespace   runs\t\tand\n\n\nnewlines\r\nhere  \n  ",
    "I'm sure you're right; we'll see what they've done. It's HIS and SHE'D and WE'LL and You'Re.",
    "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 2024-06-30 0x1F",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(12))\n",
    "int main() {\n  std::vector<int> v{1, 2, 3};\n  return v.size() > 2 ? 0 : 1;\n}\n",
    "The quick brown fox jumps over the lazy dog.",
    "naïve café résumé Ünïcödé façade",
    "Привет, мир! Съешь же ещё этих мягких французских булок.",
    "Γειά σου κόσμε",
    "你好，世界。日本語のテキストです。",
    "안녕하세요 세계",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "👍🏽 🇫🇷 👨‍👩‍👧‍👦 🎉🎉🎉 ❤️",
    "mixed123abc!!!???...,,,;;;",
    "a\u00a0b\u3000c\u2003d\u200be",
    "e\u0301 A\u030a \u1100\u1161\u11a8 \u0041\u0328\u0301 \u0071\u0307\u0323 \u1e0b\u0323",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "https://example.com/a/b?c=d&e=f#g",
    '{"key": "value", "n": [1, 2, 3]}',
    "Tabs\tand\u000bvertical\u000cfeeds",
    "!!!",
    "'s 't 're",
    # Decomposed text: NFC (qwen2) recomposes it, the others keep the combining marks.
    unicodedata.normalize("NFD", "Tiếng Việt có dấu; 한국어 텍스트; Ελληνικά; Ǆ ǅ ǆ; Å Å"),
]


def write_training_corpus(out_dir: Path) -> Path:
    path = out_dir / "corpus.txt"
    path.write_text("\n".join(TRAINING_CORPUS) + "\n", encoding="utf-8")
    return path


def reload(tokenizer: Tokenizer, edit=None) -> Tokenizer:
    """Round-trips through JSON, applying `edit` to the parsed dict (for fields the Python API hides)."""
    data = json.loads(tokenizer.to_str())
    if edit is not None:
        edit(data)
    return Tokenizer.from_str(json.dumps(data))


def train_byte_level(corpus: Path, pre_tokenizer, special_tokens, vocab_size=700, normalizer=None) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train([str(corpus)], trainer)
    return tokenizer


def build_gpt2(corpus: Path):
    tokenizer = train_byte_level(corpus, pre_tokenizers.ByteLevel(add_prefix_space=False), ["<|endoftext|>"])
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    # Added tokens with the flags RoBERTa-style files use.
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True),
                                  AddedToken("<sep>", rstrip=True, special=True)])
    tokenizer.add_tokens([AddedToken("wordtoken", single_word=True), AddedToken("the fox", normalized=False)])
    prefixed = reload(tokenizer)
    prefixed.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    return [("gpt2", tokenizer, ["<|endoftext|>", "<mask>", "<sep>"]),
            ("gpt2_prefix", prefixed, ["<|endoftext|>", "<mask>"])]


def build_smollm2(corpus: Path):
    pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tokenizer = train_byte_level(corpus, pre, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    return [("smollm2", tokenizer, ["<|im_start|>", "<|im_end|>"])]


def build_llama3(corpus: Path):
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tokenizer = train_byte_level(corpus, pre, specials, vocab_size=800)
    bos = tokenizer.token_to_id("<|begin_of_text|>")
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                      pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])

    def set_ignore_merges(data):
        data["model"]["ignore_merges"] = True

    return [("llama3", reload(tokenizer, set_ignore_merges), ["<|eot_id|>", "<|start_header_id|>", "<|end_of_text|>"])]


def build_qwen2(corpus: Path):
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer = train_byte_level(corpus, pre, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                 normalizer=normalizers.NFC())
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return [("qwen2", tokenizer, ["<|im_start|>", "<|im_end|>", "<|endoftext|>"])]


def sentencepiece_base(corpus: Path, byte_fallback: bool) -> dict:
    """A Llama-2-like vocabulary: <unk> <s> </s>, the 256 byte tokens, then trained pieces."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=byte_fallback, fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    specials = ["<unk>", "<s>", "</s>"] + (BYTE_TOKENS if byte_fallback else [])
    # A small alphabet, so that rare characters need byte fallback (or <unk>).
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials, limit_alphabet=120, show_progress=False)
    tokenizer.train([str(corpus)], trainer)
    data = json.loads(tokenizer.to_str())
    # Byte tokens live in the model vocabulary only, as in Llama 2's file.
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in BYTE_TOKENS]
    return data


def sentencepiece_decoder(strip_prefix_space: bool = True) -> dict:
    steps = [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
             {"type": "ByteFallback"}, {"type": "Fuse"}]
    if strip_prefix_space:
        steps.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    return {"type": "Sequence", "decoders": steps}


def bos_template() -> dict:
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}


def build_sentencepiece(corpus: Path):
    base = sentencepiece_base(corpus, byte_fallback=True)
    results = []

    llama2 = json.loads(json.dumps(base))
    llama2["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    llama2["pre_tokenizer"] = None
    llama2["decoder"] = sentencepiece_decoder()
    llama2["post_processor"] = bos_template()
    results.append(("llama2", Tokenizer.from_str(json.dumps(llama2)), ["<s>", "</s>"]))

    mistral = json.loads(json.dumps(base))
    mistral["normalizer"] = None
    mistral["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    mistral["decoder"] = sentencepiece_decoder()
    mistral["post_processor"] = bos_template()
    results.append(("mistral", Tokenizer.from_str(json.dumps(mistral)), ["<s>", "</s>"]))

    metaspace = json.loads(json.dumps(base))
    metaspace["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    results.append(("metaspace", Tokenizer.from_str(json.dumps(metaspace)), ["</s>"]))

    unk = sentencepiece_base(corpus, byte_fallback=False)
    unk["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    results.append(("sp_unk", Tokenizer.from_str(json.dumps(unk)), ["</s>"]))
    return results


def special_cases(specials):
    """Texts with this tokenizer's special tokens at the start, the middle and the end."""
    first = specials[0]
    cases = [f"{first}Hello world", f"Hello{first}world", f"Hello {first} world {first}", first, f"{first}{first}",
             f"{first} leading space", f"\n{first}\n"]
    for token in specials[1:]:
        cases.append(f"{first}a{token}b {token} {token[:-1]}")
    return cases


FLAG_CASES = [
    "Hello   <mask>   world", "<mask>start", "a <mask><mask> b",
    "a<sep>   b", "x <sep>\n\ny", "wordtoken here", "xwordtoken here", "wordtoken_x", "(wordtoken)",
    "I saw the fox jump", "the foxes", "The fox",
]


def cases_for(tokenizer: Tokenizer, texts):
    cases = []
    for text in texts:
        ids = tokenizer.encode(text, add_special_tokens=True).ids
        cases.append({
            "text": text,
            "ids": ids,
            "ids_plain": tokenizer.encode(text, add_special_tokens=False).ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skip": tokenizer.decode(ids, skip_special_tokens=True),
        })
    return cases


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = write_training_corpus(out_dir)
    long_text = "\n".join(TRAINING_CORPUS[:18] + TEST_CORPUS)

    built = []
    for build in (build_gpt2, build_smollm2, build_llama3, build_qwen2, build_sentencepiece):
        built.extend(build(corpus))

    entries = []
    for name, tokenizer, specials in built:
        folder = out_dir / name
        folder.mkdir(exist_ok=True)
        tokenizer.save(str(folder / "tokenizer.json"))
        texts = TEST_CORPUS + special_cases(specials) + [long_text]
        if name.startswith("gpt2"):
            texts += FLAG_CASES
        entries.append({"name": name, "path": str(folder / "tokenizer.json"), "cases": cases_for(tokenizer, texts)})

    expected = {"tokenizers_version": tokenizers.__version__, "tokenizers": entries}
    (out_dir / "expected.json").write_text(json.dumps(expected, ensure_ascii=True, indent=1), encoding="utf-8")
    print(f"wrote {len(entries)} tokenizers to {out_dir}")


if __name__ == "__main__":
    main()
