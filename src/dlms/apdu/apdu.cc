#include "dlms/apdu/apdu.h"

#include <cassert>
#include <cstdio>
#include <string>

#include "dlms/apdu/codec_internal.h"

namespace vidyut::dlms {
namespace {

using internal::as_complete;

Error malformed(const std::string& what) { return Error(Errc::kMalformed, what); }
Error unsupported(const std::string& what) { return Error(Errc::kUnsupported, what); }

// Service choices (Green Book Get-Request, Get-Response ... CHOICE numbers).
constexpr std::uint8_t kChoiceNormal = 1;
constexpr std::uint8_t kGetNext = 2;
constexpr std::uint8_t kGetWithList = 3;
constexpr std::uint8_t kGetResponseWithDataBlock = 2;
constexpr std::uint8_t kSetWithFirstDataBlock = 2;
constexpr std::uint8_t kSetWithDataBlock = 3;
constexpr std::uint8_t kSetWithList = 4;
constexpr std::uint8_t kSetResponseDataBlock = 2;
constexpr std::uint8_t kSetResponseLastDataBlock = 3;
constexpr std::uint8_t kSetResponseWithList = 5;
constexpr std::uint8_t kActionWithList = 3;

// ---- encoding pieces ----

void put_attribute(const AttributeDescriptor& a, ByteWriter& w) {
  w.u16(a.class_id);
  w.bytes(ByteView(a.instance.v));
  w.u8(static_cast<std::uint8_t>(a.attribute));
}

void put_method(const MethodDescriptor& m, ByteWriter& w) {
  w.u16(m.class_id);
  w.bytes(ByteView(m.instance.v));
  w.u8(static_cast<std::uint8_t>(m.method));
}

void put_access(const std::optional<SelectiveAccess>& s, ByteWriter& w) {
  if (!s) {
    w.u8(0);
    return;
  }
  w.u8(1);
  w.u8(s->selector);
  axdr::encode(s->parameters, w);
}

void put_get_data_result(const GetDataResult& r, ByteWriter& w) {
  if (const auto* d = std::get_if<Data>(&r)) {
    w.u8(0);
    axdr::encode(*d, w);
  } else {
    w.u8(1);
    w.u8(static_cast<std::uint8_t>(std::get<DataAccessResult>(r)));
  }
}

void put_block_sa(const DataBlockSa& b, ByteWriter& w) {
  w.u8(b.last_block ? 1 : 0);
  w.u32(b.block_number);
  axdr::encode_length(b.raw.size(), w);
  w.bytes(b.raw);
}

void put_action_item(const ActionResponseItem& i, ByteWriter& w) {
  w.u8(static_cast<std::uint8_t>(i.result));
  if (i.return_parameters) {
    w.u8(1);
    put_get_data_result(*i.return_parameters, w);
  } else {
    w.u8(0);
  }
}

void put_head(std::uint8_t tag, std::uint8_t choice, InvokeIdAndPriority inv, ByteWriter& w) {
  w.u8(tag);
  w.u8(choice);
  w.u8(inv.raw);
}

struct Encoder {
  ByteWriter& w;

  void operator()(const Aarq& a) { internal::encode_aarq(a, w); }
  void operator()(const Aare& a) { internal::encode_aare(a, w); }
  void operator()(const Rlrq& a) { internal::encode_rlrq(a, w); }
  void operator()(const Rlre& a) { internal::encode_rlre(a, w); }
  void operator()(const GetRequest& g) { std::visit(*this, g); }
  void operator()(const GetResponse& g) { std::visit(*this, g); }
  void operator()(const SetRequest& g) { std::visit(*this, g); }
  void operator()(const SetResponse& g) { std::visit(*this, g); }
  void operator()(const ActionRequest& g) { std::visit(*this, g); }
  void operator()(const ActionResponse& g) { std::visit(*this, g); }

  void operator()(const GetRequestNormal& g) {
    put_head(tag::kGetRequest, kChoiceNormal, g.invoke, w);
    put_attribute(g.attribute, w);
    put_access(g.access, w);
  }
  void operator()(const GetRequestNext& g) {
    put_head(tag::kGetRequest, kGetNext, g.invoke, w);
    w.u32(g.block_number);
  }
  void operator()(const GetRequestWithList& g) {
    put_head(tag::kGetRequest, kGetWithList, g.invoke, w);
    axdr::encode_length(g.attributes.size(), w);
    for (const auto& a : g.attributes) {
      put_attribute(a.attribute, w);
      put_access(a.access, w);
    }
  }
  void operator()(const GetResponseNormal& g) {
    put_head(tag::kGetResponse, kChoiceNormal, g.invoke, w);
    put_get_data_result(g.result, w);
  }
  void operator()(const GetResponseWithDataBlock& g) {
    put_head(tag::kGetResponse, kGetResponseWithDataBlock, g.invoke, w);
    w.u8(g.last_block ? 1 : 0);
    w.u32(g.block_number);
    if (const auto* raw = std::get_if<Bytes>(&g.raw)) {
      w.u8(0);
      axdr::encode_length(raw->size(), w);
      w.bytes(*raw);
    } else {
      w.u8(1);
      w.u8(static_cast<std::uint8_t>(std::get<DataAccessResult>(g.raw)));
    }
  }
  void operator()(const GetResponseWithList& g) {
    put_head(tag::kGetResponse, kGetWithList, g.invoke, w);
    axdr::encode_length(g.results.size(), w);
    for (const auto& r : g.results) put_get_data_result(r, w);
  }
  void operator()(const SetRequestNormal& s) {
    put_head(tag::kSetRequest, kChoiceNormal, s.invoke, w);
    put_attribute(s.attribute, w);
    put_access(s.access, w);
    axdr::encode(s.value, w);
  }
  void operator()(const SetRequestWithFirstDataBlock& s) {
    put_head(tag::kSetRequest, kSetWithFirstDataBlock, s.invoke, w);
    put_attribute(s.attribute, w);
    put_access(s.access, w);
    put_block_sa(s.block, w);
  }
  void operator()(const SetRequestWithDataBlock& s) {
    put_head(tag::kSetRequest, kSetWithDataBlock, s.invoke, w);
    put_block_sa(s.block, w);
  }
  void operator()(const SetRequestWithList& s) {
    assert(s.attributes.size() == s.values.size());
    put_head(tag::kSetRequest, kSetWithList, s.invoke, w);
    axdr::encode_length(s.attributes.size(), w);
    for (const auto& a : s.attributes) {
      put_attribute(a.attribute, w);
      put_access(a.access, w);
    }
    axdr::encode_length(s.values.size(), w);
    for (const auto& v : s.values) axdr::encode(v, w);
  }
  void operator()(const SetResponseNormal& s) {
    put_head(tag::kSetResponse, kChoiceNormal, s.invoke, w);
    w.u8(static_cast<std::uint8_t>(s.result));
  }
  void operator()(const SetResponseDataBlock& s) {
    put_head(tag::kSetResponse, kSetResponseDataBlock, s.invoke, w);
    w.u32(s.block_number);
  }
  void operator()(const SetResponseLastDataBlock& s) {
    put_head(tag::kSetResponse, kSetResponseLastDataBlock, s.invoke, w);
    w.u8(static_cast<std::uint8_t>(s.result));
    w.u32(s.block_number);
  }
  void operator()(const SetResponseWithList& s) {
    put_head(tag::kSetResponse, kSetResponseWithList, s.invoke, w);
    axdr::encode_length(s.results.size(), w);
    for (auto r : s.results) w.u8(static_cast<std::uint8_t>(r));
  }
  void operator()(const ActionRequestNormal& a) {
    put_head(tag::kActionRequest, kChoiceNormal, a.invoke, w);
    put_method(a.method, w);
    if (a.parameters) {
      w.u8(1);
      axdr::encode(*a.parameters, w);
    } else {
      w.u8(0);
    }
  }
  void operator()(const ActionRequestWithList& a) {
    assert(a.methods.size() == a.parameters.size());
    put_head(tag::kActionRequest, kActionWithList, a.invoke, w);
    axdr::encode_length(a.methods.size(), w);
    for (const auto& m : a.methods) put_method(m, w);
    axdr::encode_length(a.parameters.size(), w);
    for (const auto& p : a.parameters) axdr::encode(p, w);
  }
  void operator()(const ActionResponseNormal& a) {
    put_head(tag::kActionResponse, kChoiceNormal, a.invoke, w);
    put_action_item(a.response, w);
  }
  void operator()(const ActionResponseWithList& a) {
    put_head(tag::kActionResponse, kActionWithList, a.invoke, w);
    axdr::encode_length(a.responses.size(), w);
    for (const auto& r : a.responses) put_action_item(r, w);
  }
  void operator()(const DataNotification& d) {
    w.u8(tag::kDataNotification);
    w.u32(d.long_invoke_id_and_priority);
    if (d.date_time) {
      const Bytes dt = d.date_time->to_bytes();
      axdr::encode_length(dt.size(), w);
      w.bytes(dt);
    } else {
      w.u8(0);
    }
    axdr::encode(d.body, w);
  }
  void operator()(const ExceptionResponse& e) {
    assert(e.invocation_counter.has_value() ==
           (e.service_error == ServiceError::kInvocationCounterError));
    w.u8(tag::kExceptionResponse);
    w.u8(static_cast<std::uint8_t>(e.state_error));
    w.u8(static_cast<std::uint8_t>(e.service_error));
    if (e.invocation_counter) w.u32(*e.invocation_counter);
  }
  void operator()(const ConfirmedServiceError& e) {
    internal::encode_confirmed_service_error(e, w);
  }
  void operator()(const CipheredApdu& c) { encode_ciphered(c, w); }
};

// ---- decoding pieces (input is one complete APDU; kNeedMore is mapped by the caller) ----

Result<AttributeDescriptor> get_attribute(ByteReader& in) {
  AttributeDescriptor a;
  VIDYUT_TRY(cls, in.u16());
  VIDYUT_TRY(ln, in.bytes(6));
  VIDYUT_TRY(attr, in.u8());
  a.class_id = *cls;
  std::copy(ln->begin(), ln->end(), a.instance.v.begin());
  a.attribute = static_cast<std::int8_t>(*attr);
  return a;
}

Result<MethodDescriptor> get_method(ByteReader& in) {
  MethodDescriptor m;
  VIDYUT_TRY(cls, in.u16());
  VIDYUT_TRY(ln, in.bytes(6));
  VIDYUT_TRY(method, in.u8());
  m.class_id = *cls;
  std::copy(ln->begin(), ln->end(), m.instance.v.begin());
  m.method = static_cast<std::int8_t>(*method);
  return m;
}

// An OPTIONAL flag: 0 absent, 1 present.
Result<bool> get_flag(ByteReader& in, const char* what) {
  VIDYUT_TRY(f, in.u8());
  if (*f > 1) return malformed(std::string("bad OPTIONAL flag for ") + what);
  return *f == 1;
}

Result<bool> get_bool(ByteReader& in) {
  VIDYUT_TRY(b, in.u8());
  return *b != 0;
}

Result<std::optional<SelectiveAccess>> get_access(ByteReader& in) {
  VIDYUT_TRY(present, get_flag(in, "access-selection"));
  if (!*present) return std::optional<SelectiveAccess>();
  VIDYUT_TRY(selector, in.u8());
  VIDYUT_TRY(params, axdr::decode(in));
  return std::optional<SelectiveAccess>(SelectiveAccess{*selector, std::move(*params)});
}

Result<AttributeWithSelection> get_attribute_with_selection(ByteReader& in) {
  VIDYUT_TRY(a, get_attribute(in));
  VIDYUT_TRY(s, get_access(in));
  return AttributeWithSelection{*a, std::move(*s)};
}

Result<GetDataResult> get_get_data_result(ByteReader& in) {
  VIDYUT_TRY(choice, in.u8());
  if (*choice == 0) {
    VIDYUT_TRY(d, axdr::decode(in));
    return GetDataResult(std::move(*d));
  }
  if (*choice == 1) {
    VIDYUT_TRY(r, in.u8());
    return GetDataResult(static_cast<DataAccessResult>(*r));
  }
  return malformed("bad Get-Data-Result choice " + std::to_string(*choice));
}

Result<std::size_t> get_count(ByteReader& in) {
  VIDYUT_TRY(n, axdr::decode_length(in));
  if (*n > kMaxListItems) {
    return Error(Errc::kLimitExceeded, "list of " + std::to_string(*n) + " items exceeds limit " +
                                           std::to_string(kMaxListItems));
  }
  return *n;
}

// Reads a SEQUENCE OF: count then `count` items via `item`.
template <typename T, typename F>
Result<std::vector<T>> get_list(ByteReader& in, F item) {
  VIDYUT_TRY(n, get_count(in));
  std::vector<T> out;
  for (std::size_t i = 0; i < *n; ++i) {
    auto r = item(in);
    if (!r.ok()) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<Bytes> get_octets(ByteReader& in) {
  VIDYUT_TRY(n, axdr::decode_length(in));
  VIDYUT_TRY(b, in.bytes(*n));
  return Bytes(b->begin(), b->end());
}

Result<DataBlockSa> get_block_sa(ByteReader& in) {
  DataBlockSa b;
  VIDYUT_TRY(last, get_bool(in));
  VIDYUT_TRY(num, in.u32());
  VIDYUT_TRY(raw, get_octets(in));
  b.last_block = *last;
  b.block_number = *num;
  b.raw = std::move(*raw);
  return b;
}

Result<ActionResponseItem> get_action_item(ByteReader& in) {
  ActionResponseItem i;
  VIDYUT_TRY(r, in.u8());
  i.result = static_cast<ActionResult>(*r);
  VIDYUT_TRY(present, get_flag(in, "return-parameters"));
  if (*present) {
    VIDYUT_TRY(p, get_get_data_result(in));
    i.return_parameters = std::move(*p);
  }
  return i;
}

Result<Apdu> decode_get_request(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(a, get_attribute(in));
      VIDYUT_TRY(s, get_access(in));
      return Apdu(GetRequest(GetRequestNormal{inv, *a, std::move(*s)}));
    }
    case kGetNext: {
      VIDYUT_TRY(n, in.u32());
      return Apdu(GetRequest(GetRequestNext{inv, *n}));
    }
    case kGetWithList: {
      VIDYUT_TRY(l, get_list<AttributeWithSelection>(in, get_attribute_with_selection));
      return Apdu(GetRequest(GetRequestWithList{inv, std::move(*l)}));
    }
    default:
      return malformed("bad Get-Request choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_get_response(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(r, get_get_data_result(in));
      return Apdu(GetResponse(GetResponseNormal{inv, std::move(*r)}));
    }
    case kGetResponseWithDataBlock: {
      GetResponseWithDataBlock b;
      b.invoke = inv;
      VIDYUT_TRY(last, get_bool(in));
      VIDYUT_TRY(num, in.u32());
      VIDYUT_TRY(c, in.u8());
      b.last_block = *last;
      b.block_number = *num;
      if (*c == 0) {
        VIDYUT_TRY(raw, get_octets(in));
        b.raw = std::move(*raw);
      } else if (*c == 1) {
        VIDYUT_TRY(r, in.u8());
        b.raw = static_cast<DataAccessResult>(*r);
      } else {
        return malformed("bad DataBlock-G result choice " + std::to_string(*c));
      }
      return Apdu(GetResponse(std::move(b)));
    }
    case kGetWithList: {
      VIDYUT_TRY(l, get_list<GetDataResult>(in, get_get_data_result));
      return Apdu(GetResponse(GetResponseWithList{inv, std::move(*l)}));
    }
    default:
      return malformed("bad Get-Response choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_set_request(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(a, get_attribute(in));
      VIDYUT_TRY(s, get_access(in));
      VIDYUT_TRY(v, axdr::decode(in));
      return Apdu(SetRequest(SetRequestNormal{inv, *a, std::move(*s), std::move(*v)}));
    }
    case kSetWithFirstDataBlock: {
      VIDYUT_TRY(a, get_attribute(in));
      VIDYUT_TRY(s, get_access(in));
      VIDYUT_TRY(b, get_block_sa(in));
      return Apdu(SetRequest(SetRequestWithFirstDataBlock{inv, *a, std::move(*s), std::move(*b)}));
    }
    case kSetWithDataBlock: {
      VIDYUT_TRY(b, get_block_sa(in));
      return Apdu(SetRequest(SetRequestWithDataBlock{inv, std::move(*b)}));
    }
    case kSetWithList: {
      VIDYUT_TRY(attrs, get_list<AttributeWithSelection>(in, get_attribute_with_selection));
      VIDYUT_TRY(values, get_list<Data>(in, [](ByteReader& r) { return axdr::decode(r); }));
      if (attrs->size() != values->size()) {
        return malformed("Set-Request-With-List has " + std::to_string(attrs->size()) +
                         " attributes but " + std::to_string(values->size()) + " values");
      }
      return Apdu(SetRequest(SetRequestWithList{inv, std::move(*attrs), std::move(*values)}));
    }
    case 5:
      return unsupported("Set-Request-With-List-And-First-Datablock");
    default:
      return malformed("bad Set-Request choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_set_response(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(r, in.u8());
      return Apdu(SetResponse(SetResponseNormal{inv, static_cast<DataAccessResult>(*r)}));
    }
    case kSetResponseDataBlock: {
      VIDYUT_TRY(n, in.u32());
      return Apdu(SetResponse(SetResponseDataBlock{inv, *n}));
    }
    case kSetResponseLastDataBlock: {
      VIDYUT_TRY(r, in.u8());
      VIDYUT_TRY(n, in.u32());
      return Apdu(
          SetResponse(SetResponseLastDataBlock{inv, static_cast<DataAccessResult>(*r), *n}));
    }
    case 4:
      return unsupported("Set-Response-Last-Datablock-With-List");
    case kSetResponseWithList: {
      VIDYUT_TRY(l, get_list<DataAccessResult>(in, [](ByteReader& r) -> Result<DataAccessResult> {
                   VIDYUT_TRY(v, r.u8());
                   return static_cast<DataAccessResult>(*v);
                 }));
      return Apdu(SetResponse(SetResponseWithList{inv, std::move(*l)}));
    }
    default:
      return malformed("bad Set-Response choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_action_request(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(m, get_method(in));
      VIDYUT_TRY(present, get_flag(in, "method-invocation-parameters"));
      ActionRequestNormal a{inv, *m, std::nullopt};
      if (*present) {
        VIDYUT_TRY(p, axdr::decode(in));
        a.parameters = std::move(*p);
      }
      return Apdu(ActionRequest(std::move(a)));
    }
    case kActionWithList: {
      VIDYUT_TRY(methods, get_list<MethodDescriptor>(in, get_method));
      VIDYUT_TRY(params, get_list<Data>(in, [](ByteReader& r) { return axdr::decode(r); }));
      if (methods->size() != params->size()) {
        return malformed("Action-Request-With-List has " + std::to_string(methods->size()) +
                         " methods but " + std::to_string(params->size()) + " parameters");
      }
      return Apdu(
          ActionRequest(ActionRequestWithList{inv, std::move(*methods), std::move(*params)}));
    }
    case 2:
    case 4:
    case 5:
    case 6:
      return unsupported("Action-Request with parameter blocks (choice " + std::to_string(choice) +
                         ")");
    default:
      return malformed("bad Action-Request choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_action_response(ByteReader& in, std::uint8_t choice, InvokeIdAndPriority inv) {
  switch (choice) {
    case kChoiceNormal: {
      VIDYUT_TRY(i, get_action_item(in));
      return Apdu(ActionResponse(ActionResponseNormal{inv, std::move(*i)}));
    }
    case kActionWithList: {
      VIDYUT_TRY(l, get_list<ActionResponseItem>(in, get_action_item));
      return Apdu(ActionResponse(ActionResponseWithList{inv, std::move(*l)}));
    }
    case 2:
    case 4:
      return unsupported("Action-Response with parameter blocks (choice " + std::to_string(choice) +
                         ")");
    default:
      return malformed("bad Action-Response choice " + std::to_string(choice));
  }
}

Result<Apdu> decode_data_notification(ByteReader& in) {
  DataNotification d;
  VIDYUT_TRY(id, in.u32());
  d.long_invoke_id_and_priority = *id;
  VIDYUT_TRY(n, axdr::decode_length(in));
  if (*n == 12) {
    VIDYUT_TRY(b, in.bytes(12));
    VIDYUT_TRY(dt, CosemDateTime::from_bytes(*b));
    d.date_time = *dt;
  } else if (*n != 0) {
    return malformed("Data-Notification date-time of " + std::to_string(*n) + " bytes");
  }
  VIDYUT_TRY(body, axdr::decode(in));
  d.body = std::move(*body);
  return Apdu(std::move(d));
}

Result<Apdu> decode_exception(ByteReader& in) {
  ExceptionResponse e;
  VIDYUT_TRY(state, in.u8());
  VIDYUT_TRY(service, in.u8());
  e.state_error = static_cast<StateError>(*state);
  e.service_error = static_cast<ServiceError>(*service);
  if (e.service_error == ServiceError::kInvocationCounterError) {
    VIDYUT_TRY(ic, in.u32());
    e.invocation_counter = *ic;
  }
  return Apdu(e);
}

// Decodes the service APDUs (everything but ACSE), tag included.
Result<Apdu> decode_xdlms(ByteReader& in) {
  VIDYUT_TRY(t, in.peek_u8());
  const std::uint8_t tag = *t;
  if (is_ciphered_tag(tag)) {
    VIDYUT_TRY(c, decode_ciphered(in));
    return Apdu(std::move(*c));
  }
  (void)in.u8();
  switch (tag) {
    case tag::kGetRequest:
    case tag::kGetResponse:
    case tag::kSetRequest:
    case tag::kSetResponse:
    case tag::kActionRequest:
    case tag::kActionResponse: {
      VIDYUT_TRY(choice, in.u8());
      VIDYUT_TRY(inv, in.u8());
      const InvokeIdAndPriority iip{*inv};
      switch (tag) {
        case tag::kGetRequest:
          return decode_get_request(in, *choice, iip);
        case tag::kGetResponse:
          return decode_get_response(in, *choice, iip);
        case tag::kSetRequest:
          return decode_set_request(in, *choice, iip);
        case tag::kSetResponse:
          return decode_set_response(in, *choice, iip);
        case tag::kActionRequest:
          return decode_action_request(in, *choice, iip);
        default:
          return decode_action_response(in, *choice, iip);
      }
    }
    case tag::kDataNotification:
      return decode_data_notification(in);
    case tag::kExceptionResponse:
      return decode_exception(in);
    case tag::kConfirmedServiceError: {
      VIDYUT_TRY(e, internal::decode_confirmed_service_error_body(in));
      return Apdu(*e);
    }
    case tag::kInitiateRequest:
    case tag::kInitiateResponse:
      return unsupported("bare Initiate PDU outside an AARQ/AARE (tag " + std::to_string(tag) +
                         ")");
    case 0x05:
    case 0x06:
    case 0x0C:
    case 0x0D:
    case 0x16:
    case 0x18:
      return unsupported("short-name referencing service tag " + std::to_string(tag));
    case tag::kEventNotificationRequest:
    case 0xD9:  // access-request
    case 0xDA:  // access-response
    case 0xDD:  // general-ciphering
    case 0xDF:  // general-signing
    case 0xE0:  // general-block-transfer
      return unsupported("APDU tag " + std::to_string(tag));
    default:
      return malformed("unknown APDU tag " + std::to_string(tag));
  }
}

// ---- describe ----

std::string hex_line(ByteView b) { return b.empty() ? "(empty)" : to_hex(b, true); }

std::string invoke_text(InvokeIdAndPriority i) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "invoke-id %u, %s, %s priority (0x%02X)", i.invoke_id(),
                i.confirmed() ? "confirmed" : "unconfirmed", i.high_priority() ? "high" : "normal",
                i.raw);
  return buf;
}

std::string pad(int indent) { return std::string(static_cast<std::size_t>(indent) * 2, ' '); }

std::string attribute_text(const AttributeDescriptor& a) {
  return "class " + std::to_string(a.class_id) + ", " + a.instance.to_string() + ", attribute " +
         std::to_string(a.attribute);
}

std::string method_text(const MethodDescriptor& m) {
  return "class " + std::to_string(m.class_id) + ", " + m.instance.to_string() + ", method " +
         std::to_string(m.method);
}

std::string access_text(const std::optional<SelectiveAccess>& s, int indent) {
  if (!s) return "";
  return pad(indent) + "selective access: selector " + std::to_string(s->selector) + "\n" +
         pad(indent + 1) + axdr::to_text(s->parameters, indent + 1) + "\n";
}

std::string result_text(const GetDataResult& r, int indent) {
  if (const auto* d = std::get_if<Data>(&r)) return pad(indent) + axdr::to_text(*d, indent) + "\n";
  return pad(indent) + "data-access-result: " + to_string(std::get<DataAccessResult>(r)) + "\n";
}

std::string action_item_text(const ActionResponseItem& i, int indent) {
  std::string s = pad(indent) + "result: " + to_string(i.result) + "\n";
  if (i.return_parameters)
    s += pad(indent) + "return parameters:\n" + result_text(*i.return_parameters, indent + 1);
  return s;
}

std::string ciphered_text(const CipheredApdu& c, int indent) {
  std::string s;
  if (c.system_title) s += pad(indent) + "system title: " + hex_line(*c.system_title) + "\n";
  char buf[96];
  std::snprintf(buf, sizeof buf, "security control: 0x%02X%s%s, invocation counter: %u\n",
                c.security_control,
                (c.security_control & kScAuthentication) ? " authenticated" : "",
                (c.security_control & kScEncryption) ? " encrypted" : "", c.invocation_counter);
  s += pad(indent) + buf;
  s += pad(indent) + "payload (" + std::to_string(c.payload.size()) +
       " bytes): " + hex_line(c.payload) + "\n";
  return s;
}

std::string initiate_request_text(const InitiateRequest& r, int indent) {
  std::string s = pad(indent) + "InitiateRequest\n";
  if (r.dedicated_key) s += pad(indent + 1) + "dedicated key: " + hex_line(*r.dedicated_key) + "\n";
  if (!r.response_allowed) s += pad(indent + 1) + "response-allowed: false\n";
  if (r.proposed_quality_of_service) {
    s += pad(indent + 1) + "quality of service: " + std::to_string(*r.proposed_quality_of_service) +
         "\n";
  }
  s += pad(indent + 1) + "dlms version: " + std::to_string(r.proposed_dlms_version) + "\n";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06X", r.proposed_conformance.bits);
  s += pad(indent + 1) + "conformance: " + buf + " " + r.proposed_conformance.to_string() + "\n";
  s += pad(indent + 1) +
       "client max receive pdu size: " + std::to_string(r.client_max_receive_pdu_size) + "\n";
  return s;
}

std::string initiate_response_text(const InitiateResponse& r, int indent) {
  std::string s = pad(indent) + "InitiateResponse\n";
  if (r.negotiated_quality_of_service) {
    s += pad(indent + 1) +
         "quality of service: " + std::to_string(*r.negotiated_quality_of_service) + "\n";
  }
  s += pad(indent + 1) + "dlms version: " + std::to_string(r.negotiated_dlms_version) + "\n";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06X", r.negotiated_conformance.bits);
  s += pad(indent + 1) + "conformance: " + buf + " " + r.negotiated_conformance.to_string() + "\n";
  s += pad(indent + 1) +
       "server max receive pdu size: " + std::to_string(r.server_max_receive_pdu_size) + "\n";
  std::snprintf(buf, sizeof buf, "0x%04X", r.vaa_name);
  s += pad(indent + 1) + "vaa-name: " + buf + "\n";
  return s;
}

std::string user_info_text(const RequestUserInformation& u, int indent) {
  if (const auto* r = std::get_if<InitiateRequest>(&u)) return initiate_request_text(*r, indent);
  const auto& c = std::get<CipheredApdu>(u);
  return pad(indent) + apdu_name(Apdu(c)) + "\n" + ciphered_text(c, indent + 1);
}

std::string user_info_text(const ResponseUserInformation& u, int indent) {
  if (const auto* r = std::get_if<InitiateResponse>(&u)) return initiate_response_text(*r, indent);
  if (const auto* e = std::get_if<ConfirmedServiceError>(&u)) {
    return pad(indent) + "confirmed-service-error: " + to_string(*e) + "\n";
  }
  const auto& c = std::get<CipheredApdu>(u);
  return pad(indent) + apdu_name(Apdu(c)) + "\n" + ciphered_text(c, indent + 1);
}

struct Describer {
  std::string operator()(const Aarq& a) const {
    std::string s = "  application context: " + std::string(to_string(a.context)) + "\n";
    if (a.calling_ap_title) s += "  calling AP title: " + hex_line(*a.calling_ap_title) + "\n";
    if (a.authentication) s += "  sender ACSE requirements: authentication\n";
    if (a.mechanism) s += "  mechanism: " + std::string(to_string(*a.mechanism)) + "\n";
    if (a.calling_authentication_value) {
      s += "  calling authentication value: " + hex_line(*a.calling_authentication_value) + "\n";
    }
    if (a.user_information) s += "  user information:\n" + user_info_text(*a.user_information, 2);
    return s;
  }
  std::string operator()(const Aare& a) const {
    std::string s = "  application context: " + std::string(to_string(a.context)) + "\n";
    s += "  result: " + std::string(to_string(a.result)) + "\n";
    s += "  diagnostic: " +
         (a.diagnostic.service_user
              ? "acse-service-user " +
                    to_string(static_cast<AcseServiceUserDiagnostic>(a.diagnostic.value))
              : "acse-service-provider " + std::to_string(a.diagnostic.value)) +
         "\n";
    if (a.responding_ap_title)
      s += "  responding AP title: " + hex_line(*a.responding_ap_title) + "\n";
    if (a.authentication) s += "  responder ACSE requirements: authentication\n";
    if (a.mechanism) s += "  mechanism: " + std::string(to_string(*a.mechanism)) + "\n";
    if (a.responding_authentication_value) {
      s += "  responding authentication value: " + hex_line(*a.responding_authentication_value) +
           "\n";
    }
    if (a.user_information) s += "  user information:\n" + user_info_text(*a.user_information, 2);
    return s;
  }
  std::string operator()(const Rlrq& r) const {
    std::string s;
    if (r.reason) s += "  reason: " + std::to_string(*r.reason) + "\n";
    if (r.user_information) s += "  user information:\n" + user_info_text(*r.user_information, 2);
    return s.empty() ? "  (no fields)\n" : s;
  }
  std::string operator()(const Rlre& r) const {
    std::string s;
    if (r.reason) s += "  reason: " + std::to_string(*r.reason) + "\n";
    if (r.user_information) s += "  user information:\n" + user_info_text(*r.user_information, 2);
    return s.empty() ? "  (no fields)\n" : s;
  }
  template <typename... Ts>
  std::string operator()(const std::variant<Ts...>& v) const {
    return std::visit(*this, v);
  }
  std::string operator()(const GetRequestNormal& g) const {
    return "  " + invoke_text(g.invoke) + "\n  " + attribute_text(g.attribute) + "\n" +
           access_text(g.access, 1);
  }
  std::string operator()(const GetRequestNext& g) const {
    return "  " + invoke_text(g.invoke) + "\n  block number: " + std::to_string(g.block_number) +
           "\n";
  }
  std::string operator()(const GetRequestWithList& g) const {
    std::string s = "  " + invoke_text(g.invoke) + "\n";
    for (const auto& a : g.attributes) {
      s += "  - " + attribute_text(a.attribute) + "\n" + access_text(a.access, 2);
    }
    return s;
  }
  std::string operator()(const GetResponseNormal& g) const {
    return "  " + invoke_text(g.invoke) + "\n" + result_text(g.result, 1);
  }
  std::string operator()(const GetResponseWithDataBlock& g) const {
    std::string s = "  " + invoke_text(g.invoke) + "\n  block " + std::to_string(g.block_number) +
                    (g.last_block ? " (last)" : "") + "\n";
    if (const auto* raw = std::get_if<Bytes>(&g.raw)) {
      return s + "  raw data (" + std::to_string(raw->size()) + " bytes): " + hex_line(*raw) + "\n";
    }
    return s + "  data-access-result: " + to_string(std::get<DataAccessResult>(g.raw)) + "\n";
  }
  std::string operator()(const GetResponseWithList& g) const {
    std::string s = "  " + invoke_text(g.invoke) + "\n";
    for (const auto& r : g.results) s += result_text(r, 1);
    return s;
  }
  std::string operator()(const SetRequestNormal& r) const {
    return "  " + invoke_text(r.invoke) + "\n  " + attribute_text(r.attribute) + "\n" +
           access_text(r.access, 1) + "  value: " + axdr::to_text(r.value, 1) + "\n";
  }
  static std::string block_text(const DataBlockSa& b) {
    return "  block " + std::to_string(b.block_number) + (b.last_block ? " (last)" : "") +
           ", raw data (" + std::to_string(b.raw.size()) + " bytes): " + hex_line(b.raw) + "\n";
  }
  std::string operator()(const SetRequestWithFirstDataBlock& r) const {
    return "  " + invoke_text(r.invoke) + "\n  " + attribute_text(r.attribute) + "\n" +
           access_text(r.access, 1) + block_text(r.block);
  }
  std::string operator()(const SetRequestWithDataBlock& r) const {
    return "  " + invoke_text(r.invoke) + "\n" + block_text(r.block);
  }
  std::string operator()(const SetRequestWithList& r) const {
    std::string s = "  " + invoke_text(r.invoke) + "\n";
    for (std::size_t i = 0; i < r.attributes.size(); ++i) {
      s += "  - " + attribute_text(r.attributes[i].attribute) + "\n" +
           access_text(r.attributes[i].access, 2);
      if (i < r.values.size()) s += "    value: " + axdr::to_text(r.values[i], 2) + "\n";
    }
    return s;
  }
  std::string operator()(const SetResponseNormal& r) const {
    return "  " + invoke_text(r.invoke) + "\n  result: " + to_string(r.result) + "\n";
  }
  std::string operator()(const SetResponseDataBlock& r) const {
    return "  " + invoke_text(r.invoke) + "\n  block number: " + std::to_string(r.block_number) +
           "\n";
  }
  std::string operator()(const SetResponseLastDataBlock& r) const {
    return "  " + invoke_text(r.invoke) + "\n  result: " + to_string(r.result) +
           "\n  block number: " + std::to_string(r.block_number) + "\n";
  }
  std::string operator()(const SetResponseWithList& r) const {
    std::string s = "  " + invoke_text(r.invoke) + "\n";
    for (auto x : r.results) s += "  result: " + to_string(x) + "\n";
    return s;
  }
  std::string operator()(const ActionRequestNormal& a) const {
    std::string s = "  " + invoke_text(a.invoke) + "\n  " + method_text(a.method) + "\n";
    if (a.parameters) s += "  parameters: " + axdr::to_text(*a.parameters, 1) + "\n";
    return s;
  }
  std::string operator()(const ActionRequestWithList& a) const {
    std::string s = "  " + invoke_text(a.invoke) + "\n";
    for (std::size_t i = 0; i < a.methods.size(); ++i) {
      s += "  - " + method_text(a.methods[i]) + "\n";
      if (i < a.parameters.size())
        s += "    parameters: " + axdr::to_text(a.parameters[i], 2) + "\n";
    }
    return s;
  }
  std::string operator()(const ActionResponseNormal& a) const {
    return "  " + invoke_text(a.invoke) + "\n" + action_item_text(a.response, 1);
  }
  std::string operator()(const ActionResponseWithList& a) const {
    std::string s = "  " + invoke_text(a.invoke) + "\n";
    for (const auto& r : a.responses) s += action_item_text(r, 1);
    return s;
  }
  std::string operator()(const DataNotification& d) const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  long invoke id and priority: 0x%08X\n",
                  d.long_invoke_id_and_priority);
    std::string s = buf;
    s += "  date-time: " + (d.date_time ? d.date_time->to_string() : std::string("(none)")) + "\n";
    s += "  body: " + axdr::to_text(d.body, 1) + "\n";
    return s;
  }
  std::string operator()(const ExceptionResponse& e) const {
    std::string s = "  state error: " + to_string(e.state_error) +
                    "\n  service error: " + to_string(e.service_error) + "\n";
    if (e.invocation_counter) {
      s += "  expected invocation counter: " + std::to_string(*e.invocation_counter) + "\n";
    }
    return s;
  }
  std::string operator()(const ConfirmedServiceError& e) const {
    return "  " + to_string(e) + "\n";
  }
  std::string operator()(const CipheredApdu& c) const { return ciphered_text(c, 1); }
};

const char* ciphered_name(std::uint8_t t) {
  switch (t) {
    case tag::kGloInitiateRequest:
      return "glo-initiate-request";
    case tag::kGloInitiateResponse:
      return "glo-initiate-response";
    case tag::kGloConfirmedServiceError:
      return "glo-confirmed-service-error";
    case tag::kGloGetRequest:
      return "glo-get-request";
    case tag::kGloSetRequest:
      return "glo-set-request";
    case tag::kGloEventNotificationRequest:
      return "glo-event-notification-request";
    case tag::kGloActionRequest:
      return "glo-action-request";
    case tag::kGloGetResponse:
      return "glo-get-response";
    case tag::kGloSetResponse:
      return "glo-set-response";
    case tag::kGloActionResponse:
      return "glo-action-response";
    case tag::kDedInitiateRequest:
      return "ded-initiate-request";
    case tag::kDedInitiateResponse:
      return "ded-initiate-response";
    case tag::kDedConfirmedServiceError:
      return "ded-confirmed-service-error";
    case tag::kDedGetRequest:
      return "ded-get-request";
    case tag::kDedSetRequest:
      return "ded-set-request";
    case tag::kDedEventNotificationRequest:
      return "ded-event-notification-request";
    case tag::kDedActionRequest:
      return "ded-action-request";
    case tag::kDedGetResponse:
      return "ded-get-response";
    case tag::kDedSetResponse:
      return "ded-set-response";
    case tag::kDedActionResponse:
      return "ded-action-response";
    case tag::kGeneralGloCiphering:
      return "general-glo-ciphering";
    case tag::kGeneralDedCiphering:
      return "general-ded-ciphering";
    default:
      return nullptr;
  }
}

struct Namer {
  std::string operator()(const Aarq&) const { return "aarq"; }
  std::string operator()(const Aare&) const { return "aare"; }
  std::string operator()(const Rlrq&) const { return "rlrq"; }
  std::string operator()(const Rlre&) const { return "rlre"; }
  template <typename... Ts>
  std::string operator()(const std::variant<Ts...>& v) const {
    return std::visit(*this, v);
  }
  std::string operator()(const GetRequestNormal&) const { return "get-request-normal"; }
  std::string operator()(const GetRequestNext&) const { return "get-request-next"; }
  std::string operator()(const GetRequestWithList&) const { return "get-request-with-list"; }
  std::string operator()(const GetResponseNormal&) const { return "get-response-normal"; }
  std::string operator()(const GetResponseWithDataBlock&) const {
    return "get-response-with-datablock";
  }
  std::string operator()(const GetResponseWithList&) const { return "get-response-with-list"; }
  std::string operator()(const SetRequestNormal&) const { return "set-request-normal"; }
  std::string operator()(const SetRequestWithFirstDataBlock&) const {
    return "set-request-with-first-datablock";
  }
  std::string operator()(const SetRequestWithDataBlock&) const {
    return "set-request-with-datablock";
  }
  std::string operator()(const SetRequestWithList&) const { return "set-request-with-list"; }
  std::string operator()(const SetResponseNormal&) const { return "set-response-normal"; }
  std::string operator()(const SetResponseDataBlock&) const { return "set-response-datablock"; }
  std::string operator()(const SetResponseLastDataBlock&) const {
    return "set-response-last-datablock";
  }
  std::string operator()(const SetResponseWithList&) const { return "set-response-with-list"; }
  std::string operator()(const ActionRequestNormal&) const { return "action-request-normal"; }
  std::string operator()(const ActionRequestWithList&) const { return "action-request-with-list"; }
  std::string operator()(const ActionResponseNormal&) const { return "action-response-normal"; }
  std::string operator()(const ActionResponseWithList&) const {
    return "action-response-with-list";
  }
  std::string operator()(const DataNotification&) const { return "data-notification"; }
  std::string operator()(const ExceptionResponse&) const { return "exception-response"; }
  std::string operator()(const ConfirmedServiceError&) const { return "confirmed-service-error"; }
  std::string operator()(const CipheredApdu& c) const {
    const char* n = ciphered_name(c.tag);
    return n ? n : "ciphered-apdu tag " + std::to_string(c.tag);
  }
};

struct InvokeGetter {
  template <typename... Ts>
  std::optional<InvokeIdAndPriority> operator()(const std::variant<Ts...>& v) const {
    return std::visit(*this, v);
  }
  template <typename T>
  std::optional<InvokeIdAndPriority> operator()(const T& t) const {
    if constexpr (requires { t.invoke; }) {
      return t.invoke;
    } else {
      return std::nullopt;
    }
  }
};

}  // namespace

Bytes encode(const Apdu& apdu) {
  ByteWriter w;
  std::visit(Encoder{w}, apdu);
  return w.take();
}

Result<Apdu> decode_apdu(ByteView complete_apdu) {
  if (complete_apdu.empty()) return malformed("empty APDU");
  switch (complete_apdu[0]) {
    case tag::kAarq: {
      VIDYUT_TRY(a, internal::decode_aarq(complete_apdu));
      return Apdu(std::move(*a));
    }
    case tag::kAare: {
      VIDYUT_TRY(a, internal::decode_aare(complete_apdu));
      return Apdu(std::move(*a));
    }
    case tag::kRlrq: {
      VIDYUT_TRY(a, internal::decode_rlrq(complete_apdu));
      return Apdu(std::move(*a));
    }
    case tag::kRlre: {
      VIDYUT_TRY(a, internal::decode_rlre(complete_apdu));
      return Apdu(std::move(*a));
    }
    default:
      break;
  }
  ByteReader in(complete_apdu);
  auto r = decode_xdlms(in);
  if (!r.ok()) return as_complete(r.error());
  if (!in.empty()) {
    return malformed(std::to_string(in.remaining()) + " trailing bytes after " + apdu_name(*r));
  }
  return r;
}

std::string describe(const Apdu& apdu) {
  return apdu_name(apdu) + "\n" + std::visit(Describer{}, apdu);
}

std::string apdu_name(const Apdu& apdu) { return std::visit(Namer{}, apdu); }

std::optional<InvokeIdAndPriority> invoke_id_of(const Apdu& apdu) {
  return std::visit(InvokeGetter{}, apdu);
}

}  // namespace vidyut::dlms
