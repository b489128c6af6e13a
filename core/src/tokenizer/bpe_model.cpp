#include "bpe_model.h"

#include <cstdio>
#include <queue>

#include "specrouter/error.h"
#include "utf8.h"

namespace specrouter::tokenizer_detail {
namespace {

// Largest token id accepted; the id -> token table is dense, so a stray huge id would
// otherwise allocate gigabytes. Real vocabularies stay below 300k.
constexpr std::int64_t kMaxTokenId = (1 << 26) - 1;
// Pieces at least this long are not cached (as in `tokenizers`).
constexpr std::size_t kMaxCachedPieceBytes = 256;
constexpr std::size_t kCacheCapacity = 1 << 16;

std::uint64_t pair_key(TokenId left, TokenId right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
}

std::string byte_fallback_token(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "<0x%02X>", byte);
  return buffer;
}

// A pending merge; the queue pops the lowest rank first, then the leftmost position.
struct QueuedMerge {
  std::uint32_t rank;
  std::size_t pos;
  TokenId merged_id;
};
struct LaterMerge {
  bool operator()(const QueuedMerge& a, const QueuedMerge& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

}  // namespace

BpeModel::BpeModel(const JsonNode& model) {
  if (const auto dropout = model.find("dropout"); dropout && dropout->value().is_number() &&
                                                   dropout->value().get<double>() > 0.0) {
    dropout->fail("BPE dropout is random at encode time and cannot be reproduced; set it to null");
  }
  if (const auto unk = model.find("unk_token")) unk_token_ = unk->as_string();
  // An empty prefix or suffix (GPT-2's file has both) changes nothing; treat it as absent.
  if (const auto prefix = model.find("continuing_subword_prefix"); prefix && !prefix->as_string().empty()) {
    continuing_subword_prefix_ = prefix->as_string();
  }
  if (const auto suffix = model.find("end_of_word_suffix"); suffix && !suffix->as_string().empty()) {
    end_of_word_suffix_ = suffix->as_string();
  }
  fuse_unk_ = model.bool_or("fuse_unk", false);
  byte_fallback_ = model.bool_or("byte_fallback", false);
  ignore_merges_ = model.bool_or("ignore_merges", false);

  const JsonNode vocab = model.at("vocab");
  if (!vocab.is_object()) vocab.fail("expected an object mapping tokens to ids");
  // Two passes: the id -> token table first, then the token -> id index viewing its strings.
  for (const auto& [token, id_value] : vocab.value().items()) {
    if (!id_value.is_number_integer() || id_value.get<std::int64_t>() < 0 ||
        id_value.get<std::int64_t>() > kMaxTokenId) {
      vocab.at(token).fail("expected a token id between 0 and " + std::to_string(kMaxTokenId));
    }
    const auto id = static_cast<std::size_t>(id_value.get<std::int64_t>());
    if (id >= id_to_token_.size()) {
      id_to_token_.resize(id + 1);
      present_.resize(id + 1, false);
    }
    if (present_[id]) vocab.at(token).fail("id " + std::to_string(id) + " is used twice");
    id_to_token_[id] = token;
    present_[id] = true;
  }
  vocab_.reserve(vocab.value().size());
  for (std::size_t id = 0; id < id_to_token_.size(); ++id) {
    if (present_[id]) vocab_.emplace(id_to_token_[id], static_cast<TokenId>(id));
  }

  if (const auto merges = model.find("merges")) read_merges(*merges);

  for (int byte = 0; byte < 256; ++byte) {
    byte_fallback_ids_[static_cast<std::size_t>(byte)] = token_to_id(byte_fallback_token(static_cast<unsigned char>(byte)));
  }
}

BpeModel::~BpeModel() = default;

void BpeModel::read_merges(const JsonNode& merges) {
  if (!merges.is_array()) merges.fail("expected an array");
  const std::size_t prefix_length = continuing_subword_prefix_ ? continuing_subword_prefix_->size() : 0;
  merges_.reserve(merges.value().size());
  std::uint32_t rank = 0;
  std::string merged;
  std::size_t index = 0;
  // Plain JSON access in the loop (hundreds of thousands of merges); JsonNode only on error.
  for (const nlohmann::json& entry : merges.value()) {
    const auto fail = [&](const std::string& problem) { merges.at(index).fail(problem); };
    std::string_view left, right;
    if (entry.is_string()) {
      // Legacy form "left right"; tokenizers skips "#version" lines of merges.txt files.
      const std::string& line = entry.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) {
        ++index;
        continue;
      }
      const std::size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        fail("expected \"left right\" (one space), got '" + line + "'");
      }
      left = std::string_view(line).substr(0, space);
      right = std::string_view(line).substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
      left = entry[0].get_ref<const std::string&>();
      right = entry[1].get_ref<const std::string&>();
    } else {
      fail("expected \"left right\" or a pair [left, right]");
    }
    const auto left_id = token_to_id(left);
    const auto right_id = token_to_id(right);
    if (!left_id) fail("merge token '" + std::string(left) + "' is not in the vocabulary");
    if (!right_id) fail("merge token '" + std::string(right) + "' is not in the vocabulary");
    merged.assign(left);
    merged.append(right.size() >= prefix_length ? right.substr(prefix_length) : right);
    const auto merged_id = token_to_id(merged);
    if (!merged_id) fail("merged token '" + merged + "' is not in the vocabulary");
    // A repeated pair keeps its last rank, like the HashMap `tokenizers` collects into.
    merges_[pair_key(*left_id, *right_id)] = MergeResult{rank, *merged_id};
    ++rank;
    ++index;
  }
}

std::optional<TokenId> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  return it == vocab_.end() ? std::nullopt : std::optional<TokenId>(it->second);
}

const std::string* BpeModel::id_to_token(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size() || !present_[static_cast<std::size_t>(id)]) {
    return nullptr;
  }
  return &id_to_token_[static_cast<std::size_t>(id)];
}

std::optional<BpeModel::MergeResult> BpeModel::find_merge(TokenId left, TokenId right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? std::nullopt : std::optional<MergeResult>(it->second);
}

void BpeModel::initial_symbols(std::string_view piece, bool units_are_bytes, std::vector<Symbol>& symbols) const {
  const auto add = [&symbols](TokenId id, std::size_t byte_length) {
    const auto index = static_cast<std::int64_t>(symbols.size());
    if (!symbols.empty()) symbols.back().next = index;
    symbols.push_back({id, index - 1, -1, byte_length});
  };
  // A pending unknown token: added once the next known unit (or the end) shows it is complete.
  bool unk_pending = false;
  TokenId unk_id = 0;
  std::size_t unk_length = 0;
  std::string with_affixes;
  for (std::size_t pos = 0; pos < piece.size();) {
    const std::size_t length = units_are_bytes ? 1 : decode_utf8(piece, pos).length;
    const std::string_view unit = piece.substr(pos, length);
    const bool is_first = pos == 0;
    const bool is_last = pos + length == piece.size();
    pos += length;

    std::string_view lookup = unit;
    const bool add_prefix = !is_first && continuing_subword_prefix_;
    const bool add_suffix = is_last && end_of_word_suffix_;
    if (add_prefix || add_suffix) {
      with_affixes.assign(add_prefix ? *continuing_subword_prefix_ : std::string());
      with_affixes.append(unit);
      if (add_suffix) with_affixes.append(*end_of_word_suffix_);
      lookup = with_affixes;
    }

    if (const auto it = vocab_.find(lookup); it != vocab_.end()) {
      if (unk_pending) add(unk_id, unk_length);
      unk_pending = false;
      add(it->second, length);
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes_known = true;
      for (char c : lookup) all_bytes_known = all_bytes_known && byte_fallback_ids_[static_cast<unsigned char>(c)];
      if (all_bytes_known) {
        // tokenizers adds these without first flushing a pending unknown token.
        for (char c : lookup) add(*byte_fallback_ids_[static_cast<unsigned char>(c)], 1);
        continue;
      }
    }
    if (unk_token_) {
      if (unk_pending && fuse_unk_) {
        unk_length += length;
        continue;
      }
      if (unk_pending) add(unk_id, unk_length);
      const auto id = token_to_id(*unk_token_);
      if (!id) throw Error("BPE unknown token '" + *unk_token_ + "' is not in the vocabulary");
      unk_pending = true;
      unk_id = *id;
      unk_length = length;
    }
  }
  if (unk_pending) add(unk_id, unk_length);
}

void BpeModel::merge(std::vector<Symbol>& symbols) const {
  std::priority_queue<QueuedMerge, std::vector<QueuedMerge>, LaterMerge> queue;
  for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const auto m = find_merge(symbols[i].id, symbols[i + 1].id)) queue.push({m->rank, i, m->merged_id});
  }
  const auto count = static_cast<std::int64_t>(symbols.size());
  while (!queue.empty()) {
    const QueuedMerge top = queue.top();
    queue.pop();
    Symbol& current = symbols[top.pos];
    if (current.byte_length == 0 || current.next == -1) continue;
    const auto right_pos = static_cast<std::size_t>(current.next);
    const Symbol right = symbols[right_pos];
    // Skip entries made stale by an earlier merge.
    const auto still_valid = find_merge(current.id, right.id);
    if (!still_valid || still_valid->merged_id != top.merged_id) continue;

    current.id = top.merged_id;
    current.byte_length += right.byte_length;
    current.next = right.next;
    symbols[right_pos].byte_length = 0;
    if (right.next > -1 && right.next < count) symbols[static_cast<std::size_t>(right.next)].prev = static_cast<std::int64_t>(top.pos);

    if (current.prev >= 0) {
      const Symbol& previous = symbols[static_cast<std::size_t>(current.prev)];
      if (const auto m = find_merge(previous.id, current.id)) {
        queue.push({m->rank, static_cast<std::size_t>(current.prev), m->merged_id});
      }
    }
    if (current.next >= 0 && current.next < count) {
      if (const auto m = find_merge(current.id, symbols[static_cast<std::size_t>(current.next)].id)) {
        queue.push({m->rank, top.pos, m->merged_id});
      }
    }
  }
}

void BpeModel::tokenize(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.empty()) return;
  if (ignore_merges_) {
    if (const auto id = token_to_id(piece)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = piece.size() < kMaxCachedPieceBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (const auto it = cache_.find(piece); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(piece.size());
  initial_symbols(piece, /*units_are_bytes=*/false, symbols);
  merge(symbols);
  std::vector<TokenId> ids;
  ids.reserve(symbols.size());
  for (const Symbol& symbol : symbols) {
    if (symbol.byte_length != 0) ids.push_back(symbol.id);
  }
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::string(piece), std::move(ids));
  }
}

void BpeModel::tokenize_invalid_bytes(std::string_view bytes, std::vector<TokenId>& out) const {
  std::vector<Symbol> symbols;
  initial_symbols(bytes, /*units_are_bytes=*/true, symbols);
  merge(symbols);
  for (const Symbol& symbol : symbols) {
    if (symbol.byte_length != 0) out.push_back(symbol.id);
  }
}

}  // namespace specrouter::tokenizer_detail
