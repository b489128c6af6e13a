#pragma once
// The model zoo report (issue 8): held-out loss per model and domain, the pairwise greedy
// agreement and total-variation distance of the models' next-token distributions per
// domain, and each model's decode and verify cost on this machine, measured with the
// runtime (load_model, TransformerModel::forward) and rendered as markdown.
// Definitions and decisions: docs/design/zoo_report.md.

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/engine/model_kernels.h"
#include "specrouter/plugin/registries.h"

namespace specrouter::engine {

/// One model of the zoo: a Hugging Face folder (config.json, model.safetensors).
struct ZooModel {
  std::string name;
  std::filesystem::path folder;
};

/// One domain of held-out text: a plain text file.
struct ZooDomain {
  std::string name;
  std::filesystem::path heldout_file;
};

/// What measure_zoo() measures, and how.
struct ZooReportOptions {
  std::vector<ZooModel> models;    ///< smallest first, target last
  std::vector<ZooDomain> domains;
  std::filesystem::path tokenizer;  ///< tokenizer.json or its folder (shared by the models)
  std::int64_t window = 128;        ///< tokens per held-out window (each predicts `window` next tokens)
  std::int64_t windows = 32;        ///< windows per domain, evenly spaced over the tokenized file
  std::int64_t cost_context = 128;  ///< cached tokens before each timed pass
  std::int64_t verify_tokens = 8;   ///< tokens of the timed verification pass
  int repetitions = 50;             ///< timed passes per model and kind; the report gives medians
  int warmup = 3;                   ///< untimed passes per model and kind before the timed ones
  int threads = 2;                  ///< libtorch intra-op threads (set_compute_threads)
  KernelChoices kernels = default_kernel_choices();
  std::string command = "specrouter zoo report";  ///< the command line named in the report
};

/// A model as loaded.
struct ZooModelInfo {
  std::string name;
  std::filesystem::path folder;
  std::int64_t parameters = 0;
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t layers = 0;
  std::int64_t max_positions = 0;
};

/// The held-out measurements of one domain; matrices indexed [model i][model j].
struct ZooDomainResult {
  std::string name;
  std::filesystem::path heldout_file;
  std::int64_t file_tokens = 0;  ///< tokens of the whole tokenized file
  std::int64_t windows = 0;      ///< windows evaluated (fewer than asked when the file is short)
  std::int64_t positions = 0;    ///< next-token predictions per model: windows * window
  std::vector<double> loss;      ///< mean cross-entropy per model, nats/token
  std::vector<std::vector<double>> greedy_agreement;  ///< P(argmax p_i == argmax p_j)
  std::vector<std::vector<double>> total_variation;   ///< mean 0.5 * sum |p_i - p_j|
};

/// Median wall time of one model's timed passes.
struct ZooModelCost {
  double decode_ms = 0;  ///< 1 new token after cost_context cached ones
  double verify_ms = 0;  ///< verify_tokens new tokens, logits for all
};

/// Everything the markdown shows, with its provenance.
struct ZooReport {
  std::string date_utc;
  std::string cpu_model;
  std::string libtorch_version;
  std::string command;
  int threads = 0;
  KernelChoices kernels;
  std::filesystem::path tokenizer;
  std::int64_t window = 0;
  std::int64_t cost_context = 0;
  std::int64_t verify_tokens = 0;
  int repetitions = 0;
  std::vector<ZooModelInfo> models;   ///< smallest first, target last
  std::vector<ZooDomainResult> domains;
  std::vector<ZooModelCost> costs;    ///< per model
};

/// One target of issue 8 item 4, checked on a report.
struct ZooTarget {
  std::string description;  ///< e.g. "decode(large) / decode(small)"
  std::string requirement;  ///< e.g. ">= 8"
  double value = 0;         ///< measured
  bool met = false;
};

/// Measures the zoo. Throws ConfigError naming the model, file or value for a missing
/// folder, a held-out file shorter than one window, vocabularies that differ, or a
/// window (or cost_context + verify_tokens) longer than a model's max positions.
/// Progress lines go to `log`. Sets libtorch's thread count to `options.threads`.
ZooReport measure_zoo(const ZooReportOptions& options, const Registries& registries, std::ostream& log);

/// The targets of issue 8 item 4 on `report`: decode(target) / decode(smallest) >= 8,
/// verify / decode of the target < 1.6, greedy agreement of each adjacent pair >= 0.6 in
/// each domain.
std::vector<ZooTarget> zoo_targets(const ZooReport& report);

/// Writes `report` as markdown: provenance, definitions, the targets, losses, matrices, costs.
void write_zoo_report_markdown(const ZooReport& report, std::ostream& out);

}  // namespace specrouter::engine
