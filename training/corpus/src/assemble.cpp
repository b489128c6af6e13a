#include "specrouter/corpus/assemble.h"

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "specrouter/corpus/chunk_split.h"
#include "specrouter/corpus/file_glob.h"
#include "specrouter/corpus/lock_file.h"
#include "specrouter/corpus/normalize_text.h"
#include "specrouter/corpus/sha256.h"
#include "specrouter/error.h"

namespace specrouter::corpus {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kNormalization =
    "gunzip .gz; skip files with a NUL byte or invalid UTF-8; drop a BOM; CRLF/CR -> LF; backspace deletes "
    "the previous character; drop other C0 controls except tab/newline, and DEL; strip trailing spaces/tabs; "
    "collapse blank-line runs to one, none at the start; end with one newline; drop exact duplicates (first "
    "kept); files joined with one blank line";

struct SourceFile {
  std::string path;
  std::size_t domain = 0;
  const SourceSpec* source = nullptr;
  std::string bytes;
  std::string sha256;
};

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("corpus source file '" + file + "' cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string host_path(const std::string& root, const std::string& corpus_path) {
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + corpus_path;
}

void remove_tree(const fs::path& dir) {
  ::nftw(
      dir.c_str(), [](const char* file, const struct stat*, int, struct FTW*) { return ::remove(file); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

void write_text(const fs::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) throw ConfigError("corpus output '" + file.string() + "' cannot be written");
}

void check_versions(const CorpusSpec& spec, const AssembleOptions& options) {
  const VersionLookup lookup = options.installed_version ? options.installed_version : dpkg_installed_version;
  std::vector<std::string> problems;
  std::map<std::string, bool> checked;
  for (const DomainSpec& domain : spec.domains) {
    for (const SourceSpec& source : domain.sources) {
      if (source.package.empty() || checked[source.package + "=" + source.version]) continue;
      checked[source.package + "=" + source.version] = true;
      const std::optional<std::string> installed = lookup(source.package);
      if (!installed) {
        problems.push_back("package '" + source.package + "' (pinned " + source.version +
                           ") is not installed; scripts/setup.sh installs it");
      } else if (*installed != source.version) {
        problems.push_back("package '" + source.package + "' is installed at version " + *installed +
                           ", the corpus config pins " + source.version);
      }
    }
  }
  if (problems.empty()) return;
  std::string message = "corpus: the installed packages differ from the pinned ones:";
  for (const std::string& problem : problems) message += "\n  " + problem;
  message += "\n(a different version changes the zoo's text: pin it deliberately in the corpus config and run "
             "`specrouter corpus build --update-lock`)";
  throw ConfigError(message);
}

std::vector<SourceFile> collect_files(const CorpusSpec& spec) {
  std::vector<SourceFile> files;
  std::map<std::string, std::string> owner;  // corpus path -> domain that read it first
  for (std::size_t d = 0; d < spec.domains.size(); ++d) {
    for (const SourceSpec& source : spec.domains[d].sources) {
      std::vector<std::string> paths;
      for (const std::string& pattern : source.include) {
        const std::vector<std::string> matched = expand_glob(spec.root, pattern);
        if (matched.empty()) {
          throw ConfigError("corpus: glob '" + pattern + "' of domain '" + spec.domains[d].name +
                            "' matches no file under '" + spec.root + "'" +
                            (source.package.empty() ? "" : " (is package '" + source.package + "' installed?)"));
        }
        paths.insert(paths.end(), matched.begin(), matched.end());
      }
      std::sort(paths.begin(), paths.end());
      paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
      for (const std::string& path : paths) {
        const bool excluded = std::any_of(source.exclude.begin(), source.exclude.end(),
                                          [&](const std::string& glob) { return glob_matches(glob, path); });
        if (excluded || !owner.emplace(path, spec.domains[d].name).second) continue;
        SourceFile file{path, d, &source, read_file(host_path(spec.root, path)), ""};
        file.sha256 = sha256_hex(file.bytes);
        files.push_back(std::move(file));
      }
    }
  }
  return files;
}

void check_lock(const CorpusSpec& spec, const std::vector<SourceFile>& files, const AssembleOptions& options) {
  std::vector<LockedFile> locked;
  for (const SourceFile& file : files) locked.push_back({file.path, file.sha256, file.source->package, file.source->version});
  if (options.update_lock) {
    write_lock_file(spec.lock_file, locked);
    if (options.log) *options.log << "corpus: wrote lock " << spec.lock_file.string() << " (" << locked.size() << " files)\n";
    return;
  }
  if (!fs::exists(spec.lock_file)) {
    throw ConfigError("corpus lock file '" + spec.lock_file.string() +
                      "' does not exist; run `specrouter corpus build --update-lock` to pin the files read");
  }
  const std::vector<std::string> differences = lock_differences(read_lock_file(spec.lock_file), locked);
  if (differences.empty()) return;
  std::string message = "corpus: " + std::to_string(differences.size()) + " source file(s) differ from the lock '" +
                        spec.lock_file.string() + "':";
  for (std::size_t i = 0; i < differences.size() && i < 20; ++i) message += "\n  " + differences[i];
  if (differences.size() > 20) message += "\n  ... and " + std::to_string(differences.size() - 20) + " more";
  message += "\n(accept them deliberately with `specrouter corpus build --update-lock`)";
  throw ConfigError(message);
}

}  // namespace

std::string corpus_fingerprint(const CorpusSpec& spec) {
  if (!fs::exists(spec.lock_file)) return "";
  return sha256_hex(canonical_text(spec) + "\nlock:\n" + read_file(spec.lock_file.string()));
}

std::string recorded_fingerprint(const fs::path& output_dir) {
  std::ifstream in(output_dir / "manifest.json");
  if (!in) return "";
  try {
    return Json::parse(in).value("fingerprint", "");
  } catch (const Json::exception&) {
    return "";
  }
}

AssembleReport assemble_corpus(const CorpusSpec& spec, const AssembleOptions& options) {
  check_versions(spec, options);
  const std::vector<SourceFile> files = collect_files(spec);
  check_lock(spec, files, options);

  struct Split {
    std::string text;
    std::size_t chunks = 0;
    std::string last_path;
  };
  std::vector<Split> train(spec.domains.size()), heldout(spec.domains.size());
  std::vector<DomainReport> reports(spec.domains.size());
  for (std::size_t d = 0; d < spec.domains.size(); ++d) reports[d].name = spec.domains[d].name;
  std::map<std::string, std::string> seen_text;  // text hash -> first path
  Json file_entries = Json::array();
  for (const SourceFile& file : files) {
    Json entry = {{"path", file.path}, {"domain", spec.domains[file.domain].name},
                  {"package", file.source->package}, {"sha256", file.sha256}, {"bytes", file.bytes.size()}};
    NormalizedText normalized = normalize_file(file.path, file.bytes);
    if (normalized.skip_reason.empty()) {
      const auto [it, fresh] = seen_text.emplace(sha256_hex(normalized.text), file.path);
      if (!fresh) normalized.skip_reason = "duplicate of " + it->second;
    }
    DomainReport& report = reports[file.domain];
    if (!normalized.skip_reason.empty()) {
      entry["skipped"] = normalized.skip_reason;
      ++report.files_skipped;
      file_entries.push_back(entry);
      continue;
    }
    ++report.files_used;
    std::size_t train_chunks = 0, heldout_chunks = 0;
    const std::vector<std::string_view> chunks = chunk_text(normalized.text, spec.chunk_bytes);
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const bool held = is_heldout(file.path, c, spec.heldout_fraction);
      Split& split = held ? heldout[file.domain] : train[file.domain];
      // Files are separated by a blank line; chunks of one file follow each other directly.
      if (!split.text.empty() && split.last_path != file.path) split.text.push_back('\n');
      split.text.append(chunks[c]);
      split.last_path = file.path;
      ++split.chunks;
      ++(held ? heldout_chunks : train_chunks);
    }
    entry["text_bytes"] = normalized.text.size();
    entry["train_chunks"] = train_chunks;
    entry["heldout_chunks"] = heldout_chunks;
    file_entries.push_back(entry);
  }

  for (const DomainReport& report : reports) {
    if (report.files_used == 0) throw ConfigError("corpus: domain '" + report.name + "' has no usable file");
  }

  // Everything goes into a temporary folder first, renamed into place when complete.
  const fs::path output = spec.output_dir;
  if (output.has_parent_path()) fs::create_directories(output.parent_path());
  const fs::path temporary = output.string() + ".tmp." + std::to_string(::getpid());
  remove_tree(temporary);
  fs::create_directories(temporary / "train");
  fs::create_directories(temporary / "heldout");

  AssembleReport result;
  Json domains = Json::object();
  Sha256 corpus_hash;
  for (std::size_t d = 0; d < spec.domains.size(); ++d) {
    const std::string name = spec.domains[d].name;
    DomainReport& report = reports[d];
    report.train_bytes = train[d].text.size();
    report.heldout_bytes = heldout[d].text.size();
    report.train_chunks = train[d].chunks;
    report.heldout_chunks = heldout[d].chunks;
    Json domain = {{"files_used", report.files_used}, {"files_skipped", report.files_skipped}};
    for (const auto& [split_name, split] : {std::pair{"train", &train[d]}, std::pair{"heldout", &heldout[d]}}) {
      const std::string relative = std::string(split_name) + "/" + name + ".txt";
      write_text(temporary / relative, split->text);
      const std::string hash = sha256_hex(split->text);
      corpus_hash.update(hash);
      domain[split_name] = {{"file", relative}, {"bytes", split->text.size()}, {"chunks", split->chunks},
                            {"sha256", hash}};
    }
    domains[name] = domain;
  }
  result.domains = reports;
  result.corpus_sha256 = corpus_hash.hex();
  result.fingerprint = corpus_fingerprint(spec);

  Json packages = Json::array();
  std::map<std::string, bool> listed;
  for (const DomainSpec& domain : spec.domains) {
    for (const SourceSpec& source : domain.sources) {
      if (source.package.empty() || listed[source.package]) continue;
      listed[source.package] = true;
      packages.push_back({{"package", source.package}, {"version", source.version}, {"domain", domain.name}});
    }
  }
  const Json manifest = {{"format", 1},
                         {"corpus_sha256", result.corpus_sha256},
                         {"fingerprint", result.fingerprint},
                         {"root", spec.root},
                         {"heldout_fraction", spec.heldout_fraction},
                         {"chunk_bytes", spec.chunk_bytes},
                         {"split_rule", "chunk held out when SHA-256('<path>#<chunk>')[0:8] / 2^64 < heldout_fraction"},
                         {"normalization", kNormalization},
                         {"packages", packages},
                         {"domains", domains},
                         {"files", file_entries}};
  write_text(temporary / "manifest.json", manifest.dump(1) + "\n");

  const fs::path previous = output.string() + ".old." + std::to_string(::getpid());
  const bool had_output = fs::exists(output);
  if (had_output && std::rename(output.c_str(), previous.c_str()) != 0) {
    throw ConfigError("corpus output '" + output.string() + "' cannot be replaced");
  }
  if (std::rename(temporary.c_str(), output.c_str()) != 0) {
    if (had_output) std::rename(previous.c_str(), output.c_str());
    throw ConfigError("corpus output '" + output.string() + "' cannot be created");
  }
  if (had_output) remove_tree(previous);
  return result;
}

}  // namespace specrouter::corpus
