#pragma once

/// @file
/// @brief Assembling a corpus: read the pinned files, check them against the lock,
/// normalise, deduplicate, split, and write `train/`, `heldout/` and `manifest.json`.
///
/// @code
/// specrouter::corpus::CorpusSpec spec = specrouter::corpus::parse_corpus_spec(config, "corpus", "configs");
/// specrouter::corpus::AssembleReport report = specrouter::corpus::assemble_corpus(spec, {});
/// // report.domains[0].train_bytes, ...; files in spec.output_dir
/// @endcode

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "specrouter/corpus/corpus_spec.h"

namespace specrouter::corpus {

/// Returns the installed version of a Debian package, or std::nullopt when it is not
/// installed.
using VersionLookup = std::function<std::optional<std::string>(const std::string& package)>;

/// The installed version according to `dpkg-query -W -f '${Version}'`.
std::optional<std::string> dpkg_installed_version(const std::string& package);

/// How assemble_corpus() runs.
struct AssembleOptions {
  /// Write the lock file from the files read instead of checking them against it (the
  /// deliberate way to accept a new package version).
  bool update_lock = false;
  /// Where package versions come from; unset: dpkg_installed_version.
  VersionLookup installed_version;
  /// Progress lines go here when set.
  std::ostream* log = nullptr;
};

/// Sizes of one domain's output.
struct DomainReport {
  std::string name;               ///< the domain
  std::size_t files_used = 0;     ///< files whose text is in the corpus
  std::size_t files_skipped = 0;  ///< binary, not UTF-8, empty or duplicate files
  std::size_t train_bytes = 0;    ///< size of `train/<name>.txt`
  std::size_t heldout_bytes = 0;  ///< size of `heldout/<name>.txt`
  std::size_t train_chunks = 0;   ///< chunks in the train split
  std::size_t heldout_chunks = 0; ///< chunks in the held-out split
};

/// What assemble_corpus() wrote.
struct AssembleReport {
  std::vector<DomainReport> domains;  ///< in the spec's order
  std::string corpus_sha256;          ///< SHA-256 over every output file's hash, as in the manifest
  std::string fingerprint;            ///< hash of the spec and the lock, as in the manifest
};

/// Builds the corpus `spec` describes into `spec.output_dir`.
///
/// Before reading anything, every source's package must be installed at its pinned
/// version; then every file read must match the lock (unless `update_lock`). Either
/// failure throws ConfigError listing each package or file at fault, and nothing is
/// written. The output is written under a temporary name and renamed into place, so an
/// existing corpus is replaced only by a complete one.
AssembleReport assemble_corpus(const CorpusSpec& spec, const AssembleOptions& options);

/// The fingerprint assemble_corpus() would record for `spec` with the lock file as it is
/// now (empty when the lock file is missing).
std::string corpus_fingerprint(const CorpusSpec& spec);

/// The fingerprint recorded in `<output_dir>/manifest.json`, or empty when there is none.
std::string recorded_fingerprint(const std::filesystem::path& output_dir);

}  // namespace specrouter::corpus
