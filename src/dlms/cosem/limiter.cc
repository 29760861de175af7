#include "dlms/cosem/limiter.h"

namespace vidyut::dlms::cosem {

namespace {

Data action_to_data(const ActionItem& a) {
  return Data::structure({Data::octet_string(a.script_logical_name.to_bytes()),
                          Data::long_unsigned(a.script_selector)});
}

std::optional<ActionItem> action_from_data(const Data& d) {
  const Data* ln = d.at(0);
  const Data* sel = d.at(1);
  if (d.tag() != DataTag::kStructure || ln == nullptr || sel == nullptr || d.at(2) != nullptr ||
      ln->as_octets() == nullptr || sel->tag() != DataTag::kLongUnsigned) {
    return std::nullopt;
  }
  auto obis = Obis::from_bytes(*ln->as_octets());
  if (!obis.ok()) return std::nullopt;
  return ActionItem{*obis, static_cast<std::uint16_t>(*sel->as_uint())};
}

// A threshold is a simple (scalar) value; compound types are refused.
bool is_scalar(const Data& d) {
  return d.is_integer() || d.tag() == DataTag::kFloat32 || d.tag() == DataTag::kFloat64;
}

}  // namespace

Limiter::Limiter(const Obis& ln) : CosemObject(71, 0, ln) {}

const Data& Limiter::threshold_active() const { return emergency_active_ ? emergency_ : normal_; }

GetDataResult Limiter::get_attribute(std::int8_t attribute,
                                     const std::optional<SelectiveAccess>& access,
                                     const AccessContext&) {
  if (access) return DataAccessResult::kOtherReason;
  switch (attribute) {
    case 2:
      return Data::structure({Data::long_unsigned(monitored_.class_id),
                              Data::octet_string(monitored_.logical_name.to_bytes()),
                              Data::integer(monitored_.attribute)});
    case 3:
      return threshold_active();
    case 4:
      return normal_;
    case 5:
      return emergency_;
    case 6:
      return Data::double_long_unsigned(min_over_);
    case 7:
      return Data::double_long_unsigned(min_under_);
    case 8:
      return Data::structure({Data::long_unsigned(emergency_profile_.id),
                              Data::date_time_octets(emergency_profile_.activation_time),
                              Data::double_long_unsigned(emergency_profile_.duration_s)});
    case 9: {
      DataList ids;
      for (auto id : groups_) ids.push_back(Data::long_unsigned(id));
      return Data::array(std::move(ids));
    }
    case 10:
      return Data::boolean(emergency_active_);
    case 11:
      return Data::structure({action_to_data(over_action_), action_to_data(under_action_)});
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult Limiter::set_attribute(std::int8_t attribute, const Data& value,
                                        const AccessContext&) {
  constexpr auto kType = DataAccessResult::kTypeUnmatched;
  switch (attribute) {
    case 2: {
      const Data* c = value.at(0);
      const Data* ln = value.at(1);
      const Data* a = value.at(2);
      if (value.tag() != DataTag::kStructure || c == nullptr || ln == nullptr || a == nullptr ||
          value.at(3) != nullptr || c->tag() != DataTag::kLongUnsigned ||
          ln->as_octets() == nullptr || a->tag() != DataTag::kInteger) {
        return kType;
      }
      auto obis = Obis::from_bytes(*ln->as_octets());
      if (!obis.ok()) return kType;
      monitored_ = ValueDefinition{static_cast<std::uint16_t>(*c->as_uint()), *obis,
                                   static_cast<std::int8_t>(*a->as_int())};
      return DataAccessResult::kSuccess;
    }
    case 4:
    case 5:
      if (!is_scalar(value)) return kType;
      (attribute == 4 ? normal_ : emergency_) = value;
      return DataAccessResult::kSuccess;
    case 6:
    case 7:
      if (value.tag() != DataTag::kDoubleLongUnsigned) return kType;
      (attribute == 6 ? min_over_ : min_under_) = static_cast<std::uint32_t>(*value.as_uint());
      return DataAccessResult::kSuccess;
    case 8: {
      const Data* id = value.at(0);
      const Data* t = value.at(1);
      const Data* d = value.at(2);
      if (value.tag() != DataTag::kStructure || id == nullptr || t == nullptr || d == nullptr ||
          value.at(3) != nullptr || id->tag() != DataTag::kLongUnsigned ||
          d->tag() != DataTag::kDoubleLongUnsigned || !t->as_date_time()) {
        return kType;
      }
      emergency_profile_ =
          EmergencyProfile{static_cast<std::uint16_t>(*id->as_uint()), *t->as_date_time(),
                           static_cast<std::uint32_t>(*d->as_uint())};
      return DataAccessResult::kSuccess;
    }
    case 9: {
      if (value.tag() != DataTag::kArray) return kType;
      const DataList& list = *value.as_list();
      if (list.size() > kMaxEmergencyGroups) return DataAccessResult::kOtherReason;
      std::vector<std::uint16_t> ids;
      for (const auto& item : list) {
        if (item.tag() != DataTag::kLongUnsigned) return kType;
        ids.push_back(static_cast<std::uint16_t>(*item.as_uint()));
      }
      groups_ = std::move(ids);
      return DataAccessResult::kSuccess;
    }
    case 11: {
      if (value.tag() != DataTag::kStructure || value.at(2) != nullptr || value.at(1) == nullptr) {
        return kType;
      }
      auto over = action_from_data(*value.at(0));
      auto under = action_from_data(*value.at(1));
      if (!over || !under) return kType;
      over_action_ = *over;
      under_action_ = *under;
      return DataAccessResult::kSuccess;
    }
    default:
      // threshold_active (3) and emergency_profile_active (10) are the limiter's own state.
      return DataAccessResult::kReadWriteDenied;
  }
}

}  // namespace vidyut::dlms::cosem
