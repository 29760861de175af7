#include "dlms/axdr/data.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace vidyut::dlms {

const char* to_string(DataTag tag) {
  switch (tag) {
    case DataTag::kNull:
      return "null-data";
    case DataTag::kArray:
      return "array";
    case DataTag::kStructure:
      return "structure";
    case DataTag::kBoolean:
      return "boolean";
    case DataTag::kBitString:
      return "bit-string";
    case DataTag::kDoubleLong:
      return "double-long";
    case DataTag::kDoubleLongUnsigned:
      return "double-long-unsigned";
    case DataTag::kOctetString:
      return "octet-string";
    case DataTag::kVisibleString:
      return "visible-string";
    case DataTag::kUtf8String:
      return "utf8-string";
    case DataTag::kBcd:
      return "bcd";
    case DataTag::kInteger:
      return "integer";
    case DataTag::kLong:
      return "long";
    case DataTag::kUnsigned:
      return "unsigned";
    case DataTag::kLongUnsigned:
      return "long-unsigned";
    case DataTag::kCompactArray:
      return "compact-array";
    case DataTag::kLong64:
      return "long64";
    case DataTag::kLong64Unsigned:
      return "long64-unsigned";
    case DataTag::kEnum:
      return "enum";
    case DataTag::kFloat32:
      return "float32";
    case DataTag::kFloat64:
      return "float64";
    case DataTag::kDateTime:
      return "date-time";
    case DataTag::kDate:
      return "date";
    case DataTag::kTime:
      return "time";
    case DataTag::kDontCare:
      return "dont-care";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// BitString

bool BitString::test(std::size_t i) const {
  if (i >= bits || i / 8 >= bytes.size()) return false;
  return (bytes[i / 8] >> (7 - i % 8)) & 1u;
}

void BitString::set(std::size_t i, bool on) {
  if (i >= bits) bits = static_cast<std::uint32_t>(i + 1);
  if (bytes.size() < (static_cast<std::size_t>(bits) + 7) / 8) {
    bytes.resize((static_cast<std::size_t>(bits) + 7) / 8, 0);
  }
  auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
  if (on) {
    bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] | mask);
  } else {
    bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] & ~mask);
  }
}

BitString BitString::of_size(std::uint32_t bits) {
  BitString b;
  b.bits = bits;
  b.bytes.assign((static_cast<std::size_t>(bits) + 7) / 8, 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// CosemDateTime

namespace {

using std::chrono::days;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::minutes;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's public algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Inverse of days_from_civil (same public algorithm).
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

// 1 = Monday ... 7 = Sunday, for days since 1970-01-01 (a Thursday).
std::uint8_t weekday_from_days(std::int64_t z) {
  std::int64_t w = (z + 3) % 7;  // 0 = Monday
  if (w < 0) w += 7;
  return static_cast<std::uint8_t>(w + 1);
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::uint8_t CosemDateTime::weekday_of(std::uint16_t year, std::uint8_t month, std::uint8_t day) {
  if (year == kYearUnspecified || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month)) {
    return kUnspecified;
  }
  return weekday_from_days(days_from_civil(year, month, day));
}

Result<CosemDateTime> CosemDateTime::from_bytes(ByteView twelve) {
  if (twelve.size() != 12) {
    return Error(Errc::kMalformed,
                 "date-time needs 12 bytes, got " + std::to_string(twelve.size()));
  }
  CosemDateTime t;
  t.year = static_cast<std::uint16_t>((twelve[0] << 8) | twelve[1]);
  t.month = twelve[2];
  t.day = twelve[3];
  t.weekday = twelve[4];
  t.hour = twelve[5];
  t.minute = twelve[6];
  t.second = twelve[7];
  t.hundredths = twelve[8];
  t.deviation =
      static_cast<std::int16_t>(static_cast<std::uint16_t>((twelve[9] << 8) | twelve[10]));
  t.status = twelve[11];
  return t;
}

Bytes CosemDateTime::to_bytes() const {
  ByteWriter w;
  w.u16(year);
  w.u8(month);
  w.u8(day);
  w.u8(weekday);
  w.u8(hour);
  w.u8(minute);
  w.u8(second);
  w.u8(hundredths);
  w.u16(static_cast<std::uint16_t>(deviation));
  w.u8(status);
  return w.take();
}

CosemDateTime CosemDateTime::from_utc(UtcTime t, std::int16_t dev) {
  // Local = UTC - deviation (deviation is minutes local time is behind UTC).
  const std::int64_t ms = t.time_since_epoch().count() - std::int64_t{dev} * 60'000;
  std::int64_t day_count = ms / 86'400'000;
  std::int64_t ms_of_day = ms % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    --day_count;
  }
  const Civil c = civil_from_days(day_count);
  CosemDateTime r;
  r.year = static_cast<std::uint16_t>(c.year);
  r.month = static_cast<std::uint8_t>(c.month);
  r.day = static_cast<std::uint8_t>(c.day);
  r.weekday = weekday_from_days(day_count);
  r.hour = static_cast<std::uint8_t>(ms_of_day / 3'600'000);
  r.minute = static_cast<std::uint8_t>(ms_of_day / 60'000 % 60);
  r.second = static_cast<std::uint8_t>(ms_of_day / 1000 % 60);
  r.hundredths = static_cast<std::uint8_t>(ms_of_day / 10 % 100);
  r.deviation = dev;
  r.status = 0x00;
  return r;
}

Result<UtcTime> CosemDateTime::to_utc(std::int16_t assumed_deviation) const {
  if (year == kYearUnspecified || month == kUnspecified || day == kUnspecified ||
      hour == kUnspecified || minute == kUnspecified) {
    return Error(Errc::kInvalidArgument,
                 "date-time " + to_string() + " does not name one instant (field unspecified)");
  }
  // Month 0xFD/0xFE and day 0xFD/0xFE (DST / last-day markers) fall out of these range checks.
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || (second != kUnspecified && second > 59) ||
      (hundredths != kUnspecified && hundredths > 99)) {
    return Error(Errc::kInvalidArgument, "date-time " + to_string() + " is out of range");
  }
  const std::int16_t dev = deviation == kDeviationUnspecified ? assumed_deviation : deviation;
  // 720 minutes each way covers every real time zone (UTC-12 .. UTC+14 is -840..720).
  if (dev < -840 || dev > 840) {
    return Error(Errc::kInvalidArgument,
                 "date-time deviation " + std::to_string(dev) + " minutes is out of range");
  }
  std::int64_t ms = days_from_civil(year, month, day) * 86'400'000;
  ms += std::int64_t{hour} * 3'600'000 + std::int64_t{minute} * 60'000;
  if (second != kUnspecified) ms += std::int64_t{second} * 1000;
  if (hundredths != kUnspecified) ms += std::int64_t{hundredths} * 10;
  ms += std::int64_t{dev} * 60'000;  // UTC = local + deviation
  return UtcTime(milliseconds(ms));
}

std::string CosemDateTime::to_string() const {
  auto field = [](unsigned v, unsigned unspecified, int width) {
    if (v == unspecified) return std::string(static_cast<std::size_t>(width), '*');
    char buf[8];
    std::snprintf(buf, sizeof buf, "%0*u", width, v);
    return std::string(buf);
  };
  std::string s = field(year, kYearUnspecified, 4) + "-" + field(month, kUnspecified, 2) + "-" +
                  field(day, kUnspecified, 2) + " " + field(hour, kUnspecified, 2) + ":" +
                  field(minute, kUnspecified, 2) + ":" + field(second, kUnspecified, 2) + "." +
                  field(hundredths, kUnspecified, 2) + " dev ";
  s += deviation == kDeviationUnspecified ? std::string("*") : std::to_string(deviation);
  char st[8];
  std::snprintf(st, sizeof st, "%02X", status);
  s += " st ";
  s += st;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Data

Data Data::dont_care() { return Data(DataTag::kDontCare, std::monostate{}); }
Data Data::boolean(bool v) { return Data(DataTag::kBoolean, v); }
Data Data::integer(std::int8_t v) { return Data(DataTag::kInteger, std::int64_t{v}); }
Data Data::long_(std::int16_t v) { return Data(DataTag::kLong, std::int64_t{v}); }
Data Data::double_long(std::int32_t v) { return Data(DataTag::kDoubleLong, std::int64_t{v}); }
Data Data::long64(std::int64_t v) { return Data(DataTag::kLong64, v); }
Data Data::unsigned_(std::uint8_t v) { return Data(DataTag::kUnsigned, std::uint64_t{v}); }
Data Data::long_unsigned(std::uint16_t v) { return Data(DataTag::kLongUnsigned, std::uint64_t{v}); }
Data Data::double_long_unsigned(std::uint32_t v) {
  return Data(DataTag::kDoubleLongUnsigned, std::uint64_t{v});
}
Data Data::long64_unsigned(std::uint64_t v) { return Data(DataTag::kLong64Unsigned, v); }
Data Data::enumerated(std::uint8_t v) { return Data(DataTag::kEnum, std::uint64_t{v}); }
Data Data::bcd(std::int8_t v) { return Data(DataTag::kBcd, std::int64_t{v}); }
Data Data::float32(float v) { return Data(DataTag::kFloat32, v); }
Data Data::float64(double v) { return Data(DataTag::kFloat64, v); }
Data Data::octet_string(Bytes v) { return Data(DataTag::kOctetString, std::move(v)); }
Data Data::visible_string(std::string v) { return Data(DataTag::kVisibleString, std::move(v)); }
Data Data::utf8_string(std::string v) { return Data(DataTag::kUtf8String, std::move(v)); }
Data Data::bit_string(BitString v) { return Data(DataTag::kBitString, std::move(v)); }
Data Data::array(DataList v) { return Data(DataTag::kArray, std::move(v)); }
Data Data::structure(DataList v) { return Data(DataTag::kStructure, std::move(v)); }
Data Data::compact_array(CompactArray v) { return Data(DataTag::kCompactArray, std::move(v)); }
Data Data::date_time(const CosemDateTime& v) { return Data(DataTag::kDateTime, v); }
Data Data::date_time_octets(const CosemDateTime& v) {
  return Data(DataTag::kOctetString, v.to_bytes());
}
Data Data::date(const CosemDate& v) { return Data(DataTag::kDate, v); }
Data Data::time(const CosemTime& v) { return Data(DataTag::kTime, v); }

bool Data::is_integer() const {
  switch (tag_) {
    case DataTag::kDoubleLong:
    case DataTag::kDoubleLongUnsigned:
    case DataTag::kBcd:
    case DataTag::kInteger:
    case DataTag::kLong:
    case DataTag::kUnsigned:
    case DataTag::kLongUnsigned:
    case DataTag::kLong64:
    case DataTag::kLong64Unsigned:
    case DataTag::kEnum:
      return true;
    default:
      return false;
  }
}

std::optional<std::int64_t> Data::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(*u);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Data::as_uint() const {
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    if (*i >= 0) return static_cast<std::uint64_t>(*i);
  }
  return std::nullopt;
}

std::optional<double> Data::as_double() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return static_cast<double>(*u);
  if (const auto* f = std::get_if<float>(&v_)) return static_cast<double>(*f);
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  return std::nullopt;
}

std::optional<float> Data::as_float() const {
  if (const auto* f = std::get_if<float>(&v_)) return *f;
  return std::nullopt;
}

std::optional<bool> Data::as_bool() const {
  if (const auto* b = std::get_if<bool>(&v_)) return *b;
  return std::nullopt;
}

const Bytes* Data::as_octets() const { return std::get_if<Bytes>(&v_); }
const std::string* Data::as_text() const { return std::get_if<std::string>(&v_); }
const BitString* Data::as_bits() const { return std::get_if<BitString>(&v_); }
const DataList* Data::as_list() const { return std::get_if<DataList>(&v_); }
const CompactArray* Data::as_compact() const { return std::get_if<CompactArray>(&v_); }

std::optional<CosemDateTime> Data::as_date_time() const {
  if (const auto* t = std::get_if<CosemDateTime>(&v_)) return *t;
  if (const auto* b = std::get_if<Bytes>(&v_); b != nullptr && b->size() == 12) {
    auto r = CosemDateTime::from_bytes(*b);
    if (r.ok()) return *r;
  }
  return std::nullopt;
}

std::optional<CosemDate> Data::as_date() const {
  if (const auto* d = std::get_if<CosemDate>(&v_)) return *d;
  return std::nullopt;
}

std::optional<CosemTime> Data::as_time() const {
  if (const auto* t = std::get_if<CosemTime>(&v_)) return *t;
  return std::nullopt;
}

const Data* Data::at(std::size_t i) const {
  const DataList* l = as_list();
  if (l == nullptr || i >= l->size()) return nullptr;
  return &(*l)[i];
}

}  // namespace vidyut::dlms
