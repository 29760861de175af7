// Data: one COSEM value as A-XDR carries it (IEC 62056-6-2 "Data" CHOICE), and its codec.
//
// A Data keeps its wire type (tag) beside the value, so a decoded value re-encodes to the same
// bytes: a meter's long-unsigned stays long-unsigned. Integers of every width are held as int64_t
// (signed types) or uint64_t (unsigned types and enum); the tag says which width goes on the wire.
//
// Wire format: docs/dlms.md. Decoding is bounded by the limits below; input that breaks them is
// rejected with Errc::kLimitExceeded, never followed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::dlms {

// A-XDR type tags (IEC 62056-6-2, table "Data"); values as on the wire.
enum class DataTag : std::uint8_t {
  kNull = 0,
  kArray = 1,
  kStructure = 2,
  kBoolean = 3,
  kBitString = 4,
  kDoubleLong = 5,          // int32
  kDoubleLongUnsigned = 6,  // uint32
  kOctetString = 9,
  kVisibleString = 10,
  kUtf8String = 12,
  kBcd = 13,
  kInteger = 15,       // int8
  kLong = 16,          // int16
  kUnsigned = 17,      // uint8
  kLongUnsigned = 18,  // uint16
  kCompactArray = 19,
  kLong64 = 20,          // int64
  kLong64Unsigned = 21,  // uint64
  kEnum = 22,
  kFloat32 = 23,
  kFloat64 = 24,
  kDateTime = 25,  // 12 bytes, no length
  kDate = 26,      // 5 bytes
  kTime = 27,      // 4 bytes
  kDontCare = 255,
};

// Name for messages and pretty-printing: "long-unsigned".
const char* to_string(DataTag tag);

// Bit-string: `bits` bits, most significant bit of bytes[0] is bit 0 (as the ESW counts them).
struct BitString {
  Bytes bytes;
  std::uint32_t bits = 0;

  bool test(std::size_t i) const;           // false when i >= bits
  void set(std::size_t i, bool on = true);  // grows to i + 1 bits if needed
  static BitString of_size(std::uint32_t bits);
  bool operator==(const BitString&) const = default;
};

// COSEM date-time (12 bytes): year(2) month day weekday hour minute second hundredths
// deviation(int16, minutes, sign as in the standard) status. 0xFF / 0xFFFF / 0x8000 mean
// "not specified".
struct CosemDateTime {
  static constexpr std::uint16_t kYearUnspecified = 0xFFFF;
  static constexpr std::uint8_t kUnspecified = 0xFF;
  static constexpr std::int16_t kDeviationUnspecified = static_cast<std::int16_t>(0x8000);

  std::uint16_t year = kYearUnspecified;
  std::uint8_t month = kUnspecified;
  std::uint8_t day = kUnspecified;
  std::uint8_t weekday = kUnspecified;  // 1 = Monday ... 7 = Sunday
  std::uint8_t hour = kUnspecified;
  std::uint8_t minute = kUnspecified;
  std::uint8_t second = kUnspecified;
  std::uint8_t hundredths = kUnspecified;
  std::int16_t deviation = kDeviationUnspecified;
  std::uint8_t status = kUnspecified;

  static Result<CosemDateTime> from_bytes(ByteView twelve);
  Bytes to_bytes() const;
  // Local time at `deviation_minutes` from UTC, as Indian meters report IST (deviation per
  // IEC 62056-6-2: minutes local time is *behind* UTC, so IST is -330; see docs/dlms.md).
  static CosemDateTime from_utc(UtcTime t, std::int16_t deviation = -330);
  // REQUIRES nothing; fails with kInvalidArgument when a field needed is unspecified. When the
  // deviation is unspecified, `assumed_deviation` is used.
  Result<UtcTime> to_utc(std::int16_t assumed_deviation = -330) const;
  std::string to_string() const;  // "2026-11-23 10:15:00.00 dev -330 st 00"
  // Day of week (1 = Monday ... 7 = Sunday) of a Gregorian date; kUnspecified when the year is
  // unspecified or the date does not exist.
  static std::uint8_t weekday_of(std::uint16_t year, std::uint8_t month, std::uint8_t day);
  bool operator==(const CosemDateTime&) const = default;
};

struct CosemDate {
  std::uint16_t year = 0xFFFF;
  std::uint8_t month = 0xFF;
  std::uint8_t day = 0xFF;
  std::uint8_t weekday = 0xFF;
  bool operator==(const CosemDate&) const = default;
};

struct CosemTime {
  std::uint8_t hour = 0xFF;
  std::uint8_t minute = 0xFF;
  std::uint8_t second = 0xFF;
  std::uint8_t hundredths = 0xFF;
  bool operator==(const CosemTime&) const = default;
};

// Type description of a compact-array's elements (IEC 62056-6-2 TypeDescription).
struct TypeDescription {
  DataTag tag = DataTag::kNull;
  std::uint16_t array_count = 0;          // kArray only
  std::vector<TypeDescription> elements;  // kArray: one element type; kStructure: one per field
  bool operator==(const TypeDescription&) const = default;
};

class Data;
using DataList = std::vector<Data>;

struct CompactArray {
  TypeDescription element_type;
  DataList elements;  // each element decoded to a full Data of element_type
  bool operator==(const CompactArray&) const = default;
};

class Data {
 public:
  Data() = default;  // null-data

  // Constructors by wire type.
  static Data null() { return Data(); }
  static Data dont_care();
  static Data boolean(bool v);
  static Data integer(std::int8_t v);
  static Data long_(std::int16_t v);
  static Data double_long(std::int32_t v);
  static Data long64(std::int64_t v);
  static Data unsigned_(std::uint8_t v);
  static Data long_unsigned(std::uint16_t v);
  static Data double_long_unsigned(std::uint32_t v);
  static Data long64_unsigned(std::uint64_t v);
  static Data enumerated(std::uint8_t v);
  static Data bcd(std::int8_t v);
  static Data float32(float v);
  static Data float64(double v);
  static Data octet_string(Bytes v);
  static Data visible_string(std::string v);
  static Data utf8_string(std::string v);
  static Data bit_string(BitString v);
  static Data array(DataList v);
  static Data structure(DataList v);
  static Data compact_array(CompactArray v);
  static Data date_time(const CosemDateTime& v);  // tag 25
  // A date-time as an octet-string of 12 bytes, which is how COSEM attributes carry it.
  static Data date_time_octets(const CosemDateTime& v);
  static Data date(const CosemDate& v);
  static Data time(const CosemTime& v);

  DataTag tag() const { return tag_; }
  bool is_null() const { return tag_ == DataTag::kNull; }
  bool is_integer() const;  // any integer type, enum or bcd
  bool is_list() const { return tag_ == DataTag::kArray || tag_ == DataTag::kStructure; }

  // Value accessors: nullopt / nullptr when the type does not fit.
  std::optional<std::int64_t> as_int() const;    // any integer that fits int64
  std::optional<std::uint64_t> as_uint() const;  // any non-negative integer
  std::optional<double> as_double() const;       // any integer or float
  std::optional<float> as_float() const;         // float32 only, bit for bit
  std::optional<bool> as_bool() const;
  const Bytes* as_octets() const;      // octet-string
  const std::string* as_text() const;  // visible-string or utf8-string
  const BitString* as_bits() const;
  const DataList* as_list() const;  // array or structure
  const CompactArray* as_compact() const;
  // date-time (tag 25) or a 12-byte octet-string holding one
  std::optional<CosemDateTime> as_date_time() const;
  std::optional<CosemDate> as_date() const;
  std::optional<CosemTime> as_time() const;

  // Element i of an array/structure; nullptr when out of range or not a list.
  const Data* at(std::size_t i) const;

  bool operator==(const Data& other) const = default;

 private:
  using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, float, double,
                             Bytes, std::string, BitString, DataList, CompactArray, CosemDateTime,
                             CosemDate, CosemTime>;
  Data(DataTag tag, Value v) : tag_(tag), v_(std::move(v)) {}

  DataTag tag_ = DataTag::kNull;
  Value v_;
};

namespace axdr {

// Limits against hostile input; see docs/dlms.md.
// Deepest nesting of arrays/structures: IS 15959 profiles nest 3 deep (array of structure of
// values); 16 leaves room for any real meter and bounds recursion.
inline constexpr std::size_t kMaxDepth = 16;
// Most elements in one decoded value, all levels together: 45 days of 15-minute block load on a
// three-phase meter is about 4,320 rows x 16 columns = 69,120; four times that is allowed.
inline constexpr std::size_t kMaxElements = 300'000;
// Longest single octet/visible/utf8 string or bit-string (bytes). No COSEM attribute comes close.
inline constexpr std::size_t kMaxStringLength = 65'535;

// Appends the A-XDR encoding of `value` (tag and contents) to `out`.
void encode(const Data& value, ByteWriter& out);
Bytes encode(const Data& value);

// Decodes one value from `in`, leaving `in` after it. Errors: kNeedMore when `in` ends early,
// kMalformed for an unknown tag or bad contents, kLimitExceeded for the limits above,
// kUnsupported for a compact-array element type with a zero-size part (null, array[0], ...).
Result<Data> decode(ByteReader& in);
// Decodes exactly one value filling `bytes`: short input is kMalformed, trailing bytes too.
Result<Data> decode_all(ByteView bytes);

// A-XDR length (BER-style: < 0x80 in one byte, else 0x8n followed by n bytes).
void encode_length(std::size_t length, ByteWriter& out);
Result<std::size_t> decode_length(ByteReader& in);

// Human-readable multi-line rendering for tools: "structure(2) { long-unsigned 230, ... }".
std::string to_text(const Data& value, int indent = 0);

}  // namespace axdr
}  // namespace vidyut::dlms
