// The markdown of the zoo report and the targets of issue 8 it checks.
#include <cmath>
#include <cstdio>
#include <string>

#include "specrouter/engine/zoo_report.h"

namespace specrouter::engine {
namespace {

constexpr double kDecodeRatioTarget = 8.0;     // decode(target) / decode(smallest) at least
constexpr double kVerifyRatioTarget = 1.6;     // verify / decode of the target below
constexpr double kAdjacentAgreementTarget = 0.6;  // greedy agreement of adjacent models at least

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string millions(std::int64_t count) { return fixed(static_cast<double>(count) / 1e6, 2) + "M"; }

void write_matrix(const ZooReport& report, const std::vector<std::vector<double>>& matrix, std::ostream& out) {
  out << "| |";
  for (const ZooModelInfo& model : report.models) out << " " << model.name << " |";
  out << "\n|---|";
  for (std::size_t j = 0; j < report.models.size(); ++j) out << "---:|";
  out << "\n";
  for (std::size_t i = 0; i < report.models.size(); ++i) {
    out << "| **" << report.models[i].name << "** |";
    for (std::size_t j = 0; j < report.models.size(); ++j) out << " " << fixed(matrix[i][j], 3) << " |";
    out << "\n";
  }
}

void write_provenance(const ZooReport& report, std::ostream& out) {
  out << "Written by `" << report.command << "` on " << report.date_utc << ".\n\n"
      << "- CPU: " << report.cpu_model << "; " << report.threads << " threads; libtorch " << report.libtorch_version
      << "; float32\n- kernels:";
  if (report.kernels.empty()) out << " the core's references";
  for (const auto& [op, impl] : report.kernels) out << " " << op << "=" << impl;
  out << "\n- tokenizer: `" << report.tokenizer.string() << "`\n- models:\n";
  for (const ZooModelInfo& model : report.models) {
    out << "  - " << model.name << ": `" << model.folder.string() << "`, " << model.parameters << " parameters ("
        << millions(model.parameters) << "), hidden " << model.hidden_size << ", " << model.layers
        << " layers, vocabulary " << model.vocab_size << "\n";
  }
  out << "- held-out text:\n";
  for (const ZooDomainResult& domain : report.domains) {
    out << "  - " << domain.name << ": `" << domain.heldout_file.string() << "`, " << domain.file_tokens
        << " tokens; " << domain.positions << " positions evaluated (" << domain.windows << " windows of "
        << report.window << ")\n";
  }
  out << "\n";
}

void write_definitions(const ZooReport& report, std::ostream& out) {
  out << "## Definitions\n\n"
      << "- **Held-out loss**: mean next-token cross-entropy (nats/token; perplexity = exp(loss)) of each model "
         "over evenly spaced windows of " << report.window << " tokens of the domain's held-out file (the windows "
         "the trainer's held-out loss uses), each window one sequence through the runtime's forward (all logits, "
         "float32, the kernels above).\n"
      << "- **Greedy agreement** of models i and j: the fraction of held-out positions where the argmax of i's "
         "next-token distribution equals j's, teacher-forced on the text: the probability that a greedy draft "
         "token of i is accepted by greedy verifier j on a prefix of real text. Symmetric, diagonal 1.\n"
      << "- **Total-variation distance** of i and j: the mean over positions of 0.5 * sum |p_i - p_j| (softmax at "
         "temperature 1). 1 - TV is the expected acceptance of speculative sampling at T = 1 (Leviathan et al.). "
         "Symmetric, diagonal 0.\n"
      << "- **Cost**: decode = one forward of 1 new token after " << report.cost_context
      << " cached tokens, verify = one forward of " << report.verify_tokens
      << " new tokens with logits for all, each followed by a rollback to " << report.cost_context
      << " tokens (not timed); median wall time of " << report.repetitions
      << " passes each, after warm-up, models and kinds interleaved.\n\n";
}

void write_targets(const ZooReport& report, std::ostream& out) {
  out << "## Targets of issue 8\n\n| target | required | measured | |\n|---|---|---:|---|\n";
  for (const ZooTarget& target : zoo_targets(report)) {
    out << "| " << target.description << " | " << target.requirement << " | " << fixed(target.value, 3) << " | "
        << (target.met ? "met" : "**not met**") << " |\n";
  }
  out << "\n";
}

void write_losses(const ZooReport& report, std::ostream& out) {
  out << "## Held-out loss (nats/token, perplexity in brackets)\n\n| model |";
  for (const ZooDomainResult& domain : report.domains) out << " " << domain.name << " |";
  out << "\n|---|";
  for (std::size_t d = 0; d < report.domains.size(); ++d) out << "---:|";
  out << "\n";
  for (std::size_t m = 0; m < report.models.size(); ++m) {
    out << "| " << report.models[m].name << " |";
    for (const ZooDomainResult& domain : report.domains) {
      out << " " << fixed(domain.loss[m], 3) << " (" << fixed(std::exp(domain.loss[m]), 1) << ") |";
    }
    out << "\n";
  }
  out << "\n";
}

void write_costs(const ZooReport& report, std::ostream& out) {
  const double smallest = report.costs.front().decode_ms;
  out << "## Cost on this machine\n\n| model | decode (ms) | decode / " << report.models.front().name
      << " | verify " << report.verify_tokens << " (ms) | verify / decode |\n|---|---:|---:|---:|---:|\n";
  for (std::size_t m = 0; m < report.models.size(); ++m) {
    const ZooModelCost& cost = report.costs[m];
    out << "| " << report.models[m].name << " | " << fixed(cost.decode_ms, 3) << " | "
        << fixed(cost.decode_ms / smallest, 2) << " | " << fixed(cost.verify_ms, 3) << " | "
        << fixed(cost.verify_ms / cost.decode_ms, 2) << " |\n";
  }
  out << "\n";
}

}  // namespace

std::vector<ZooTarget> zoo_targets(const ZooReport& report) {
  std::vector<ZooTarget> targets;
  if (report.models.empty() || report.costs.size() != report.models.size()) return targets;
  const std::string& target = report.models.back().name;
  const std::string& smallest = report.models.front().name;
  const ZooModelCost& target_cost = report.costs.back();
  const double decode_ratio = target_cost.decode_ms / report.costs.front().decode_ms;
  targets.push_back({"decode(" + target + ") / decode(" + smallest + ")", ">= " + fixed(kDecodeRatioTarget, 1),
                     decode_ratio, decode_ratio >= kDecodeRatioTarget});
  const double verify_ratio = target_cost.verify_ms / target_cost.decode_ms;
  targets.push_back({"verify(" + std::to_string(report.verify_tokens) + ") / decode of " + target,
                     "< " + fixed(kVerifyRatioTarget, 1), verify_ratio, verify_ratio < kVerifyRatioTarget});
  for (const ZooDomainResult& domain : report.domains) {
    for (std::size_t m = 0; m + 1 < report.models.size(); ++m) {
      const double agreement = domain.greedy_agreement[m][m + 1];
      targets.push_back({"greedy agreement " + report.models[m].name + " / " + report.models[m + 1].name + ", " +
                             domain.name,
                         ">= " + fixed(kAdjacentAgreementTarget, 1), agreement,
                         agreement >= kAdjacentAgreementTarget});
    }
  }
  return targets;
}

void write_zoo_report_markdown(const ZooReport& report, std::ostream& out) {
  out << "# Model zoo report\n\n";
  write_provenance(report, out);
  write_targets(report, out);
  write_losses(report, out);
  for (const ZooDomainResult& domain : report.domains) {
    out << "## Greedy agreement, " << domain.name << "\n\n";
    write_matrix(report, domain.greedy_agreement, out);
    out << "\n## Total-variation distance, " << domain.name << "\n\n";
    write_matrix(report, domain.total_variation, out);
    out << "\n";
  }
  write_costs(report, out);
  write_definitions(report, out);
}

}  // namespace specrouter::engine
