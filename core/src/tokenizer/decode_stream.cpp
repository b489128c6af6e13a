#include "specrouter/tokenizer/decode_stream.h"

#include <algorithm>

#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "utf8.h"

namespace specrouter {

DecodeStream::DecodeStream(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens) {}

void DecodeStream::prime(std::span<const TokenId> context) {
  window_.assign(context.begin(), context.end());
  context_size_ = window_.size();
  window_text_ = tokenizer_->decode(window_, skip_special_tokens_);
  // A context ending inside a character: print the whole character once it completes.
  printed_ = window_text_.size() - tokenizer_detail::incomplete_utf8_suffix(window_text_);
}

std::string DecodeStream::step(TokenId id) {
  window_.push_back(id);
  std::string text = tokenizer_->decode(window_, skip_special_tokens_);
  if (text.size() < printed_ || text.compare(0, printed_, window_text_, 0, printed_) != 0) {
    throw Error("DecodeStream: decoding token " + std::to_string(id) +
                " changed text already printed; this tokenizer's decoder is not incremental");
  }
  const std::size_t complete = std::max(text.size() - tokenizer_detail::incomplete_utf8_suffix(text), printed_);
  std::string out = text.substr(printed_, complete - printed_);
  printed_ = complete;
  window_text_ = std::move(text);
  // Slide only once new text came out: a token that decodes to nothing (a skipped special
  // token) must not become the first token of the window, which decoders treat specially.
  if (!out.empty() && printed_ == window_text_.size()) slide_window();
  return out;
}

void DecodeStream::slide_window() {
  // Everything is printed: the ids since the old context become the new context, so the
  // window stays a few tokens long while decoders still see what precedes each new token.
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(context_size_));
  context_size_ = window_.size();
  window_text_ = tokenizer_->decode(window_, skip_special_tokens_);
  printed_ = window_text_.size();
}

std::string DecodeStream::flush() {
  std::string out = window_text_.substr(printed_);
  printed_ = window_text_.size();
  if (!out.empty()) slide_window();
  return out;
}

}  // namespace specrouter
