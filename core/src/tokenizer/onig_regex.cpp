#include "onig_regex.h"

#include <oniguruma.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

void initialize_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

std::string error_message(int code, OnigErrorInfo* info) {
  OnigUChar buffer[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int length = info != nullptr ? onig_error_code_to_str(buffer, code, info)
                                     : onig_error_code_to_str(buffer, code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

struct RegionDeleter {
  void operator()(OnigRegion* region) const { onig_region_free(region, 1); }
};

}  // namespace

OnigRegex::OnigRegex(std::string_view pattern) : pattern_(pattern) {
  initialize_oniguruma();
  regex_t* compiled = nullptr;
  OnigErrorInfo info;
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern_.data());
  const int code = onig_new(&compiled, begin, begin + pattern_.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                            ONIG_SYNTAX_DEFAULT, &info);
  if (code != ONIG_NORMAL) {
    throw std::invalid_argument("invalid regex '" + pattern_ + "': " + error_message(code, &info));
  }
  regex_ = compiled;
}

OnigRegex::~OnigRegex() { onig_free(static_cast<regex_t*>(regex_)); }

std::vector<MatchRange> OnigRegex::find_all(std::string_view text) const {
  std::vector<MatchRange> matches;
  std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
  const auto* start = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = start + text.size();
  std::size_t search_from = 0;
  bool have_previous = false;
  std::size_t previous_end = 0;
  while (search_from <= text.size()) {
    onig_region_clear(region.get());
    const int found = onig_search(static_cast<regex_t*>(regex_), start, end, start + search_from, end, region.get(),
                                  ONIG_OPTION_NONE);
    if (found == ONIG_MISMATCH) break;
    if (found < 0) throw std::runtime_error("regex '" + pattern_ + "' failed: " + error_message(found, nullptr));
    const auto match_begin = static_cast<std::size_t>(region->beg[0]);
    const auto match_end = static_cast<std::size_t>(region->end[0]);
    if (match_begin == match_end && have_previous && previous_end == match_end) {
      // An empty match right after the previous match: step over one character and retry.
      search_from += search_from < text.size() ? decode_utf8(text, search_from).length : 1;
      continue;
    }
    search_from = match_end;
    previous_end = match_end;
    have_previous = true;
    matches.emplace_back(match_begin, match_end);
  }
  return matches;
}

TextPattern TextPattern::literal(std::string text) {
  TextPattern pattern;
  // An empty literal matches the empty string everywhere; let the regex engine do that.
  if (text.empty()) pattern.regex_ = std::make_shared<const OnigRegex>("");
  pattern.literal_ = std::move(text);
  return pattern;
}

TextPattern TextPattern::regex(std::string pattern_text) {
  TextPattern pattern;
  pattern.regex_ = std::make_shared<const OnigRegex>(pattern_text);
  return pattern;
}

std::vector<MatchRange> TextPattern::find_all(std::string_view text) const {
  if (regex_) return regex_->find_all(text);
  std::vector<MatchRange> matches;
  for (std::size_t pos = text.find(literal_); pos != std::string_view::npos;
       pos = text.find(literal_, pos + literal_.size())) {
    matches.emplace_back(pos, pos + literal_.size());
  }
  return matches;
}

}  // namespace specrouter::tokenizer_detail
