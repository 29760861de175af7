#include "dlms/cosem/render.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/text.h"

namespace vidyut::dlms::cosem {
namespace {

bool printable(const Bytes& b) {
  return !b.empty() &&
         std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

std::string number_text(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 20), v);
  return buf;
}

std::string hex(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string s;
  for (std::uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

std::size_t utf8_length(std::string_view s, std::size_t i) { return utf8_sequence_length(s, i); }

// Text safe to print on one line: control characters as '?', invalid UTF-8 as U+FFFD.
std::string one_line(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else if (n == 1 && (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7F)) {
      out += '?';
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string scaled_text(const Data& d, const ScalerUnit& su, bool with_unit) {
  const double raw = d.as_double().value_or(0);
  const double v = raw * std::pow(10.0, su.scaler);
  std::string s = number_text(v, su.scaler < 0 ? -su.scaler : 0);
  const std::string unit = unit_symbol(su.unit);
  if (with_unit && !unit.empty()) s += " " + unit;
  return s;
}

std::string list_text(const DataList& items) {
  std::string s = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ", ";
    s += render_text(items[i], std::nullopt, true);
  }
  return s + "}";
}

std::string list_json(const DataList& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ",";
    s += render_json(items[i], std::nullopt);
  }
  return s + "]";
}

}  // namespace

std::string render_text(const Data& d, const std::optional<ScalerUnit>& su, bool with_unit) {
  if (su && d.is_integer()) return scaled_text(d, *su, with_unit);
  switch (d.tag()) {
    case DataTag::kNull:
      return "-";
    case DataTag::kBoolean:
      return d.as_bool().value_or(false) ? "true" : "false";
    case DataTag::kOctetString: {
      const Bytes* b = d.as_octets();
      if (b == nullptr) return "?";
      if (printable(*b)) return std::string(b->begin(), b->end());
      if (b->size() == 12) {
        if (auto dt = d.as_date_time()) return format_date_time(*dt);
      }
      return hex(*b);
    }
    case DataTag::kDateTime:
      if (auto dt = d.as_date_time()) return format_date_time(*dt);
      return "?";
    case DataTag::kVisibleString:
    case DataTag::kUtf8String:
      return d.as_text() ? one_line(*d.as_text()) : std::string("?");
    case DataTag::kFloat32:
    case DataTag::kFloat64:
      return number_text(d.as_double().value_or(0), 3);
    case DataTag::kArray:
    case DataTag::kStructure:
      return d.as_list() ? list_text(*d.as_list()) : std::string("{}");
    case DataTag::kCompactArray:
      return d.as_compact() ? list_text(d.as_compact()->elements) : std::string("{}");
    default:
      if (auto i = d.as_int()) return std::to_string(*i);
      if (auto u = d.as_uint()) return std::to_string(*u);
      return one_line(axdr::to_text(d));
  }
}

std::string render_json(const Data& d, const std::optional<ScalerUnit>& su) {
  if (d.is_integer()) {
    if (su) {
      const double v = d.as_double().value_or(0) * std::pow(10.0, su->scaler);
      if (std::isfinite(v)) return number_text(v, su->scaler < 0 ? -su->scaler : 0);
      return "null";
    }
    if (auto i = d.as_int()) return std::to_string(*i);
    if (auto u = d.as_uint()) return std::to_string(*u);
  }
  switch (d.tag()) {
    case DataTag::kNull:
      return "null";
    case DataTag::kBoolean:
      return d.as_bool().value_or(false) ? "true" : "false";
    case DataTag::kFloat32:
    case DataTag::kFloat64: {
      const double v = d.as_double().value_or(0);
      return std::isfinite(v) ? number_text(v, 6) : std::string("null");
    }
    case DataTag::kOctetString:
    case DataTag::kDateTime: {
      const Bytes* b = d.as_octets();
      if (b == nullptr || !printable(*b)) {
        if (auto dt = d.as_date_time()) {
          if (auto utc = dt->to_utc(); utc.ok()) return json_string(iso_ist(*utc));
        }
      }
      return json_string(render_text(d, std::nullopt, false));
    }
    case DataTag::kArray:
    case DataTag::kStructure:
      return d.as_list() ? list_json(*d.as_list()) : std::string("[]");
    case DataTag::kCompactArray:
      return d.as_compact() ? list_json(d.as_compact()->elements) : std::string("[]");
    default:
      return json_string(render_text(d, std::nullopt, false));
  }
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string iso_ist(UtcTime t) {
  using namespace std::chrono;
  const auto local = t + kIstOffset;
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(local - day)};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+05:30", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

std::string format_ist(UtcTime t) {
  std::string s = iso_ist(t);  // 2026-11-23T15:45:00+05:30
  if (s.size() < 19) return s;
  s[10] = ' ';
  return s.substr(0, 19) + " IST";
}

std::string format_date_time(const CosemDateTime& dt) {
  auto utc = dt.to_utc();
  if (!utc.ok()) return dt.to_string();
  return format_ist(*utc);
}

}  // namespace vidyut::dlms::cosem
