#include "dlms/apdu/ciphered.h"

#include <cassert>
#include <string>

#include "dlms/axdr/data.h"

namespace vidyut::dlms {
namespace {

// Plain service tags that have glo-/ded- forms, with their offsets (Green Book XDLMS-APDU).
// Short-name and initiate services: glo = plain + 32, ded = plain + 64.
// LN services (0xC0..0xC7): glo = plain + 8, ded = plain + 16.
bool is_low_service(std::uint8_t t) {
  switch (t) {
    case 0x01:  // initiateRequest
    case 0x05:  // readRequest
    case 0x06:  // writeRequest
    case 0x08:  // initiateResponse
    case 0x0C:  // readResponse
    case 0x0D:  // writeResponse
    case 0x0E:  // confirmedServiceError
    case 0x16:  // unconfirmedWriteRequest
    case 0x18:  // informationReportRequest
      return true;
    default:
      return false;
  }
}

bool is_ln_service(std::uint8_t t) { return (t >= 0xC0 && t <= 0xC5) || t == 0xC7; }

}  // namespace

std::optional<std::uint8_t> glo_tag_for(std::uint8_t plain) {
  if (is_low_service(plain)) return static_cast<std::uint8_t>(plain + 32);
  if (is_ln_service(plain)) return static_cast<std::uint8_t>(plain + 8);
  return std::nullopt;
}

std::optional<std::uint8_t> ded_tag_for(std::uint8_t plain) {
  if (is_low_service(plain)) return static_cast<std::uint8_t>(plain + 64);
  if (is_ln_service(plain)) return static_cast<std::uint8_t>(plain + 16);
  return std::nullopt;
}

std::optional<std::uint8_t> plain_tag_for(std::uint8_t c) {
  if (c >= 32 && c < 64 && is_low_service(static_cast<std::uint8_t>(c - 32))) {
    return static_cast<std::uint8_t>(c - 32);
  }
  if (c >= 64 && c < 96 && is_low_service(static_cast<std::uint8_t>(c - 64))) {
    return static_cast<std::uint8_t>(c - 64);
  }
  if (c >= 0xC8 && c <= 0xCF && is_ln_service(static_cast<std::uint8_t>(c - 8))) {
    return static_cast<std::uint8_t>(c - 8);
  }
  if (c >= 0xD0 && c <= 0xD7 && is_ln_service(static_cast<std::uint8_t>(c - 16))) {
    return static_cast<std::uint8_t>(c - 16);
  }
  return std::nullopt;
}

bool is_general_ciphering_tag(std::uint8_t t) {
  return t == tag::kGeneralGloCiphering || t == tag::kGeneralDedCiphering;
}

bool is_ciphered_tag(std::uint8_t t) {
  return is_general_ciphering_tag(t) || plain_tag_for(t).has_value();
}

Bytes security_header(std::uint8_t security_control, std::uint32_t invocation_counter) {
  ByteWriter w;
  w.u8(security_control);
  w.u32(invocation_counter);
  return w.take();
}

void encode_ciphered(const CipheredApdu& c, ByteWriter& out) {
  assert(is_ciphered_tag(c.tag));
  assert(c.system_title.has_value() == is_general_ciphering_tag(c.tag));
  out.u8(c.tag);
  if (c.system_title) {
    axdr::encode_length(c.system_title->size(), out);
    out.bytes(*c.system_title);
  }
  axdr::encode_length(kSecurityHeaderSize + c.payload.size(), out);
  out.u8(c.security_control);
  out.u32(c.invocation_counter);
  out.bytes(c.payload);
}

Bytes encode_ciphered(const CipheredApdu& c) {
  ByteWriter w;
  encode_ciphered(c, w);
  return w.take();
}

Result<CipheredApdu> decode_ciphered(ByteReader& in) {
  CipheredApdu c;
  VIDYUT_TRY(t, in.u8());
  c.tag = *t;
  if (!is_ciphered_tag(c.tag)) {
    return Error(Errc::kMalformed, "tag " + std::to_string(c.tag) + " is not a ciphered APDU");
  }
  if (is_general_ciphering_tag(c.tag)) {
    VIDYUT_TRY(n, axdr::decode_length(in));
    if (*n > kMaxSystemTitleLength) {
      return Error(Errc::kLimitExceeded,
                   "system title of " + std::to_string(*n) + " bytes exceeds limit");
    }
    VIDYUT_TRY(title, in.bytes(*n));
    c.system_title = Bytes(title->begin(), title->end());
  }
  VIDYUT_TRY(len, axdr::decode_length(in));
  if (*len < kSecurityHeaderSize) {
    return Error(Errc::kMalformed, "ciphered content shorter than the security header");
  }
  if (*len > in.remaining()) {
    return Error(Errc::kNeedMore, "ciphered content of " + std::to_string(*len) +
                                      " bytes exceeds remaining " + std::to_string(in.remaining()));
  }
  VIDYUT_TRY(sc, in.u8());
  VIDYUT_TRY(ic, in.u32());
  c.security_control = *sc;
  c.invocation_counter = *ic;
  VIDYUT_TRY(payload, in.bytes(*len - kSecurityHeaderSize));
  c.payload.assign(payload->begin(), payload->end());
  return c;
}

}  // namespace vidyut::dlms
