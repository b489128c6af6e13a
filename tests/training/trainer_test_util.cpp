#include "trainer_test_util.h"

#include <ATen/ATen.h>

#include <fstream>
#include <random>

#include "specrouter/model/checkpoint_weights.h"
#include "specrouter/tokenizer/tokenizer.h"
#include "specrouter/training/token_windows.h"

namespace specrouter::training::test {
namespace fs = std::filesystem;

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(SPECROUTER_BINARY_DIR) / "test_scratch" / "training" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string grammar_text(std::size_t sentences, std::uint64_t seed) {
  static const std::vector<std::string> subjects = {"the cat", "a dog", "my friend", "the old man", "our teacher"};
  static const std::vector<std::string> verbs = {"sees", "likes", "finds", "carries", "paints"};
  static const std::vector<std::string> objects = {"the red ball", "a small box", "the garden", "a blue car",
                                                   "the river"};
  std::mt19937_64 rng(seed);
  std::string text;
  for (std::size_t i = 0; i < sentences; ++i) {
    text += subjects[rng() % subjects.size()] + " " + verbs[rng() % verbs.size()] + " " +
            objects[rng() % objects.size()] + ".\n";
  }
  return text;
}

const TinyData& tiny_data() {
  static const TinyData data = [] {
    const fs::path dir = scratch_dir("tiny_data");
    TinyData made{dir / "train.txt", dir / "heldout.txt", dir / "tokenizer.json"};
    std::ofstream(made.train) << grammar_text(600, 1);
    std::ofstream(made.heldout) << grammar_text(100, 2);
    std::ofstream(made.tokenizer) << R"({"specrouter_tokenizer": "bytes", "special_tokens": ["<bos>", "<eos>"],)"
                                  << R"( "bos_token": "<bos>", "eos_token": "<eos>", "add_bos": true})" << "\n";
    return made;
  }();
  return data;
}

ComposedConfig compose_train(const fs::path& output_dir, const std::vector<std::string>& overrides) {
  const TinyData& data = tiny_data();
  ComposeRequest request;
  request.config_dir = fs::path(SPECROUTER_SOURCE_DIR) / "configs" / "train";
  request.overrides = {"data.train=[" + data.train.string() + "]", "data.heldout=[" + data.heldout.string() + "]",
                       "data.tokenizer=" + data.tokenizer.string(), "output_dir=" + output_dir.string(),
                       "data.window=32", "data.batch_size=8", "data.eval_windows=16", "optim.warmup_steps=10",
                       "threads=1"};
  request.overrides.insert(request.overrides.end(), overrides.begin(), overrides.end());
  return compose(request);
}

TrainConfig tiny_train_config(const fs::path& output_dir, const std::vector<std::string>& overrides) {
  return parse_train_config(compose_train(output_dir, overrides));
}

TrainableLlama load_trainable(const fs::path& model_dir, c10::ScalarType dtype) {
  const ModelConfig config = load_model_config(model_dir / "config.json");
  TrainableLlama model =
      TrainableLlama::from_weights(config, CheckpointWeights::open(model_dir), dtype, c10::Device(c10::kCPU));
  model.set_requires_grad(false);
  return model;
}

at::Tensor heldout_inputs(std::int64_t window, std::int64_t count) {
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(tiny_data().tokenizer);
  const std::vector<TokenId> tokens = tokenize_files({tiny_data().heldout}, *tokenizer);
  return evaluation_windows(tokens, window, count, "heldout").inputs;
}

}  // namespace specrouter::training::test
