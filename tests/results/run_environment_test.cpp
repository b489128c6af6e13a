// Timestamps, host and CPU names for run metadata.
#include <gtest/gtest.h>

#include <regex>

#include "specrouter/results/run_environment.h"

namespace specrouter {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST(RunEnvironment, TimestampIsIso8601UtcWithMilliseconds) {
  // 2025-05-12T09:11:02.123Z is 1747041062123 ms after the epoch.
  EXPECT_EQ(utc_timestamp(system_clock::time_point(milliseconds(1747041062123))), "2025-05-12T09:11:02.123Z");
  EXPECT_EQ(utc_timestamp(system_clock::time_point(milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utc_timestamp(system_clock::time_point(milliseconds(-1))), "1969-12-31T23:59:59.999Z");
  EXPECT_TRUE(std::regex_match(utc_timestamp_now(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST(RunEnvironment, HostAndCpuAreNamed) {
  EXPECT_FALSE(host_name().empty());
  EXPECT_NE(host_name(), "unknown");
  EXPECT_FALSE(cpu_model_name().empty());
  EXPECT_NE(cpu_model_name(), "unknown");
}

}  // namespace
}  // namespace specrouter
