// Tokenizer throughput: encoding ~1 MB of mixed text with a Llama-3-style byte-level BPE
// (split regex, ignore_merges) and a Llama-2-style SentencePiece BPE, with a cold and a warm
// word cache, and decoding it back.
//
//   build/bin/tokenizer_bench
//   SPECROUTER_TOKENIZER=path/to/tokenizer.json build/bin/tokenizer_bench   # a real file
//
// The synthetic vocabularies merge every pair of lower-case letters and then the 2000 most
// frequent words of the text, so word lookups and merges both do real work.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "specrouter/tokenizer/tokenizer.h"

namespace {

using nlohmann::json;

const std::vector<std::string>& words() {
  static const std::vector<std::string> list = {
      "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by",
      "tokenizer", "speculative", "decoding", "model", "draft", "target", "verify", "accept", "token",
      "Hello", "World", "SpecRouter", "function", "return", "int", "std::vector", "const", "auto",
      "Привет", "мир", "日本語", "中文", "한국어", "café", "naïve", "😀", "🚀", "1234567", "3.14159", "2024"};
  return list;
}

// About `bytes` of words, punctuation, numbers, whitespace runs and newlines.
std::string make_text(std::size_t bytes) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, words().size() - 1);
  std::uniform_int_distribution<int> separator(0, 19);
  std::string text;
  while (text.size() < bytes) {
    text += words()[pick(rng)];
    const int s = separator(rng);
    text += s < 14 ? " " : s < 16 ? ", " : s < 17 ? ".\n" : s < 18 ? "  " : s < 19 ? "\n\n" : "; ";
  }
  return text;
}

// GPT-2's byte-to-unicode spelling.
std::string byte_level(const std::string& raw) {
  std::string out;
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    const auto printable = [](unsigned b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
    unsigned cp = byte;
    if (!printable(byte)) {
      unsigned rank = 0;
      for (unsigned b = 0; b < byte; ++b) rank += printable(b) ? 0 : 1;
      cp = 256 + rank;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// Vocabulary and merges: single units, every lower-case letter pair, then whole words built
// left to right from those pairs.
json synthetic_model(const std::vector<std::string>& units, const std::string& word_prefix,
                     const std::map<std::string, std::string>& spelled_words) {
  json vocab = json::object();
  json merges = json::array();
  const auto add = [&vocab](const std::string& token) {
    if (!vocab.contains(token)) vocab[token] = static_cast<int>(vocab.size());
  };
  for (const std::string& unit : units) add(unit);
  for (char a = 'a'; a <= 'z'; ++a) {
    for (char b = 'a'; b <= 'z'; ++b) {
      add(std::string{a, b});
      merges.push_back(std::string{a} + " " + std::string{b});
    }
  }
  add(word_prefix);
  for (const auto& [word, spelled] : spelled_words) {
    std::string left = word_prefix;
    // Merge one character (byte-level unit) at a time.
    std::size_t pos = 0;
    while (pos < spelled.size()) {
      std::size_t length = 1;
      while (pos + length < spelled.size() && (static_cast<unsigned char>(spelled[pos + length]) & 0xC0) == 0x80) ++length;
      const std::string unit = spelled.substr(pos, length);
      add(unit);
      const std::string merged = left + unit;
      if (!left.empty() && !vocab.contains(merged)) {
        merges.push_back(left + " " + unit);
        add(merged);
      }
      left = merged;
      pos += length;
    }
  }
  return {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
}

std::string write_temp(const json& document, const char* name) {
  const char* base = std::getenv("TMPDIR");
  std::string path = std::string(base != nullptr ? base : "/tmp") + "/" + name + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << document.dump();
  return path;
}

std::string llama3_style_file() {
  if (const char* real = std::getenv("SPECROUTER_TOKENIZER")) return real;
  std::vector<std::string> units;
  for (int b = 0; b < 256; ++b) units.push_back(byte_level(std::string(1, static_cast<char>(b))));
  std::map<std::string, std::string> spelled;
  for (const std::string& word : words()) spelled[word] = byte_level(" " + word);
  json model = synthetic_model(units, "", spelled);
  model["ignore_merges"] = true;
  const json document = {
      {"model", model},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern",
            {{"Regex",
              R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
           {"behavior", "Isolated"}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
      {"decoder", {{"type", "ByteLevel"}}}};
  static const std::string path = write_temp(document, "specrouter_bench_llama3_");
  return path;
}

std::string llama2_style_file() {
  std::vector<std::string> units = {"<unk>", "<s>", "</s>"};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    units.push_back(name);
  }
  for (char c = 'a'; c <= 'z'; ++c) units.push_back(std::string(1, c));
  std::map<std::string, std::string> spelled;
  for (const std::string& word : words()) spelled[word] = word;
  json model = synthetic_model(units, "▁", spelled);
  model["unk_token"] = "<unk>";
  model["byte_fallback"] = true;
  model["fuse_unk"] = true;
  const json document = {
      {"model", model},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", "▁"}}, {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "▁"}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}}};
  static const std::string path = write_temp(document, "specrouter_bench_llama2_");
  return path;
}

constexpr std::size_t kTextBytes = 1 << 20;

// A fresh tokenizer each iteration: the word cache starts empty.
void encode_cold(benchmark::State& state, const std::string& file) {
  const std::string text = make_text(kTextBytes);
  std::size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tokenizer = specrouter::load_tokenizer(file);
    state.ResumeTiming();
    tokens = tokenizer->encode(text, false).size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}

void encode_warm(benchmark::State& state, const std::string& file) {
  const std::string text = make_text(kTextBytes);
  const auto tokenizer = specrouter::load_tokenizer(file);
  tokenizer->encode(text, false);
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer->encode(text, false));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void decode(benchmark::State& state, const std::string& file) {
  const std::string text = make_text(kTextBytes);
  const auto tokenizer = specrouter::load_tokenizer(file);
  const auto ids = tokenizer->encode(text, false);
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer->decode(ids));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_Llama3EncodeColdCache(benchmark::State& state) { encode_cold(state, llama3_style_file()); }
void BM_Llama3EncodeWarmCache(benchmark::State& state) { encode_warm(state, llama3_style_file()); }
void BM_Llama3Decode(benchmark::State& state) { decode(state, llama3_style_file()); }
void BM_Llama2EncodeColdCache(benchmark::State& state) { encode_cold(state, llama2_style_file()); }
void BM_Llama2Decode(benchmark::State& state) { decode(state, llama2_style_file()); }

BENCHMARK(BM_Llama3EncodeColdCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama3EncodeWarmCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama3Decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama2EncodeColdCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama2Decode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
