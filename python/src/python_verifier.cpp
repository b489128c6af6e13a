// Verifiers written in Python: verify(request) gets a VerifyRequest (the draft tokens,
// their parents, the target's and the drafter's probability rows as torch tensors over
// the engine's own memory, and uniform(), the run's random numbers) and returns a Verdict.
//
// The adapter checks the request before Python sees it (check_verify_request, and parents
// pointing at earlier nodes), so a Python verifier never reads past its rows and a
// malformed request is refused naming it; and it checks the verdict before the engine
// uses it (accepted indices along the draft's parent links, the next token inside the
// vocabulary, bonus exactly when the accepted path ends at a node without children).
//
// Zero copies: the rows are nb::ndarray<nb::pytorch> over VerifyRequest's pointers with no
// owner, so they are valid only during verify(); after it returns, uniform() raises, and
// the tensors must not be read (the engine reuses that memory). They are read-only by
// contract (torch has no read-only tensors).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <random>

#include "bindings.h"
#include "python_components.h"
#include "specrouter/sampling/sampling.h"
#include "specrouter/verifier.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

// What a Python verifier sees of one VerifyRequest: valid during verify() only.
struct VerifyRequestView {
  std::vector<TokenId> draft_tokens;
  std::vector<std::int32_t> parents;
  nb::object target_probs;  // torch.Tensor [k + 1, vocab] over the engine's memory
  nb::object draft_probs;   // torch.Tensor [k, vocab], or None (one-hot rows)
  bool greedy = true;
  std::int64_t vocab_size = 0;
  std::mt19937_64* rng = nullptr;  // null once verify() has returned
  std::string owner;

  double uniform() {
    if (rng == nullptr) throw UsageError(owner + ": request.uniform() called after verify() returned");
    return next_uniform(*rng);
  }
};

nb::object rows_as_tensor(const ProbabilityRows& rows) {
  if (rows.empty()) return nb::none();
  const std::size_t shape[2] = {static_cast<std::size_t>(rows.rows), static_cast<std::size_t>(rows.vocab_size)};
  // No owner: the memory is the engine's, valid only during the call (see the file's comment).
  return nb::ndarray<nb::pytorch, float, nb::ndim<2>>(const_cast<float*>(rows.data), 2, shape, nb::handle()).cast();
}

// Parents: empty (a chain) or, per node, -1 or an earlier node; the shared check does the rest.
void check_request(const VerifyRequest& request, const std::string& owner) {
  check_verify_request(request, owner);
  for (std::size_t j = 0; j < request.parents.size(); ++j) {
    const std::int32_t parent = request.parents[j];
    if (parent < -1 || parent >= static_cast<std::int32_t>(j)) {
      throw UsageError(owner + ": parents[" + std::to_string(j) + "] = " + std::to_string(parent) +
                       " is not -1 or an earlier node");
    }
  }
}

std::int32_t parent_of(const VerifyRequest& request, std::int32_t node) {
  return request.parents.empty() ? node - 1 : request.parents[node];
}

void check_verdict(const Verdict& verdict, const VerifyRequest& request, const std::string& owner) {
  const auto k = static_cast<std::int32_t>(request.draft_tokens.size());
  std::int32_t previous = -1;
  for (std::int32_t node : verdict.accepted_path) {
    if (node < 0 || node >= k || parent_of(request, node) != previous) {
      throw Error(owner + ": verify() returned accepted_path " + std::to_string(node) +
                  " that is not a child of the path before it (" + std::to_string(k) + " draft tokens)");
    }
    previous = node;
  }
  if (verdict.next_token < 0 || verdict.next_token >= request.target_probs.vocab_size) {
    throw Error(owner + ": verify() returned next_token " + std::to_string(verdict.next_token) +
                " outside the vocabulary of " + std::to_string(request.target_probs.vocab_size));
  }
  bool has_children = false;
  for (std::int32_t j = 0; j < k; ++j) has_children = has_children || parent_of(request, j) == previous;
  if (verdict.bonus == has_children) {
    throw Error(owner + ": verify() returned bonus=" + (verdict.bonus ? "True" : "False") +
                ", but the accepted path ends at a node " + (has_children ? "with" : "without") +
                " children (bonus is True exactly when it has none)");
  }
}

// A C++ Verifier calling a Python object's verify(); the GIL is held for that call only.
class PythonVerifier final : public Verifier {
 public:
  PythonVerifier(nb::object object, const std::string& name)
      : object_(std::move(object)), owner_("Python verifier '" + name + "'") {}
  ~PythonVerifier() override { release_python_object(object_); }

  Verdict verify(const VerifyRequest& request, std::mt19937_64& rng) override {
    check_request(request, owner_);
    nb::gil_scoped_acquire gil;
    VerifyRequestView* view = nullptr;
    try {
      nb::object handle = nb::cast(VerifyRequestView{}, nb::rv_policy::move);
      view = nb::inst_ptr<VerifyRequestView>(handle);
      view->draft_tokens.assign(request.draft_tokens.begin(), request.draft_tokens.end());
      view->parents.assign(request.parents.begin(), request.parents.end());
      view->target_probs = rows_as_tensor(request.target_probs);
      view->draft_probs = rows_as_tensor(request.draft_probs);
      view->greedy = request.greedy;
      view->vocab_size = request.target_probs.vocab_size;
      view->rng = &rng;
      view->owner = owner_;
      nb::object result = object_.attr("verify")(handle);
      view->rng = nullptr;
      Verdict verdict;
      if (!nb::try_cast(result, verdict)) {
        throw Error(owner_ + ": verify() must return a specrouter.Verdict, got " +
                    nb::cast<std::string>(nb::str(result.type().attr("__name__"))));
      }
      check_verdict(verdict, request, owner_);
      return verdict;
    } catch (nb::python_error& e) {
      if (view != nullptr) view->rng = nullptr;
      throw Error(owner_ + ": verify() raised " + e.what());
    } catch (...) {
      if (view != nullptr) view->rng = nullptr;
      throw;
    }
  }

 private:
  nb::object object_;
  std::string owner_;  // "Python verifier 'name'", for messages
};

}  // namespace

void bind_verifier(nb::module_& m) {
  nb::class_<VerifyRequestView>(
      m, "VerifyRequest",
      "One sequence's draft and the verifying model's distributions, valid only during verify(): the tensors "
      "view the engine's memory (no copy) and must be neither kept nor written.")
      .def_ro("draft_tokens", &VerifyRequestView::draft_tokens, "the k proposed tokens, one per node")
      .def_ro("parents", &VerifyRequestView::parents,
              "parent node of each draft token (-1: a root); empty for a chain (node i's parent is i - 1)")
      .def_prop_ro(
          "target_probs", [](const VerifyRequestView& view) { return view.target_probs; },
          "float32 [k + 1, vocab] tensor p: row 0 after the committed prefix, row j + 1 after node j's path")
      .def_prop_ro(
          "draft_probs", [](const VerifyRequestView& view) { return view.draft_probs; },
          "float32 [k, vocab] tensor q, row j the distribution node j was drawn from; None: one-hot rows")
      .def_ro("greedy", &VerifyRequestView::greedy, "True: accept while the draft is the argmax; no randomness")
      .def_ro("vocab_size", &VerifyRequestView::vocab_size, "entries per row")
      .def("uniform", &VerifyRequestView::uniform,
           "The run's next random number in [0, 1): the draw a C++ verifier makes with next_uniform(rng), "
           "in the same sequence, so a Python verifier drawing in the same order reproduces its tokens.");

  nb::class_<Verdict>(m, "Verdict", "What a verifier decides for one sequence.")
      .def(
          "__init__",
          [](Verdict* verdict, std::vector<std::int32_t> accepted_path, TokenId next_token, bool bonus) {
            new (verdict) Verdict{std::move(accepted_path), next_token, bonus};
          },
          nb::arg("accepted_path"), nb::arg("next_token"), nb::arg("bonus"))
      .def_rw("accepted_path", &Verdict::accepted_path, "indices of the accepted draft tokens, root to leaf")
      .def_rw("next_token", &Verdict::next_token, "the recovered token, or the bonus token")
      .def_rw("bonus", &Verdict::bonus, "True when the accepted path ends at a node without children")
      .def("__repr__", [](const Verdict& verdict) {
        std::string path;
        for (std::int32_t node : verdict.accepted_path) path += (path.empty() ? "" : ", ") + std::to_string(node);
        return "Verdict(accepted_path=[" + path + "], next_token=" + std::to_string(verdict.next_token) +
               ", bonus=" + (verdict.bonus ? "True" : "False") + ")";
      });

  m.def(
      "register_verifier",
      [](const std::string& name, const std::string& description, const nb::list& params, nb::object factory,
         const std::string& source_file) {
        register_python_component<Verifier>(name, description, params, std::move(factory), source_file,
                                            [name](nb::object instance) -> std::unique_ptr<Verifier> {
                                              return std::make_unique<PythonVerifier>(std::move(instance), name);
                                            });
      },
      nb::arg("name"), nb::arg("description"), nb::arg("params"), nb::arg("factory"), nb::arg("source_file") = "",
      "Registers a Python verifier: factory(**params) returns an object with verify(request) -> Verdict. "
      "params: [(name, type, default or None, doc)].");

  // For a C++ program embedding the interpreter (python/tests/conformance): the process's
  // registries, Python components included, as a capsule holding a specrouter::Registries*.
  m.def(
      "_registries_capsule", [] { return nb::capsule(&shared_registries(), "specrouter.Registries"); },
      "The process's specrouter::Registries* (for C++ programs embedding Python; not for Python code).");
}

}  // namespace specrouter::python
