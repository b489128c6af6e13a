#pragma once

/// @file
/// @brief The `linear` operation: y = x W^T + b, the model's projections and lm_head.
///
/// A speculative verification pass runs the projections over a handful of rows (the k
/// draft tokens), and must cost little more than a decode step over one. Implementations,
/// all registered as kernels:
/// - `linear/reference`: at::linear, the definition the others are tested against; it
///   lives in the core (reference_linear()) so the model works without any plugin;
/// - `linear/cpu_small_batch`: float32 on the host with few rows: each weight row is read
///   once for all rows of x, so M <= 16 rows cost about what one does (kernels/cpu).
/// Tolerance against the reference, float32: |y - y_ref| <= 1e-5 * (|x_m| |w_n| + |b_n|)
/// per element (m, n): the summation order differs, nothing else does.

#include <memory>

#include <ATen/core/Tensor.h>

#include "specrouter/kernel.h"

namespace specrouter {

/// Computes y = x W^T + b for a batch of rows.
///
/// linear() checks the shapes (check_linear_arguments) and calls run(), which
/// implementations override and which only ever sees valid arguments.
class LinearKernel : public Kernel {
 public:
  /// The operation name, "linear".
  static constexpr const char* kOp = "linear";
  /// Defined in the core, so the class's type information lives there (dynamic_cast
  /// from a plugin's object works across the library boundary).
  ~LinearKernel() override;
  /// Returns kOp.
  const char* op() const override { return kOp; }

  /// y = x W^T + b: `x` is [M, K], `weight` [N, K], `bias` undefined or [N]; returns [M, N]
  /// with x's dtype on x's device. Throws UsageError naming the argument when the shapes,
  /// dtypes or devices disagree.
  at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const;

 protected:
  /// Computes the product for arguments linear() has checked.
  virtual at::Tensor run(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const = 0;
};

/// Checks the arguments of a linear call; throws UsageError naming the first that is wrong.
///
/// Rules: `x` and `weight` are defined and 2-D with the same number of columns; `bias`
/// is undefined or 1-D with one entry per weight row; all have one dtype and one device.
void check_linear_arguments(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

/// A new `linear/reference` kernel (at::linear), for registries.
std::unique_ptr<LinearKernel> make_reference_linear();

/// The core's shared `linear/reference` instance, the model's default.
std::shared_ptr<const LinearKernel> reference_linear();

}  // namespace specrouter
