#include "dlms/session/client.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "dlms/apdu/apdu.h"
#include "dlms/apdu/ciphered.h"

namespace vidyut::dlms {

namespace {

namespace sec = security;

Error malformed(const Error& e, const char* what) {
  const Errc code = e.code == Errc::kNeedMore ? Errc::kMalformed : e.code;
  return Error(code, std::string(what) + ": " + e.message);
}

// The Error a client reports for an Exception-Response from the meter.
Error exception_error(const ExceptionResponse& x) {
  std::string text =
      "exception-response: " + to_string(x.state_error) + ", " + to_string(x.service_error);
  switch (x.service_error) {
    case ServiceError::kInvocationCounterError:
      if (x.invocation_counter) {
        text += " (meter expects a counter above " + std::to_string(*x.invocation_counter) + ")";
      }
      return Error(Errc::kReplay, text);
    case ServiceError::kDecipheringError:
      return Error(Errc::kAuthFailed, text);
    default:
      return Error(Errc::kRefused, text);
  }
}

bool is_auth_diagnostic(const ResultSourceDiagnostic& d) {
  if (!d.service_user) return false;
  const auto v = static_cast<AcseServiceUserDiagnostic>(d.value);
  return v == AcseServiceUserDiagnostic::kAuthenticationFailure ||
         v == AcseServiceUserDiagnostic::kAuthenticationMechanismNameNotRecognised ||
         v == AcseServiceUserDiagnostic::kAuthenticationMechanismNameRequired ||
         v == AcseServiceUserDiagnostic::kAuthenticationRequired;
}

std::string diagnostic_text(const ResultSourceDiagnostic& d) {
  if (d.service_user) return to_string(static_cast<AcseServiceUserDiagnostic>(d.value));
  return "acse-service-provider " + std::to_string(d.value);
}

// Decodes the raw bytes of a GET-with-list block transfer: SEQUENCE OF Get-Data-Result.
Result<std::vector<GetDataResult>> decode_result_list(ByteView raw, std::size_t expected) {
  ByteReader in(raw);
  auto count = axdr::decode_length(in);
  if (!count.ok()) return malformed(count.error(), "GET-with-list blocks");
  if (*count != expected) {
    return Error(Errc::kProtocol, "GET-with-list answered " + std::to_string(*count) +
                                      " results for " + std::to_string(expected) + " attributes");
  }
  std::vector<GetDataResult> out;
  for (std::size_t i = 0; i < *count; ++i) {
    auto choice = in.u8();
    if (!choice.ok()) return malformed(choice.error(), "GET-with-list blocks");
    if (*choice == 0) {
      auto d = axdr::decode(in);
      if (!d.ok()) return malformed(d.error(), "GET-with-list blocks");
      out.emplace_back(std::move(*d));
    } else if (*choice == 1) {
      auto r = in.u8();
      if (!r.ok()) return malformed(r.error(), "GET-with-list blocks");
      out.emplace_back(static_cast<DataAccessResult>(*r));
    } else {
      return Error(Errc::kMalformed, "GET-with-list blocks: bad Get-Data-Result choice");
    }
  }
  if (!in.empty()) return Error(Errc::kMalformed, "GET-with-list blocks: trailing bytes");
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ClientCodec

ClientCodec::ClientCodec(const ClientSettings& settings)
    : settings_(settings), ic_(settings.invocation_counter.value_or(1)) {
  ciphered_ = settings_.security != sec::SecurityPolicy::kNone;
}

std::uint8_t ClientCodec::take_invoke_id() {
  invoke_id_ = next_invoke_id_;
  next_invoke_id_ = static_cast<std::uint8_t>((next_invoke_id_ + 1) & 0x0F);
  return invoke_id_;
}

Status ClientCodec::expect(Pending what) const {
  if (pending_ != what)
    return Error(Errc::kProtocol, "unexpected response: no such request pending");
  return ok_status();
}

Result<Bytes> ClientCodec::protect_request(ByteView plain) {
  if (!ciphered_) return Bytes(plain.begin(), plain.end());
  if (plain.empty()) return Error(Errc::kInternal, "empty APDU to protect");
  const auto glo = glo_tag_for(plain[0]);
  if (!glo) return Error(Errc::kInternal, "no glo-ciphered form for this APDU");
  VIDYUT_TRY(ic, ic_.next());
  const std::uint8_t sc = sec::security_control(settings_.security);
  VIDYUT_TRY(payload, sec::protect(sc, settings_.client_title, *ic, settings_.keys, plain));
  CipheredApdu c;
  c.tag = *glo;
  c.security_control = sc;
  c.invocation_counter = *ic;
  c.payload = std::move(*payload);
  return encode_ciphered(c);
}

// Decodes a response; deciphers glo-ciphered ones (checking the server's counter for replay).
// Exception-Responses become Errors here.
Result<Bytes> ClientCodec::unprotect_response(ByteView apdu) {
  if (apdu.empty()) return Error(Errc::kMalformed, "empty response APDU");
  if (!is_ciphered_tag(apdu[0])) {
    if (ciphered_ && apdu[0] != tag::kExceptionResponse && apdu[0] != tag::kConfirmedServiceError) {
      return Error(Errc::kProtocol, "unprotected response in a ciphered association");
    }
    return Bytes(apdu.begin(), apdu.end());
  }
  ByteReader in(apdu);
  auto c = decode_ciphered(in);
  if (!c.ok()) return malformed(c.error(), "ciphered response");
  if (!in.empty()) return Error(Errc::kMalformed, "ciphered response: trailing bytes");
  if (!server_title_) return Error(Errc::kProtocol, "ciphered response but no server system title");
  if (!sec::satisfies(c->security_control, settings_.security)) {
    return Error(Errc::kAuthFailed, "response protected less than the association requires");
  }
  Bytes sealed = security_header(c->security_control, c->invocation_counter);
  sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
  auto opened = sec::open(*server_title_, settings_.keys, sealed);
  if (!opened.ok()) {
    return Error(opened.error().code == Errc::kAuthFailed ? Errc::kAuthFailed : Errc::kMalformed,
                 "response did not decipher (wrong keys?): " + opened.error().message);
  }
  auto guard = server_guard_.accept(c->invocation_counter);
  if (!guard.ok()) {
    return Error(Errc::kReplay, "server invocation counter replayed: " + guard.error().message);
  }
  const auto plain_tag = plain_tag_for(c->tag);
  if (opened->plaintext.empty() || !plain_tag || opened->plaintext[0] != *plain_tag) {
    return Error(Errc::kMalformed, "ciphered response: inner APDU does not match its tag");
  }
  return std::move(opened->plaintext);
}

Result<Bytes> ClientCodec::build_aarq() {
  associated_ = false;
  hls_pending_ = false;
  pending_ = Pending::kNone;
  server_title_.reset();
  server_guard_ = sec::InvocationCounterGuard();
  Aarq a;
  a.context =
      ciphered_ ? ApplicationContext::kLogicalNameCiphered : ApplicationContext::kLogicalName;
  const bool hls = settings_.auth == Authentication::kHlsGmac;
  if (ciphered_ || hls) {
    a.calling_ap_title = Bytes(settings_.client_title.begin(), settings_.client_title.end());
  }
  switch (settings_.auth) {
    case Authentication::kNone:
      break;
    case Authentication::kLow:
      a.authentication = true;
      a.mechanism = Mechanism::kLow;
      a.calling_authentication_value = Bytes(settings_.password.begin(), settings_.password.end());
      break;
    case Authentication::kHlsGmac: {
      a.authentication = true;
      a.mechanism = Mechanism::kHighGmac;
      VIDYUT_TRY(ctos, sec::make_challenge());
      ctos_ = *ctos;
      a.calling_authentication_value = ctos_;
      break;
    }
  }
  InitiateRequest ir;
  ir.client_max_receive_pdu_size = settings_.max_receive_pdu;
  if (ciphered_) {
    const Bytes plain = encode_initiate_request(ir);
    VIDYUT_TRY(ic, ic_.next());
    const std::uint8_t sc = sec::security_control(settings_.security);
    VIDYUT_TRY(payload, sec::protect(sc, settings_.client_title, *ic, settings_.keys, plain));
    CipheredApdu c;
    c.tag = tag::kGloInitiateRequest;
    c.security_control = sc;
    c.invocation_counter = *ic;
    c.payload = std::move(*payload);
    a.user_information = RequestUserInformation(std::move(c));
  } else {
    a.user_information = RequestUserInformation(ir);
  }
  return encode(Apdu(std::move(a)));
}

Status ClientCodec::on_aare(ByteView apdu) {
  auto decoded = decode_apdu(apdu);
  if (!decoded.ok()) return malformed(decoded.error(), "AARE");
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) return exception_error(*x);
  const auto* aare = std::get_if<Aare>(&*decoded);
  if (aare == nullptr) return Error(Errc::kProtocol, "expected AARE, got " + apdu_name(*decoded));
  if (aare->result != AssociationResult::kAccepted) {
    std::string text = "association rejected: " + diagnostic_text(aare->diagnostic);
    if (aare->user_information) {
      if (const auto* e = std::get_if<ConfirmedServiceError>(&*aare->user_information)) {
        text += " (" + to_string(*e) + ")";
      }
    }
    return Error(is_auth_diagnostic(aare->diagnostic) ? Errc::kAuthFailed : Errc::kRefused, text);
  }
  const bool hls = settings_.auth == Authentication::kHlsGmac;
  if (ciphered_ || hls) {
    if (!aare->responding_ap_title) {
      return Error(Errc::kProtocol, "AARE without the server system title");
    }
    auto title = sec::system_title_from_bytes(*aare->responding_ap_title);
    if (!title.ok()) return malformed(title.error(), "AARE responding-AP-title");
    server_title_ = *title;
  }
  if (hls) {
    if (!aare->diagnostic.service_user ||
        aare->diagnostic.value !=
            static_cast<std::uint8_t>(AcseServiceUserDiagnostic::kAuthenticationRequired) ||
        !aare->responding_authentication_value) {
      return Error(Errc::kProtocol, "AARE for HLS without authentication-required and StoC");
    }
    stoc_ = *aare->responding_authentication_value;
    if (stoc_.size() < sec::kMinChallengeLength || stoc_.size() > sec::kMaxChallengeLength) {
      return Error(Errc::kProtocol, "AARE StoC challenge of bad length");
    }
  }
  if (!aare->user_information) return Error(Errc::kProtocol, "AARE without InitiateResponse");
  InitiateResponse ir;
  if (const auto* plain = std::get_if<InitiateResponse>(&*aare->user_information)) {
    if (ciphered_) return Error(Errc::kProtocol, "AARE InitiateResponse not ciphered");
    ir = *plain;
  } else if (const auto* c = std::get_if<CipheredApdu>(&*aare->user_information)) {
    if (!ciphered_ || c->tag != tag::kGloInitiateResponse) {
      return Error(Errc::kProtocol, "AARE carries an unexpected ciphered InitiateResponse");
    }
    if (!sec::satisfies(c->security_control, settings_.security)) {
      return Error(Errc::kAuthFailed, "InitiateResponse protected less than required");
    }
    Bytes sealed = security_header(c->security_control, c->invocation_counter);
    sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
    auto opened = sec::open(*server_title_, settings_.keys, sealed);
    if (!opened.ok()) {
      return Error(Errc::kAuthFailed,
                   "InitiateResponse did not decipher (wrong keys?): " + opened.error().message);
    }
    auto g = server_guard_.accept(c->invocation_counter);
    if (!g.ok()) return Error(Errc::kReplay, "server invocation counter replayed in AARE");
    auto decoded_ir = decode_initiate_response(opened->plaintext);
    if (!decoded_ir.ok()) return malformed(decoded_ir.error(), "InitiateResponse");
    ir = *decoded_ir;
  } else {
    return Error(Errc::kRefused, "association accepted but initiate refused");
  }
  if (ir.server_max_receive_pdu_size != 0 && ir.server_max_receive_pdu_size < kMinPduSize) {
    return Error(Errc::kProtocol,
                 "server max-receive-pdu-size below " + std::to_string(kMinPduSize));
  }
  server_max_pdu_ = ir.server_max_receive_pdu_size;
  hls_pending_ = hls;
  associated_ = !hls;
  return ok_status();
}

Result<Bytes> ClientCodec::build_hls_reply() {
  if (!hls_pending_ || !server_title_)
    return Error(Errc::kProtocol, "no HLS authentication pending");
  VIDYUT_TRY(ic, ic_.next());
  VIDYUT_TRY(f, sec::gmac_response(settings_.client_title, *ic, settings_.keys, stoc_));
  ActionRequestNormal r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  r.method =
      MethodDescriptor{kAssociationLnClassId, kCurrentAssociation, kReplyToHlsAuthenticationMethod};
  r.parameters = Data::octet_string(std::move(*f));
  pending_ = Pending::kHls;
  return protect_request(encode(Apdu(ActionRequest(std::move(r)))));
}

Status ClientCodec::on_hls_reply_response(ByteView apdu) {
  VIDYUT_CHECK(expect(Pending::kHls));
  pending_ = Pending::kNone;
  VIDYUT_TRY(plain, unprotect_response(apdu));
  auto decoded = decode_apdu(*plain);
  if (!decoded.ok()) return malformed(decoded.error(), "HLS pass 4");
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) {
    hls_pending_ = false;
    Error e = exception_error(*x);
    if (e.code == Errc::kRefused) e.code = Errc::kAuthFailed;
    e.message = "HLS authentication refused: " + e.message;
    return e;
  }
  const auto* r = apdu_get<ActionResponseNormal>(*decoded);
  if (r == nullptr) return Error(Errc::kProtocol, "HLS pass 4: expected ACTION response");
  if (r->invoke.invoke_id() != invoke_id_)
    return Error(Errc::kProtocol, "HLS pass 4: wrong invoke id");
  hls_pending_ = false;
  if (r->response.result != ActionResult::kSuccess) {
    return Error(Errc::kAuthFailed,
                 "HLS authentication failed: meter answered " + to_string(r->response.result));
  }
  const Bytes* f = nullptr;
  if (r->response.return_parameters) {
    if (const auto* d = std::get_if<Data>(&*r->response.return_parameters)) f = d->as_octets();
  }
  if (f == nullptr) return Error(Errc::kAuthFailed, "HLS pass 4 carries no f(CtoS)");
  auto v = sec::verify_gmac_response(*server_title_, settings_.keys, ctos_, *f);
  if (!v.ok()) return Error(Errc::kAuthFailed, "meter's f(CtoS) did not verify: wrong keys?");
  associated_ = true;
  return ok_status();
}

Result<Bytes> ClientCodec::build_rlrq() {
  Rlrq r;
  r.reason = 0;
  pending_ = Pending::kNone;
  return encode(Apdu(std::move(r)));
}

Status ClientCodec::on_rlre(ByteView apdu) {
  associated_ = false;
  hls_pending_ = false;
  auto decoded = decode_apdu(apdu);
  if (!decoded.ok()) return malformed(decoded.error(), "RLRE");
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) return exception_error(*x);
  if (!std::holds_alternative<Rlre>(*decoded)) {
    return Error(Errc::kProtocol, "expected RLRE, got " + apdu_name(*decoded));
  }
  return ok_status();
}

Result<Bytes> ClientCodec::build_get(const AttributeDescriptor& attribute,
                                     const std::optional<SelectiveAccess>& access) {
  if (!associated_) return Error(Errc::kProtocol, "not associated");
  GetRequestNormal r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  r.attribute = attribute;
  r.access = access;
  pending_ = Pending::kGet;
  pending_count_ = 1;
  blocks_.clear();
  last_block_ = 0;
  return protect_request(encode(Apdu(GetRequest(std::move(r)))));
}

Result<Bytes> ClientCodec::build_get_list(const std::vector<AttributeDescriptor>& attributes) {
  if (!associated_) return Error(Errc::kProtocol, "not associated");
  if (attributes.empty() || attributes.size() > kMaxClientListItems) {
    return Error(Errc::kInvalidArgument,
                 "GET-with-list needs 1.." + std::to_string(kMaxClientListItems) + " attributes");
  }
  GetRequestWithList r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  for (const auto& a : attributes) r.attributes.push_back({a, std::nullopt});
  pending_ = Pending::kGetList;
  pending_count_ = attributes.size();
  blocks_.clear();
  last_block_ = 0;
  return protect_request(encode(Apdu(GetRequest(std::move(r)))));
}

Result<GetProgress> ClientCodec::on_get_response(ByteView apdu) {
  if (pending_ != Pending::kGet && pending_ != Pending::kGetList) {
    return Error(Errc::kProtocol, "unexpected GET response: no GET pending");
  }
  const bool list = pending_ == Pending::kGetList;
  auto fail = [this](Error e) -> Result<GetProgress> {
    pending_ = Pending::kNone;
    blocks_.clear();
    return e;
  };
  auto plain = unprotect_response(apdu);
  if (!plain.ok()) return fail(plain.error());
  auto decoded = decode_apdu(*plain);
  if (!decoded.ok()) return fail(malformed(decoded.error(), "GET response"));
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) return fail(exception_error(*x));
  if (const auto* e = std::get_if<ConfirmedServiceError>(&*decoded)) {
    return fail(Error(Errc::kRefused, "confirmed-service-error: " + to_string(*e)));
  }
  const auto inv = invoke_id_of(*decoded);
  if (!inv || !std::holds_alternative<GetResponse>(*decoded)) {
    return fail(Error(Errc::kProtocol, "expected GET response, got " + apdu_name(*decoded)));
  }
  if (inv->invoke_id() != invoke_id_) {
    return fail(Error(Errc::kProtocol, "GET response with invoke id " +
                                           std::to_string(inv->invoke_id()) + ", expected " +
                                           std::to_string(invoke_id_)));
  }
  GetProgress p;
  if (const auto* n = apdu_get<GetResponseNormal>(*decoded)) {
    if (list || last_block_ != 0)
      return fail(Error(Errc::kProtocol, "unexpected GET-Response-Normal"));
    p.complete = true;
    p.results.push_back(n->result);
  } else if (const auto* l = apdu_get<GetResponseWithList>(*decoded)) {
    if (!list || last_block_ != 0)
      return fail(Error(Errc::kProtocol, "unexpected GET-Response-With-List"));
    if (l->results.size() != pending_count_) {
      return fail(Error(Errc::kProtocol, "GET-with-list answered " +
                                             std::to_string(l->results.size()) + " results for " +
                                             std::to_string(pending_count_) + " attributes"));
    }
    p.complete = true;
    p.results = l->results;
  } else if (const auto* b = apdu_get<GetResponseWithDataBlock>(*decoded)) {
    if (b->block_number != last_block_ + 1) {
      return fail(Error(Errc::kProtocol, "GET block " + std::to_string(b->block_number) +
                                             " out of sequence, expected " +
                                             std::to_string(last_block_ + 1)));
    }
    if (const auto* dar = std::get_if<DataAccessResult>(&b->raw)) {
      p.complete = true;
      p.results.assign(pending_count_, *dar);
    } else {
      const Bytes& raw = std::get<Bytes>(b->raw);
      if (b->block_number > kMaxGetBlocks || blocks_.size() + raw.size() > kMaxReassembledBytes) {
        return fail(Error(Errc::kLimitExceeded, "GET response exceeds the reassembly limit"));
      }
      blocks_.insert(blocks_.end(), raw.begin(), raw.end());
      last_block_ = b->block_number;
      if (b->last_block) {
        p.complete = true;
        if (list) {
          auto results = decode_result_list(blocks_, pending_count_);
          if (!results.ok()) return fail(results.error());
          p.results = std::move(*results);
        } else {
          auto d = decode_reassembled(blocks_, raw.size(), settings_.quirks, deviations_);
          if (!d.ok()) return fail(malformed(d.error(), "GET blocks"));
          p.results.emplace_back(std::move(*d));
        }
      } else {
        GetRequestNext next;
        next.invoke = InvokeIdAndPriority::make(invoke_id_);
        next.block_number = last_block_;
        auto req = protect_request(encode(Apdu(GetRequest(next))));
        if (!req.ok()) return fail(req.error());
        p.next_request = std::move(*req);
        return p;
      }
    }
  }
  pending_ = Pending::kNone;
  blocks_.clear();
  last_block_ = 0;
  return p;
}

Result<Bytes> ClientCodec::build_set(const AttributeDescriptor& attribute, const Data& value,
                                     const std::optional<SelectiveAccess>& access) {
  if (!associated_) return Error(Errc::kProtocol, "not associated");
  SetRequestNormal r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  r.attribute = attribute;
  r.access = access;
  r.value = value;
  pending_ = Pending::kSet;
  pending_count_ = 1;
  return protect_request(encode(Apdu(SetRequest(std::move(r)))));
}

Result<Bytes> ClientCodec::build_set_list(const std::vector<AttributeDescriptor>& attributes,
                                          const std::vector<Data>& values) {
  if (!associated_) return Error(Errc::kProtocol, "not associated");
  if (attributes.empty() || attributes.size() > kMaxClientListItems ||
      attributes.size() != values.size()) {
    return Error(Errc::kInvalidArgument, "SET-with-list needs as many values as attributes (1.." +
                                             std::to_string(kMaxClientListItems) + ")");
  }
  SetRequestWithList r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  for (const auto& a : attributes) r.attributes.push_back({a, std::nullopt});
  r.values = values;
  pending_ = Pending::kSetList;
  pending_count_ = attributes.size();
  return protect_request(encode(Apdu(SetRequest(std::move(r)))));
}

Result<std::vector<DataAccessResult>> ClientCodec::on_set_response(ByteView apdu) {
  if (pending_ != Pending::kSet && pending_ != Pending::kSetList) {
    return Error(Errc::kProtocol, "unexpected SET response: no SET pending");
  }
  const bool list = pending_ == Pending::kSetList;
  pending_ = Pending::kNone;
  VIDYUT_TRY(plain, unprotect_response(apdu));
  auto decoded = decode_apdu(*plain);
  if (!decoded.ok()) return malformed(decoded.error(), "SET response");
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) return exception_error(*x);
  if (const auto* e = std::get_if<ConfirmedServiceError>(&*decoded)) {
    return Error(Errc::kRefused, "confirmed-service-error: " + to_string(*e));
  }
  const auto inv = invoke_id_of(*decoded);
  if (!inv || !std::holds_alternative<SetResponse>(*decoded)) {
    return Error(Errc::kProtocol, "expected SET response, got " + apdu_name(*decoded));
  }
  if (inv->invoke_id() != invoke_id_)
    return Error(Errc::kProtocol, "SET response with wrong invoke id");
  if (const auto* n = apdu_get<SetResponseNormal>(*decoded); n != nullptr && !list) {
    return std::vector<DataAccessResult>{n->result};
  }
  if (const auto* l = apdu_get<SetResponseWithList>(*decoded); l != nullptr && list) {
    if (l->results.size() != pending_count_) {
      return Error(Errc::kProtocol, "SET-with-list answered a different number of results");
    }
    return l->results;
  }
  return Error(Errc::kProtocol, "unexpected SET response " + apdu_name(*decoded));
}

Result<Bytes> ClientCodec::build_action(const MethodDescriptor& method,
                                        const std::optional<Data>& params) {
  if (!associated_) return Error(Errc::kProtocol, "not associated");
  ActionRequestNormal r;
  r.invoke = InvokeIdAndPriority::make(take_invoke_id());
  r.method = method;
  r.parameters = params;
  pending_ = Pending::kAction;
  return protect_request(encode(Apdu(ActionRequest(std::move(r)))));
}

Result<ActionReply> ClientCodec::on_action_response(ByteView apdu) {
  VIDYUT_CHECK(expect(Pending::kAction));
  pending_ = Pending::kNone;
  VIDYUT_TRY(plain, unprotect_response(apdu));
  auto decoded = decode_apdu(*plain);
  if (!decoded.ok()) return malformed(decoded.error(), "ACTION response");
  if (const auto* x = std::get_if<ExceptionResponse>(&*decoded)) return exception_error(*x);
  if (const auto* e = std::get_if<ConfirmedServiceError>(&*decoded)) {
    return Error(Errc::kRefused, "confirmed-service-error: " + to_string(*e));
  }
  const auto* r = apdu_get<ActionResponseNormal>(*decoded);
  if (r == nullptr)
    return Error(Errc::kProtocol, "expected ACTION response, got " + apdu_name(*decoded));
  if (r->invoke.invoke_id() != invoke_id_) {
    return Error(Errc::kProtocol, "ACTION response with wrong invoke id");
  }
  return ActionReply{r->response.result, r->response.return_parameters};
}

bool ClientCodec::looks_like_notification(ByteView apdu) {
  return !apdu.empty() &&
         (apdu[0] == tag::kDataNotification || apdu[0] == tag::kGeneralGloCiphering);
}

Result<DataNotification> ClientCodec::decode_notification(ByteView apdu) {
  if (apdu.empty()) return Error(Errc::kMalformed, "empty push APDU");
  Bytes plain;
  if (apdu[0] == tag::kGeneralGloCiphering) {
    ByteReader in(apdu);
    auto c = decode_ciphered(in);
    if (!c.ok()) return malformed(c.error(), "general-glo-ciphering push");
    if (!in.empty()) return Error(Errc::kMalformed, "push: trailing bytes");
    if (!c->system_title) return Error(Errc::kMalformed, "push without system title");
    auto title = sec::system_title_from_bytes(*c->system_title);
    if (!title.ok()) return malformed(title.error(), "push system title");
    if (server_title_ && *server_title_ != *title) {
      return Error(Errc::kAuthFailed, "push from another system title than the associated meter");
    }
    Bytes sealed = security_header(c->security_control, c->invocation_counter);
    sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
    auto opened = sec::open(*title, settings_.keys, sealed);
    if (!opened.ok()) {
      return Error(Errc::kAuthFailed,
                   "push did not decipher (wrong keys?): " + opened.error().message);
    }
    if (server_title_) {
      auto g = server_guard_.accept(c->invocation_counter);
      if (!g.ok()) return Error(Errc::kReplay, "push with a replayed invocation counter");
    }
    plain = std::move(opened->plaintext);
  } else {
    plain.assign(apdu.begin(), apdu.end());
  }
  auto decoded = decode_apdu(plain);
  if (!decoded.ok()) return malformed(decoded.error(), "push");
  const auto* n = std::get_if<DataNotification>(&*decoded);
  if (n == nullptr)
    return Error(Errc::kProtocol, "expected Data-Notification, got " + apdu_name(*decoded));
  return *n;
}

// ---------------------------------------------------------------------------------------------
// Client

Client::Client(ApduTransport& transport, const ClientSettings& settings)
    : transport_(transport), codec_(settings) {}

Result<Bytes> Client::receive_response() {
  const Millis timeout = codec_.settings().timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Error(Errc::kTimeout, "no response within " + std::to_string(timeout.count()) + " ms");
    }
    const auto left = std::chrono::duration_cast<Millis>(deadline - now);
    auto apdu = transport_.receive(std::max(left, Millis(1)));
    if (!apdu.ok()) return apdu.error();
    if (ClientCodec::looks_like_notification(*apdu)) {
      auto n = codec_.decode_notification(*apdu);
      if (n.ok()) {
        if (notifications_.size() >= kMaxQueuedNotifications) notifications_.pop_front();
        notifications_.push_back(std::move(*n));
      }
      continue;  // a push is not the response we wait for; a bad push is dropped
    }
    return apdu;
  }
}

Result<Bytes> Client::exchange(ByteView request) {
  VIDYUT_CHECK(transport_.send(request));
  return receive_response();
}

Status Client::associate() {
  VIDYUT_TRY(aarq, codec_.build_aarq());
  VIDYUT_TRY(aare, exchange(*aarq));
  VIDYUT_CHECK(codec_.on_aare(*aare));
  if (codec_.hls_pending()) {
    VIDYUT_TRY(pass3, codec_.build_hls_reply());
    VIDYUT_TRY(pass4, exchange(*pass3));
    VIDYUT_CHECK(codec_.on_hls_reply_response(*pass4));
  }
  return ok_status();
}

Result<GetDataResult> Client::get(const AttributeDescriptor& attribute,
                                  const std::optional<SelectiveAccess>& access) {
  VIDYUT_TRY(req, codec_.build_get(attribute, access));
  Bytes request = std::move(*req);
  while (true) {
    VIDYUT_TRY(resp, exchange(request));
    VIDYUT_TRY(p, codec_.on_get_response(*resp));
    if (p->complete) {
      if (p->results.size() != 1) return Error(Errc::kProtocol, "GET answered no result");
      return std::move(p->results[0]);
    }
    request = std::move(p->next_request);
  }
}

Result<std::vector<GetDataResult>> Client::get_list(
    const std::vector<AttributeDescriptor>& attributes) {
  VIDYUT_TRY(req, codec_.build_get_list(attributes));
  Bytes request = std::move(*req);
  while (true) {
    VIDYUT_TRY(resp, exchange(request));
    VIDYUT_TRY(p, codec_.on_get_response(*resp));
    if (p->complete) return std::move(p->results);
    request = std::move(p->next_request);
  }
}

Result<DataAccessResult> Client::set(const AttributeDescriptor& attribute, const Data& value) {
  VIDYUT_TRY(req, codec_.build_set(attribute, value));
  VIDYUT_TRY(resp, exchange(*req));
  VIDYUT_TRY(results, codec_.on_set_response(*resp));
  return results->at(0);
}

Result<std::vector<DataAccessResult>> Client::set_list(
    const std::vector<AttributeDescriptor>& attributes, const std::vector<Data>& values) {
  VIDYUT_TRY(req, codec_.build_set_list(attributes, values));
  VIDYUT_TRY(resp, exchange(*req));
  return codec_.on_set_response(*resp);
}

Result<ActionReply> Client::action(const MethodDescriptor& method,
                                   const std::optional<Data>& params) {
  VIDYUT_TRY(req, codec_.build_action(method, params));
  VIDYUT_TRY(resp, exchange(*req));
  return codec_.on_action_response(*resp);
}

Status Client::release() {
  VIDYUT_TRY(req, codec_.build_rlrq());
  VIDYUT_TRY(resp, exchange(*req));
  return codec_.on_rlre(*resp);
}

std::vector<DataNotification> Client::take_notifications() {
  std::vector<DataNotification> out(std::make_move_iterator(notifications_.begin()),
                                    std::make_move_iterator(notifications_.end()));
  notifications_.clear();
  return out;
}

Result<DataNotification> Client::receive_notification(Millis timeout) {
  if (!notifications_.empty()) {
    DataNotification n = std::move(notifications_.front());
    notifications_.pop_front();
    return n;
  }
  VIDYUT_TRY(apdu, transport_.receive(timeout));
  if (!ClientCodec::looks_like_notification(*apdu)) {
    return Error(Errc::kProtocol, "expected a push, got another APDU");
  }
  return codec_.decode_notification(*apdu);
}

}  // namespace vidyut::dlms
