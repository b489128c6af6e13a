// Checking a checkpoint against the tensor names and shapes a model expects.
#include "specrouter/checkpoint/tensor_check.h"

#include <algorithm>

#include "message_text.h"
#include "specrouter/error.h"

namespace specrouter {
namespace {

bool counts(const TensorProblem& problem, bool allow_unexpected) {
  return !(allow_unexpected && problem.kind == TensorProblem::Kind::kUnexpected);
}

}  // namespace

std::string TensorProblem::message() const {
  const std::string where = "'" + file.string() + "': tensor " + detail::quote(name);
  switch (kind) {
    case Kind::kMissing:
      return where + " is missing (expected shape " + shape_to_string(expected_shape) + ")";
    case Kind::kUnexpected:
      return where + " (shape " + shape_to_string(actual_shape) + ") is not expected by the model";
    case Kind::kShapeMismatch:
      return where + " has shape " + shape_to_string(actual_shape) + ", expected " +
             shape_to_string(expected_shape);
  }
  return where;
}

bool TensorCheckReport::ok(bool allow_unexpected) const {
  return std::none_of(problems.begin(), problems.end(),
                      [&](const TensorProblem& p) { return counts(p, allow_unexpected); });
}

std::string TensorCheckReport::summary(bool allow_unexpected, std::size_t max_listed) const {
  std::string out;
  std::size_t listed = 0;
  std::size_t total = 0;
  for (const TensorProblem& problem : problems) {
    if (!counts(problem, allow_unexpected)) continue;
    ++total;
    if (listed < max_listed) {
      if (listed > 0) out += "; ";
      out += problem.message();
      ++listed;
    }
  }
  if (total > listed) out += "; and " + std::to_string(total - listed) + " more";
  return out;
}

TensorCheckReport check_tensors(const CheckpointFolder& folder, const ExpectedShapes& expected) {
  TensorCheckReport report;
  for (const auto& [name, shape] : expected) {
    const TensorView* view = folder.find(name);
    if (view == nullptr) {
      report.problems.push_back({TensorProblem::Kind::kMissing, name, folder.dir(), shape, {}});
    } else if (view->shape != shape) {
      report.problems.push_back(
          {TensorProblem::Kind::kShapeMismatch, name, view->file, shape, view->shape});
    }
  }
  for (const std::string& name : folder.names()) {
    if (!expected.contains(name)) {
      const TensorView& view = folder.tensor(name);
      report.problems.push_back(
          {TensorProblem::Kind::kUnexpected, name, view.file, {}, view.shape});
    }
  }
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const TensorProblem& a, const TensorProblem& b) { return a.kind < b.kind; });
  return report;
}

void require_tensors(const CheckpointFolder& folder, const ExpectedShapes& expected,
                     bool allow_unexpected) {
  const TensorCheckReport report = check_tensors(folder, expected);
  if (report.ok(allow_unexpected)) return;
  throw CheckpointError("checkpoint folder '" + folder.dir().string() +
                        "' does not match the model: " + report.summary(allow_unexpected));
}

}  // namespace specrouter
