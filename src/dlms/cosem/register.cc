#include "dlms/cosem/register.h"

namespace vidyut::dlms::cosem {

const char* unit_symbol(Unit u) {
  switch (u) {
    case Unit::kYear:
      return "a";
    case Unit::kMonth:
      return "mo";
    case Unit::kWeek:
      return "wk";
    case Unit::kDay:
      return "d";
    case Unit::kHour:
      return "h";
    case Unit::kMinute:
      return "min";
    case Unit::kSecond:
      return "s";
    case Unit::kDegree:
      return "°";
    case Unit::kDegreeCelsius:
      return "°C";
    case Unit::kCurrency:
      return "currency";
    case Unit::kWatt:
      return "W";
    case Unit::kVoltAmpere:
      return "VA";
    case Unit::kVar:
      return "var";
    case Unit::kWattHour:
      return "Wh";
    case Unit::kVoltAmpereHour:
      return "VAh";
    case Unit::kVarHour:
      return "varh";
    case Unit::kAmpere:
      return "A";
    case Unit::kCoulomb:
      return "C";
    case Unit::kVolt:
      return "V";
    case Unit::kHertz:
      return "Hz";
    case Unit::kPercent:
      return "%";
    case Unit::kAmpereHour:
      return "Ah";
    case Unit::kOther:
      return "other";
    case Unit::kNone:
      return "";
  }
  return "?";
}

Data ScalerUnit::to_data() const {
  return Data::structure(
      {Data::integer(scaler), Data::enumerated(static_cast<std::uint8_t>(unit))});
}

std::optional<ScalerUnit> ScalerUnit::from_data(const Data& d) {
  if (d.tag() != DataTag::kStructure) return std::nullopt;
  const Data* s = d.at(0);
  const Data* u = d.at(1);
  if (s == nullptr || u == nullptr || d.at(2) != nullptr) return std::nullopt;
  if (s->tag() != DataTag::kInteger || u->tag() != DataTag::kEnum) return std::nullopt;
  return ScalerUnit{static_cast<std::int8_t>(*s->as_int()), static_cast<Unit>(*u->as_uint())};
}

// ---- Data (class 1) ----

DataObject::DataObject(const Obis& ln, Data value) : DataObject(1, 0, ln, std::move(value)) {}

DataObject::DataObject(std::uint16_t class_id, std::uint8_t version, const Obis& ln, Data value)
    : CosemObject(class_id, version, ln), value_(std::move(value)) {}

Data DataObject::value(const AccessContext& ctx) const { return source_ ? source_(ctx) : value_; }

GetDataResult DataObject::get_attribute(std::int8_t attribute,
                                        const std::optional<SelectiveAccess>& access,
                                        const AccessContext& ctx) {
  if (access) return DataAccessResult::kOtherReason;
  if (attribute == 2) return value(ctx);
  return DataAccessResult::kObjectUndefined;
}

DataAccessResult DataObject::set_attribute(std::int8_t attribute, const Data& value,
                                           const AccessContext& ctx) {
  if (attribute != 2) return DataAccessResult::kReadWriteDenied;
  if (sink_) return sink_(value, ctx);
  if (source_) return DataAccessResult::kReadWriteDenied;
  // A stored value keeps its type: writing a visible-string into a long-unsigned is refused.
  if (!value_.is_null() && value.tag() != value_.tag()) return DataAccessResult::kTypeUnmatched;
  value_ = value;
  return DataAccessResult::kSuccess;
}

void DataObject::reset_value() {
  switch (value_.tag()) {
    case DataTag::kDoubleLong:
      value_ = Data::double_long(0);
      break;
    case DataTag::kDoubleLongUnsigned:
      value_ = Data::double_long_unsigned(0);
      break;
    case DataTag::kInteger:
      value_ = Data::integer(0);
      break;
    case DataTag::kLong:
      value_ = Data::long_(0);
      break;
    case DataTag::kUnsigned:
      value_ = Data::unsigned_(0);
      break;
    case DataTag::kLongUnsigned:
      value_ = Data::long_unsigned(0);
      break;
    case DataTag::kLong64:
      value_ = Data::long64(0);
      break;
    case DataTag::kLong64Unsigned:
      value_ = Data::long64_unsigned(0);
      break;
    case DataTag::kFloat32:
      value_ = Data::float32(0);
      break;
    case DataTag::kFloat64:
      value_ = Data::float64(0);
      break;
    default:
      break;
  }
}

// ---- Register (class 3) ----

Register::Register(const Obis& ln, ScalerUnit scaler_unit, Data value)
    : Register(3, ln, scaler_unit, std::move(value)) {}

Register::Register(std::uint16_t class_id, const Obis& ln, ScalerUnit scaler_unit, Data value)
    : DataObject(class_id, 0, ln, std::move(value)), scaler_unit_(scaler_unit) {}

GetDataResult Register::get_attribute(std::int8_t attribute,
                                      const std::optional<SelectiveAccess>& access,
                                      const AccessContext& ctx) {
  if (attribute == 3) {
    if (access) return DataAccessResult::kOtherReason;
    return scaler_unit_.to_data();
  }
  return DataObject::get_attribute(attribute, access, ctx);
}

ActionOutcome Register::invoke_method(std::int8_t method, const std::optional<Data>&,
                                      const AccessContext&) {
  if (method != 1) return ActionOutcome::fail(ActionResult::kObjectUndefined);
  reset_value();
  return ActionOutcome::ok();
}

// ---- Extended register (class 4) ----

ExtendedRegister::ExtendedRegister(const Obis& ln, ScalerUnit scaler_unit, Data value)
    : Register(4, ln, scaler_unit, std::move(value)) {}

GetDataResult ExtendedRegister::get_attribute(std::int8_t attribute,
                                              const std::optional<SelectiveAccess>& access,
                                              const AccessContext& ctx) {
  if (attribute == 4 || attribute == 5) {
    if (access) return DataAccessResult::kOtherReason;
    return attribute == 4 ? status_ : Data::date_time_octets(capture_time_);
  }
  return Register::get_attribute(attribute, access, ctx);
}

ActionOutcome ExtendedRegister::invoke_method(std::int8_t method, const std::optional<Data>& params,
                                              const AccessContext& ctx) {
  ActionOutcome out = Register::invoke_method(method, params, ctx);
  if (out.result == ActionResult::kSuccess) capture_time_ = CosemDateTime::from_utc(ctx.now);
  return out;
}

}  // namespace vidyut::dlms::cosem
