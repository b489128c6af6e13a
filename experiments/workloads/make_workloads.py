#!/usr/bin/env python3
"""Writes the project's small prompt sets, one JSONL file per request class.

Every prompt below was written by hand for SpecRouter (nothing is downloaded); the
repetitive/structured set is produced by the small deterministic generators at the end.
Run from anywhere: `python3 experiments/workloads/make_workloads.py` rewrites the .jsonl
files beside this script byte for byte (sorted keys, one object per line).
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

CODE = [
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n",
    "for (int i = 0; i < n; ++i) {\n  sum += values[i];",
    "template <class T>\nT clamp(T value, T low, T high) {\n  if (value < low) return low;\n",
    "SELECT customer_id, COUNT(*) AS orders\nFROM orders\nWHERE created_at >= '2024-01-01'\n",
    "fn parse_line(line: &str) -> Option<(String, u32)> {\n    let mut parts = line.split(',');\n",
    "import numpy as np\n\ndef normalise(rows):\n    norms = np.linalg.norm(rows, axis=1, keepdims=True)\n",
    "function debounce(fn, wait) {\n  let timer = null;\n  return function (...args) {\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n",
    "#include <vector>\n\nstd::vector<int> prefix_sums(const std::vector<int>& xs) {\n  std::vector<int> out;\n",
    "while read -r line; do\n  name=$(echo \"$line\" | cut -d, -f1)\n",
    "public static int binarySearch(int[] a, int key) {\n    int lo = 0, hi = a.length - 1;\n",
    "def merge(left, right):\n    result = []\n    i = j = 0\n    while i < len(left) and j < len(right):\n",
]

PROSE = [
    "The river ran quietly past the old mill, and the miller",
    "On the first cold morning of autumn, the village woke to find",
    "She had never trusted maps, preferring instead to ask the people she met",
    "The lighthouse keeper wrote in his log every evening, even when nothing happened, because",
    "When the last train left the station, the platform fell silent except for",
    "Grandmother kept a tin of buttons on the highest shelf, and each button had a story:",
    "The expedition reached the ridge at noon. Below them, the valley",
    "In the market square, a boy with a wooden flute began to play, and slowly",
    "The letter arrived three weeks late, its envelope stained with rain, and inside",
    "Nobody in the office remembered who had planted the fern by the window, but",
    "The storm had knocked out the power, so the family gathered around a single candle and",
    "He opened the bakery at five every morning, long before the street lamps went out, and",
]

QA = [
    "Question: What is the capital of France?\nAnswer:",
    "Question: How many legs does a spider have?\nAnswer:",
    "Question: Which planet is closest to the Sun?\nAnswer:",
    "Question: What is the boiling point of water at sea level in degrees Celsius?\nAnswer:",
    "Question: Who wrote the play Romeo and Juliet?\nAnswer:",
    "Question: What gas do plants take in from the air to make sugar?\nAnswer:",
    "Question: How many minutes are there in three hours?\nAnswer:",
    "Question: What is the largest ocean on Earth?\nAnswer:",
    "Question: In which year did the first person walk on the Moon?\nAnswer:",
    "Question: What is the chemical symbol for gold?\nAnswer:",
    "Question: Why does ice float on water?\nAnswer:",
    "Question: What is the square root of 144?\nAnswer:",
]


def repetitive_prompts():
    """Structured and repeating text: lists, tables, counters, key-value records."""
    prompts = [
        "red green blue red green blue red green blue red green",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,",
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Monday Tuesday",
        "| id | name | score |\n|----|------|-------|\n| 1 | ada | 91 |\n| 2 | bob | 78 |\n| 3 |",
        "<li>item one</li>\n<li>item two</li>\n<li>item three</li>\n<li>",
        "a b c d e f g h i j k l m n o p a b c d e f g",
    ]
    prompts.append("\n".join(f"{{\"step\": {i}, \"loss\": {1.0 / (i + 1):.3f}}}" for i in range(5)) + "\n{\"step\": 5,")
    prompts.append("".join(f"row {i}: ok\n" for i in range(6)) + "row 6:")
    prompts.append(" ".join(str(2**i) for i in range(10)))
    prompts.append("ABAB" * 8 + "AB")
    prompts.append("\n".join(f"key_{c} = value_{c}" for c in "abcdef") + "\nkey_g =")
    prompts.append("the cat sat on the mat. " * 4 + "the cat")
    return prompts


def write(name, request_class, prompts, max_new_tokens):
    lines = [
        json.dumps({"id": f"{request_class}-{i + 1}", "class": request_class, "prompt": prompt,
                    "max_new_tokens": max_new_tokens}, sort_keys=True, ensure_ascii=False)
        for i, prompt in enumerate(prompts)
    ]
    (HERE / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write("code", "code", CODE, 48)
    write("prose", "prose", PROSE, 48)
    write("qa", "qa", QA, 32)
    write("repetitive", "repetitive", repetitive_prompts(), 48)
