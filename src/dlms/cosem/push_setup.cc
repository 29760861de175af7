#include "dlms/cosem/push_setup.h"

namespace vidyut::dlms::cosem {

PushSetup::PushSetup(const Obis& ln, std::vector<CaptureObjectDefinition> objects)
    : CosemObject(40, 0, ln), objects_(std::move(objects)) {}

GetDataResult PushSetup::get_attribute(std::int8_t attribute,
                                       const std::optional<SelectiveAccess>& access,
                                       const AccessContext&) {
  if (access) return DataAccessResult::kOtherReason;
  switch (attribute) {
    case 2: {
      DataList list;
      for (const auto& o : objects_) list.push_back(o.to_data());
      return Data::array(std::move(list));
    }
    case 3:
      return Data::structure({Data::enumerated(destination_.transport_service),
                              Data::octet_string(destination_.destination),
                              Data::enumerated(destination_.message)});
    case 4: {
      DataList list;
      for (const auto& [start, end] : windows_) {
        list.push_back(
            Data::structure({Data::date_time_octets(start), Data::date_time_octets(end)}));
      }
      return Data::array(std::move(list));
    }
    case 5:
      return Data::long_unsigned(randomisation_);
    case 6:
      return Data::unsigned_(retries_);
    case 7:
      return Data::long_unsigned(repetition_delay_);
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult PushSetup::set_attribute(std::int8_t attribute, const Data& value,
                                          const AccessContext&) {
  switch (attribute) {
    case 2: {
      if (value.tag() != DataTag::kArray) return DataAccessResult::kTypeUnmatched;
      const DataList& list = *value.as_list();
      if (list.size() > kMaxPushObjects) return DataAccessResult::kOtherReason;
      std::vector<CaptureObjectDefinition> parsed;
      for (const auto& item : list) {
        auto def = CaptureObjectDefinition::from_data(item);
        if (!def.ok()) return DataAccessResult::kTypeUnmatched;
        parsed.push_back(*def);
      }
      objects_ = std::move(parsed);
      return DataAccessResult::kSuccess;
    }
    case 3: {
      const Data* t = value.at(0);
      const Data* d = value.at(1);
      const Data* m = value.at(2);
      if (value.tag() != DataTag::kStructure || t == nullptr || d == nullptr || m == nullptr ||
          value.at(3) != nullptr || t->tag() != DataTag::kEnum || d->as_octets() == nullptr ||
          m->tag() != DataTag::kEnum) {
        return DataAccessResult::kTypeUnmatched;
      }
      destination_ = SendDestination{static_cast<std::uint8_t>(*t->as_uint()), *d->as_octets(),
                                     static_cast<std::uint8_t>(*m->as_uint())};
      return DataAccessResult::kSuccess;
    }
    case 4: {
      if (value.tag() != DataTag::kArray) return DataAccessResult::kTypeUnmatched;
      const DataList& list = *value.as_list();
      if (list.size() > kMaxCommunicationWindows) return DataAccessResult::kOtherReason;
      std::vector<std::pair<CosemDateTime, CosemDateTime>> parsed;
      for (const auto& w : list) {
        const Data* s = w.at(0);
        const Data* e = w.at(1);
        if (w.tag() != DataTag::kStructure || s == nullptr || e == nullptr || w.at(2) != nullptr) {
          return DataAccessResult::kTypeUnmatched;
        }
        auto sd = s->as_date_time();
        auto ed = e->as_date_time();
        if (!sd || !ed) return DataAccessResult::kTypeUnmatched;
        parsed.emplace_back(*sd, *ed);
      }
      windows_ = std::move(parsed);
      return DataAccessResult::kSuccess;
    }
    case 5:
    case 7: {
      if (value.tag() != DataTag::kLongUnsigned) return DataAccessResult::kTypeUnmatched;
      (attribute == 5 ? randomisation_ : repetition_delay_) =
          static_cast<std::uint16_t>(*value.as_uint());
      return DataAccessResult::kSuccess;
    }
    case 6: {
      if (value.tag() != DataTag::kUnsigned) return DataAccessResult::kTypeUnmatched;
      retries_ = static_cast<std::uint8_t>(*value.as_uint());
      return DataAccessResult::kSuccess;
    }
    default:
      return DataAccessResult::kReadWriteDenied;
  }
}

ActionOutcome PushSetup::invoke_method(std::int8_t method, const std::optional<Data>&,
                                       const AccessContext& ctx) {
  if (method != 1) return ActionOutcome::fail(ActionResult::kObjectUndefined);
  if (!handler_) return ActionOutcome::fail(ActionResult::kTemporaryFailure);
  return ActionOutcome::fail(handler_(*this, ctx));
}

}  // namespace vidyut::dlms::cosem
