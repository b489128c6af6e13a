// Drafters written in Python: propose(requests) returns, per request, the proposed token
// ids (a deterministic drafter), or (token ids, probs) with probs a [tokens, vocab]
// float32 tensor or array: the distributions the tokens were drawn from, which verifiers
// need to stay lossless when sampling. Chains only; trees are C++ drafters' for now.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "bindings.h"
#include "python_components.h"
#include "specrouter/drafter.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

// What a Python drafter sees of one DraftRequest (a copy it may keep).
struct DraftRequestView {
  std::vector<TokenId> context;  // committed tokens (prompt included), then this step's tokens so far
  int max_tokens = 0;            // propose at most this many
};

using ProbRows = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

Draft to_draft(nb::handle proposed, const DraftRequestView& request, const std::string& name) {
  Draft draft;
  nb::handle tokens = proposed;
  if (nb::isinstance<nb::tuple>(proposed)) {
    nb::tuple pair = nb::borrow<nb::tuple>(proposed);
    if (pair.size() != 2) throw Error("Python drafter '" + name + "': propose() gave a tuple that is not (tokens, probs)");
    tokens = pair[0];
    ProbRows probs;
    if (!nb::try_cast(pair[1], probs)) {
      throw Error("Python drafter '" + name + "': probs must be a float32 [tokens, vocab] CPU tensor or array");
    }
    draft.probs.resize(probs.size());
    std::memcpy(draft.probs.data(), probs.data(), probs.size() * sizeof(float));
    draft.tokens = nb::cast<std::vector<TokenId>>(tokens);
    if (probs.shape(0) != draft.tokens.size()) {
      throw Error("Python drafter '" + name + "': probs has " + std::to_string(probs.shape(0)) + " rows for " +
                  std::to_string(draft.tokens.size()) + " tokens");
    }
  } else {
    draft.tokens = nb::cast<std::vector<TokenId>>(tokens);
  }
  if (static_cast<int>(draft.tokens.size()) > request.max_tokens) {
    throw Error("Python drafter '" + name + "': proposed " + std::to_string(draft.tokens.size()) +
                " tokens, at most " + std::to_string(request.max_tokens) + " were asked for");
  }
  return draft;
}

// A C++ Drafter calling a Python object's propose(); the GIL is held for that call only.
class PythonDrafter final : public Drafter {
 public:
  PythonDrafter(nb::object object, std::string name) : object_(std::move(object)), name_(std::move(name)) {}
  ~PythonDrafter() override { release_python_object(object_); }

  std::vector<Draft> propose(std::span<const DraftRequest> requests, const DraftContext&) override {
    nb::gil_scoped_acquire gil;
    std::vector<DraftRequestView> views;
    for (const DraftRequest& request : requests) {
      views.push_back({std::vector<TokenId>(request.context.begin(), request.context.end()), request.max_tokens});
    }
    try {
      nb::object proposed = object_.attr("propose")(views);
      std::vector<Draft> drafts;
      for (nb::handle item : proposed) drafts.push_back(to_draft(item, views.at(drafts.size()), name_));
      if (drafts.size() != requests.size()) {
        throw Error("Python drafter '" + name_ + "': propose() returned " + std::to_string(drafts.size()) +
                    " drafts for " + std::to_string(requests.size()) + " requests");
      }
      return drafts;
    } catch (nb::python_error& e) {
      throw Error("Python drafter '" + name_ + "': propose() raised " + e.what());
    } catch (nb::cast_error&) {
      throw Error("Python drafter '" + name_ + "': propose() must return one list of token ids (or (tokens, probs)) per request");
    }
  }

 private:
  nb::object object_;
  std::string name_;
};

}  // namespace

void bind_drafter(nb::module_& m) {
  nb::class_<DraftRequestView>(m, "DraftRequest", "What a drafter is asked for one sequence (a copy).")
      .def_ro("context", &DraftRequestView::context,
              "the committed tokens (prompt included), then the tokens this step produced so far")
      .def_ro("max_tokens", &DraftRequestView::max_tokens, "propose at most this many tokens");
  m.def(
      "register_drafter",
      [](const std::string& name, const std::string& description, const nb::list& params, nb::object factory,
         const std::string& source_file) {
        register_python_component<Drafter>(name, description, params, std::move(factory), source_file,
                                           [name](nb::object instance) -> std::unique_ptr<Drafter> {
                                             return std::make_unique<PythonDrafter>(std::move(instance), name);
                                           });
      },
      nb::arg("name"), nb::arg("description"), nb::arg("params"), nb::arg("factory"), nb::arg("source_file") = "",
      "Registers a Python drafter: factory(**params) returns an object with propose(requests) -> one list of "
      "token ids, or (tokens, probs), per request. params: [(name, type, default or None, doc)].");
}

}  // namespace specrouter::python
