#include "dlms/apdu/xdlms.h"

#include <string>

namespace vidyut::dlms {
namespace {

Error malformed(const std::string& what) { return Error(Errc::kMalformed, what); }

}  // namespace

Data CaptureObjectDefinition::to_data() const {
  return Data::structure({Data::long_unsigned(class_id),
                          Data::octet_string(logical_name.to_bytes()), Data::integer(attribute),
                          Data::long_unsigned(data_index)});
}

Result<CaptureObjectDefinition> CaptureObjectDefinition::from_data(const Data& d) {
  const DataList* l = d.as_list();
  if (d.tag() != DataTag::kStructure || l == nullptr || l->size() != 4) {
    return malformed("capture object definition is not a structure of 4");
  }
  const auto& e = *l;
  if (e[0].tag() != DataTag::kLongUnsigned || e[1].tag() != DataTag::kOctetString ||
      e[2].tag() != DataTag::kInteger || e[3].tag() != DataTag::kLongUnsigned) {
    return malformed("capture object definition has wrong element types");
  }
  auto obis = Obis::from_bytes(*e[1].as_octets());
  if (!obis.ok()) return malformed("capture object logical name is not 6 bytes");
  CaptureObjectDefinition c;
  c.class_id = static_cast<std::uint16_t>(*e[0].as_uint());
  c.logical_name = *obis;
  c.attribute = static_cast<std::int8_t>(*e[2].as_int());
  c.data_index = static_cast<std::uint16_t>(*e[3].as_uint());
  return c;
}

SelectiveAccess RangeDescriptor::to_access() const {
  DataList cols;
  cols.reserve(selected_values.size());
  for (const auto& c : selected_values) cols.push_back(c.to_data());
  return SelectiveAccess{kSelectorRange, Data::structure({restricting_object.to_data(), from_value,
                                                          to_value, Data::array(std::move(cols))})};
}

Result<RangeDescriptor> RangeDescriptor::from_access(const SelectiveAccess& access) {
  if (access.selector != kSelectorRange) return malformed("not a range descriptor (selector 1)");
  const DataList* l = access.parameters.as_list();
  if (access.parameters.tag() != DataTag::kStructure || l == nullptr || l->size() != 4) {
    return malformed("range descriptor is not a structure of 4");
  }
  RangeDescriptor r;
  VIDYUT_TRY(restricting, CaptureObjectDefinition::from_data((*l)[0]));
  r.restricting_object = *restricting;
  r.from_value = (*l)[1];
  r.to_value = (*l)[2];
  const DataList* cols = (*l)[3].as_list();
  if ((*l)[3].tag() != DataTag::kArray || cols == nullptr) {
    return malformed("range descriptor selected values is not an array");
  }
  for (const auto& c : *cols) {
    VIDYUT_TRY(col, CaptureObjectDefinition::from_data(c));
    r.selected_values.push_back(*col);
  }
  return r;
}

SelectiveAccess make_range_access(const CosemDateTime& from, const CosemDateTime& to) {
  RangeDescriptor r;
  r.from_value = Data::date_time_octets(from);
  r.to_value = Data::date_time_octets(to);
  return r.to_access();
}

SelectiveAccess EntryDescriptor::to_access() const {
  return SelectiveAccess{kSelectorEntry, Data::structure({Data::double_long_unsigned(from_entry),
                                                          Data::double_long_unsigned(to_entry),
                                                          Data::long_unsigned(from_selected_value),
                                                          Data::long_unsigned(to_selected_value)})};
}

Result<EntryDescriptor> EntryDescriptor::from_access(const SelectiveAccess& access) {
  if (access.selector != kSelectorEntry) return malformed("not an entry descriptor (selector 2)");
  const DataList* l = access.parameters.as_list();
  if (access.parameters.tag() != DataTag::kStructure || l == nullptr || l->size() != 4) {
    return malformed("entry descriptor is not a structure of 4");
  }
  const auto& e = *l;
  if (e[0].tag() != DataTag::kDoubleLongUnsigned || e[1].tag() != DataTag::kDoubleLongUnsigned ||
      e[2].tag() != DataTag::kLongUnsigned || e[3].tag() != DataTag::kLongUnsigned) {
    return malformed("entry descriptor has wrong element types");
  }
  EntryDescriptor d;
  d.from_entry = static_cast<std::uint32_t>(*e[0].as_uint());
  d.to_entry = static_cast<std::uint32_t>(*e[1].as_uint());
  d.from_selected_value = static_cast<std::uint16_t>(*e[2].as_uint());
  d.to_selected_value = static_cast<std::uint16_t>(*e[3].as_uint());
  return d;
}

namespace {

const char* access_result_name(std::uint8_t v) {
  switch (v) {
    case 0:
      return "success";
    case 1:
      return "hardware-fault";
    case 2:
      return "temporary-failure";
    case 3:
      return "read-write-denied";
    case 4:
      return "object-undefined";
    case 9:
      return "object-class-inconsistent";
    case 11:
      return "object-unavailable";
    case 12:
      return "type-unmatched";
    case 13:
      return "scope-of-access-violated";
    case 14:
      return "data-block-unavailable";
    case 250:
      return "other-reason";
    default:
      return nullptr;
  }
}

}  // namespace

std::string to_string(DataAccessResult r) {
  const auto v = static_cast<std::uint8_t>(r);
  switch (r) {
    case DataAccessResult::kLongGetAborted:
      return "long-get-aborted";
    case DataAccessResult::kNoLongGetInProgress:
      return "no-long-get-in-progress";
    case DataAccessResult::kLongSetAborted:
      return "long-set-aborted";
    case DataAccessResult::kNoLongSetInProgress:
      return "no-long-set-in-progress";
    case DataAccessResult::kDataBlockNumberInvalid:
      return "data-block-number-invalid";
    default:
      break;
  }
  if (const char* n = access_result_name(v)) return n;
  return "data-access-result " + std::to_string(v);
}

std::string to_string(ActionResult r) {
  const auto v = static_cast<std::uint8_t>(r);
  switch (r) {
    case ActionResult::kLongActionAborted:
      return "long-action-aborted";
    case ActionResult::kNoLongActionInProgress:
      return "no-long-action-in-progress";
    default:
      break;
  }
  if (const char* n = access_result_name(v)) return n;
  return "action-result " + std::to_string(v);
}

std::string to_string(StateError e) {
  switch (e) {
    case StateError::kServiceNotAllowed:
      return "service-not-allowed";
    case StateError::kServiceUnknown:
      return "service-unknown";
  }
  return "state-error " + std::to_string(static_cast<unsigned>(e));
}

std::string to_string(ServiceError e) {
  switch (e) {
    case ServiceError::kOperationNotPossible:
      return "operation-not-possible";
    case ServiceError::kServiceNotSupported:
      return "service-not-supported";
    case ServiceError::kOtherReason:
      return "other-reason";
    case ServiceError::kPduTooLong:
      return "pdu-too-long";
    case ServiceError::kDecipheringError:
      return "deciphering-error";
    case ServiceError::kInvocationCounterError:
      return "invocation-counter-error";
  }
  return "service-error " + std::to_string(static_cast<unsigned>(e));
}

std::string to_string(const ConfirmedServiceError& e) {
  static const char* const kServices[] = {nullptr,
                                          "initiateError",
                                          "getStatus",
                                          "getNameList",
                                          "getVariableAttribute",
                                          "read",
                                          "write",
                                          "getDataSetAttribute",
                                          "getTIAttribute",
                                          "changeScope",
                                          "start",
                                          "stop",
                                          "resume",
                                          "makeUsable",
                                          "initiateLoad",
                                          "loadSegment",
                                          "terminateLoad",
                                          "initiateUpLoad",
                                          "upLoadSegment",
                                          "terminateUpLoad"};
  static const char* const kTypes[] = {"application-reference",
                                       "hardware-resource",
                                       "vde-state-error",
                                       "service",
                                       "definition",
                                       "access",
                                       "initiate",
                                       "load-data-set",
                                       "change-scope",
                                       "task",
                                       "other"};
  std::string s = (e.service < std::size(kServices) && kServices[e.service] != nullptr)
                      ? kServices[e.service]
                      : "service " + std::to_string(e.service);
  s += ": ";
  s += e.error_type < std::size(kTypes) ? kTypes[e.error_type]
                                        : "error-type " + std::to_string(e.error_type);
  s += " ";
  if (e.error_type == ConfirmedServiceError::kErrorTypeInitiate) {
    static const char* const kInit[] = {"other", "dlms-version-too-low", "incompatible-conformance",
                                        "pdu-size-too-short", "refused-by-the-VDE-Handler"};
    if (e.value < std::size(kInit)) return s + kInit[e.value];
  }
  return s + std::to_string(e.value);
}

}  // namespace vidyut::dlms
