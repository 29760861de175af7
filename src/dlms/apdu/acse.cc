#include "dlms/apdu/acse.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

#include "dlms/apdu/codec_internal.h"

namespace vidyut::dlms {
namespace {

// BER tags used by the DLMS ACSE subset (IEC 62056-5-3, ISO 8650 as profiled by DLMS).
constexpr std::uint8_t kBerInteger = 0x02;
constexpr std::uint8_t kBerOctetString = 0x04;
constexpr std::uint8_t kBerObjectId = 0x06;
// Context-class tags shared by AARQ and AARE.
constexpr std::uint8_t kApplicationContextName = 0xA1;  // [1]
constexpr std::uint8_t kUserInformation = 0xBE;         // [30] EXPLICIT
// AARQ
constexpr std::uint8_t kCallingApTitle = 0xA6;              // [6]
constexpr std::uint8_t kSenderAcseRequirements = 0x8A;      // [10] IMPLICIT BIT STRING
constexpr std::uint8_t kAarqMechanismName = 0x8B;           // [11] IMPLICIT OID
constexpr std::uint8_t kCallingAuthenticationValue = 0xAC;  // [12] EXPLICIT
// AARE
constexpr std::uint8_t kResult = 0xA2;                         // [2]
constexpr std::uint8_t kResultSourceDiagnostic = 0xA3;         // [3]
constexpr std::uint8_t kRespondingApTitle = 0xA4;              // [4]
constexpr std::uint8_t kResponderAcseRequirements = 0x88;      // [8] IMPLICIT BIT STRING
constexpr std::uint8_t kAareMechanismName = 0x89;              // [9] IMPLICIT OID
constexpr std::uint8_t kRespondingAuthenticationValue = 0xAA;  // [10] EXPLICIT
// RLRQ / RLRE
constexpr std::uint8_t kReleaseReason = 0x80;  // [0] IMPLICIT INTEGER
// Authentication-value CHOICE: charstring [0] IMPLICIT GraphicString.
constexpr std::uint8_t kAuthCharstring = 0x80;
// Result-source-diagnostic CHOICE.
constexpr std::uint8_t kDiagServiceUser = 0xA1;
constexpr std::uint8_t kDiagServiceProvider = 0xA2;
// [APPLICATION 31] IMPLICIT BIT STRING: the conformance block.
constexpr std::array<std::uint8_t, 2> kConformanceTag{0x5F, 0x1F};

// 2.16.756.5.8.1 (application context names) and 2.16.756.5.8.2 (mechanism names), BER.
constexpr std::array<std::uint8_t, 6> kContextOidPrefix{0x60, 0x85, 0x74, 0x05, 0x08, 0x01};
constexpr std::array<std::uint8_t, 6> kMechanismOidPrefix{0x60, 0x85, 0x74, 0x05, 0x08, 0x02};
// ACSE-requirements BIT STRING with only bit 0 (authentication) set: 7 unused bits, 0x80.
constexpr std::array<std::uint8_t, 2> kAuthenticationBit{0x07, 0x80};

Error malformed(const std::string& what) { return Error(Errc::kMalformed, what); }

// ---- BER writing ----

void ber_length(std::size_t n, ByteWriter& w) {
  assert(n <= 0xFFFF);
  if (n < 0x80) {
    w.u8(static_cast<std::uint8_t>(n));
  } else if (n <= 0xFF) {
    w.u8(0x81);
    w.u8(static_cast<std::uint8_t>(n));
  } else {
    w.u8(0x82);
    w.u16(static_cast<std::uint16_t>(n));
  }
}

void tlv(std::uint8_t tag, ByteView value, ByteWriter& w) {
  w.u8(tag);
  ber_length(value.size(), w);
  w.bytes(value);
}

Bytes tlv(std::uint8_t tag, ByteView value) {
  ByteWriter w;
  tlv(tag, value, w);
  return w.take();
}

Bytes oid(const std::array<std::uint8_t, 6>& prefix, std::uint8_t last) {
  Bytes b(prefix.begin(), prefix.end());
  b.push_back(last);
  return b;
}

// ---- BER reading ----

struct Tlv {
  std::uint8_t tag = 0;
  ByteView value;
};

// One TLV with a single-byte tag and a definite length of at most two bytes (DLMS never needs
// more: APDUs are below 64 KiB).
Result<Tlv> read_tlv(ByteReader& in) {
  Tlv t;
  VIDYUT_TRY(tag, in.u8());
  t.tag = *tag;
  if ((t.tag & 0x1F) == 0x1F) return malformed("multi-byte BER tag in ACSE APDU");
  VIDYUT_TRY(first, in.u8());
  std::size_t len = *first;
  if (*first == 0x81) {
    VIDYUT_TRY(b, in.u8());
    len = *b;
  } else if (*first == 0x82) {
    VIDYUT_TRY(b, in.u16());
    len = *b;
  } else if (*first >= 0x80) {
    return malformed("unsupported BER length form " + std::to_string(*first));
  }
  VIDYUT_TRY(v, in.bytes(len));
  t.value = *v;
  return t;
}

// The contents of an EXPLICIT wrapper that holds exactly one TLV of `inner_tag`.
Result<ByteView> explicit_inner(ByteView outer, std::uint8_t inner_tag, const char* what) {
  ByteReader r(outer);
  auto t = read_tlv(r);
  if (!t.ok()) return internal::as_complete(t.error());
  if (t->tag != inner_tag || !r.empty()) return malformed(std::string("bad encoding of ") + what);
  return t->value;
}

Result<Bytes> bounded_octets(ByteView v, const char* what) {
  if (v.size() > kMaxAcseFieldLength) {
    return Error(Errc::kLimitExceeded,
                 std::string(what) + " of " + std::to_string(v.size()) + " bytes exceeds limit");
  }
  return Bytes(v.begin(), v.end());
}

Result<std::uint8_t> oid_last_arc(ByteView v, const std::array<std::uint8_t, 6>& prefix,
                                  const char* what) {
  if (v.size() != 7 || !std::equal(prefix.begin(), prefix.end(), v.begin()) || v[6] >= 0x80) {
    return Error(Errc::kUnsupported, std::string("unknown ") + what + " " + to_hex(v));
  }
  return v[6];
}

Result<ApplicationContext> decode_context(ByteView outer) {
  VIDYUT_TRY(v, explicit_inner(outer, kBerObjectId, "application-context-name"));
  VIDYUT_TRY(arc, oid_last_arc(*v, kContextOidPrefix, "application context"));
  if (*arc < 1 || *arc > 4) {
    return Error(Errc::kUnsupported, "unknown application context " + std::to_string(*arc));
  }
  return static_cast<ApplicationContext>(*arc);
}

Result<Mechanism> decode_mechanism(ByteView v) {
  VIDYUT_TRY(arc, oid_last_arc(v, kMechanismOidPrefix, "mechanism name"));
  if (*arc > 7) return Error(Errc::kUnsupported, "unknown mechanism " + std::to_string(*arc));
  return static_cast<Mechanism>(*arc);
}

Result<bool> decode_requirements(ByteView v) {
  // BIT STRING: unused-bits count, then bits; bit 0 (MSB of first byte) is authentication.
  if (v.empty() || v[0] > 7 || (v.size() == 1 && v[0] != 0)) {
    return malformed("bad acse-requirements bit string");
  }
  return v.size() > 1 && (v[1] & 0x80) != 0;
}

Result<Bytes> decode_auth_value(ByteView outer) {
  ByteReader r(outer);
  auto t = read_tlv(r);
  if (!t.ok()) return internal::as_complete(t.error());
  if (!r.empty()) return malformed("trailing bytes in authentication-value");
  if (t->tag != kAuthCharstring) {
    return Error(Errc::kUnsupported, "authentication-value choice other than charstring");
  }
  return bounded_octets(t->value, "authentication value");
}

Result<std::int64_t> decode_ber_integer(ByteView v) {
  if (v.empty() || v.size() > 4) return malformed("bad BER integer length");
  std::int64_t x = static_cast<std::int8_t>(v[0]);
  for (std::size_t i = 1; i < v.size(); ++i) x = x * 256 + v[i];
  return x;
}

Result<std::uint8_t> decode_small_integer(ByteView v, const char* what) {
  VIDYUT_TRY(x, decode_ber_integer(v));
  if (*x < 0 || *x > 255) return malformed(std::string(what) + " out of range");
  return static_cast<std::uint8_t>(*x);
}

// ---- xDLMS Initiate PDUs (A-XDR) ----

void encode_conformance(Conformance c, ByteWriter& w) {
  w.bytes(ByteView(kConformanceTag));
  w.u8(0x04);  // length: unused-bits byte + 3 bytes
  w.u8(0x00);  // no unused bits
  w.u8(static_cast<std::uint8_t>(c.bits >> 16));
  w.u8(static_cast<std::uint8_t>(c.bits >> 8));
  w.u8(static_cast<std::uint8_t>(c.bits));
}

Result<Conformance> decode_conformance(ByteReader& in) {
  VIDYUT_TRY(head, in.bytes(4));
  const ByteView h = *head;
  if (h[0] != kConformanceTag[0] || h[1] != kConformanceTag[1] || h[2] != 0x04 || h[3] != 0x00) {
    return malformed("bad conformance block header " + to_hex(h));
  }
  VIDYUT_TRY(b, in.bytes(3));
  return Conformance{(std::uint32_t{(*b)[0]} << 16) | (std::uint32_t{(*b)[1]} << 8) | (*b)[2]};
}

void encode_initiate_request_to(const InitiateRequest& r, ByteWriter& w) {
  w.u8(tag::kInitiateRequest);
  if (r.dedicated_key) {
    w.u8(1);
    axdr::encode_length(r.dedicated_key->size(), w);
    w.bytes(*r.dedicated_key);
  } else {
    w.u8(0);
  }
  if (r.response_allowed) {
    w.u8(0);  // DEFAULT TRUE
  } else {
    w.u8(1);
    w.u8(0);
  }
  if (r.proposed_quality_of_service) {
    w.u8(1);
    w.u8(static_cast<std::uint8_t>(*r.proposed_quality_of_service));
  } else {
    w.u8(0);
  }
  w.u8(r.proposed_dlms_version);
  encode_conformance(r.proposed_conformance, w);
  w.u16(r.client_max_receive_pdu_size);
}

Result<std::optional<std::int8_t>> decode_optional_i8(ByteReader& in) {
  VIDYUT_TRY(present, in.u8());
  if (*present == 0) return std::optional<std::int8_t>();
  if (*present != 1) return malformed("bad OPTIONAL flag");
  VIDYUT_TRY(v, in.u8());
  return std::optional<std::int8_t>(static_cast<std::int8_t>(*v));
}

// After the tag byte.
Result<InitiateRequest> decode_initiate_request_body(ByteReader& in) {
  InitiateRequest r;
  VIDYUT_TRY(has_key, in.u8());
  if (*has_key == 1) {
    VIDYUT_TRY(n, axdr::decode_length(in));
    if (*n > kMaxDedicatedKeyLength) {
      return Error(Errc::kLimitExceeded, "dedicated key of " + std::to_string(*n) + " bytes");
    }
    VIDYUT_TRY(key, in.bytes(*n));
    r.dedicated_key = Bytes(key->begin(), key->end());
  } else if (*has_key != 0) {
    return malformed("bad OPTIONAL flag for dedicated-key");
  }
  VIDYUT_TRY(has_allowed, in.u8());
  if (*has_allowed == 1) {
    VIDYUT_TRY(v, in.u8());
    r.response_allowed = *v != 0;
  } else if (*has_allowed != 0) {
    return malformed("bad DEFAULT flag for response-allowed");
  }
  VIDYUT_TRY(qos, decode_optional_i8(in));
  r.proposed_quality_of_service = *qos;
  VIDYUT_TRY(version, in.u8());
  r.proposed_dlms_version = *version;
  VIDYUT_TRY(conf, decode_conformance(in));
  r.proposed_conformance = *conf;
  VIDYUT_TRY(pdu, in.u16());
  r.client_max_receive_pdu_size = *pdu;
  return r;
}

void encode_initiate_response_to(const InitiateResponse& r, ByteWriter& w) {
  w.u8(tag::kInitiateResponse);
  if (r.negotiated_quality_of_service) {
    w.u8(1);
    w.u8(static_cast<std::uint8_t>(*r.negotiated_quality_of_service));
  } else {
    w.u8(0);
  }
  w.u8(r.negotiated_dlms_version);
  encode_conformance(r.negotiated_conformance, w);
  w.u16(r.server_max_receive_pdu_size);
  w.u16(r.vaa_name);
}

Result<InitiateResponse> decode_initiate_response_body(ByteReader& in) {
  InitiateResponse r;
  VIDYUT_TRY(qos, decode_optional_i8(in));
  r.negotiated_quality_of_service = *qos;
  VIDYUT_TRY(version, in.u8());
  r.negotiated_dlms_version = *version;
  VIDYUT_TRY(conf, decode_conformance(in));
  r.negotiated_conformance = *conf;
  VIDYUT_TRY(pdu, in.u16());
  r.server_max_receive_pdu_size = *pdu;
  VIDYUT_TRY(vaa, in.u16());
  r.vaa_name = *vaa;
  return r;
}

// ---- user-information: [30] EXPLICIT OCTET STRING holding one xDLMS APDU ----

Bytes user_info_tlv(const Bytes& xdlms) {
  return tlv(kUserInformation, tlv(kBerOctetString, xdlms));
}

Bytes request_user_info(const RequestUserInformation& u) {
  ByteWriter w;
  if (const auto* r = std::get_if<InitiateRequest>(&u)) {
    encode_initiate_request_to(*r, w);
  } else {
    encode_ciphered(std::get<CipheredApdu>(u), w);
  }
  return user_info_tlv(w.view());
}

Bytes response_user_info(const ResponseUserInformation& u) {
  ByteWriter w;
  if (const auto* r = std::get_if<InitiateResponse>(&u)) {
    encode_initiate_response_to(*r, w);
  } else if (const auto* e = std::get_if<ConfirmedServiceError>(&u)) {
    internal::encode_confirmed_service_error(*e, w);
  } else {
    encode_ciphered(std::get<CipheredApdu>(u), w);
  }
  return user_info_tlv(w.view());
}

template <typename T, typename Body>
Result<T> decode_whole(ByteView bytes, Body body) {
  ByteReader in(bytes);
  auto r = body(in);
  if (!r.ok()) return internal::as_complete(r.error());
  if (!in.empty()) return malformed("trailing bytes after xDLMS PDU in user-information");
  return r;
}

Result<RequestUserInformation> decode_request_user_info(ByteView outer) {
  VIDYUT_TRY(xdlms, explicit_inner(outer, kBerOctetString, "user-information"));
  if (xdlms->empty()) return malformed("empty user-information");
  const std::uint8_t t = (*xdlms)[0];
  if (t == tag::kInitiateRequest) {
    VIDYUT_TRY(r, decode_whole<InitiateRequest>(*xdlms, [](ByteReader& in) {
                 (void)in.u8();
                 return decode_initiate_request_body(in);
               }));
    return RequestUserInformation(std::move(*r));
  }
  if (t == tag::kGloInitiateRequest || t == tag::kDedInitiateRequest) {
    VIDYUT_TRY(
        c, decode_whole<CipheredApdu>(*xdlms, [](ByteReader& in) { return decode_ciphered(in); }));
    return RequestUserInformation(std::move(*c));
  }
  return malformed("user-information holds tag " + std::to_string(t) +
                   ", expected an InitiateRequest");
}

Result<ResponseUserInformation> decode_response_user_info(ByteView outer) {
  VIDYUT_TRY(xdlms, explicit_inner(outer, kBerOctetString, "user-information"));
  if (xdlms->empty()) return malformed("empty user-information");
  const std::uint8_t t = (*xdlms)[0];
  if (t == tag::kInitiateResponse) {
    VIDYUT_TRY(r, decode_whole<InitiateResponse>(*xdlms, [](ByteReader& in) {
                 (void)in.u8();
                 return decode_initiate_response_body(in);
               }));
    return ResponseUserInformation(std::move(*r));
  }
  if (t == tag::kConfirmedServiceError) {
    VIDYUT_TRY(e, decode_whole<ConfirmedServiceError>(*xdlms, [](ByteReader& in) {
                 (void)in.u8();
                 return internal::decode_confirmed_service_error_body(in);
               }));
    return ResponseUserInformation(*e);
  }
  if (t == tag::kGloInitiateResponse || t == tag::kDedInitiateResponse ||
      t == tag::kGloConfirmedServiceError || t == tag::kDedConfirmedServiceError) {
    VIDYUT_TRY(
        c, decode_whole<CipheredApdu>(*xdlms, [](ByteReader& in) { return decode_ciphered(in); }));
    return ResponseUserInformation(std::move(*c));
  }
  return malformed("user-information holds tag " + std::to_string(t) +
                   ", expected an InitiateResponse");
}

// ---- whole APDUs ----

void emit_apdu(std::uint8_t tag, const Bytes& contents, ByteWriter& out) {
  tlv(tag, contents, out);
}

// Reads the outer [APPLICATION n] TLV, which must fill `bytes`.
Result<ByteView> outer_contents(ByteView bytes, std::uint8_t tag, const char* what) {
  ByteReader in(bytes);
  auto t = read_tlv(in);
  if (!t.ok()) return internal::as_complete(t.error());
  if (t->tag != tag) return malformed(std::string("not an ") + what);
  if (!in.empty()) return malformed(std::string("trailing bytes after ") + what);
  return t->value;
}

}  // namespace

Bytes encode_initiate_request(const InitiateRequest& r) {
  ByteWriter w;
  encode_initiate_request_to(r, w);
  return w.take();
}

Result<InitiateRequest> decode_initiate_request(ByteView bytes) {
  return decode_whole<InitiateRequest>(bytes, [](ByteReader& in) -> Result<InitiateRequest> {
    VIDYUT_TRY(t, in.u8());
    if (*t != tag::kInitiateRequest) return malformed("not an InitiateRequest");
    return decode_initiate_request_body(in);
  });
}

Bytes encode_initiate_response(const InitiateResponse& r) {
  ByteWriter w;
  encode_initiate_response_to(r, w);
  return w.take();
}

Result<InitiateResponse> decode_initiate_response(ByteView bytes) {
  return decode_whole<InitiateResponse>(bytes, [](ByteReader& in) -> Result<InitiateResponse> {
    VIDYUT_TRY(t, in.u8());
    if (*t != tag::kInitiateResponse) return malformed("not an InitiateResponse");
    return decode_initiate_response_body(in);
  });
}

namespace internal {

void encode_confirmed_service_error(const ConfirmedServiceError& e, ByteWriter& out) {
  out.u8(tag::kConfirmedServiceError);
  out.u8(e.service);
  out.u8(e.error_type);
  out.u8(e.value);
}

Result<ConfirmedServiceError> decode_confirmed_service_error_body(ByteReader& in) {
  ConfirmedServiceError e;
  VIDYUT_TRY(service, in.u8());
  VIDYUT_TRY(type, in.u8());
  VIDYUT_TRY(value, in.u8());
  e.service = *service;
  e.error_type = *type;
  e.value = *value;
  if (e.error_type > 10)
    return malformed("bad ServiceError choice " + std::to_string(e.error_type));
  return e;
}

void encode_aarq(const Aarq& a, ByteWriter& out) {
  ByteWriter c;
  tlv(kApplicationContextName,
      tlv(kBerObjectId, oid(kContextOidPrefix, static_cast<std::uint8_t>(a.context))), c);
  if (a.calling_ap_title) tlv(kCallingApTitle, tlv(kBerOctetString, *a.calling_ap_title), c);
  if (a.authentication) tlv(kSenderAcseRequirements, ByteView(kAuthenticationBit), c);
  if (a.mechanism) {
    tlv(kAarqMechanismName, oid(kMechanismOidPrefix, static_cast<std::uint8_t>(*a.mechanism)), c);
  }
  if (a.calling_authentication_value) {
    tlv(kCallingAuthenticationValue, tlv(kAuthCharstring, *a.calling_authentication_value), c);
  }
  if (a.user_information) c.bytes(request_user_info(*a.user_information));
  emit_apdu(tag::kAarq, c.view(), out);
}

Result<Aarq> decode_aarq(ByteView bytes) {
  VIDYUT_TRY(contents, outer_contents(bytes, tag::kAarq, "AARQ"));
  ByteReader in(*contents);
  Aarq a;
  bool have_context = false;
  while (!in.empty()) {
    auto f = read_tlv(in);
    if (!f.ok()) return as_complete(f.error());
    switch (f->tag) {
      case kApplicationContextName: {
        VIDYUT_TRY(ctx, decode_context(f->value));
        a.context = *ctx;
        have_context = true;
        break;
      }
      case kCallingApTitle: {
        VIDYUT_TRY(v, explicit_inner(f->value, kBerOctetString, "calling-AP-title"));
        VIDYUT_TRY(title, bounded_octets(*v, "calling-AP-title"));
        a.calling_ap_title = std::move(*title);
        break;
      }
      case kSenderAcseRequirements: {
        VIDYUT_TRY(auth, decode_requirements(f->value));
        a.authentication = *auth;
        break;
      }
      case kAarqMechanismName: {
        VIDYUT_TRY(m, decode_mechanism(f->value));
        a.mechanism = *m;
        break;
      }
      case kCallingAuthenticationValue: {
        VIDYUT_TRY(v, decode_auth_value(f->value));
        a.calling_authentication_value = std::move(*v);
        break;
      }
      case kUserInformation: {
        VIDYUT_TRY(u, decode_request_user_info(f->value));
        a.user_information = std::move(*u);
        break;
      }
      default:
        // protocol-version, called-*/calling-AE-* fields, implementation-information: skipped.
        if ((f->tag & 0x80) == 0) {
          return malformed("unexpected tag " + std::to_string(f->tag) + " in AARQ");
        }
        break;
    }
  }
  if (!have_context) return malformed("AARQ without application-context-name");
  return a;
}

void encode_aare(const Aare& a, ByteWriter& out) {
  ByteWriter c;
  tlv(kApplicationContextName,
      tlv(kBerObjectId, oid(kContextOidPrefix, static_cast<std::uint8_t>(a.context))), c);
  const std::uint8_t result = static_cast<std::uint8_t>(a.result);
  tlv(kResult, tlv(kBerInteger, ByteView(&result, 1)), c);
  tlv(kResultSourceDiagnostic,
      tlv(a.diagnostic.service_user ? kDiagServiceUser : kDiagServiceProvider,
          tlv(kBerInteger, ByteView(&a.diagnostic.value, 1))),
      c);
  if (a.responding_ap_title) {
    tlv(kRespondingApTitle, tlv(kBerOctetString, *a.responding_ap_title), c);
  }
  if (a.authentication) tlv(kResponderAcseRequirements, ByteView(kAuthenticationBit), c);
  if (a.mechanism) {
    tlv(kAareMechanismName, oid(kMechanismOidPrefix, static_cast<std::uint8_t>(*a.mechanism)), c);
  }
  if (a.responding_authentication_value) {
    tlv(kRespondingAuthenticationValue, tlv(kAuthCharstring, *a.responding_authentication_value),
        c);
  }
  if (a.user_information) c.bytes(response_user_info(*a.user_information));
  emit_apdu(tag::kAare, c.view(), out);
}

Result<Aare> decode_aare(ByteView bytes) {
  VIDYUT_TRY(contents, outer_contents(bytes, tag::kAare, "AARE"));
  ByteReader in(*contents);
  Aare a;
  bool have_context = false, have_result = false, have_diag = false;
  while (!in.empty()) {
    auto f = read_tlv(in);
    if (!f.ok()) return as_complete(f.error());
    switch (f->tag) {
      case kApplicationContextName: {
        VIDYUT_TRY(ctx, decode_context(f->value));
        a.context = *ctx;
        have_context = true;
        break;
      }
      case kResult: {
        VIDYUT_TRY(v, explicit_inner(f->value, kBerInteger, "result"));
        VIDYUT_TRY(r, decode_small_integer(*v, "association result"));
        if (*r > 2) return malformed("association result " + std::to_string(*r));
        a.result = static_cast<AssociationResult>(*r);
        have_result = true;
        break;
      }
      case kResultSourceDiagnostic: {
        ByteReader d(f->value);
        auto choice = read_tlv(d);
        if (!choice.ok()) return as_complete(choice.error());
        if (!d.empty() ||
            (choice->tag != kDiagServiceUser && choice->tag != kDiagServiceProvider)) {
          return malformed("bad result-source-diagnostic");
        }
        VIDYUT_TRY(v, explicit_inner(choice->value, kBerInteger, "result-source-diagnostic"));
        VIDYUT_TRY(x, decode_small_integer(*v, "diagnostic"));
        a.diagnostic = ResultSourceDiagnostic{choice->tag == kDiagServiceUser, *x};
        have_diag = true;
        break;
      }
      case kRespondingApTitle: {
        VIDYUT_TRY(v, explicit_inner(f->value, kBerOctetString, "responding-AP-title"));
        VIDYUT_TRY(title, bounded_octets(*v, "responding-AP-title"));
        a.responding_ap_title = std::move(*title);
        break;
      }
      case kResponderAcseRequirements: {
        VIDYUT_TRY(auth, decode_requirements(f->value));
        a.authentication = *auth;
        break;
      }
      case kAareMechanismName: {
        VIDYUT_TRY(m, decode_mechanism(f->value));
        a.mechanism = *m;
        break;
      }
      case kRespondingAuthenticationValue: {
        VIDYUT_TRY(v, decode_auth_value(f->value));
        a.responding_authentication_value = std::move(*v);
        break;
      }
      case kUserInformation: {
        VIDYUT_TRY(u, decode_response_user_info(f->value));
        a.user_information = std::move(*u);
        break;
      }
      default:
        if ((f->tag & 0x80) == 0) {
          return malformed("unexpected tag " + std::to_string(f->tag) + " in AARE");
        }
        break;
    }
  }
  if (!have_context || !have_result || !have_diag) {
    return malformed("AARE lacks application-context-name, result or diagnostic");
  }
  return a;
}

void encode_rlrq(const Rlrq& r, ByteWriter& out) {
  ByteWriter c;
  if (r.reason) tlv(kReleaseReason, ByteView(&*r.reason, 1), c);
  if (r.user_information) c.bytes(request_user_info(*r.user_information));
  emit_apdu(tag::kRlrq, c.view(), out);
}

void encode_rlre(const Rlre& r, ByteWriter& out) {
  ByteWriter c;
  if (r.reason) tlv(kReleaseReason, ByteView(&*r.reason, 1), c);
  if (r.user_information) c.bytes(response_user_info(*r.user_information));
  emit_apdu(tag::kRlre, c.view(), out);
}

namespace {

template <typename T, typename UserInfoDecoder>
Result<T> decode_release(ByteView bytes, std::uint8_t apdu_tag, const char* what,
                         UserInfoDecoder decode_user_info) {
  VIDYUT_TRY(contents, outer_contents(bytes, apdu_tag, what));
  ByteReader in(*contents);
  T r;
  while (!in.empty()) {
    auto f = read_tlv(in);
    if (!f.ok()) return as_complete(f.error());
    if (f->tag == kReleaseReason) {
      VIDYUT_TRY(v, decode_small_integer(f->value, "release reason"));
      r.reason = *v;
    } else if (f->tag == kUserInformation) {
      VIDYUT_TRY(u, decode_user_info(f->value));
      r.user_information = std::move(*u);
    } else {
      return malformed("unexpected tag " + std::to_string(f->tag) + " in " + what);
    }
  }
  return r;
}

}  // namespace

Result<Rlrq> decode_rlrq(ByteView bytes) {
  return decode_release<Rlrq>(bytes, tag::kRlrq, "RLRQ", decode_request_user_info);
}

Result<Rlre> decode_rlre(ByteView bytes) {
  return decode_release<Rlre>(bytes, tag::kRlre, "RLRE", decode_response_user_info);
}

}  // namespace internal

// ---- names ----

const char* to_string(ApplicationContext c) {
  switch (c) {
    case ApplicationContext::kLogicalName:
      return "logical-name (2.16.756.5.8.1.1)";
    case ApplicationContext::kShortName:
      return "short-name (2.16.756.5.8.1.2)";
    case ApplicationContext::kLogicalNameCiphered:
      return "logical-name-ciphered (2.16.756.5.8.1.3)";
    case ApplicationContext::kShortNameCiphered:
      return "short-name-ciphered (2.16.756.5.8.1.4)";
  }
  return "unknown application context";
}

const char* to_string(Mechanism m) {
  switch (m) {
    case Mechanism::kNone:
      return "none";
    case Mechanism::kLow:
      return "low (LLS, 2.16.756.5.8.2.1)";
    case Mechanism::kHigh:
      return "high (2.16.756.5.8.2.2)";
    case Mechanism::kHighMd5:
      return "high-md5 (2.16.756.5.8.2.3)";
    case Mechanism::kHighSha1:
      return "high-sha1 (2.16.756.5.8.2.4)";
    case Mechanism::kHighGmac:
      return "high-gmac (2.16.756.5.8.2.5)";
    case Mechanism::kHighSha256:
      return "high-sha256 (2.16.756.5.8.2.6)";
    case Mechanism::kHighEcdsa:
      return "high-ecdsa (2.16.756.5.8.2.7)";
  }
  return "unknown mechanism";
}

const char* to_string(ConformanceBit b) {
  static const char* const kNames[24] = {
      "reserved-zero",
      "general-protection",
      "general-block-transfer",
      "read",
      "write",
      "unconfirmed-write",
      "delta-value-encoding",
      "reserved-seven",
      "attribute0-supported-with-set",
      "priority-mgmt-supported",
      "attribute0-supported-with-get",
      "block-transfer-with-get-or-read",
      "block-transfer-with-set-or-write",
      "block-transfer-with-action",
      "multiple-references",
      "information-report",
      "data-notification",
      "access",
      "parameterized-access",
      "get",
      "set",
      "selective-access",
      "event-notification",
      "action",
  };
  const auto i = static_cast<std::size_t>(b);
  return i < 24 ? kNames[i] : "unknown";
}

std::string Conformance::to_string() const {
  std::string s;
  for (std::uint8_t i = 0; i < 24; ++i) {
    const auto b = static_cast<ConformanceBit>(i);
    if (!has(b)) continue;
    if (!s.empty()) s += ' ';
    s += dlms::to_string(b);
  }
  return s.empty() ? "(none)" : s;
}

const char* to_string(AssociationResult r) {
  switch (r) {
    case AssociationResult::kAccepted:
      return "accepted";
    case AssociationResult::kRejectedPermanent:
      return "rejected-permanent";
    case AssociationResult::kRejectedTransient:
      return "rejected-transient";
  }
  return "unknown";
}

std::string to_string(AcseServiceUserDiagnostic d) {
  static const char* const kNames[] = {
      "null",
      "no-reason-given",
      "application-context-name-not-supported",
      "calling-AP-title-not-recognized",
      "calling-AP-invocation-identifier-not-recognized",
      "calling-AE-qualifier-not-recognized",
      "calling-AE-invocation-identifier-not-recognized",
      "called-AP-title-not-recognized",
      "called-AP-invocation-identifier-not-recognized",
      "called-AE-qualifier-not-recognized",
      "called-AE-invocation-identifier-not-recognized",
      "authentication-mechanism-name-not-recognised",
      "authentication-mechanism-name-required",
      "authentication-failure",
      "authentication-required",
  };
  const auto i = static_cast<std::size_t>(d);
  if (i < std::size(kNames)) return kNames[i];
  return "diagnostic " + std::to_string(i);
}

}  // namespace vidyut::dlms
