#include "specrouter/corpus/normalize_text.h"

#include <zlib.h>

#include <cstring>

#include "specrouter/tokenizer/utf8.h"

namespace specrouter::corpus {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Removes control characters (step 4): a backspace also removes the character before
// it, which may be several bytes long.
std::string drop_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\b') {
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && out.back() != '\n') out.pop_back();
      continue;
    }
    if ((byte < 0x20 && byte != '\t' && byte != '\n') || byte == 0x7F) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool gunzip(std::string_view compressed, std::string& out) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return false;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  out.clear();
  char buffer[1 << 16];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    // Concatenated gzip members (allowed by RFC 1952) continue after a stream end.
    if (status == Z_STREAM_END && stream.avail_in > 0) status = inflateReset(&stream);
  }
  inflateEnd(&stream);
  return status == Z_STREAM_END;
}

NormalizedText normalize_file(std::string_view path, std::string_view bytes) {
  std::string decompressed;
  if (ends_with(path, ".gz")) {
    if (!gunzip(bytes, decompressed)) return {"", "not valid gzip data"};
    bytes = decompressed;
  }
  if (const void* nul = std::memchr(bytes.data(), '\0', bytes.size())) {
    const auto offset = static_cast<const char*>(nul) - bytes.data();
    return {"", "binary (NUL byte at offset " + std::to_string(offset) + ")"};
  }
  if (const std::size_t bad = first_invalid_utf8(bytes); bad != std::string_view::npos) {
    return {"", "not UTF-8 (invalid byte at offset " + std::to_string(bad) + ")"};
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);

  std::string unix_lines;
  unix_lines.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r') {
      unix_lines.push_back('\n');
      if (i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
    } else {
      unix_lines.push_back(bytes[i]);
    }
  }
  const std::string visible = drop_controls(unix_lines);

  std::string text;
  text.reserve(visible.size() + 1);
  std::size_t blank_run = 0;  // newlines seen since the last non-blank line ended
  std::size_t start = 0;
  while (start < visible.size()) {
    std::size_t end = visible.find('\n', start);
    if (end == std::string::npos) end = visible.size();
    std::string_view line(visible.data() + start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) {
      ++blank_run;
    } else {
      if (!text.empty() && blank_run > 0) text.push_back('\n');
      text.append(line);
      text.push_back('\n');
      blank_run = 0;
    }
    start = end + 1;
  }
  if (text.empty()) return {"", "empty"};
  return {std::move(text), ""};
}

}  // namespace specrouter::corpus
