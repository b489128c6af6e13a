#include "specrouter/corpus/chunk_split.h"

#include <cmath>

#include "specrouter/corpus/sha256.h"

namespace specrouter::corpus {

std::vector<std::string_view> chunk_text(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string_view> chunks;
  while (text.size() > max_bytes) {
    const std::string_view window = text.substr(0, max_bytes);
    std::size_t cut = window.rfind("\n\n");
    if (cut != std::string_view::npos && cut > 0) {
      cut += 2;
    } else if (cut = window.rfind('\n'); cut != std::string_view::npos && cut > 0) {
      cut += 1;
    } else {
      cut = max_bytes;  // one very long line: cut before a continuation byte never
      while (cut > 1 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    }
    chunks.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  if (!text.empty()) chunks.push_back(text);
  return chunks;
}

bool is_heldout(std::string_view path, std::size_t chunk_index, double heldout_fraction) {
  Sha256 hasher;
  hasher.update(path);
  hasher.update("#" + std::to_string(chunk_index));
  const auto digest = hasher.digest();
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
  return std::ldexp(static_cast<double>(value), -64) < heldout_fraction;
}

}  // namespace specrouter::corpus
