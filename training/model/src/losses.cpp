// Training losses (see losses.h).
#include "specrouter/training/losses.h"

#include <ATen/ATen.h>

namespace specrouter::training {

at::Tensor next_token_loss(const at::Tensor& logits, const at::Tensor& targets) {
  const std::int64_t vocab = logits.size(-1);
  return at::cross_entropy_loss(logits.reshape({-1, vocab}), targets.reshape({-1}).to(logits.device()));
}

at::Tensor distillation_kl(const at::Tensor& student_logits, const at::Tensor& teacher_logits, double temperature) {
  const at::Tensor student_log = at::log_softmax(student_logits / temperature, -1);
  const at::Tensor teacher_log = at::log_softmax(teacher_logits / temperature, -1);
  return (teacher_log.exp() * (teacher_log - student_log)).sum(-1).mean();
}

}  // namespace specrouter::training
