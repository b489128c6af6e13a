// Merging with provenance.
#include "merge.h"

#include "key_path.h"

namespace specrouter::detail {

void record_origins(const YAML::Node& value, const std::string& path, const Origin& origin, const OriginOf& origin_of,
                    Provenance& provenance) {
  provenance.replace(path, origin);
  if (value.IsMap()) {
    for (const auto& item : value) {
      record_origins(item.second, child_path(path, item.first.Scalar()), origin_of(item.first), origin_of, provenance);
    }
  } else if (value.IsSequence()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      record_origins(value[i], element_path(path, i), origin_of(value[i]), origin_of, provenance);
    }
  }
}

void merge_mapping(YAML::Node target, const YAML::Node& source, const std::string& path, const OriginOf& origin_of,
                   Provenance& provenance) {
  for (const auto& item : source) {
    const std::string key = item.first.Scalar();
    const std::string key_path = child_path(path, key);
    const Origin origin = origin_of(item.first);
    YAML::Node existing = lookup(target, {PathSegment{key, std::nullopt}});
    if (item.second.IsMap() && existing.IsMap()) {
      provenance.set(key_path, origin);
      merge_mapping(existing, item.second, key_path, origin_of, provenance);
    } else {
      target[key] = YAML::Clone(item.second);
      record_origins(item.second, key_path, origin, origin_of, provenance);
    }
  }
}

void merge_file(YAML::Node root, const ConfigFile& file, const std::string& package, Provenance& provenance) {
  const KeyPath package_path = parse_key_path(package, file.path.string() + " (package)");
  // Keys created (or replaced) to hold the package come from this file, without a line.
  for (std::size_t depth = 1; depth <= package_path.size(); ++depth) {
    const KeyPath prefix(package_path.begin(), package_path.begin() + static_cast<std::ptrdiff_t>(depth));
    if (!lookup(root, prefix).IsMap()) {
      provenance.replace(format_key_path(prefix), Origin{file.path.string(), 0, 0, ""});
    }
  }
  YAML::Node target = ensure_mapping(root, package_path);
  const OriginOf from_file = [&](const YAML::Node& node) { return origin_in(file.path, node); };
  merge_mapping(target, file.content, package, from_file, provenance);
}

}  // namespace specrouter::detail
