// The conformance kit (testing/, docs/design/conformance_kit.md) on plugins written in
// Python. The program embeds the interpreter, imports python/tests/plugin_fixtures.py
// (the Python token verifier "py_token", the sampling drafter "py_bigram" and the
// scheduler "py_cost_model", registered by their decorators through the package's
// adapters, python_verifier.cpp, python_drafter.cpp and python_scheduler.cpp) and runs the kit's checks on the registries those adapters filled:
// the specrouter._core module's own (shared_registries(), reached through
// _core._registries_capsule()), which also hold every loaded C++ plugin, among them the
// token verifier the drafter checks pair the drafter with.
//
// The GIL: main() releases it before the tests run, so the adapters take it around each
// Python call exactly as in a Python process. The interpreter is not finalized: the
// registries keep the Python classes for the life of the process (docs/design/python.md).
#include <Python.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "specrouter/conformance/conformance.h"
#include "specrouter/plugin/registries.h"

namespace {

namespace conformance = specrouter::conformance;

const specrouter::Registries* g_registries = nullptr;

const specrouter::Registries& registries() { return *g_registries; }

// The Python drafter needs the kit's vocabulary size.
conformance::Component bigram_drafter() {
  return conformance::Component{"py_bigram", [](const conformance::TestModels& models) {
                                  return conformance::ParamOverrides{{"vocab", models.vocab_size}};
                                }};
}

TEST(PythonDrafterConformance, GreedyDecodingIsLossless) {
  conformance::expect_greedy_lossless_drafter(registries(), bigram_drafter());
}

TEST(PythonDrafterConformance, SampledDecodingIsLossless) {
  conformance::expect_sampling_lossless_drafter(registries(), bigram_drafter());
}

TEST(PythonVerifierConformance, GreedyVerificationIsLossless) {
  conformance::expect_greedy_lossless_verifier(registries(), conformance::named("py_token"));
}

TEST(PythonVerifierConformance, SampledVerificationIsLossless) {
  conformance::expect_sampling_lossless_verifier(registries(), conformance::named("py_token"));
}

TEST(PythonVerifierConformance, TreeDraftsAreRefused) {
  conformance::expect_verifier_refuses_tree_drafts(registries(), conformance::named("py_token"));
}

TEST(PythonSchedulerConformance, PassesTheKit) {
  conformance::expect_scheduler_conforms(registries(), conformance::named("py_cost_model"));
}

TEST(PythonVerifierConformance, MalformedRequestsAreRefused) {
  conformance::expect_verifier_refuses_malformed_requests(registries(), conformance::named("py_token"));
}

// Starts the interpreter of the project's environment (its site-packages: torch), imports
// the fixtures and returns the registries; prints the Python error and returns null on failure.
const specrouter::Registries* start_python() {
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  // The virtual environment's interpreter as the program: Python finds its pyvenv.cfg.
  PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, SPECROUTER_PYTHON_EXECUTABLE);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    std::fprintf(stderr, "cannot start Python: %s\n", status.err_msg ? status.err_msg : "(no message)");
    return nullptr;
  }
  PyObject* fixtures = PyImport_ImportModule("plugin_fixtures");
  PyObject* core = fixtures ? PyImport_ImportModule("specrouter._core") : nullptr;
  PyObject* capsule = core ? PyObject_CallMethod(core, "_registries_capsule", nullptr) : nullptr;
  void* pointer = capsule ? PyCapsule_GetPointer(capsule, "specrouter.Registries") : nullptr;
  if (pointer == nullptr) {
    PyErr_Print();
    return nullptr;
  }
  Py_DECREF(capsule);
  Py_DECREF(core);
  Py_DECREF(fixtures);
  return static_cast<const specrouter::Registries*>(pointer);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  g_registries = start_python();
  if (g_registries == nullptr) return 1;
  PyThreadState* main_thread = PyEval_SaveThread();  // the adapters take the GIL per call
  const int result = RUN_ALL_TESTS();
  PyEval_RestoreThread(main_thread);
  std::fflush(stdout);
  return result;
}
