// The training loop (see trainer.h): data, model, optimiser, optional teacher, resume,
// evaluation, checkpoints, and the final Hugging Face folder.
#include "specrouter/training/trainer.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "specrouter/checkpoint/checkpoint_writer.h"
#include "specrouter/error.h"
#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/model/threads.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/training/adamw.h"
#include "specrouter/training/losses.h"
#include "specrouter/training/progress.h"
#include "specrouter/training/token_windows.h"
#include "specrouter/training/trainable_llama.h"
#include "specrouter/training/training_checkpoint.h"

namespace specrouter::training {
namespace fs = std::filesystem;
namespace {

c10::Device device_of(const TrainConfig& config) {
  if (config.device == "cuda") {
    if (!at::hasCUDA()) throw ConfigError("device: 'cuda' asked for, but this libtorch has no CUDA device");
    return c10::Device(c10::DeviceType::CUDA, 0);
  }
  return c10::Device(c10::DeviceType::CPU);
}

fs::path tokenizer_file(const fs::path& path) {
  return fs::is_directory(path) ? path / "tokenizer.json" : path;
}

// The first `key=value` line in which two fingerprints differ, as the key.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream left(a), right(b);
  std::string line_a, line_b;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(left, line_a));
    const bool more_b = static_cast<bool>(std::getline(right, line_b));
    if (!more_a && !more_b) return "?";
    if (!more_a) return line_b.substr(0, line_b.find('='));
    if (!more_b || line_a != line_b) return line_a.substr(0, line_a.find('='));
  }
}

struct Teacher {
  std::unique_ptr<TrainableLlama> model;
  double temperature = 1.0;
  double alpha = 0.0;
};

std::optional<Teacher> load_teacher(const TrainConfig& config, c10::ScalarType dtype, c10::Device device) {
  if (!config.distill.teacher) return std::nullopt;
  const fs::path dir = *config.distill.teacher;
  if (!fs::is_regular_file(dir / "config.json")) {
    throw ConfigError("distill.teacher: '" + dir.string() + "' is not a checkpoint folder (no config.json)");
  }
  const ModelConfig teacher_config = load_model_config(dir / "config.json");
  check_trainable(teacher_config, (dir / "config.json").string());
  if (teacher_config.vocab_size != config.model.vocab_size) {
    throw ConfigError("distill.teacher: '" + dir.string() + "' has vocab_size " +
                      std::to_string(teacher_config.vocab_size) + ", the student " +
                      std::to_string(config.model.vocab_size));
  }
  Teacher teacher;
  teacher.model = std::make_unique<TrainableLlama>(
      TrainableLlama::from_weights(teacher_config, CheckpointWeights::open(dir), dtype, device));
  teacher.model->set_requires_grad(false);
  teacher.temperature = config.distill.temperature;
  teacher.alpha = config.distill.alpha;
  return teacher;
}

Evaluation evaluate(const TrainableLlama& model, const std::optional<Teacher>& teacher, const WindowBatch& windows,
                    std::int64_t batch_size, c10::Device device, std::int64_t step) {
  c10::AutoGradMode no_grad(false);
  Evaluation result;
  result.step = step;
  double loss_sum = 0.0, kl_sum = 0.0;
  const std::int64_t count = windows.inputs.size(0);
  for (std::int64_t begin = 0; begin < count; begin += batch_size) {
    const std::int64_t rows = std::min(batch_size, count - begin);
    const at::Tensor inputs = windows.inputs.narrow(0, begin, rows).to(device);
    const at::Tensor logits = model.forward(inputs);
    loss_sum += next_token_loss(logits, windows.targets.narrow(0, begin, rows)).item<double>() * rows;
    if (teacher) kl_sum += distillation_kl(logits, teacher->model->forward(inputs), 1.0).item<double>() * rows;
  }
  result.heldout_loss = loss_sum / static_cast<double>(count);
  if (teacher) result.kl_to_teacher = kl_sum / static_cast<double>(count);
  return result;
}

std::string describe(const Evaluation& evaluation) {
  char text[160];
  std::snprintf(text, sizeof text, "eval step %lld: held-out loss %.4f (perplexity %.2f)",
                static_cast<long long>(evaluation.step), evaluation.heldout_loss, std::exp(evaluation.heldout_loss));
  std::string line = text;
  if (!std::isnan(evaluation.kl_to_teacher)) {
    std::snprintf(text, sizeof text, ", KL to teacher %.4f", evaluation.kl_to_teacher);
    line += text;
  }
  return line;
}

void write_model_folder(const fs::path& dir, const TrainConfig& config, const TrainableLlama& model) {
  const std::map<std::string, at::Tensor> tensors = model.state_dict();
  std::vector<TensorToWrite> entries;
  for (const auto& [name, tensor] : tensors) {
    TensorToWrite entry;
    entry.name = name;
    entry.dtype = tensor.scalar_type() == at::kDouble ? Dtype::kF64 : Dtype::kF32;
    entry.shape = tensor.sizes().vec();
    entry.data = {static_cast<const std::byte*>(tensor.data_ptr()), tensor.nbytes()};
    entries.push_back(std::move(entry));
  }
  nlohmann::json generation = {{"_from_model_config", true}};
  if (config.model.bos_token_id) generation["bos_token_id"] = *config.model.bos_token_id;
  if (!config.model.eos_token_ids.empty()) generation["eos_token_id"] = config.model.eos_token_ids.front();
  CheckpointWriteOptions options;
  options.generation_config_json_text = generation.dump(2) + "\n";
  options.tokenizer_json_path = tokenizer_file(config.data.tokenizer);
  write_checkpoint_folder(dir, entries, model_config_to_json(config.model), options);
}

void write_summary(const fs::path& file, const TrainConfig& config, const TrainingResult& result) {
  nlohmann::json evaluations = nlohmann::json::array();
  for (const Evaluation& e : result.evaluations) {
    nlohmann::json entry = {{"step", e.step}, {"heldout_loss", e.heldout_loss}};
    if (!std::isnan(e.kl_to_teacher)) entry["kl_to_teacher"] = e.kl_to_teacher;
    evaluations.push_back(entry);
  }
  const nlohmann::json summary = {{"name", config.name},
                                  {"parameters", result.parameters},
                                  {"steps", result.steps_done},
                                  {"resumed_from", result.resumed_from},
                                  {"train_loss", result.train_loss},
                                  {"tokens_per_second", result.tokens_per_second},
                                  {"threads", config.threads},
                                  {"evaluations", evaluations}};
  std::ofstream(file) << summary.dump(2) << "\n";
}

}  // namespace

TrainingResult train(const TrainConfig& config, std::ostream& log, const TrainingHooks& hooks) {
  set_compute_threads(config.threads);
  const c10::Device device = device_of(config);
  const c10::ScalarType dtype = config.dtype == "float64" ? c10::ScalarType::Double : c10::ScalarType::Float;

  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(config.data.tokenizer);
  const std::vector<TokenId> train_tokens = tokenize_files(config.data.train, *tokenizer);
  std::vector<TokenId> heldout_tokens;
  if (!config.data.heldout.empty()) heldout_tokens = tokenize_files(config.data.heldout, *tokenizer);

  TrainableLlama model = TrainableLlama::initialise(config.model, config.seed, config.init_std, dtype, device);
  const std::optional<Teacher> teacher = load_teacher(config, dtype, device);
  std::vector<bool> decays;
  for (std::size_t i = 0; i < model.parameters().size(); ++i) decays.push_back(model.decays(i));
  AdamW optimizer(model.parameters(), decays, config.optim);
  // The window order has its own stream, apart from the initial weights.
  WindowSampler sampler(&train_tokens, config.data.window, config.seed + 0x9E3779B97F4A7C15ULL, "data.train");
  std::optional<WindowBatch> heldout;
  if (!heldout_tokens.empty()) {
    heldout = evaluation_windows(heldout_tokens, config.data.window, config.data.eval_windows, "data.heldout");
  }

  TrainingResult result;
  result.parameters = model.parameter_count();
  result.model_dir = config.output_dir / "model";
  log << "train " << config.name << ": " << result.parameters << " parameters, " << train_tokens.size()
      << " training tokens, " << heldout_tokens.size() << " held-out tokens, " << config.steps << " steps of "
      << config.data.batch_size << " x " << config.data.window << " tokens"
      << (teacher ? ", distilling from " + config.distill.teacher->string() : std::string()) << "\n";

  std::int64_t step = 0;
  if (const std::optional<TrainingCheckpoint> checkpoint = load_latest_training_checkpoint(config.output_dir)) {
    if (checkpoint->state.fingerprint != config.fingerprint) {
      throw ConfigError(config.output_dir.string() + ": holds a checkpoint trained with different settings (key '" +
                        first_difference(checkpoint->state.fingerprint, config.fingerprint) +
                        "' differs); choose another output_dir or remove its checkpoints/ folder");
    }
    if (checkpoint->state.step > config.steps) {
      throw ConfigError(config.output_dir.string() + ": its checkpoint is at step " +
                        std::to_string(checkpoint->state.step) + ", past steps=" + std::to_string(config.steps));
    }
    const std::string source = (config.output_dir / "checkpoints").string();
    model.load_values(checkpoint->weights, source);
    optimizer.load_state(checkpoint->optimizer, checkpoint->state.optimizer_steps, source);
    sampler.set_state(checkpoint->state.sampler_state, source);
    step = checkpoint->state.step;
    result.train_loss = checkpoint->state.train_loss;
    log << "resuming from the checkpoint at step " << step << "\n";
  }
  result.resumed_from = step;

  ProgressReporter progress(log, hooks.interactive, step, config.steps, config.log_every,
                            config.data.batch_size * config.data.window);
  auto run_evaluation = [&] {
    if (!heldout) return;
    result.evaluations.push_back(evaluate(model, teacher, *heldout, config.data.batch_size, device, step));
    progress.message(describe(result.evaluations.back()));
  };
  if (step == 0) run_evaluation();

  while (step < config.steps) {
    const WindowBatch batch = sampler.next(config.data.batch_size);
    const at::Tensor inputs = batch.inputs.to(device);
    const at::Tensor logits = model.forward(inputs);
    at::Tensor loss = next_token_loss(logits, batch.targets);
    if (teacher) {
      at::Tensor teacher_logits;
      {
        c10::AutoGradMode no_grad(false);
        teacher_logits = teacher->model->forward(inputs);
      }
      const double t = teacher->temperature;
      loss = (1.0 - teacher->alpha) * loss + teacher->alpha * t * t * distillation_kl(logits, teacher_logits, t);
    }
    loss.backward();
    clip_gradients(model.parameters(), config.optim.grad_clip);
    const double lr = learning_rate(config.optim, step, config.steps);
    optimizer.step(lr);
    ++step;
    result.train_loss = loss.item<double>();
    progress.step_done(step, result.train_loss, lr);

    if ((config.eval_every > 0 && step % config.eval_every == 0) || step == config.steps) run_evaluation();
    if ((config.checkpoint_every > 0 && step % config.checkpoint_every == 0) || step == config.steps) {
      TrainingCheckpoint checkpoint;
      checkpoint.state = {step, optimizer.steps_taken(), sampler.state(), config.fingerprint, result.train_loss};
      checkpoint.weights = model.state_dict();
      checkpoint.optimizer = optimizer.state_tensors();
      save_training_checkpoint(config.output_dir, checkpoint);
      if (step != config.steps) progress.message("checkpoint at step " + std::to_string(step));
    }
    if (hooks.stop_after && hooks.stop_after(step) && step < config.steps) {
      result.steps_done = step;
      result.tokens_per_second = progress.tokens_per_second();
      log << "stopped after step " << step << "\n";
      return result;
    }
  }
  if (result.evaluations.empty()) run_evaluation();  // a resumed run that had nothing left to do

  result.steps_done = step;
  result.tokens_per_second = progress.tokens_per_second();
  write_model_folder(result.model_dir, config, model);
  write_summary(config.output_dir / "summary.json", config, result);
  result.finished = true;
  log << "model written to " << result.model_dir.string() << "\n";
  return result;
}

}  // namespace specrouter::training
