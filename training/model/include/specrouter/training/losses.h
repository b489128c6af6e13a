#pragma once

/// @file
/// @brief The training losses: next-token cross-entropy and the distillation KL term.

#include <ATen/core/Tensor.h>

namespace specrouter::training {

/// Mean next-token cross-entropy (nats per token) of `logits` `[batch, length, vocab]`
/// against `targets` int64 `[batch, length]`.
at::Tensor next_token_loss(const at::Tensor& logits, const at::Tensor& targets);

/// Mean per-token KL(teacher || student) (nats) between the distributions of
/// `teacher_logits` and `student_logits` (both `[batch, length, vocab]`), each softened
/// by `temperature`. The forward KL that DistillSpec and Hinton et al. use: it pulls the
/// student's mass towards everything the teacher considers likely.
at::Tensor distillation_kl(const at::Tensor& student_logits, const at::Tensor& teacher_logits, double temperature);

}  // namespace specrouter::training
