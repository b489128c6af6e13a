#include "specrouter/conformance/param_checks.h"

#include <gtest/gtest.h>

#include "make_component.h"
#include "specrouter/drafter.h"
#include "specrouter/error.h"
#include "specrouter/scheduler.h"
#include "specrouter/verifier.h"

namespace specrouter::conformance {

template <class Interface>
void expect_refuses_params(const Registry<Interface>& registry, const std::string& name, const ParamOverrides& bad_params,
                           const std::string& named_in_message) {
  const std::string owner = detail::owner_of(registry, name);
  try {
    detail::make_component(registry, with_params(name, bad_params), TestModels{});
    ADD_FAILURE() << owner << " was created with parameters it should refuse (expected a message naming \""
                  << named_in_message << "\")";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind(owner, 0), 0u) << "the message does not start with " << owner << ": " << message;
    EXPECT_NE(message.find(named_in_message), std::string::npos)
        << "the message does not name \"" << named_in_message << "\": " << message;
  } catch (const std::exception& error) {
    ADD_FAILURE() << owner << " refused its parameters with an exception that is not a ConfigError: " << error.what();
  }
}

template void expect_refuses_params<Drafter>(const Registry<Drafter>&, const std::string&, const ParamOverrides&,
                                             const std::string&);
template void expect_refuses_params<Verifier>(const Registry<Verifier>&, const std::string&, const ParamOverrides&,
                                              const std::string&);
template void expect_refuses_params<Scheduler>(const Registry<Scheduler>&, const std::string&, const ParamOverrides&,
                                               const std::string&);

}  // namespace specrouter::conformance
