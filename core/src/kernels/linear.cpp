// linear: the checks every implementation shares, and the reference (at::linear), which
// the model uses when no other kernel is configured.
#include "specrouter/kernels/linear.h"

#include <ATen/ops/linear.h>

#include <string>

#include "specrouter/error.h"

namespace specrouter {
namespace {

std::string shape_of(const at::Tensor& t) {
  std::string out = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + "]";
}

[[noreturn]] void refuse(const std::string& what) { throw UsageError("linear: " + what); }

class ReferenceLinear final : public LinearKernel {
 protected:
  at::Tensor run(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const override {
    return at::linear(x, weight, bias);
  }
};

}  // namespace

void check_linear_arguments(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!x.defined() || !weight.defined()) refuse("x and weight must be defined tensors");
  if (x.dim() != 2) refuse("x must be 2-D [rows, in_features], got " + shape_of(x));
  if (weight.dim() != 2) refuse("weight must be 2-D [out_features, in_features], got " + shape_of(weight));
  if (x.size(1) != weight.size(1)) {
    refuse("x " + shape_of(x) + " and weight " + shape_of(weight) + " disagree on in_features");
  }
  if (x.scalar_type() != weight.scalar_type() || x.device() != weight.device()) {
    refuse("x (" + std::string(c10::toString(x.scalar_type())) + " on " + x.device().str() + ") and weight (" +
           c10::toString(weight.scalar_type()) + " on " + weight.device().str() + ") differ in dtype or device");
  }
  if (!bias.defined()) return;
  if (bias.dim() != 1 || bias.size(0) != weight.size(0)) {
    refuse("bias " + shape_of(bias) + " must be [" + std::to_string(weight.size(0)) + "] for weight " +
           shape_of(weight));
  }
  if (bias.scalar_type() != weight.scalar_type() || bias.device() != weight.device()) {
    refuse("bias (" + std::string(c10::toString(bias.scalar_type())) + " on " + bias.device().str() +
           ") differs from weight in dtype or device");
  }
}

LinearKernel::~LinearKernel() = default;

at::Tensor LinearKernel::linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const {
  check_linear_arguments(x, weight, bias);
  return run(x, weight, bias);
}

std::unique_ptr<LinearKernel> make_reference_linear() { return std::make_unique<ReferenceLinear>(); }

std::shared_ptr<const LinearKernel> reference_linear() {
  static const std::shared_ptr<const LinearKernel> instance = make_reference_linear();
  return instance;
}

}  // namespace specrouter
