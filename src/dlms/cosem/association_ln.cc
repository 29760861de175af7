#include "dlms/cosem/association_ln.h"

#include "dlms/cosem/logical_device.h"

namespace vidyut::dlms::cosem {

Bytes mechanism_name(std::uint8_t mechanism_id) {
  return Bytes{0x60, 0x85, 0x74, 0x05, 0x08, 0x02, mechanism_id};
}

Data XdlmsContextInfo::to_data() const {
  BitString bits;
  bits.bytes = {static_cast<std::uint8_t>(conformance >> 16),
                static_cast<std::uint8_t>(conformance >> 8),
                static_cast<std::uint8_t>(conformance)};
  bits.bits = 24;
  return Data::structure({Data::bit_string(std::move(bits)),
                          Data::long_unsigned(max_receive_pdu_size),
                          Data::long_unsigned(max_send_pdu_size), Data::unsigned_(dlms_version),
                          Data::integer(quality_of_service), Data::octet_string(cyphering_info)});
}

AssociationLn::AssociationLn(const Obis& ln, const LogicalDevice& device,
                             std::optional<std::uint16_t> client_sap, std::uint16_t server_sap,
                             std::uint8_t mechanism_id, bool ciphered)
    : CosemObject(15, 1, ln),
      device_(device),
      client_sap_(client_sap),
      server_sap_(server_sap),
      mechanism_id_(mechanism_id),
      ciphered_(ciphered) {}

void AssociationLn::set_method_hook(std::int8_t method, MethodHook hook) {
  if (method == 1) reply_to_hls_ = std::move(hook);
  if (method == 2) change_hls_secret_ = std::move(hook);
}

GetDataResult AssociationLn::get_attribute(std::int8_t attribute,
                                           const std::optional<SelectiveAccess>& access,
                                           const AccessContext& ctx) {
  if (access) return DataAccessResult::kOtherReason;
  const std::uint16_t sap = client_sap_.value_or(ctx.client_sap);
  switch (attribute) {
    case 2:
      return device_.object_list(sap);
    case 3:
      return Data::structure(
          {Data::integer(static_cast<std::int8_t>(sap)), Data::long_unsigned(server_sap_)});
    case 4:
      return Data::octet_string(ciphered_ ? context_ln_with_ciphering()
                                          : context_ln_no_ciphering());
    case 5:
      return context_info_.to_data();
    case 6:
      return Data::octet_string(mechanism_name(mechanism_id_));
    case 7:
      return DataAccessResult::kReadWriteDenied;  // the secret is write-only
    case 8:
      return Data::enumerated(static_cast<std::uint8_t>(status_));
    case 9:
      return Data::octet_string(security_setup_.to_bytes());
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult AssociationLn::set_attribute(std::int8_t attribute, const Data& value,
                                              const AccessContext& ctx) {
  if (attribute != 7 || !secret_sink_) return DataAccessResult::kReadWriteDenied;
  const Bytes* secret = value.as_octets();
  if (secret == nullptr) return DataAccessResult::kTypeUnmatched;
  return secret_sink_(*secret, ctx);
}

ActionOutcome AssociationLn::invoke_method(std::int8_t method, const std::optional<Data>& params,
                                           const AccessContext& ctx) {
  const MethodHook* hook = method == 1   ? &reply_to_hls_
                           : method == 2 ? &change_hls_secret_
                                         : nullptr;
  if (hook == nullptr) return ActionOutcome::fail(ActionResult::kOtherReason);
  if (!*hook) return ActionOutcome::fail(ActionResult::kReadWriteDenied);
  return (*hook)(params, ctx);
}

}  // namespace vidyut::dlms::cosem
