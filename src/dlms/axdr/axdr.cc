// A-XDR encoder and decoder for Data. Wire format and limits: docs/dlms.md.
#include <cstring>
#include <string>
#include <utility>

#include "dlms/axdr/data.h"

namespace vidyut::dlms::axdr {
namespace {

// Bytes after 0x8n in a length: 8 carries any size_t; longer is not a length anyone sends.
constexpr std::size_t kMaxLengthOfLength = 8;

std::uint32_t float_bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
std::uint64_t double_bits(double d) {
  std::uint64_t u = 0;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

bool known_tag(std::uint8_t t) {
  return t <= 6 || t == 9 || t == 10 || (t >= 12 && t <= 13) || (t >= 15 && t <= 27) || t == 255;
}

// ---------------------------------------------------------------------------------------------
// Encoding

void encode_type(const TypeDescription& t, ByteWriter& out) {
  out.u8(static_cast<std::uint8_t>(t.tag));
  if (t.tag == DataTag::kArray) {
    out.u16(t.array_count);
    if (!t.elements.empty()) {
      encode_type(t.elements.front(), out);
    } else {
      out.u8(static_cast<std::uint8_t>(DataTag::kNull));
    }
  } else if (t.tag == DataTag::kStructure) {
    encode_length(t.elements.size(), out);
    for (const auto& e : t.elements) encode_type(e, out);
  }
}

// The contents of `value` after its tag. In `compact` mode (inside a compact-array) arrays and
// structures carry no element count: the type description fixes it.
void encode_contents(const Data& value, ByteWriter& out, bool compact);

void encode_list(const DataList& list, ByteWriter& out, bool compact) {
  if (!compact) encode_length(list.size(), out);
  for (const auto& e : list) {
    if (compact) {
      encode_contents(e, out, true);
    } else {
      encode(e, out);
    }
  }
}

void encode_contents(const Data& value, ByteWriter& out, bool compact) {
  switch (value.tag()) {
    case DataTag::kNull:
    case DataTag::kDontCare:
      return;
    case DataTag::kArray:
    case DataTag::kStructure:
      encode_list(*value.as_list(), out, compact);
      return;
    case DataTag::kBoolean:
      out.u8(*value.as_bool() ? 1 : 0);
      return;
    case DataTag::kBitString: {
      const BitString& b = *value.as_bits();
      encode_length(b.bits, out);
      const std::size_t n = (static_cast<std::size_t>(b.bits) + 7) / 8;
      for (std::size_t i = 0; i < n; ++i) out.u8(i < b.bytes.size() ? b.bytes[i] : 0);
      return;
    }
    case DataTag::kDoubleLong:
      out.u32(static_cast<std::uint32_t>(*value.as_int()));
      return;
    case DataTag::kDoubleLongUnsigned:
      out.u32(static_cast<std::uint32_t>(*value.as_uint()));
      return;
    case DataTag::kOctetString: {
      const Bytes& b = *value.as_octets();
      encode_length(b.size(), out);
      out.bytes(b);
      return;
    }
    case DataTag::kVisibleString:
    case DataTag::kUtf8String: {
      const std::string& s = *value.as_text();
      encode_length(s.size(), out);
      out.bytes(std::string_view(s));
      return;
    }
    case DataTag::kBcd:
    case DataTag::kInteger:
      out.u8(static_cast<std::uint8_t>(*value.as_int()));
      return;
    case DataTag::kLong:
      out.u16(static_cast<std::uint16_t>(*value.as_int()));
      return;
    case DataTag::kUnsigned:
    case DataTag::kEnum:
      out.u8(static_cast<std::uint8_t>(*value.as_uint()));
      return;
    case DataTag::kLongUnsigned:
      out.u16(static_cast<std::uint16_t>(*value.as_uint()));
      return;
    case DataTag::kCompactArray: {
      const CompactArray& c = *value.as_compact();
      encode_type(c.element_type, out);
      ByteWriter contents;
      for (const auto& e : c.elements) encode_contents(e, contents, true);
      encode_length(contents.size(), out);
      out.bytes(contents.view());
      return;
    }
    case DataTag::kLong64:
      out.u64(static_cast<std::uint64_t>(*value.as_int()));
      return;
    case DataTag::kLong64Unsigned:
      out.u64(*value.as_uint());
      return;
    case DataTag::kFloat32:
      out.u32(float_bits(*value.as_float()));
      return;
    case DataTag::kFloat64:
      out.u64(double_bits(*value.as_double()));
      return;
    case DataTag::kDateTime:
      out.bytes(value.as_date_time()->to_bytes());
      return;
    case DataTag::kDate: {
      const CosemDate d = *value.as_date();
      out.u16(d.year);
      out.u8(d.month);
      out.u8(d.day);
      out.u8(d.weekday);
      return;
    }
    case DataTag::kTime: {
      const CosemTime t = *value.as_time();
      out.u8(t.hour);
      out.u8(t.minute);
      out.u8(t.second);
      out.u8(t.hundredths);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Decoder {
 public:
  explicit Decoder(ByteReader& in) : in_(in) {}

  Result<Data> value(std::size_t depth) {
    VIDYUT_TRY(tag, in_.u8());
    if (!known_tag(*tag)) {
      return Error(Errc::kMalformed, "unknown A-XDR tag " + std::to_string(*tag) + " at offset " +
                                         std::to_string(in_.position() - 1));
    }
    return contents(static_cast<DataTag>(*tag), depth, nullptr);
  }

 private:
  // Counts `n` more elements against kMaxElements before any of them is decoded or stored.
  Status take_elements(std::size_t n) {
    if (n > kMaxElements - elements_) {
      return Error(Errc::kLimitExceeded,
                   "A-XDR value has more than " + std::to_string(kMaxElements) + " elements");
    }
    elements_ += n;
    return {};
  }

  Result<std::size_t> string_length(const char* what) {
    VIDYUT_TRY(n, decode_length(in_));
    if (*n > kMaxStringLength) {
      return Error(Errc::kLimitExceeded, std::string(what) + " of " + std::to_string(*n) +
                                             " bytes exceeds " + std::to_string(kMaxStringLength));
    }
    return *n;
  }

  static Error zero_size(const char* what) {
    return Error(Errc::kUnsupported,
                 std::string("compact-array element type with zero-size part ") + what);
  }

  Result<TypeDescription> type(std::size_t depth) {
    if (depth > kMaxDepth) {
      return Error(Errc::kLimitExceeded,
                   "compact-array type nested deeper than " + std::to_string(kMaxDepth));
    }
    VIDYUT_TRY(tag, in_.u8());
    if (!known_tag(*tag) || *tag == static_cast<std::uint8_t>(DataTag::kCompactArray)) {
      return Error(Errc::kMalformed,
                   "bad type " + std::to_string(*tag) + " in compact-array description");
    }
    TypeDescription t;
    t.tag = static_cast<DataTag>(*tag);
    // Every part of a row must occupy at least one content byte: otherwise a few bytes could
    // stand for kMaxElements values. Such types carry no information, so no meter sends them.
    if (t.tag == DataTag::kNull || t.tag == DataTag::kDontCare) {
      return zero_size(to_string(t.tag));
    }
    if (t.tag == DataTag::kArray) {
      VIDYUT_TRY(count, in_.u16());
      if (*count == 0) return zero_size("array[0]");
      t.array_count = *count;
      VIDYUT_TRY(e, type(depth + 1));
      t.elements.push_back(std::move(*e));
    } else if (t.tag == DataTag::kStructure) {
      VIDYUT_TRY(n, decode_length(in_));
      if (*n == 0) return zero_size("structure{}");
      VIDYUT_CHECK(take_elements(*n));
      for (std::size_t i = 0; i < *n; ++i) {
        VIDYUT_TRY(e, type(depth + 1));
        t.elements.push_back(std::move(*e));
      }
    }
    return t;
  }

  // Decodes a value without tag inside compact-array contents, shaped by `t`.
  Result<Data> typed(const TypeDescription& t, std::size_t depth) {
    return contents(t.tag, depth, &t);
  }

  Result<DataList> list(DataTag tag, std::size_t depth, const TypeDescription* t) {
    if (depth >= kMaxDepth) {
      return Error(Errc::kLimitExceeded,
                   "A-XDR arrays/structures nested deeper than " + std::to_string(kMaxDepth));
    }
    std::size_t n = 0;
    if (t == nullptr) {
      VIDYUT_TRY(count, decode_length(in_));
      n = *count;
    } else {
      n = tag == DataTag::kArray ? t->array_count : t->elements.size();
    }
    VIDYUT_CHECK(take_elements(n));
    DataList items;  // grows with decoded elements only: never reserved from an untrusted count
    for (std::size_t i = 0; i < n; ++i) {
      if (t == nullptr) {
        VIDYUT_TRY(e, value(depth + 1));
        items.push_back(std::move(*e));
      } else {
        const TypeDescription& et = tag == DataTag::kArray ? t->elements.front() : t->elements[i];
        VIDYUT_TRY(e, typed(et, depth + 1));
        items.push_back(std::move(*e));
      }
    }
    return items;
  }

  Result<Data> compact(std::size_t depth) {
    if (depth >= kMaxDepth) {
      return Error(Errc::kLimitExceeded,
                   "A-XDR arrays/structures nested deeper than " + std::to_string(kMaxDepth));
    }
    CompactArray c;
    VIDYUT_TRY(t, type(depth + 1));
    c.element_type = std::move(*t);
    VIDYUT_TRY(len, decode_length(in_));
    // Every row takes at least one content byte (see type()), so rows are bounded by the input.
    VIDYUT_TRY(body, in_.bytes(*len));
    ByteReader sub(*body);
    Decoder inner(sub);
    inner.elements_ = elements_;
    while (!sub.empty()) {
      VIDYUT_CHECK(inner.take_elements(1));
      auto e = inner.typed(c.element_type, depth + 1);
      if (!e.ok()) {
        if (e.error().code == Errc::kNeedMore) {
          return Error(Errc::kMalformed, "compact-array element overruns its contents");
        }
        return e.error();
      }
      c.elements.push_back(std::move(*e));
    }
    elements_ = inner.elements_;
    return Data::compact_array(std::move(c));
  }

  // Contents after the tag. `t` is the type description inside compact-array contents, else null.
  Result<Data> contents(DataTag tag, std::size_t depth, const TypeDescription* t) {
    switch (tag) {
      case DataTag::kNull:
        return Data::null();
      case DataTag::kDontCare:
        return Data::dont_care();
      case DataTag::kArray: {
        VIDYUT_TRY(l, list(tag, depth, t));
        return Data::array(std::move(*l));
      }
      case DataTag::kStructure: {
        VIDYUT_TRY(l, list(tag, depth, t));
        return Data::structure(std::move(*l));
      }
      case DataTag::kBoolean: {
        VIDYUT_TRY(b, in_.u8());
        return Data::boolean(*b != 0);
      }
      case DataTag::kBitString: {
        VIDYUT_TRY(bits, decode_length(in_));
        if (*bits > kMaxStringLength * 8) {
          return Error(Errc::kLimitExceeded, "bit-string of " + std::to_string(*bits) +
                                                 " bits exceeds " +
                                                 std::to_string(kMaxStringLength * 8));
        }
        VIDYUT_TRY(b, in_.bytes((*bits + 7) / 8));
        BitString s;
        s.bits = static_cast<std::uint32_t>(*bits);
        s.bytes.assign(b->begin(), b->end());
        return Data::bit_string(std::move(s));
      }
      case DataTag::kDoubleLong: {
        VIDYUT_TRY(v, in_.u32());
        return Data::double_long(static_cast<std::int32_t>(*v));
      }
      case DataTag::kDoubleLongUnsigned: {
        VIDYUT_TRY(v, in_.u32());
        return Data::double_long_unsigned(*v);
      }
      case DataTag::kOctetString: {
        VIDYUT_TRY(n, string_length("octet-string"));
        VIDYUT_TRY(b, in_.bytes(*n));
        return Data::octet_string(Bytes(b->begin(), b->end()));
      }
      case DataTag::kVisibleString:
      case DataTag::kUtf8String: {
        VIDYUT_TRY(n, string_length(to_string(tag)));
        VIDYUT_TRY(b, in_.bytes(*n));
        std::string s(b->begin(), b->end());
        return tag == DataTag::kVisibleString ? Data::visible_string(std::move(s))
                                              : Data::utf8_string(std::move(s));
      }
      case DataTag::kBcd: {
        VIDYUT_TRY(v, in_.u8());
        return Data::bcd(static_cast<std::int8_t>(*v));
      }
      case DataTag::kInteger: {
        VIDYUT_TRY(v, in_.u8());
        return Data::integer(static_cast<std::int8_t>(*v));
      }
      case DataTag::kLong: {
        VIDYUT_TRY(v, in_.u16());
        return Data::long_(static_cast<std::int16_t>(*v));
      }
      case DataTag::kUnsigned: {
        VIDYUT_TRY(v, in_.u8());
        return Data::unsigned_(*v);
      }
      case DataTag::kLongUnsigned: {
        VIDYUT_TRY(v, in_.u16());
        return Data::long_unsigned(*v);
      }
      case DataTag::kCompactArray:
        if (t != nullptr) {
          return Error(Errc::kMalformed, "compact-array inside compact-array");
        }
        return compact(depth);
      case DataTag::kLong64: {
        VIDYUT_TRY(v, in_.u64());
        return Data::long64(static_cast<std::int64_t>(*v));
      }
      case DataTag::kLong64Unsigned: {
        VIDYUT_TRY(v, in_.u64());
        return Data::long64_unsigned(*v);
      }
      case DataTag::kEnum: {
        VIDYUT_TRY(v, in_.u8());
        return Data::enumerated(*v);
      }
      case DataTag::kFloat32: {
        VIDYUT_TRY(v, in_.u32());
        float f = 0;
        std::memcpy(&f, &*v, sizeof f);
        return Data::float32(f);
      }
      case DataTag::kFloat64: {
        VIDYUT_TRY(v, in_.u64());
        double d = 0;
        std::memcpy(&d, &*v, sizeof d);
        return Data::float64(d);
      }
      case DataTag::kDateTime: {
        VIDYUT_TRY(b, in_.bytes(12));
        VIDYUT_TRY(dt, CosemDateTime::from_bytes(*b));
        return Data::date_time(*dt);
      }
      case DataTag::kDate: {
        VIDYUT_TRY(b, in_.bytes(5));
        const ByteView v = *b;
        return Data::date(
            CosemDate{static_cast<std::uint16_t>((v[0] << 8) | v[1]), v[2], v[3], v[4]});
      }
      case DataTag::kTime: {
        VIDYUT_TRY(b, in_.bytes(4));
        const ByteView v = *b;
        return Data::time(CosemTime{v[0], v[1], v[2], v[3]});
      }
    }
    return Error(Errc::kMalformed, "unknown A-XDR tag " + std::to_string(static_cast<int>(tag)));
  }

  ByteReader& in_;
  std::size_t elements_ = 0;
};

}  // namespace

void encode_length(std::size_t length, ByteWriter& out) {
  if (length < 0x80) {
    out.u8(static_cast<std::uint8_t>(length));
    return;
  }
  std::uint8_t n = 0;
  for (std::size_t v = length; v != 0; v >>= 8) ++n;
  out.u8(static_cast<std::uint8_t>(0x80 | n));
  for (int i = n - 1; i >= 0; --i) out.u8(static_cast<std::uint8_t>(length >> (8 * i)));
}

Result<std::size_t> decode_length(ByteReader& in) {
  VIDYUT_TRY(first, in.u8());
  if (*first < 0x80) return std::size_t{*first};
  const std::size_t n = *first & 0x7Fu;
  if (n == 0) {
    return Error(Errc::kMalformed, "A-XDR length 0x80 (indefinite form) at offset " +
                                       std::to_string(in.position() - 1));
  }
  if (n > kMaxLengthOfLength) {
    return Error(Errc::kLimitExceeded, "A-XDR length uses " + std::to_string(n) + " length bytes");
  }
  std::size_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    VIDYUT_TRY(b, in.u8());
    v = (v << 8) | *b;
  }
  return v;
}

void encode(const Data& value, ByteWriter& out) {
  out.u8(static_cast<std::uint8_t>(value.tag()));
  encode_contents(value, out, false);
}

Bytes encode(const Data& value) {
  ByteWriter w;
  encode(value, w);
  return w.take();
}

Result<Data> decode(ByteReader& in) {
  Decoder d(in);
  return d.value(0);
}

Result<Data> decode_all(ByteView bytes) {
  ByteReader in(bytes);
  auto r = decode(in);
  if (!r.ok()) {
    if (r.error().code == Errc::kNeedMore) {
      return Error(Errc::kMalformed, "truncated A-XDR value: " + r.error().message);
    }
    return r;
  }
  if (!in.empty()) {
    return Error(Errc::kMalformed, std::to_string(in.remaining()) +
                                       " trailing bytes after A-XDR value at offset " +
                                       std::to_string(in.position()));
  }
  return r;
}

}  // namespace vidyut::dlms::axdr
