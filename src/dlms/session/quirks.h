// Meter quirks: known, named deviations from the standard that some meters' firmware makes, which
// a client may be told to accept. Strict decoding refuses these bytes; a quirk accepts exactly
// the one deviation it names, nothing more, and every accepted deviation is counted.
//
// Quirks are a parameter of the decoder (ClientSettings::quirks), never global state. Which
// meters get which quirks is configuration (per manufacturer; docs/meter-quirks.md), off by
// default.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/axdr/data.h"

namespace vidyut::dlms {

enum class Quirk : std::uint8_t {
  // A profile read in blocks whose last data block, instead of holding nothing, repeats the
  // array header (tag and element count) that began the first block.
  kRepeatedHeaderInEmptyLastBlock = 0,
  // An empty profile read in blocks that sends its empty array (01 00) twice.
  kEmptyArrayTwice = 1,
};
inline constexpr std::size_t kQuirkCount = 2;

// "repeated-header-in-empty-last-block", "empty-array-twice": the names configuration uses.
const char* to_string(Quirk q);
std::optional<Quirk> parse_quirk(std::string_view name);
// Every quirk's name, comma-separated (for help texts and error messages).
std::string quirk_names();

// A set of quirks; empty by default (strict).
class QuirkSet {
 public:
  QuirkSet() = default;
  bool has(Quirk q) const { return (bits_ & bit(q)) != 0; }
  QuirkSet& add(Quirk q) {
    bits_ |= bit(q);
    return *this;
  }
  QuirkSet& add(QuirkSet other) {
    bits_ |= other.bits_;
    return *this;
  }
  bool empty() const { return bits_ == 0; }
  // "a, b" (or "none").
  std::string to_string() const;
  // A comma-separated list of names; kInvalidArgument names the unknown one.
  static Result<QuirkSet> parse(std::string_view names);
  bool operator==(const QuirkSet&) const = default;

 private:
  static std::uint32_t bit(Quirk q) { return 1u << static_cast<unsigned>(q); }
  std::uint32_t bits_ = 0;
};

// Deviations accepted, per quirk.
struct QuirkCounts {
  std::array<std::uint64_t, kQuirkCount> by_quirk{};
  std::uint64_t of(Quirk q) const { return by_quirk[static_cast<std::size_t>(q)]; }
  std::uint64_t total() const;
  void add(Quirk q) { ++by_quirk[static_cast<std::size_t>(q)]; }
};

// The value of a GET response reassembled from blocks (`bytes`, whose last block was
// `last_block` bytes long): exactly one A-XDR value, or - with the matching quirk in `quirks` -
// one value followed by a deviation that quirk names, which is then recorded in `counts`.
// Errors as axdr::decode_all (trailing bytes are kMalformed).
Result<Data> decode_reassembled(ByteView bytes, std::size_t last_block, QuirkSet quirks,
                                QuirkCounts& counts);

}  // namespace vidyut::dlms
