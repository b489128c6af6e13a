// AdamW, its schedule and gradient clipping (see adamw.h). Updates run with autograd
// off, in place, in the parameters' own dtype, as torch.optim.AdamW's for-loop path.
#include "specrouter/training/adamw.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "specrouter/error.h"

namespace specrouter::training {

double learning_rate(const OptimizerConfig& config, std::int64_t step, std::int64_t total_steps) {
  if (config.warmup_steps > 0 && step < config.warmup_steps) {
    return config.lr * static_cast<double>(step + 1) / static_cast<double>(config.warmup_steps);
  }
  const std::int64_t decay_steps = std::max<std::int64_t>(1, total_steps - 1 - config.warmup_steps);
  const double progress =
      std::clamp(static_cast<double>(step - config.warmup_steps) / static_cast<double>(decay_steps), 0.0, 1.0);
  return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
}

double clip_gradients(const std::vector<at::Tensor>& parameters, double max_norm) {
  c10::AutoGradMode no_grad(false);
  double squared = 0.0;
  for (const at::Tensor& p : parameters) {
    if (p.grad().defined()) squared += p.grad().to(at::kDouble).pow(2).sum().item<double>();
  }
  const double norm = std::sqrt(squared);
  if (max_norm > 0.0 && norm > max_norm) {
    const double factor = max_norm / (norm + 1e-6);
    for (const at::Tensor& p : parameters) {
      if (p.grad().defined()) p.mutable_grad().mul_(factor);
    }
  }
  return norm;
}

AdamW::AdamW(std::vector<at::Tensor> parameters, std::vector<bool> decays, OptimizerConfig config)
    : parameters_(std::move(parameters)), decays_(std::move(decays)), config_(config) {
  for (const at::Tensor& p : parameters_) {
    exp_avg_.push_back(at::zeros_like(p).detach());
    exp_avg_sq_.push_back(at::zeros_like(p).detach());
  }
}

void AdamW::step(double lr) {
  c10::AutoGradMode no_grad(false);
  ++steps_taken_;
  const double correction1 = 1.0 - std::pow(config_.beta1, static_cast<double>(steps_taken_));
  const double correction2 = 1.0 - std::pow(config_.beta2, static_cast<double>(steps_taken_));
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    const at::Tensor grad = p.grad();
    if (decays_[i] && config_.weight_decay > 0.0) p.mul_(1.0 - lr * config_.weight_decay);
    exp_avg_[i].mul_(config_.beta1).add_(grad, 1.0 - config_.beta1);
    exp_avg_sq_[i].mul_(config_.beta2).addcmul_(grad, grad, 1.0 - config_.beta2);
    const at::Tensor denominator = (exp_avg_sq_[i].sqrt() / std::sqrt(correction2)).add_(config_.eps);
    p.addcdiv_(exp_avg_[i], denominator, -lr / correction1);
    p.mutable_grad().reset();
  }
}

std::map<std::string, at::Tensor> AdamW::state_tensors() const {
  std::map<std::string, at::Tensor> tensors;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    tensors["exp_avg." + std::to_string(i)] = exp_avg_[i].to(at::kCPU).contiguous().clone();
    tensors["exp_avg_sq." + std::to_string(i)] = exp_avg_sq_[i].to(at::kCPU).contiguous().clone();
  }
  return tensors;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& tensors, std::int64_t steps_taken,
                       const std::string& source) {
  c10::AutoGradMode no_grad(false);
  auto restore = [&](const std::string& name, at::Tensor& into) {
    const auto found = tensors.find(name);
    if (found == tensors.end()) throw CheckpointError(source + ": optimiser tensor '" + name + "' is missing");
    if (found->second.sizes() != into.sizes()) {
      throw CheckpointError(source + ": optimiser tensor '" + name + "' does not match its parameter's shape");
    }
    into.copy_(found->second);
  };
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    restore("exp_avg." + std::to_string(i), exp_avg_[i]);
    restore("exp_avg_sq." + std::to_string(i), exp_avg_sq_[i]);
  }
  steps_taken_ = steps_taken;
}

}  // namespace specrouter::training
