#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

CosemObject::CosemObject(std::uint16_t class_id, std::uint8_t version, const Obis& logical_name)
    : class_id_(class_id), version_(version), logical_name_(logical_name) {}

CosemObject::~CosemObject() = default;

GetDataResult CosemObject::get(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                               const AccessContext& ctx) {
  if (attribute < 1 || attribute > attribute_count()) return DataAccessResult::kObjectUndefined;
  if (attribute == 1) {
    // No interface class defines selective access on logical_name.
    if (access) return DataAccessResult::kOtherReason;
    return Data::octet_string(logical_name_.to_bytes());
  }
  return get_attribute(attribute, access, ctx);
}

DataAccessResult CosemObject::set(std::int8_t attribute, const Data& value,
                                  const AccessContext& ctx) {
  if (attribute < 1 || attribute > attribute_count()) return DataAccessResult::kObjectUndefined;
  if (attribute == 1) return DataAccessResult::kReadWriteDenied;
  return set_attribute(attribute, value, ctx);
}

ActionOutcome CosemObject::action(std::int8_t method, const std::optional<Data>& params,
                                  const AccessContext& ctx) {
  if (method < 1 || method > method_count()) {
    return ActionOutcome::fail(ActionResult::kObjectUndefined);
  }
  return invoke_method(method, params, ctx);
}

DataAccessResult CosemObject::set_attribute(std::int8_t, const Data&, const AccessContext&) {
  return DataAccessResult::kReadWriteDenied;
}

ActionOutcome CosemObject::invoke_method(std::int8_t, const std::optional<Data>&,
                                         const AccessContext&) {
  return ActionOutcome::fail(ActionResult::kObjectUndefined);
}

std::optional<std::int64_t> int_of(const Data& d) { return d.as_int(); }
std::optional<std::uint64_t> uint_of(const Data& d) { return d.as_uint(); }

}  // namespace vidyut::dlms::cosem
