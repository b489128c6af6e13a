#pragma once

/// @file
/// @brief Facts about the machine and the time that go into RunMetadata.

#include <chrono>
#include <string>

namespace specrouter {

/// `time` as ISO-8601 UTC with milliseconds: "2025-05-12T09:11:02.123Z".
std::string utc_timestamp(std::chrono::system_clock::time_point time);

/// The current time as utc_timestamp() writes it.
std::string utc_timestamp_now();

/// The machine's host name; "unknown" when the system does not say.
std::string host_name();

/// The CPU's model name from /proc/cpuinfo ("AMD EPYC 9654 96-Core Processor"), or the
/// machine architecture from uname when there is none.
std::string cpu_model_name();

}  // namespace specrouter
