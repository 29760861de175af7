// axdr::to_text: the human-readable rendering used by the `vidyut dlms` tools.
#include <cstdio>
#include <string>

#include "dlms/axdr/data.h"
#include "dlms/axdr/obis.h"

namespace vidyut::dlms::axdr {
namespace {

// A 12-byte octet-string whose fields are all in range (or "not specified") is shown as a
// date-time: COSEM attributes carry date-times that way.
bool looks_like_date_time(const CosemDateTime& t) {
  auto in = [](unsigned v, unsigned lo, unsigned hi, bool specials) {
    return (v >= lo && v <= hi) || v == 0xFF || (specials && (v == 0xFD || v == 0xFE));
  };
  return in(t.month, 1, 12, true) && in(t.day, 1, 31, true) && in(t.weekday, 1, 7, false) &&
         in(t.hour, 0, 23, false) && in(t.minute, 0, 59, false) && in(t.second, 0, 59, false) &&
         in(t.hundredths, 0, 99, false) &&
         (t.deviation == CosemDateTime::kDeviationUnspecified ||
          (t.deviation >= -840 && t.deviation <= 840));
}

std::string quoted(const std::string& s) {
  std::string r = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      r += '\\';
      r += ch;
    } else if (c >= 0x20 && c < 0x7F) {
      r += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      r += buf;
    }
  }
  return r + "\"";
}

std::string type_text(const TypeDescription& t) {
  if (t.tag == DataTag::kArray) {
    return "array[" + std::to_string(t.array_count) + "] of " +
           (t.elements.empty() ? std::string("?") : type_text(t.elements.front()));
  }
  if (t.tag == DataTag::kStructure) {
    std::string s = "structure{";
    for (std::size_t i = 0; i < t.elements.size(); ++i) {
      if (i) s += ", ";
      s += type_text(t.elements[i]);
    }
    return s + "}";
  }
  return to_string(t.tag);
}

std::string fixed2(unsigned v) {
  if (v == 0xFF) return "**";
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

void render(const Data& d, int indent, std::string& out);

void render_items(const DataList& items, int indent, std::string& out) {
  if (items.empty()) {
    out += " {}";
    return;
  }
  out += " {\n";
  for (const auto& e : items) {
    out.append(static_cast<std::size_t>(indent + 1) * 2, ' ');
    render(e, indent + 1, out);
    out += '\n';
  }
  out.append(static_cast<std::size_t>(indent) * 2, ' ');
  out += '}';
}

void render(const Data& d, int indent, std::string& out) {
  const DataTag tag = d.tag();
  out += to_string(tag);
  switch (tag) {
    case DataTag::kNull:
    case DataTag::kDontCare:
      return;
    case DataTag::kArray:
    case DataTag::kStructure:
      out += "(" + std::to_string(d.as_list()->size()) + ")";
      render_items(*d.as_list(), indent, out);
      return;
    case DataTag::kCompactArray: {
      const CompactArray& c = *d.as_compact();
      out += "(" + std::to_string(c.elements.size()) + ") of " + type_text(c.element_type);
      render_items(c.elements, indent, out);
      return;
    }
    case DataTag::kBoolean:
      out += *d.as_bool() ? " true" : " false";
      return;
    case DataTag::kBitString: {
      const BitString& b = *d.as_bits();
      out += "(" + std::to_string(b.bits) + ") ";
      for (std::size_t i = 0; i < b.bits; ++i) {
        if (i && i % 8 == 0) out += ' ';
        out += b.test(i) ? '1' : '0';
      }
      return;
    }
    case DataTag::kBcd: {
      char buf[8];
      std::snprintf(buf, sizeof buf, " 0x%02X", static_cast<unsigned>(*d.as_int() & 0xFF));
      out += buf;
      return;
    }
    case DataTag::kDoubleLong:
    case DataTag::kInteger:
    case DataTag::kLong:
    case DataTag::kLong64:
      out += " " + std::to_string(*d.as_int());
      return;
    case DataTag::kDoubleLongUnsigned:
    case DataTag::kUnsigned:
    case DataTag::kLongUnsigned:
    case DataTag::kLong64Unsigned:
    case DataTag::kEnum:
      out += " " + std::to_string(*d.as_uint());
      return;
    case DataTag::kFloat32:
    case DataTag::kFloat64: {
      char buf[40];
      std::snprintf(buf, sizeof buf, tag == DataTag::kFloat32 ? " %.9g" : " %.17g", *d.as_double());
      out += buf;
      return;
    }
    case DataTag::kOctetString: {
      const Bytes& b = *d.as_octets();
      out += "(" + std::to_string(b.size()) + ")";
      if (!b.empty()) out += " " + to_hex(b);
      if (b.size() == 12) {
        auto t = CosemDateTime::from_bytes(b);
        if (t.ok() && looks_like_date_time(*t)) out += " (date-time " + t->to_string() + ")";
      } else if (b.size() == 6) {
        out += " (" + Obis(b[0], b[1], b[2], b[3], b[4], b[5]).to_string() + ")";
      }
      return;
    }
    case DataTag::kVisibleString:
    case DataTag::kUtf8String:
      out += " " + quoted(*d.as_text());
      return;
    case DataTag::kDateTime:
      out += " " + d.as_date_time()->to_string();
      return;
    case DataTag::kDate: {
      const CosemDate v = *d.as_date();
      out += " " + (v.year == 0xFFFF ? std::string("****") : std::to_string(v.year)) + "-" +
             fixed2(v.month) + "-" + fixed2(v.day) + " wd " + fixed2(v.weekday);
      return;
    }
    case DataTag::kTime: {
      const CosemTime v = *d.as_time();
      out += " " + fixed2(v.hour) + ":" + fixed2(v.minute) + ":" + fixed2(v.second) + "." +
             fixed2(v.hundredths);
      return;
    }
  }
}

}  // namespace

std::string to_text(const Data& value, int indent) {
  std::string out;
  render(value, indent < 0 ? 0 : indent, out);
  return out;
}

}  // namespace vidyut::dlms::axdr
