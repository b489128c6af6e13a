#include "specrouter/bpe/piece_splitter.h"

#include <oniguruma.h>

#include <mutex>

#include "specrouter/error.h"

namespace specrouter::bpe {

struct PieceSplitter::Regex {
  regex_t* compiled = nullptr;
  std::string pattern;
};

std::string split_pattern(std::string_view name_or_regex) {
  if (name_or_regex == "llama3") return std::string(kLlama3Pattern);
  if (name_or_regex == "gpt2") return std::string(kGpt2Pattern);
  return std::string(name_or_regex);
}

PieceSplitter::PieceSplitter(std::string_view pattern) : regex_(std::make_unique<Regex>()) {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
  regex_->pattern = pattern;
  OnigErrorInfo info;
  const auto* begin = reinterpret_cast<const OnigUChar*>(regex_->pattern.data());
  const int code = onig_new(&regex_->compiled, begin, begin + regex_->pattern.size(), ONIG_OPTION_NONE,
                            ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
  if (code != ONIG_NORMAL) {
    OnigUChar buffer[ONIG_MAX_ERROR_MESSAGE_LEN];
    const int length = onig_error_code_to_str(buffer, code, &info);
    throw ConfigError("tokenizer split pattern '" + regex_->pattern +
                      "' is invalid: " + std::string(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(length)));
  }
}

PieceSplitter::~PieceSplitter() {
  if (regex_->compiled != nullptr) onig_free(regex_->compiled);
}

void PieceSplitter::count_pieces(std::string_view text, std::unordered_map<std::string, std::uint64_t>& counts) const {
  OnigRegion* region = onig_region_new();
  const auto* start = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = start + text.size();
  std::size_t position = 0;
  while (position < text.size()) {
    onig_region_clear(region);
    const int found =
        onig_search(regex_->compiled, start, end, start + position, end, region, ONIG_OPTION_NONE);
    if (found == ONIG_MISMATCH) break;
    if (found < 0) {
      onig_region_free(region, 1);
      throw ConfigError("tokenizer split pattern '" + regex_->pattern + "' failed while searching");
    }
    const auto match_begin = static_cast<std::size_t>(region->beg[0]);
    auto match_end = static_cast<std::size_t>(region->end[0]);
    if (match_begin > position) ++counts[std::string(text.substr(position, match_begin - position))];
    if (match_end == match_begin) {
      // An empty match: step over one character (the text between matches keeps it).
      match_end = match_begin + 1;
      while (match_end < text.size() && (static_cast<unsigned char>(text[match_end]) & 0xC0) == 0x80) ++match_end;
      ++counts[std::string(text.substr(match_begin, match_end - match_begin))];
    } else {
      ++counts[std::string(text.substr(match_begin, match_end - match_begin))];
    }
    position = match_end;
  }
  if (position < text.size()) ++counts[std::string(text.substr(position))];
  onig_region_free(region, 1);
}

}  // namespace specrouter::bpe
