#include "specrouter/engine/zoo_report.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "specrouter/build_info.h"
#include "specrouter/error.h"
#include "specrouter/model/load_model.h"
#include "specrouter/model/threads.h"
#include "specrouter/results/run_environment.h"
#include "specrouter/state/state_manager.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/training/token_windows.h"

namespace specrouter::engine {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kBlockSize = 16;

// A loaded model with a KV cache of its own, large enough for one sequence of `capacity`.
struct MeasuredModel {
  std::unique_ptr<TransformerModel> model;
  StateManager state;
  KvModelId kv = 0;
};

std::int64_t blocks_for(std::int64_t tokens) { return (tokens + kBlockSize - 1) / kBlockSize + 1; }

std::string describe(const ZooModel& model) { return "zoo model '" + model.name + "' (" + model.folder.string() + ")"; }

void check_options(const ZooReportOptions& options) {
  if (options.models.empty()) throw ConfigError("zoo report: no models given");
  if (options.domains.empty()) throw ConfigError("zoo report: no domains given");
  auto positive = [](std::int64_t value, const std::string& key) {
    if (value < 1) throw ConfigError("zoo report: " + key + " = " + std::to_string(value) + " must be at least 1");
  };
  positive(options.window, "window");
  positive(options.windows, "windows");
  positive(options.cost_context, "cost_context");
  positive(options.verify_tokens, "verify_tokens");
  positive(options.repetitions, "repetitions");
  for (const ZooModel& model : options.models) {
    if (!fs::is_directory(model.folder)) throw ConfigError(describe(model) + ": the folder does not exist");
  }
  for (const ZooDomain& domain : options.domains) {
    if (!fs::is_regular_file(domain.heldout_file)) {
      throw ConfigError("zoo domain '" + domain.name + "': held-out file " + domain.heldout_file.string() +
                        " does not exist");
    }
  }
}

// Loads every model and checks that they fit together and fit the lengths asked of them.
std::vector<std::unique_ptr<MeasuredModel>> load_models(const ZooReportOptions& options, const ModelKernels& kernels,
                                                      const Tokenizer& tokenizer, std::ostream& log) {
  std::vector<std::unique_ptr<MeasuredModel>> loaded;
  const std::int64_t longest = std::max(options.window, options.cost_context + options.verify_tokens);
  for (const ZooModel& member : options.models) {
    ModelOptions model_options;
    kernels.apply(model_options);
    auto entry = std::make_unique<MeasuredModel>();
    entry->model = load_model(member.folder, model_options);
    const ModelConfig& config = entry->model->config();
    const ModelConfig& first = loaded.empty() ? config : loaded.front()->model->config();
    if (config.vocab_size != first.vocab_size) {
      throw ConfigError(describe(member) + ": vocabulary of " + std::to_string(config.vocab_size) + " tokens, but '" +
                        options.models.front().name + "' has " + std::to_string(first.vocab_size) +
                        " (the models of a zoo share one vocabulary)");
    }
    if (tokenizer.vocab_size() > config.vocab_size) {
      throw ConfigError(describe(member) + ": vocabulary of " + std::to_string(config.vocab_size) +
                        " tokens, smaller than the tokenizer's " + std::to_string(tokenizer.vocab_size()) + " (" +
                        options.tokenizer.string() + ")");
    }
    if (longest > entry->model->max_context()) {
      throw ConfigError(describe(member) + ": max positions " + std::to_string(entry->model->max_context()) +
                        " is less than the " + std::to_string(longest) +
                        " tokens asked (window = " + std::to_string(options.window) + ", cost_context + verify_tokens = " +
                        std::to_string(options.cost_context + options.verify_tokens) + ")");
    }
    entry->kv = entry->model->add_kv_cache(entry->state, member.name, KvBudget::blocks(blocks_for(longest)), kBlockSize,
                                           kernels.block_copy);
    log << "zoo report: loaded " << member.name << " (" << config.parameter_count() << " parameters) from "
        << member.folder.string() << "\n";
    loaded.push_back(std::move(entry));
  }
  return loaded;
}

// Logits [window, vocab] (float32) of every position of one window, as one sequence.
at::Tensor window_logits(MeasuredModel& entry, const std::vector<TokenId>& tokens) {
  const SequenceId sequence = entry.state.create_sequence(tokens);
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  input.logits = LogitsWanted::kAll;
  ForwardOutput output = entry.model->forward({&input, 1}, entry.state, entry.kv);
  entry.state.release(sequence);
  return output.logits;
}

ZooDomainResult measure_domain(const ZooDomain& domain, const ZooReportOptions& options, const Tokenizer& tokenizer,
                               std::vector<std::unique_ptr<MeasuredModel>>& models, std::vector<TokenId>& tokens) {
  const auto n = models.size();
  tokens = training::tokenize_files({domain.heldout_file}, tokenizer);
  if (static_cast<std::int64_t>(tokens.size()) < options.window + 1) {
    throw ConfigError("zoo domain '" + domain.name + "': held-out file " + domain.heldout_file.string() + " holds " +
                      std::to_string(tokens.size()) + " tokens, fewer than one window of " +
                      std::to_string(options.window) + " + 1");
  }
  // The windows the trainer evaluates its held-out loss on, so the two losses compare.
  const training::WindowBatch batch =
      training::evaluation_windows(tokens, options.window, options.windows, domain.heldout_file.string());
  ZooDomainResult result;
  result.name = domain.name;
  result.heldout_file = domain.heldout_file;
  result.file_tokens = static_cast<std::int64_t>(tokens.size());
  result.windows = batch.inputs.size(0);
  result.positions = result.windows * options.window;

  // Sums over positions in float64; the distributions of one window are kept at a time.
  std::vector<double> loss_sum(n, 0.0);
  std::vector<std::vector<double>> agree_sum(n, std::vector<double>(n, 0.0));
  std::vector<std::vector<double>> tv_sum(n, std::vector<double>(n, 0.0));
  for (std::int64_t w = 0; w < result.windows; ++w) {
    const at::Tensor inputs = batch.inputs[w].contiguous();
    const std::vector<TokenId> window_tokens(inputs.data_ptr<std::int64_t>(),
                                             inputs.data_ptr<std::int64_t>() + options.window);
    const at::Tensor targets = batch.targets[w].unsqueeze(1);  // [window, 1]
    std::vector<at::Tensor> probs(n), greedy(n);
    for (std::size_t i = 0; i < n; ++i) {
      const at::Tensor log_probs = at::log_softmax(window_logits(*models[i], window_tokens).to(at::kDouble), -1);
      loss_sum[i] -= log_probs.gather(1, targets).sum().item<double>();
      greedy[i] = log_probs.argmax(-1);
      probs[i] = log_probs.exp();
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        agree_sum[i][j] += greedy[i].eq(greedy[j]).sum().item<double>();
        tv_sum[i][j] += 0.5 * (probs[i] - probs[j]).abs().sum().item<double>();
      }
    }
  }
  const auto positions = static_cast<double>(result.positions);
  result.loss.resize(n);
  result.greedy_agreement.assign(n, std::vector<double>(n, 1.0));
  result.total_variation.assign(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    result.loss[i] = loss_sum[i] / positions;
    for (std::size_t j = i + 1; j < n; ++j) {
      result.greedy_agreement[i][j] = result.greedy_agreement[j][i] = agree_sum[i][j] / positions;
      result.total_variation[i][j] = result.total_variation[j][i] = tv_sum[i][j] / positions;
    }
  }
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t half = values.size() / 2;
  return values.size() % 2 == 1 ? values[half] : (values[half - 1] + values[half]) / 2;
}

// One forward of `tokens` after the cached context, logits for all, then the rollback a
// rejected draft would cause; returns the forward's wall time in ms.
double timed_pass(MeasuredModel& entry, SequenceId sequence, std::span<const TokenId> tokens, std::int64_t cached) {
  SequenceInput input;
  input.sequence = sequence;
  input.tokens = tokens;
  input.logits = LogitsWanted::kAll;
  const auto start = std::chrono::steady_clock::now();
  ForwardOutput output = entry.model->forward({&input, 1}, entry.state, entry.kv);
  const auto stop = std::chrono::steady_clock::now();
  entry.state.rollback(entry.kv, sequence, cached);
  return std::chrono::duration<double, std::milli>(stop - start).count();
}

// Decode and verify passes, interleaved over models and kinds (and the first model
// rotated each round) so a drift of the machine's load touches every figure alike.
std::vector<ZooModelCost> measure_costs(const ZooReportOptions& options,
                                        std::vector<std::unique_ptr<MeasuredModel>>& models,
                                        const std::vector<TokenId>& text) {
  const auto n = models.size();
  std::vector<TokenId> tokens;
  for (std::int64_t i = 0; i < options.cost_context + options.verify_tokens; ++i) {
    tokens.push_back(text[static_cast<std::size_t>(i) % text.size()]);
  }
  const std::span<const TokenId> context = std::span<const TokenId>(tokens).first(options.cost_context);
  const std::span<const TokenId> fresh = std::span<const TokenId>(tokens).subspan(options.cost_context);
  std::vector<SequenceId> sequences;
  for (auto& entry : models) {
    sequences.push_back(entry->state.create_sequence(context));
    SequenceInput prefill;
    prefill.sequence = sequences.back();
    prefill.tokens = context;
    prefill.logits = LogitsWanted::kNone;
    entry->model->forward({&prefill, 1}, entry->state, entry->kv);
  }
  std::vector<std::vector<double>> decode(n), verify(n);
  for (int round = 0; round < options.warmup + options.repetitions; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t m = (k + static_cast<std::size_t>(round)) % n;
      const double decode_ms = timed_pass(*models[m], sequences[m], fresh.first(1), options.cost_context);
      const double verify_ms = timed_pass(*models[m], sequences[m], fresh, options.cost_context);
      if (round < options.warmup) continue;
      decode[m].push_back(decode_ms);
      verify[m].push_back(verify_ms);
    }
  }
  std::vector<ZooModelCost> costs(n);
  for (std::size_t m = 0; m < n; ++m) {
    costs[m] = {median(decode[m]), median(verify[m])};
    models[m]->state.release(sequences[m]);
  }
  return costs;
}

}  // namespace

ZooReport measure_zoo(const ZooReportOptions& options, const Registries& registries, std::ostream& log) {
  check_options(options);
  ZooReport report;
  report.threads = set_compute_threads(options.threads);
  report.date_utc = utc_timestamp_now();
  report.cpu_model = cpu_model_name();
  report.libtorch_version = SPECROUTER_TORCH_VERSION;
  report.command = options.command;
  report.kernels = options.kernels;
  report.tokenizer = options.tokenizer;
  report.window = options.window;
  report.cost_context = options.cost_context;
  report.verify_tokens = options.verify_tokens;
  report.repetitions = options.repetitions;

  const ModelKernels kernels =
      make_model_kernels(registries, options.kernels, [](const std::string& op) { return "zoo report: kernel '" + op + "'"; });
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.tokenizer);
  c10::InferenceMode guard;
  std::vector<std::unique_ptr<MeasuredModel>> models = load_models(options, kernels, *tokenizer, log);
  for (std::size_t i = 0; i < models.size(); ++i) {
    const ModelConfig& config = models[i]->model->config();
    report.models.push_back({options.models[i].name, options.models[i].folder, config.parameter_count(),
                             config.vocab_size, config.hidden_size, config.num_hidden_layers,
                             models[i]->model->max_context()});
  }
  std::vector<TokenId> first_text;
  for (const ZooDomain& domain : options.domains) {
    std::vector<TokenId> tokens;
    report.domains.push_back(measure_domain(domain, options, *tokenizer, models, tokens));
    log << "zoo report: " << domain.name << ": " << report.domains.back().positions << " positions in "
        << report.domains.back().windows << " windows\n";
    if (first_text.empty()) first_text = std::move(tokens);
  }
  report.costs = measure_costs(options, models, first_text);
  log << "zoo report: timed " << options.repetitions << " decode and verify passes per model\n";
  return report;
}

}  // namespace specrouter::engine
