#pragma once

/// @file
/// @brief What a corpus reads and how it splits it: the `corpus` config group
/// (configs/corpus/*.yaml) as a struct.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "specrouter/config/compose.h"

namespace specrouter::corpus {

/// Files of one Debian package (or of no package: local files) read into one domain.
struct SourceSpec {
  std::string package;               ///< Debian package; empty: no version check
  std::string version;               ///< the exact version the corpus pins (`dpkg-query -W`)
  std::vector<std::string> include;  ///< absolute globs of the files read (file_glob.h)
  std::vector<std::string> exclude;  ///< globs of files left out; without `/` they match the file name
};

/// One domain: its files become `train/<name>.txt` and `heldout/<name>.txt`.
struct DomainSpec {
  std::string name;                  ///< e.g. `prose`, `code`; a file-name-safe word
  std::vector<SourceSpec> sources;   ///< read in this order
};

/// A whole corpus.
struct CorpusSpec {
  std::string root = "/";                 ///< globs are resolved below this folder (tests use a fake tree)
  std::filesystem::path output_dir;       ///< where train/, heldout/ and manifest.json go
  std::filesystem::path lock_file;        ///< SHA-256 of every file read (sha256sum format)
  double heldout_fraction = 0.05;         ///< share of chunks held out, per domain, chosen by hash
  std::size_t chunk_bytes = 16384;        ///< files longer than this are split (at blank lines) into chunks
  std::vector<DomainSpec> domains;        ///< in output order
};

/// Reads the corpus config at `key_path` of a composed config (usually `corpus`).
/// A relative `lock_file` is resolved against `config_dir` (the config folder), a
/// relative `output_dir` against the working directory. Throws ConfigError naming the
/// key and where it was set when a key is missing, unknown or of the wrong type.
CorpusSpec parse_corpus_spec(const ComposedConfig& config, const std::string& key_path,
                             const std::filesystem::path& config_dir);

/// A canonical text form of everything in `spec` that changes the corpus's content
/// (not output_dir or lock_file); manifests record its hash.
std::string canonical_text(const CorpusSpec& spec);

}  // namespace specrouter::corpus
