// Tokenized text and training windows (see token_windows.h).
#include "specrouter/training/token_windows.h"

#include <ATen/ATen.h>

#include <fstream>
#include <sstream>

#include "specrouter/error.h"

namespace specrouter::training {
namespace {

void require_length(std::size_t tokens, std::int64_t window, const std::string& source) {
  if (static_cast<std::int64_t>(tokens) < window + 1) {
    throw ConfigError(source + ": " + std::to_string(tokens) + " tokens, fewer than one window of " +
                      std::to_string(window) + " + 1");
  }
}

WindowBatch windows_at(const std::vector<TokenId>& tokens, std::int64_t window, const std::vector<std::int64_t>& starts) {
  const auto count = static_cast<std::int64_t>(starts.size());
  at::Tensor inputs = at::empty({count, window}, at::kLong);
  at::Tensor targets = at::empty({count, window}, at::kLong);
  auto in = inputs.accessor<std::int64_t, 2>();
  auto out = targets.accessor<std::int64_t, 2>();
  for (std::int64_t row = 0; row < count; ++row) {
    for (std::int64_t i = 0; i < window; ++i) {
      in[row][i] = tokens[static_cast<std::size_t>(starts[row] + i)];
      out[row][i] = tokens[static_cast<std::size_t>(starts[row] + i + 1)];
    }
  }
  return {inputs, targets};
}

}  // namespace

std::vector<TokenId> tokenize_files(const std::vector<std::filesystem::path>& files, const Tokenizer& tokenizer) {
  std::vector<TokenId> tokens;
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(file.string() + ": cannot read the text file");
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().empty()) throw ConfigError(file.string() + ": the text file is empty");
    const std::vector<TokenId> encoded = tokenizer.encode(text.str(), /*add_special_tokens=*/false);
    tokens.insert(tokens.end(), encoded.begin(), encoded.end());
    if (const auto eos = tokenizer.eos_id()) tokens.push_back(*eos);
  }
  return tokens;
}

WindowSampler::WindowSampler(const std::vector<TokenId>* tokens, std::int64_t window, std::uint64_t seed,
                             const std::string& source)
    : tokens_(tokens), window_(window), generator_(seed) {
  require_length(tokens->size(), window, source);
}

WindowBatch WindowSampler::next(std::int64_t batch) {
  // Starts in [0, size - window - 1]: the last target is the last token. Drawn with
  // plain modulo (bias below 2^-40 for any corpus here) because std::uniform_int_distribution
  // is not specified the same across standard libraries.
  const auto choices = static_cast<std::uint64_t>(static_cast<std::int64_t>(tokens_->size()) - window_);
  std::vector<std::int64_t> starts;
  for (std::int64_t i = 0; i < batch; ++i) starts.push_back(static_cast<std::int64_t>(generator_() % choices));
  return windows_at(*tokens_, window_, starts);
}

std::string WindowSampler::state() const {
  std::ostringstream out;
  out << generator_;
  return out.str();
}

void WindowSampler::set_state(const std::string& state, const std::string& source) {
  std::istringstream in(state);
  std::mt19937_64 restored;
  in >> restored;
  if (in.fail()) throw CheckpointError(source + ": malformed window sampler state");
  generator_ = restored;
}

WindowBatch evaluation_windows(const std::vector<TokenId>& tokens, std::int64_t window, std::int64_t count,
                               const std::string& source) {
  require_length(tokens.size(), window, source);
  const std::int64_t last_start = static_cast<std::int64_t>(tokens.size()) - window - 1;
  const std::int64_t fitting = std::max<std::int64_t>(1, std::min(count, last_start / window + 1));
  std::vector<std::int64_t> starts;
  for (std::int64_t i = 0; i < fitting; ++i) {
    starts.push_back(fitting == 1 ? 0 : last_start * i / (fitting - 1));
  }
  return windows_at(tokens, window, starts);
}

}  // namespace specrouter::training
