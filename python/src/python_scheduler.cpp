// Python schedulers registered into the shared registries, and the types they see: Plan,
// the scheduling context (a copy) and the step outcome (a copy without the executor's
// per-sequence result).
//
// Why an adapter holding a Python object rather than an NB_TRAMPOLINE subclass of
// Scheduler: the registry creates instances through a factory and owns them with a
// shared_ptr deleted from C++ (often on the decoding loop's side, without the GIL); a
// Python subclass of a bound C++ class has its lifetime tied to its Python object. The
// adapter owns the Python object instead, and releases it under the GIL.
#include "python_scheduler.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <sstream>

#include "bindings.h"
#include "python_components.h"
#include "specrouter/error.h"
#include "specrouter/scheduler.h"
#include "specrouter/scheduling/chain_cost.h"
#include "specrouter/scheduling/performance_estimates.h"

namespace nb = nanobind;

namespace specrouter::python {
namespace {

// The estimates of `view`, or a Python error saying why there are none to read.
const PerformanceEstimates& estimates_of(const ContextView& view) {
  if (!view.has_estimates) throw nb::value_error("no estimates yet (has_estimates is False): plan without them");
  if (view.estimates == nullptr || view.estimates->estimates == nullptr) {
    throw nb::value_error("the estimates of a SchedulingContext are valid during plan() only");
  }
  return *view.estimates->estimates;
}

// A pool index of `view`, or IndexError.
int checked_model(const ContextView& view, int model) {
  if (model < 0 || model >= static_cast<int>(view.pool.size())) {
    throw nb::index_error(("no pool model " + std::to_string(model) + " (pool of " + std::to_string(view.pool.size()) +
                           ")").c_str());
  }
  return model;
}

std::string join_ints(const std::vector<int>& values) {
  std::ostringstream out;
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  return out.str();
}

std::string plan_repr(const Plan& plan) {
  std::string text = "Plan(chain=[" + join_ints(plan.chain) + "], draft_lengths=[" + join_ints(plan.draft_lengths) + "]";
  if (plan.drafter_length != kExecutorDrafterLength) text += ", drafter_length=" + std::to_string(plan.drafter_length);
  return text + ")";
}

// A C++ Scheduler whose plan() and observe() call a Python object. The decoding loop
// runs without the GIL; each call takes it for the Python code only.
class PythonScheduler final : public Scheduler {
 public:
  PythonScheduler(nb::object object, std::string name)
      : object_(std::move(object)), name_(std::move(name)), observes_(nb::hasattr(object_, "observe")) {}

  ~PythonScheduler() override { release_python_object(object_); }

  Plan plan(const SchedulingContext& context) override {
    nb::gil_scoped_acquire gil;
    ContextView view;
    for (const PoolMember& member : context.pool) view.pool.push_back(member.name);
    view.batch_size = context.batch_size;
    view.context_length = context.context_length;
    view.has_estimates = context.estimates != nullptr;
    view.estimates = std::make_shared<EstimatesHandle>(EstimatesHandle{context.estimates});
    // Whatever plan() does with the view, its estimates end with the call.
    struct Expire {
      EstimatesHandle& handle;
      ~Expire() { handle.estimates = nullptr; }
    } expire{*view.estimates};
    try {
      nb::object result = object_.attr("plan")(view);
      Plan plan;
      if (!nb::try_cast<Plan>(result, plan)) {
        throw Error("Python scheduler '" + name_ + "': plan() must return a specrouter.Plan, got " +
                    std::string(nb::type_name(result.type()).c_str()));
      }
      return plan;
    } catch (nb::python_error& e) {
      throw Error("Python scheduler '" + name_ + "': plan() raised " + e.what());
    }
  }

  void observe(const StepOutcome& outcome) override {
    if (!observes_) return;
    nb::gil_scoped_acquire gil;
    StepOutcome copy = outcome;
    copy.result = nullptr;  // valid during this call only; Python may keep the record
    try {
      object_.attr("observe")(copy);
    } catch (nb::python_error& e) {
      throw Error("Python scheduler '" + name_ + "': observe() raised " + e.what());
    }
  }

 private:
  nb::object object_;
  std::string name_;
  bool observes_;
};

void register_scheduler(const std::string& name, const std::string& description, const nb::list& params,
                        nb::object factory, const std::string& source_file) {
  register_python_component<Scheduler>(name, description, params, std::move(factory), source_file,
                                       [name](nb::object instance) -> std::unique_ptr<Scheduler> {
                                         return std::make_unique<PythonScheduler>(std::move(instance), name);
                                       });
}

}  // namespace

void bind_scheduler(nb::module_& m) {
  nb::class_<Plan>(m, "Plan", "A chain of pool indices (cheapest first, target last) and each level's draft length.")
      .def(
          "__init__",
          [](Plan* plan, std::vector<int> chain, std::vector<int> draft_lengths, int drafter_length) {
            new (plan) Plan{std::move(chain), std::move(draft_lengths), drafter_length};
          },
          nb::arg("chain"), nb::arg("draft_lengths") = std::vector<int>{},
          nb::arg("drafter_length") = kExecutorDrafterLength)
      .def_rw("chain", &Plan::chain, "pool indices, cheapest first, target last")
      .def_rw("draft_lengths", &Plan::draft_lengths, "tokens each level proposes to the next (len(chain) - 1)")
      .def_rw("drafter_length", &Plan::drafter_length,
              "tokens the bottom drafter proposes per round; -1: the executor's length, 0: no drafter this step")
      .def("__eq__", [](const Plan& a, const Plan& b) {
        return a.chain == b.chain && a.draft_lengths == b.draft_lengths && a.drafter_length == b.drafter_length;
      })
      .def("__repr__", &plan_repr);

  nb::class_<ContextView>(m, "SchedulingContext", "What a scheduler knows when it plans a step (a copy).")
      .def_ro("pool", &ContextView::pool, "pool names, cheapest first, target last; Plan.chain indexes it")
      .def_ro("batch_size", &ContextView::batch_size, "sequences in the step")
      .def_ro("context_length", &ContextView::context_length, "mean committed tokens per sequence")
      .def_ro("has_estimates", &ContextView::has_estimates, "whether costs and acceptances were measured yet")
      .def(
          "index",
          [](const ContextView& view, const std::string& name) {
            for (std::size_t i = 0; i < view.pool.size(); ++i) {
              if (view.pool[i] == name) return static_cast<int>(i);
            }
            throw nb::value_error(("no pool model named '" + name + "'").c_str());
          },
          nb::arg("name"), "The pool index of the model called `name`; ValueError when none is.")
      .def(
          "forward_seconds",
          [](const ContextView& view, int model, int tokens_per_sequence) {
            return estimates_of(view).forward_seconds(checked_model(view, model), tokens_per_sequence, view.batch_size,
                                                      view.context_length);
          },
          nb::arg("model"), nb::arg("tokens_per_sequence") = 1,
          "Estimated seconds of one forward pass of pool model `model` over `tokens_per_sequence` new tokens for\n"
          "this step's batch and context. During plan() only; ValueError without estimates.")
      .def(
          "acceptance_rate",
          [](const ContextView& view, int drafter, int verifier) {
            checked_model(view, drafter);
            checked_model(view, verifier);
            if (drafter >= verifier) throw nb::value_error("acceptance_rate: the drafter must be cheaper (drafter < verifier)");
            return estimates_of(view).acceptance_rate(drafter, verifier);
          },
          nb::arg("drafter"), nb::arg("verifier"),
          "Estimated probability that `verifier` accepts one token drafted by `drafter` (pool indices,\n"
          "drafter < verifier). During plan() only; ValueError without estimates.")
      .def(
          "predict_seconds_per_token",
          [](const ContextView& view, const Plan& plan) {
            check_plan(plan, static_cast<int>(view.pool.size()));
            return predict_time_per_token(plan, estimates_of(view), {view.batch_size, view.context_length});
          },
          nb::arg("plan"),
          "The chain cost model's time per committed target token of `plan` for this step (what the greedy\n"
          "and dp schedulers minimise). During plan() only; ValueError without estimates.");

  nb::class_<StepOutcome>(m, "StepOutcome", "One step as it ran (what Scheduler.observe receives).")
      .def_ro("index", &StepOutcome::index, "0, 1, 2, ... in the run")
      .def_ro("plan", &StepOutcome::plan, "the plan the scheduler chose")
      .def_ro("executor_plan", &StepOutcome::executor_plan, "the same plan over the executor's pool")
      .def_ro("batch_size", &StepOutcome::batch_size, "sequences in the step")
      .def_ro("context_length", &StepOutcome::context_length, "mean committed tokens per sequence before the step")
      .def_ro("request_classes", &StepOutcome::request_classes, "class of each sequence, batch order")
      .def_ro("committed_tokens", &StepOutcome::committed_tokens, "target tokens the step committed, all sequences")
      .def_ro("target_passes", &StepOutcome::target_passes, "forward passes of the target in the step")
      .def_ro("start_seconds", &StepOutcome::start_seconds, "run time when the step began")
      .def_ro("seconds", &StepOutcome::seconds, "how long the step took")
      .def_ro("predicted_seconds_per_token", &StepOutcome::predicted_seconds_per_token,
              "time per token the estimates predicted; NaN without estimates");

  m.def("register_scheduler", &register_scheduler, nb::arg("name"), nb::arg("description"), nb::arg("params"),
        nb::arg("factory"), nb::arg("source_file") = "",
        "Registers a Python scheduler: factory(**params) returns an object with plan(context) -> Plan "
        "and optionally observe(outcome). params: [(name, type, default or None, doc)].");
}

}  // namespace specrouter::python
