#include "dlms/session/quirks.h"

#include <algorithm>

namespace vidyut::dlms {
namespace {

constexpr std::array<Quirk, kQuirkCount> kAll = {Quirk::kRepeatedHeaderInEmptyLastBlock,
                                                 Quirk::kEmptyArrayTwice};

// The array header (tag 01 and its A-XDR length) at the start of `bytes`, or empty.
ByteView array_header(ByteView bytes) {
  ByteReader in(bytes);
  auto tag = in.u8();
  if (!tag.ok() || *tag != static_cast<std::uint8_t>(DataTag::kArray)) return {};
  if (!axdr::decode_length(in).ok()) return {};
  return bytes.first(in.position());
}

}  // namespace

const char* to_string(Quirk q) {
  switch (q) {
    case Quirk::kRepeatedHeaderInEmptyLastBlock:
      return "repeated-header-in-empty-last-block";
    case Quirk::kEmptyArrayTwice:
      return "empty-array-twice";
  }
  return "unknown-quirk";
}

std::optional<Quirk> parse_quirk(std::string_view name) {
  for (Quirk q : kAll) {
    if (name == to_string(q)) return q;
  }
  return std::nullopt;
}

std::string quirk_names() {
  std::string s;
  for (Quirk q : kAll) s += (s.empty() ? "" : ", ") + std::string(to_string(q));
  return s;
}

std::string QuirkSet::to_string() const {
  std::string s;
  for (Quirk q : kAll) {
    if (has(q)) s += (s.empty() ? "" : ", ") + std::string(dlms::to_string(q));
  }
  return s.empty() ? "none" : s;
}

Result<QuirkSet> QuirkSet::parse(std::string_view names) {
  QuirkSet set;
  while (!names.empty()) {
    const auto comma = names.find(',');
    std::string_view name = names.substr(0, comma);
    names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) continue;
    const auto q = parse_quirk(name);
    if (!q) {
      return Error(Errc::kInvalidArgument,
                   "unknown quirk '" + std::string(name) + "' (known: " + quirk_names() + ")");
    }
    set.add(*q);
  }
  return set;
}

std::uint64_t QuirkCounts::total() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : by_quirk) n += c;
  return n;
}

Result<Data> decode_reassembled(ByteView bytes, std::size_t last_block, QuirkSet quirks,
                                QuirkCounts& counts) {
  ByteReader in(bytes);
  auto value = axdr::decode(in);
  if (!value.ok()) return axdr::decode_all(bytes);  // failures only: decode_all's error
  if (in.empty()) return value;
  const ByteView rest = in.rest();
  const ByteView header = array_header(bytes);
  // Both deviations follow a complete array; anything else is refused as strict decoding does.
  if (value->tag() == DataTag::kArray && !header.empty()) {
    const bool same_header = std::equal(rest.begin(), rest.end(), header.begin(), header.end());
    // The empty array sent twice: 01 00 01 00.
    if (quirks.has(Quirk::kEmptyArrayTwice) && value->as_list() && value->as_list()->empty() &&
        same_header) {
      counts.add(Quirk::kEmptyArrayTwice);
      return value;
    }
    // The last block is nothing but the first block's array header again.
    if (quirks.has(Quirk::kRepeatedHeaderInEmptyLastBlock) && same_header &&
        last_block == rest.size() && value->as_list() && !value->as_list()->empty()) {
      counts.add(Quirk::kRepeatedHeaderInEmptyLastBlock);
      return value;
    }
  }
  return Error(Errc::kMalformed, std::to_string(rest.size()) +
                                     " trailing bytes after A-XDR value at offset " +
                                     std::to_string(in.position()));
}

}  // namespace vidyut::dlms
