// Merging config content into the composed tree while recording where each key came
// from. Private to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

#include "config_repository.h"
#include "specrouter/config/provenance.h"

namespace specrouter::detail {

/// The origin of a node of the content being merged (a key node for mapping entries).
using OriginOf = std::function<Origin(const YAML::Node& node)>;

/// Merges mapping `source` into mapping `target`, which sits at key path `path`:
/// mappings merge key by key, anything else (scalars, sequences, a mapping over a
/// non-mapping) replaces what was there. `source` is copied, never shared.
void merge_mapping(YAML::Node target, const YAML::Node& source, const std::string& path, const OriginOf& origin_of,
                   Provenance& provenance);

/// Records `origin` for `path` and origins from `origin_of` for everything below it,
/// forgetting what was recorded there before.
void record_origins(const YAML::Node& value, const std::string& path, const Origin& origin, const OriginOf& origin_of,
                    Provenance& provenance);

/// Merges a file's content into `root` at its package (a key path; empty: the root).
void merge_file(YAML::Node root, const ConfigFile& file, const std::string& package, Provenance& provenance);

}  // namespace specrouter::detail
