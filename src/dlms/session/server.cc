#include "dlms/session/server.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core/log.h"
#include "dlms/apdu/apdu.h"
#include "dlms/apdu/ciphered.h"

namespace vidyut::dlms {

namespace {

namespace sec = security;

// What the server offers in the negotiated conformance block.
constexpr Conformance kServerConformance = Conformance{}
                                               .set(ConformanceBit::kGet)
                                               .set(ConformanceBit::kSet)
                                               .set(ConformanceBit::kAction)
                                               .set(ConformanceBit::kSelectiveAccess)
                                               .set(ConformanceBit::kBlockTransferWithGetOrRead)
                                               .set(ConformanceBit::kMultipleReferences)
                                               .set(ConformanceBit::kPriorityMgmtSupported)
                                               .set(ConformanceBit::kDataNotification);

// Bytes glo-ciphering adds around a plain APDU: tag, length (at most 3 for 16-bit sizes),
// SC, IC and the 12-byte tag.
constexpr std::size_t kCipherOverhead = 1 + 3 + sec::kSecurityHeaderLength + sec::kTagLength;

std::shared_ptr<spdlog::logger> audit_log() { return vidyut::logger("dlms.server"); }

// Compares in time independent of where the first difference is (LLS passwords).
bool constant_time_equal(ByteView a, ByteView b) {
  volatile std::uint8_t diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t x = i < a.size() ? a[i] : 0;
    const std::uint8_t y = i < b.size() ? b[i] : 0;
    diff = static_cast<std::uint8_t>(diff | (x ^ y));
  }
  return diff == 0;
}

Bytes exception(StateError state, ServiceError service,
                std::optional<std::uint32_t> ic = std::nullopt) {
  ExceptionResponse x;
  x.state_error = state;
  x.service_error = service;
  if (service == ServiceError::kInvocationCounterError) x.invocation_counter = ic.value_or(0);
  return encode(Apdu(x));
}

Bytes not_allowed() {
  return exception(StateError::kServiceNotAllowed, ServiceError::kOperationNotPossible);
}

// SEQUENCE OF Get-Data-Result, the raw data of a GET-with-list block transfer.
Bytes encode_result_list(const std::vector<GetDataResult>& results) {
  ByteWriter w;
  axdr::encode_length(results.size(), w);
  for (const auto& r : results) {
    if (const auto* d = std::get_if<Data>(&r)) {
      w.u8(0);
      axdr::encode(*d, w);
    } else {
      w.u8(1);
      w.u8(static_cast<std::uint8_t>(std::get<DataAccessResult>(r)));
    }
  }
  return w.take();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ServerAssociation

ServerAssociation::ServerAssociation(std::uint16_t client_sap, cosem::LogicalDevice& device,
                                     ServerContext ctx)
    : client_sap_(client_sap), device_(device), ctx_(ctx) {}

Result<std::vector<Bytes>> ServerAssociation::on_apdu(ByteView apdu) {
  if (apdu.empty()) {
    return std::vector<Bytes>{exception(StateError::kServiceUnknown, ServiceError::kOtherReason)};
  }
  if (apdu[0] == tag::kAarq) return on_aarq(apdu);
  if (apdu[0] == tag::kRlrq) {
    auto decoded = decode_apdu(apdu);
    if (!decoded.ok()) {
      return std::vector<Bytes>{exception(StateError::kServiceUnknown, ServiceError::kOtherReason)};
    }
    Rlre r;
    r.reason = 0;
    const bool was = state_ != State::kIdle;
    state_ = State::kIdle;
    long_get_active_ = false;
    long_get_.clear();
    released_ = true;
    if (was) audit_log()->info("client SAP {} released the association", client_sap_);
    return std::vector<Bytes>{encode(Apdu(r))};
  }
  VIDYUT_TRY(response, on_service(apdu));
  return std::vector<Bytes>{std::move(*response)};
}

Result<std::vector<Bytes>> ServerAssociation::on_aarq(ByteView apdu) {
  state_ = State::kIdle;
  released_ = false;
  long_get_active_ = false;
  long_get_.clear();
  client_title_.reset();
  ciphered_ = false;

  auto decoded = decode_apdu(apdu);
  Aare aare;
  auto reject = [&](AcseServiceUserDiagnostic diag, const std::string& why,
                    std::optional<ConfirmedServiceError> initiate_error =
                        std::nullopt) -> Result<std::vector<Bytes>> {
    audit_log()->warn("audit: client SAP {} association rejected: {} ({})", client_sap_,
                      to_string(diag), why);
    state_ = State::kIdle;
    aare.result = AssociationResult::kRejectedPermanent;
    aare.diagnostic = ResultSourceDiagnostic{true, static_cast<std::uint8_t>(diag)};
    aare.responding_ap_title.reset();
    aare.responding_authentication_value.reset();
    aare.authentication = false;
    aare.mechanism.reset();
    if (initiate_error) {
      aare.user_information = ResponseUserInformation(*initiate_error);
    } else {
      aare.user_information.reset();
    }
    return std::vector<Bytes>{encode(Apdu(aare))};
  };
  using Diag = AcseServiceUserDiagnostic;
  if (!decoded.ok() || !std::holds_alternative<Aarq>(*decoded)) {
    return reject(Diag::kNoReasonGiven,
                  "undecodable AARQ: " +
                      (decoded.ok() ? std::string("not an AARQ") : decoded.error().describe()));
  }
  const Aarq& aarq = std::get<Aarq>(*decoded);
  aare.context = aarq.context;

  policy_ = ctx_.settings->find(client_sap_);
  if (policy_ == nullptr) return reject(Diag::kNoReasonGiven, "no association for this client SAP");
  const AssociationPolicy& policy = *policy_;
  const bool want_ciphered = policy.required_security != sec::SecurityPolicy::kNone;
  const auto expected_context =
      want_ciphered ? ApplicationContext::kLogicalNameCiphered : ApplicationContext::kLogicalName;
  if (aarq.context != expected_context) {
    return reject(Diag::kApplicationContextNameNotSupported,
                  std::string("application context ") + to_string(aarq.context) +
                      ", policy needs " + to_string(expected_context));
  }
  ciphered_ = want_ciphered;

  // Mechanism.
  const Mechanism got = aarq.mechanism.value_or(Mechanism::kNone);
  Mechanism need = Mechanism::kNone;
  if (policy.auth == Authentication::kLow) need = Mechanism::kLow;
  if (policy.auth == Authentication::kHlsGmac) need = Mechanism::kHighGmac;
  if (got != need) {
    if (got == Mechanism::kNone) {
      return reject(Diag::kAuthenticationMechanismNameRequired,
                    std::string("mechanism ") + to_string(need) + " required");
    }
    return reject(Diag::kAuthenticationMechanismNameNotRecognised,
                  std::string("mechanism ") + to_string(got) + " not allowed, policy needs " +
                      to_string(need));
  }

  // Client system title.
  const bool hls = policy.auth == Authentication::kHlsGmac;
  if (want_ciphered || hls) {
    if (!aarq.calling_ap_title) {
      return reject(Diag::kCallingApTitleNotRecognized, "calling-AP-title missing");
    }
    auto title = sec::system_title_from_bytes(*aarq.calling_ap_title);
    if (!title.ok())
      return reject(Diag::kCallingApTitleNotRecognized, "calling-AP-title not 8 bytes");
    client_title_ = *title;
  }

  // Authentication value.
  if (policy.auth == Authentication::kLow) {
    const Bytes empty;
    const Bytes& given =
        aarq.calling_authentication_value ? *aarq.calling_authentication_value : empty;
    const ByteView secret(reinterpret_cast<const std::uint8_t*>(policy.password.data()),
                          policy.password.size());
    if (!constant_time_equal(given, secret)) {
      return reject(Diag::kAuthenticationFailure, "wrong LLS password");
    }
  } else if (hls) {
    if (!aarq.calling_authentication_value ||
        aarq.calling_authentication_value->size() < sec::kMinChallengeLength ||
        aarq.calling_authentication_value->size() > sec::kMaxChallengeLength) {
      return reject(Diag::kAuthenticationFailure, "CtoS challenge missing or of bad length");
    }
    ctos_ = *aarq.calling_authentication_value;
  }

  // xDLMS InitiateRequest.
  if (!aarq.user_information) return reject(Diag::kNoReasonGiven, "no InitiateRequest");
  InitiateRequest ir;
  if (const auto* plain = std::get_if<InitiateRequest>(&*aarq.user_information)) {
    if (want_ciphered) return reject(Diag::kNoReasonGiven, "InitiateRequest not ciphered");
    ir = *plain;
  } else {
    const auto& c = std::get<CipheredApdu>(*aarq.user_information);
    if (!want_ciphered || c.tag != tag::kGloInitiateRequest) {
      return reject(Diag::kNoReasonGiven, "unexpected ciphered InitiateRequest");
    }
    if (!sec::satisfies(c.security_control, policy.required_security)) {
      return reject(Diag::kAuthenticationFailure, "InitiateRequest protected less than required");
    }
    Bytes sealed = security_header(c.security_control, c.invocation_counter);
    sealed.insert(sealed.end(), c.payload.begin(), c.payload.end());
    auto opened = sec::open(*client_title_, policy.keys, sealed);
    if (!opened.ok()) {
      return reject(Diag::kAuthenticationFailure,
                    "InitiateRequest did not decipher: " + opened.error().message);
    }
    auto fresh =
        ctx_.counters->accept_client_counter(client_sap_, *client_title_, c.invocation_counter);
    if (!fresh.ok()) {
      return reject(Diag::kAuthenticationFailure, "replayed AARQ: " + fresh.error().message);
    }
    auto plain_ir = decode_initiate_request(opened->plaintext);
    if (!plain_ir.ok()) {
      return reject(Diag::kNoReasonGiven,
                    "InitiateRequest undecodable: " + plain_ir.error().message);
    }
    ir = *plain_ir;
  }
  ConfirmedServiceError initiate_error;
  if (ir.proposed_dlms_version < kDlmsVersion) {
    initiate_error.value = ConfirmedServiceError::kInitiateDlmsVersionTooLow;
    return reject(Diag::kNoReasonGiven, "DLMS version below 6", initiate_error);
  }
  if (ir.client_max_receive_pdu_size < kMinPduSize) {
    initiate_error.value = ConfirmedServiceError::kInitiatePduSizeTooShort;
    return reject(Diag::kNoReasonGiven, "client max-receive-pdu-size below the minimum",
                  initiate_error);
  }
  const Conformance negotiated = ir.proposed_conformance & kServerConformance;
  if (!negotiated.has(ConformanceBit::kGet) && !negotiated.has(ConformanceBit::kSet) &&
      !negotiated.has(ConformanceBit::kAction)) {
    initiate_error.value = ConfirmedServiceError::kInitiateIncompatibleConformance;
    return reject(Diag::kNoReasonGiven, "no common conformance", initiate_error);
  }
  client_max_pdu_ = ir.client_max_receive_pdu_size;

  // Accept.
  InitiateResponse resp;
  resp.negotiated_conformance = negotiated;
  resp.server_max_receive_pdu_size = ctx_.settings->max_receive_pdu;
  aare.result = AssociationResult::kAccepted;
  aare.diagnostic = ResultSourceDiagnostic{true, static_cast<std::uint8_t>(Diag::kNull)};
  if (want_ciphered || hls) {
    aare.responding_ap_title =
        Bytes(ctx_.settings->server_title.begin(), ctx_.settings->server_title.end());
  }
  if (hls) {
    VIDYUT_TRY(stoc, sec::make_challenge(ctx_.settings->challenge_length));
    stoc_ = *stoc;
    aare.authentication = true;
    aare.mechanism = Mechanism::kHighGmac;
    aare.responding_authentication_value = stoc_;
    aare.diagnostic.value = static_cast<std::uint8_t>(Diag::kAuthenticationRequired);
  }
  if (want_ciphered) {
    VIDYUT_TRY(ic, ctx_.counters->next_server_counter());
    const std::uint8_t sc = sec::security_control(policy.required_security);
    VIDYUT_TRY(payload, sec::protect(sc, ctx_.settings->server_title, *ic, policy.keys,
                                     encode_initiate_response(resp)));
    CipheredApdu c;
    c.tag = tag::kGloInitiateResponse;
    c.security_control = sc;
    c.invocation_counter = *ic;
    c.payload = std::move(*payload);
    aare.user_information = ResponseUserInformation(std::move(c));
  } else {
    aare.user_information = ResponseUserInformation(resp);
  }
  state_ = hls ? State::kHlsPending : State::kAssociated;
  audit_log()->info("client SAP {} association {} ({}, {})", client_sap_,
                    hls ? "pending HLS pass 3" : "accepted", to_string(policy.auth),
                    to_string(policy.required_security));
  return std::vector<Bytes>{encode(Apdu(std::move(aare)))};
}

Result<Bytes> ServerAssociation::on_service(ByteView apdu) {
  auto log = audit_log();
  if (state_ == State::kIdle || policy_ == nullptr) {
    log->warn("audit: client SAP {} request refused: not associated", client_sap_);
    return not_allowed();
  }
  const AssociationPolicy& policy = *policy_;

  // Unwrap the protection.
  Bytes plain;
  std::uint8_t sc = 0;
  if (is_ciphered_tag(apdu[0])) {
    ByteReader in(apdu);
    auto c = decode_ciphered(in);
    const auto plain_tag = c.ok() ? plain_tag_for(c->tag) : std::nullopt;
    if (!c.ok() || !in.empty() || !plain_tag ||
        (*plain_tag != tag::kGetRequest && *plain_tag != tag::kSetRequest &&
         *plain_tag != tag::kActionRequest) ||
        c->tag != glo_tag_for(*plain_tag)) {
      log->warn("audit: client SAP {} undecodable or unsupported ciphered request", client_sap_);
      return exception(StateError::kServiceUnknown, ServiceError::kOtherReason);
    }
    if (!client_title_) {
      log->warn("audit: client SAP {} ciphered request without a client system title", client_sap_);
      return exception(StateError::kServiceNotAllowed, ServiceError::kDecipheringError);
    }
    if (!sec::satisfies(c->security_control, policy.required_security)) {
      log->warn("audit: client SAP {} request protected less than required (SC {:#04x})",
                client_sap_, c->security_control);
      return not_allowed();
    }
    Bytes sealed = security_header(c->security_control, c->invocation_counter);
    sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
    auto opened = sec::open(*client_title_, policy.keys, sealed);
    if (!opened.ok()) {
      log->warn("audit: client SAP {} request did not decipher: {}", client_sap_,
                opened.error().message);
      return exception(StateError::kServiceNotAllowed, ServiceError::kDecipheringError);
    }
    auto fresh =
        ctx_.counters->accept_client_counter(client_sap_, *client_title_, c->invocation_counter);
    if (!fresh.ok()) {
      log->warn("audit: client SAP {} replayed request refused: {}", client_sap_,
                fresh.error().message);
      return exception(StateError::kServiceNotAllowed, ServiceError::kInvocationCounterError,
                       ctx_.counters->last_client_counter(client_sap_, *client_title_));
    }
    if (opened->plaintext.empty() || opened->plaintext[0] != *plain_tag) {
      log->warn("audit: client SAP {} ciphered request with mismatched inner APDU", client_sap_);
      return exception(StateError::kServiceUnknown, ServiceError::kOtherReason);
    }
    plain = std::move(opened->plaintext);
    sc = c->security_control;
  } else {
    if (policy.required_security != sec::SecurityPolicy::kNone) {
      log->warn("audit: client SAP {} unprotected request refused (policy {})", client_sap_,
                to_string(policy.required_security));
      return not_allowed();
    }
    plain.assign(apdu.begin(), apdu.end());
  }

  auto decoded = decode_apdu(plain);
  if (!decoded.ok()) {
    log->warn("audit: client SAP {} malformed request: {}", client_sap_,
              decoded.error().describe());
    if (decoded.error().code == Errc::kUnsupported) {
      return exception(StateError::kServiceNotAllowed, ServiceError::kServiceNotSupported);
    }
    return exception(StateError::kServiceUnknown, ServiceError::kOtherReason);
  }

  auto protect_reply = [&](Bytes reply) -> Result<Bytes> {
    if (sc == 0) return reply;
    const auto glo = glo_tag_for(reply[0]);
    if (!glo) return reply;
    VIDYUT_TRY(ic, ctx_.counters->next_server_counter());
    VIDYUT_TRY(payload, sec::protect(sc, ctx_.settings->server_title, *ic, policy.keys, reply));
    CipheredApdu c;
    c.tag = *glo;
    c.security_control = sc;
    c.invocation_counter = *ic;
    c.payload = std::move(*payload);
    return encode_ciphered(c);
  };
  // Largest plain APDU that fits the client's max-receive-pdu once protected.
  const std::size_t room = client_max_pdu_ - (sc != 0 ? kCipherOverhead : 0);
  const cosem::AccessContext actx{client_sap_, ctx_.clock->now()};

  // Sends the next block of the long-GET in progress.
  auto next_block = [&]() -> Result<Bytes> {
    const std::size_t chunk = client_max_pdu_ - kBlockOverhead;
    const std::size_t n = std::min(chunk, long_get_.size() - long_get_pos_);
    GetResponseWithDataBlock b;
    b.invoke = InvokeIdAndPriority{long_get_invoke_};
    b.block_number = ++long_get_block_;
    b.raw = Bytes(long_get_.begin() + static_cast<std::ptrdiff_t>(long_get_pos_),
                  long_get_.begin() + static_cast<std::ptrdiff_t>(long_get_pos_ + n));
    long_get_pos_ += n;
    b.last_block = long_get_pos_ >= long_get_.size();
    if (b.last_block) {
      long_get_active_ = false;
      long_get_.clear();
    }
    return protect_reply(encode(Apdu(GetResponse(std::move(b)))));
  };
  // Sends `reply`, or starts a block transfer of `raw` when `reply` is too long.
  auto send_get = [&](Bytes reply, InvokeIdAndPriority invoke,
                      const std::function<Bytes()>& raw) -> Result<Bytes> {
    if (reply.size() <= room) return protect_reply(std::move(reply));
    Bytes data = raw();
    if (data.size() > kMaxLongGetBytes ||
        data.size() / (client_max_pdu_ - kBlockOverhead) + 1 > kMaxServerBlocks) {
      log->warn("audit: client SAP {} response of {} bytes exceeds the long-GET limit", client_sap_,
                data.size());
      GetResponseNormal r;
      r.invoke = invoke;
      r.result = DataAccessResult::kOtherReason;
      return protect_reply(encode(Apdu(GetResponse(r))));
    }
    long_get_ = std::move(data);
    long_get_pos_ = 0;
    long_get_block_ = 0;
    long_get_invoke_ = invoke.raw;
    long_get_active_ = true;
    return next_block();
  };

  const bool hls_pending = state_ == State::kHlsPending;
  if (const auto* a = apdu_get<ActionRequestNormal>(*decoded)) {
    const bool is_hls_reply = a->method.class_id == kAssociationLnClassId &&
                              a->method.instance == kCurrentAssociation &&
                              a->method.method == kReplyToHlsAuthenticationMethod;
    if (hls_pending && is_hls_reply) {
      ActionResponseNormal r;
      r.invoke = a->invoke;
      const Bytes* f = a->parameters ? a->parameters->as_octets() : nullptr;
      auto verified = f != nullptr
                          ? sec::verify_gmac_response(*client_title_, policy.keys, stoc_, *f)
                          : Result<std::uint32_t>(Error(Errc::kAuthFailed, "no f(StoC)"));
      if (!verified.ok()) {
        log->warn("audit: client SAP {} HLS pass 3 failed: {}", client_sap_,
                  verified.error().message);
        state_ = State::kIdle;
        r.response.result = ActionResult::kReadWriteDenied;
        return protect_reply(encode(Apdu(ActionResponse(r))));
      }
      VIDYUT_TRY(ic, ctx_.counters->next_server_counter());
      VIDYUT_TRY(f_ctos, sec::gmac_response(ctx_.settings->server_title, *ic, policy.keys, ctos_));
      r.response.result = ActionResult::kSuccess;
      r.response.return_parameters = GetDataResult(Data::octet_string(std::move(*f_ctos)));
      state_ = State::kAssociated;
      log->info("client SAP {} HLS authentication succeeded", client_sap_);
      return protect_reply(encode(Apdu(ActionResponse(r))));
    }
    if (hls_pending) {
      log->warn("audit: client SAP {} request refused before HLS pass 3", client_sap_);
      return not_allowed();
    }
    ActionResponseNormal r;
    r.invoke = a->invoke;
    cosem::ActionOutcome out = device_.action(actx, a->method, a->parameters);
    r.response.result = out.result;
    if (out.return_value)
      r.response.return_parameters = GetDataResult(std::move(*out.return_value));
    return protect_reply(encode(Apdu(ActionResponse(r))));
  }
  if (hls_pending) {
    log->warn("audit: client SAP {} request refused before HLS pass 3", client_sap_);
    return not_allowed();
  }

  if (const auto* g = apdu_get<GetRequestNormal>(*decoded)) {
    long_get_active_ = false;
    long_get_.clear();
    GetResponseNormal r;
    r.invoke = g->invoke;
    r.result = device_.get(actx, g->attribute, g->access);
    Bytes reply = encode(Apdu(GetResponse(r)));
    return send_get(std::move(reply), g->invoke, [&r]() {
      if (const auto* d = std::get_if<Data>(&r.result)) return axdr::encode(*d);
      return Bytes{};
    });
  }
  if (const auto* g = apdu_get<GetRequestWithList>(*decoded)) {
    long_get_active_ = false;
    long_get_.clear();
    if (g->attributes.size() > kMaxServerListItems) {
      log->warn("audit: client SAP {} GET-with-list of {} items refused", client_sap_,
                g->attributes.size());
      return not_allowed();
    }
    GetResponseWithList r;
    r.invoke = g->invoke;
    for (const auto& item : g->attributes) {
      r.results.push_back(device_.get(actx, item.attribute, item.access));
    }
    Bytes reply = encode(Apdu(GetResponse(r)));
    return send_get(std::move(reply), g->invoke, [&r]() { return encode_result_list(r.results); });
  }
  if (const auto* g = apdu_get<GetRequestNext>(*decoded)) {
    if (!long_get_active_) {
      GetResponseWithDataBlock b;
      b.invoke = g->invoke;
      b.last_block = true;
      b.block_number = g->block_number;
      b.raw = DataAccessResult::kNoLongGetInProgress;
      return protect_reply(encode(Apdu(GetResponse(b))));
    }
    if (g->block_number != long_get_block_) {
      log->warn("audit: client SAP {} GET-Request-Next for block {} while block {} was sent",
                client_sap_, g->block_number, long_get_block_);
      long_get_active_ = false;
      long_get_.clear();
      GetResponseWithDataBlock b;
      b.invoke = g->invoke;
      b.last_block = true;
      b.block_number = g->block_number;
      b.raw = DataAccessResult::kDataBlockNumberInvalid;
      return protect_reply(encode(Apdu(GetResponse(b))));
    }
    return next_block();
  }
  if (const auto* s = apdu_get<SetRequestNormal>(*decoded)) {
    SetResponseNormal r;
    r.invoke = s->invoke;
    r.result =
        s->access ? DataAccessResult::kOtherReason : device_.set(actx, s->attribute, s->value);
    return protect_reply(encode(Apdu(SetResponse(r))));
  }
  if (const auto* s = apdu_get<SetRequestWithList>(*decoded)) {
    if (s->attributes.size() > kMaxServerListItems || s->attributes.size() != s->values.size()) {
      log->warn("audit: client SAP {} SET-with-list of {} items refused", client_sap_,
                s->attributes.size());
      return not_allowed();
    }
    SetResponseWithList r;
    r.invoke = s->invoke;
    for (std::size_t i = 0; i < s->attributes.size(); ++i) {
      r.results.push_back(s->attributes[i].access
                              ? DataAccessResult::kOtherReason
                              : device_.set(actx, s->attributes[i].attribute, s->values[i]));
    }
    return protect_reply(encode(Apdu(SetResponse(r))));
  }
  if (std::holds_alternative<GetRequest>(*decoded) ||
      std::holds_alternative<SetRequest>(*decoded) ||
      std::holds_alternative<ActionRequest>(*decoded)) {
    log->warn("audit: client SAP {} unsupported service variant {}", client_sap_,
              apdu_name(*decoded));
    return exception(StateError::kServiceNotAllowed, ServiceError::kServiceNotSupported);
  }
  log->warn("audit: client SAP {} unexpected APDU {}", client_sap_, apdu_name(*decoded));
  return exception(StateError::kServiceUnknown, ServiceError::kServiceNotSupported);
}

// ---------------------------------------------------------------------------------------------
// ServerConnection

ServerConnection::ServerConnection(const ServerSettings& settings, cosem::LogicalDevice& device,
                                   InvocationCounterStore& counters, const Clock& clock)
    : settings_(settings),
      counters_(counters),
      clock_(clock),
      decoder_(std::max<std::size_t>(settings.max_receive_pdu, kMinPduSize)) {
  devices_[kManagementLogicalDeviceSap] = &device;
}

ServerConnection::~ServerConnection() = default;

void ServerConnection::add_logical_device(std::uint16_t server_sap, cosem::LogicalDevice& device) {
  devices_[server_sap] = &device;
}

const ServerAssociation* ServerConnection::association(std::uint16_t client_sap) const {
  for (const auto& [key, a] : assocs_) {
    if (key.first == client_sap) return a.get();
  }
  return nullptr;
}

Result<Bytes> ServerConnection::on_bytes(ByteView bytes) {
  if (wants_close_) return Error(Errc::kClosed, "connection is closing");
  decoder_.feed(bytes);
  Bytes out;
  while (true) {
    auto frame = decoder_.next();
    if (!frame.ok()) {
      wants_close_ = true;
      audit_log()->warn("audit: closing connection: broken wrapper stream: {}",
                        frame.error().describe());
      return frame.error();
    }
    if (!*frame) break;
    const WrapperFrame& f = **frame;
    auto dev = devices_.find(f.destination);
    if (dev == devices_.end()) {
      audit_log()->warn("audit: frame from client SAP {} for unknown logical device {} dropped",
                        f.source, f.destination);
      continue;
    }
    const auto key = std::make_pair(f.source, f.destination);
    auto it = assocs_.find(key);
    if (it == assocs_.end()) {
      if (assocs_.size() >= kMaxAssociationsPerConnection) {
        audit_log()->warn("audit: too many client SAPs on one connection; frame from {} dropped",
                          f.source);
        continue;
      }
      ServerContext ctx{&settings_, &counters_, &clock_};
      it = assocs_.emplace(key, std::make_unique<ServerAssociation>(f.source, *dev->second, ctx))
               .first;
    }
    auto responses = it->second->on_apdu(f.apdu);
    if (!responses.ok()) {
      wants_close_ = true;
      audit_log()->error("closing connection: {}", responses.error().describe());
      return responses.error();
    }
    for (const Bytes& r : *responses) {
      const Bytes framed = wrap(f.destination, f.source, r);
      out.insert(out.end(), framed.begin(), framed.end());
    }
    if (it->second->released()) {
      bool any = false;
      for (const auto& [k, a] : assocs_) any = any || a->associated() || a->hls_pending();
      if (!any) wants_close_ = true;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

Result<Bytes> build_data_notification(std::uint32_t long_invoke_id_and_priority,
                                      const std::optional<CosemDateTime>& date_time,
                                      const Data& body, security::SecurityPolicy policy,
                                      const security::SystemTitle& server_title,
                                      const security::SecurityKeys& keys,
                                      InvocationCounterStore& counters) {
  DataNotification n;
  n.long_invoke_id_and_priority = long_invoke_id_and_priority;
  n.date_time = date_time;
  n.body = body;
  Bytes plain = encode(Apdu(std::move(n)));
  if (policy == security::SecurityPolicy::kNone) return plain;
  VIDYUT_TRY(ic, counters.next_server_counter());
  const std::uint8_t sc = security::security_control(policy);
  VIDYUT_TRY(payload, security::protect(sc, server_title, *ic, keys, plain));
  CipheredApdu c;
  c.tag = tag::kGeneralGloCiphering;
  c.system_title = Bytes(server_title.begin(), server_title.end());
  c.security_control = sc;
  c.invocation_counter = *ic;
  c.payload = std::move(*payload);
  return encode_ciphered(c);
}

}  // namespace vidyut::dlms
