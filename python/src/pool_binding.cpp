// The Pool type of specrouter._core: loading checkpoint folders, plain and speculative
// generation (run with the GIL released), and logits as torch tensors without a copy.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "pool_session.h"
#include "specrouter/error.h"
#include "specrouter/tokenizer/tokenizer.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

using Results = std::vector<std::pair<std::vector<TokenId>, std::string>>;

c10::ScalarType parse_dtype(const std::string& text) {
  if (text == "float32") return c10::ScalarType::Float;
  if (text == "bfloat16") return c10::ScalarType::BFloat16;
  if (text == "float64") return c10::ScalarType::Double;
  throw UsageError("dtype must be float32, bfloat16 or float64, not '" + text + "'");
}

std::unique_ptr<PoolSession> load(const std::vector<std::pair<std::string, std::filesystem::path>>& folders,
                                  const std::string& dtype, const std::string& device,
                                  const std::map<std::string, std::string>& kernels) {
  if (folders.empty()) throw UsageError("load_pool: no checkpoint folders given");
  ModelOptions options;
  options.dtype = parse_dtype(dtype);
  options.device = c10::Device(device);
  std::vector<engine::PoolSource> sources;
  for (const auto& [name, folder] : folders) {
    sources.push_back({name, folder, options, "load_pool(" + folder.string() + ")"});
  }
  engine::KernelChoices choices = engine::default_kernel_choices();
  for (const auto& [op, impl] : kernels) choices[op] = impl;
  nb::gil_scoped_release released;
  return std::make_unique<PoolSession>(std::move(sources), choices);
}

Results to_python(const std::vector<GenerationResult>& results) {
  Results out;
  for (const GenerationResult& result : results) out.emplace_back(result.tokens, to_string(result.finish_reason));
  return out;
}

GenerationOptions generation_options(const PoolSession& pool, std::int64_t max_new_tokens, double temperature,
                                     std::int64_t top_k, double top_p, std::uint64_t seed, bool ignore_eos) {
  GenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  options.sampling = SamplingParams{temperature, top_k, top_p};
  options.seed = seed;
  if (!ignore_eos) options.eos_token_ids = pool.eos_token_ids();
  return options;
}

// A CPU tensor as a torch.Tensor sharing its memory: the capsule owns a reference to the
// at::Tensor, so the storage lives as long as the Python tensor does.
nb::object share_with_torch(at::Tensor tensor) {
  if (!tensor.device().is_cpu()) throw UsageError("only CPU tensors cross to Python without a copy");
  auto* kept = new at::Tensor(tensor.contiguous());
  nb::capsule owner(kept, [](void* p) noexcept { delete static_cast<at::Tensor*>(p); });
  std::vector<size_t> shape(kept->sizes().begin(), kept->sizes().end());
  nb::dlpack::dtype dtype;
  switch (kept->scalar_type()) {
    case c10::ScalarType::Float: dtype = nb::dtype<float>(); break;
    case c10::ScalarType::Double: dtype = nb::dtype<double>(); break;
    default: throw UsageError("unexpected logits dtype " + std::string(c10::toString(kept->scalar_type())));
  }
  return nb::ndarray<nb::pytorch>(kept->data_ptr(), shape.size(), shape.data(), owner, nullptr, dtype).cast();
}

const Tokenizer& tokenizer_of(const PoolSession& pool) {
  if (!pool.tokenizer()) throw UsageError("the target's folder has no tokenizer.json: give token ids");
  return *pool.tokenizer();
}

}  // namespace

void bind_pool(nb::module_& m) {
  nb::class_<PoolSession>(m, "Pool", "Checkpoints loaded into one pool (cheapest first, target last).")
      .def_prop_ro("names", &PoolSession::names, "pool names, cheapest first, target last")
      .def_prop_ro("has_tokenizer", [](const PoolSession& pool) { return pool.tokenizer() != nullptr; })
      .def_prop_ro("eos_token_ids", &PoolSession::eos_token_ids, "where generation stops")
      .def_prop_ro("vocab_size", [](const PoolSession& pool) { return pool.pool().target().vocab_size(); })
      .def(
          "encode", [](const PoolSession& pool, const std::string& text) { return tokenizer_of(pool).encode(text); },
          nb::arg("text"), "Token ids of `text` (special tokens added, as the CLI does).")
      .def(
          "decode",
          [](const PoolSession& pool, const std::vector<TokenId>& ids) {
            const std::string text = tokenizer_of(pool).decode(ids, /*skip_special_tokens=*/true);
            return nb::bytes(text.data(), text.size());
          },
          nb::arg("ids"), "The bytes of `ids` (special tokens skipped); the package decodes them as UTF-8.")
      .def(
          "generate",
          [](PoolSession& pool, const std::vector<std::vector<TokenId>>& prompts, std::int64_t max_new_tokens,
             double temperature, std::int64_t top_k, double top_p, std::uint64_t seed, bool ignore_eos) {
            const GenerationOptions options =
                generation_options(pool, max_new_tokens, temperature, top_k, top_p, seed, ignore_eos);
            nb::gil_scoped_release released;
            return to_python(pool.generate(prompts, options));
          },
          nb::arg("prompts"), nb::arg("max_new_tokens"), nb::arg("temperature"), nb::arg("top_k"), nb::arg("top_p"),
          nb::arg("seed"), nb::arg("ignore_eos"), "Plain decoding with the target: [(tokens, finish_reason)].")
      .def(
          "speculate",
          [](PoolSession& pool, const std::vector<std::vector<TokenId>>& prompts, SpeculateRequest request,
             std::int64_t max_new_tokens, double temperature, std::int64_t top_k, double top_p, std::uint64_t seed,
             bool ignore_eos) {
            request.generation = generation_options(pool, max_new_tokens, temperature, top_k, top_p, seed, ignore_eos);
            nb::gil_scoped_release released;
            SpeculateOutput output = pool.speculate(prompts, request);
            return std::make_pair(to_python(output.results), output.statistics_json);
          },
          nb::arg("prompts"), nb::arg("request"), nb::arg("max_new_tokens"), nb::arg("temperature"), nb::arg("top_k"),
          nb::arg("top_p"), nb::arg("seed"), nb::arg("ignore_eos"),
          "Speculative decoding: ([(tokens, finish_reason)], statistics as JSON text).")
      .def(
          "logits",
          [](PoolSession& pool, const std::vector<TokenId>& tokens, const std::string& model) {
            at::Tensor logits;
            {
              nb::gil_scoped_release released;
              logits = pool.logits(model, tokens);
            }
            return share_with_torch(std::move(logits));
          },
          nb::arg("tokens"), nb::arg("model") = "",
          "Logits of every position of `tokens` under `model` (default: the target), a torch.Tensor "
          "[len(tokens), vocab] sharing the engine's memory.");

  nb::class_<SpeculateRequest>(m, "SpeculateRequest", "What Pool.speculate runs (the package fills it).")
      .def(nb::init<>())
      .def_rw("chain", &SpeculateRequest::chain)
      .def_rw("draft_lengths", &SpeculateRequest::draft_lengths)
      .def_rw("verifier", &SpeculateRequest::verifier)
      .def_rw("verifier_params", &SpeculateRequest::verifier_params)
      .def_rw("collaboration", &SpeculateRequest::collaboration)
      .def_rw("collaboration_params", &SpeculateRequest::collaboration_params)
      .def_rw("drafter", &SpeculateRequest::drafter)
      .def_rw("drafter_params", &SpeculateRequest::drafter_params)
      .def_rw("drafter_length", &SpeculateRequest::drafter_length)
      .def_rw("scheduler", &SpeculateRequest::scheduler)
      .def_rw("scheduler_params", &SpeculateRequest::scheduler_params);

  m.def("load_pool", &load, nb::arg("folders"), nb::arg("dtype") = "float32", nb::arg("device") = "cpu",
        nb::arg("kernels") = std::map<std::string, std::string>{},
        "Loads [(name, folder)] into a Pool (the last is the target); vocabularies are checked first.");
}

}  // namespace specrouter::python
