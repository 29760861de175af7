// Interface class 15 (Association LN), version 1: what one client association may see and how
// it authenticates. IS 15959 meters have one instance per client (0.0.40.0.1.255 public client
// ... 0.0.40.0.5.255 firmware upgrade) plus 0.0.40.0.0.255, "the current association".
//
// Attributes: 2 object_list (built by LogicalDevice for this association's client SAP; for the
// current association, for the caller's SAP), 3 associated_partners_id structure { client_SAP
// integer, server_SAP long-unsigned }, 4 application_context_name, 6
// authentication_mechanism_name (both as octet-strings holding the OID's BER contents, e.g.
// 60 85 74 05 08 01 01), 5 xDLMS_context_info structure { conformance bit-string(24),
// max_receive_pdu_size long-unsigned, max_send_pdu_size long-unsigned, dlms_version_number
// unsigned, quality_of_service integer, cyphering_info octet-string }, 7 secret (write only:
// GET answers kReadWriteDenied), 8 association_status enum (0 non-associated, 1
// association-pending, 2 associated), 9 security_setup_reference octet-string.
// Methods: 1 reply_to_HLS_authentication and 2 change_HLS_secret are the session layer's
// business: they call the hooks set with set_method_hook (no hook: kReadWriteDenied).
// Methods 3 add_object / 4 remove_object answer kOtherReason.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

class LogicalDevice;

// BER contents of the application context and mechanism OIDs (2.16.756.5.8.x.y).
inline const Bytes& context_ln_no_ciphering() {
  static const Bytes v{0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x01};
  return v;
}
inline const Bytes& context_ln_with_ciphering() {
  static const Bytes v{0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x03};
  return v;
}
// Mechanism id 0 none, 1 LLS, 2 HLS, 5 HLS-GMAC.
Bytes mechanism_name(std::uint8_t mechanism_id);

enum class AssociationStatus : std::uint8_t { kNonAssociated = 0, kPending = 1, kAssociated = 2 };

struct XdlmsContextInfo {
  std::uint32_t conformance = 0;  // 24 bits, as in the InitiateResponse
  std::uint16_t max_receive_pdu_size = 1024;
  std::uint16_t max_send_pdu_size = 1024;
  std::uint8_t dlms_version = 6;
  std::int8_t quality_of_service = 0;
  Bytes cyphering_info;
  Data to_data() const;
};

class AssociationLn : public CosemObject {
 public:
  using MethodHook = std::function<ActionOutcome(const std::optional<Data>&, const AccessContext&)>;
  using SecretSink = std::function<DataAccessResult(const Bytes&, const AccessContext&)>;

  // `device` must outlive this object. `client_sap` unset means "the caller" (current
  // association 0.0.40.0.0.255).
  AssociationLn(const Obis& ln, const LogicalDevice& device,
                std::optional<std::uint16_t> client_sap, std::uint16_t server_sap = 1,
                std::uint8_t mechanism_id = 0, bool ciphered = false);

  std::int8_t attribute_count() const override { return 9; }
  std::int8_t method_count() const override { return 4; }

  std::optional<std::uint16_t> client_sap() const { return client_sap_; }
  void set_status(AssociationStatus s) { status_ = s; }
  AssociationStatus status() const { return status_; }
  void set_context_info(XdlmsContextInfo info) { context_info_ = std::move(info); }
  void set_security_setup_reference(const Obis& ln) { security_setup_ = ln; }
  // method: 1 reply_to_HLS_authentication, 2 change_HLS_secret.
  void set_method_hook(std::int8_t method, MethodHook hook);
  // Receives SET of attribute 7 (secret); without a sink the write is kReadWriteDenied.
  void set_secret_sink(SecretSink sink) { secret_sink_ = std::move(sink); }

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  const LogicalDevice& device_;
  std::optional<std::uint16_t> client_sap_;
  std::uint16_t server_sap_;
  std::uint8_t mechanism_id_;
  bool ciphered_;
  AssociationStatus status_ = AssociationStatus::kNonAssociated;
  XdlmsContextInfo context_info_;
  Obis security_setup_{0, 0, 43, 0, 0, 255};
  MethodHook reply_to_hls_;
  MethodHook change_hls_secret_;
  SecretSink secret_sink_;
};

}  // namespace vidyut::dlms::cosem
