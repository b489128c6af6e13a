#pragma once

/// @file
/// @brief Expanding sweep overrides (`a=1,2`, `db=x,y`, `lr=range(0,1,0.25)`) into jobs.

#include <cstddef>
#include <string>
#include <vector>

namespace specrouter {

/// One job of a multirun: its number and its sweep-free overrides.
struct Job {
  std::size_t number = 0;              ///< 0 .. N-1, in expansion order
  std::vector<std::string> overrides;  ///< the overrides to compose this job with
};

/// Expands sweeps into the cartesian product of their values, in Hydra's order: the
/// first sweep varies slowest, the last fastest. Overrides that are not sweeps are
/// passed to every job unchanged, in their original positions.
///
/// Sweep values: a comma list (`a=1,2,3`; quoted commas and commas inside `[...]`,
/// `{...}` or `${...}` do not split), `choice(a,b)`, and `range(start,stop[,step])` with
/// Python's semantics (stop excluded; int when all bounds are ints, otherwise float).
/// Without any sweep the result is one job holding `overrides`. Throws ConfigError for a
/// malformed override, an empty element, an empty range or a zero step.
std::vector<Job> expand_multirun(const std::vector<std::string>& overrides);

/// The values a single sweep override expands to, as text (`range(0,3)` gives "0", "1",
/// "2"); a non-sweep value gives itself.
std::vector<std::string> sweep_values(const std::string& value_text, const std::string& override_text);

}  // namespace specrouter
