#pragma once

/// @file
/// @brief Checking a checkpoint's tensors against the names and shapes a model expects.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "specrouter/checkpoint/checkpoint_folder.h"

namespace specrouter {

/// The shape a model expects for each tensor name, e.g. `{"lm_head.weight", {32000, 4096}}`.
using ExpectedShapes = std::map<std::string, std::vector<std::int64_t>>;

/// One disagreement between a checkpoint and a model's expectations.
struct TensorProblem {
  /// What kind of disagreement.
  enum class Kind {
    kMissing,        ///< the model expects the tensor; the checkpoint lacks it
    kUnexpected,     ///< the checkpoint holds a tensor the model does not expect
    kShapeMismatch,  ///< both have it, with different shapes
  };
  Kind kind = Kind::kMissing;                ///< the kind of problem
  std::string name;                          ///< the tensor
  std::filesystem::path file;                ///< the file holding it (the folder when missing)
  std::vector<std::int64_t> expected_shape;  ///< empty for kUnexpected
  std::vector<std::int64_t> actual_shape;    ///< empty for kMissing

  /// One line naming the file, the tensor and (as relevant) both shapes.
  std::string message() const;
};

/// The result of check_tensors(): every problem, sorted by kind and then name.
struct TensorCheckReport {
  std::vector<TensorProblem> problems;  ///< all disagreements found

  /// True when nothing is missing or mismatched, and, unless `allow_unexpected`, nothing
  /// extra is present.
  bool ok(bool allow_unexpected = false) const;
  /// The problems counted by ok(allow_unexpected), joined into one line ("; "-separated,
  /// at most `max_listed`, then "and N more").
  std::string summary(bool allow_unexpected = false, std::size_t max_listed = 10) const;
};

/// Compares every tensor of `folder` with `expected`: reports expected tensors that are
/// missing, tensors the model does not expect, and shape mismatches. Never throws.
TensorCheckReport check_tensors(const CheckpointFolder& folder, const ExpectedShapes& expected);

/// Like check_tensors(), but throws CheckpointError (naming the folder and the problems,
/// on one line) unless the report is ok(allow_unexpected).
void require_tensors(const CheckpointFolder& folder, const ExpectedShapes& expected,
                     bool allow_unexpected = false);

}  // namespace specrouter
