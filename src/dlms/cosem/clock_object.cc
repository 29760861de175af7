#include "dlms/cosem/clock_object.h"

#include <cmath>

namespace vidyut::dlms::cosem {

ClockObject::ClockObject(const Clock& source, std::int16_t deviation, const Obis& ln)
    : CosemObject(8, 0, ln), source_(source), deviation_(deviation), drift_anchor_(source.now()) {}

UtcTime ClockObject::at(UtcTime source_time) const {
  auto since = (source_time - drift_anchor_).count();
  auto drift =
      static_cast<std::int64_t>(std::llround(static_cast<double>(since) * drift_ppm_ / 1e6));
  return source_time + offset_ + Millis(drift);
}

UtcTime ClockObject::now() const { return at(source_.now()); }

void ClockObject::set_time(UtcTime meter_time) {
  UtcTime src = source_.now();
  offset_ = meter_time - src;
  drift_anchor_ = src;
}

void ClockObject::set_drift_ppm(double ppm) {
  UtcTime src = source_.now();
  offset_ = at(src) - src;  // keep the drift accumulated so far
  drift_anchor_ = src;
  drift_ppm_ = ppm;
}

void ClockObject::change_to(UtcTime meter_time) {
  UtcTime before = now();
  set_time(meter_time);
  if (observer_) observer_(before, meter_time);
}

GetDataResult ClockObject::get_attribute(std::int8_t attribute,
                                         const std::optional<SelectiveAccess>& access,
                                         const AccessContext&) {
  if (access) return DataAccessResult::kOtherReason;
  switch (attribute) {
    case 2: {
      CosemDateTime dt = CosemDateTime::from_utc(now(), deviation_);
      dt.status = status_;
      return Data::date_time_octets(dt);
    }
    case 3:
      return Data::long_(deviation_);
    case 4:
      return Data::unsigned_(status_);
    case 5:
      return Data::date_time_octets(dst_begin_);
    case 6:
      return Data::date_time_octets(dst_end_);
    case 7:
      return Data::integer(dst_deviation_);
    case 8:
      return Data::boolean(dst_enabled_);
    case 9:
      return Data::enumerated(clock_base_);
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult ClockObject::set_attribute(std::int8_t attribute, const Data& value,
                                            const AccessContext&) {
  switch (attribute) {
    case 2: {
      auto dt = value.as_date_time();
      if (!dt) return DataAccessResult::kTypeUnmatched;
      auto t = dt->to_utc(deviation_);
      if (!t.ok()) return DataAccessResult::kOtherReason;
      change_to(*t);
      return DataAccessResult::kSuccess;
    }
    case 3: {
      if (value.tag() != DataTag::kLong) return DataAccessResult::kTypeUnmatched;
      auto v = *value.as_int();
      if (v < -720 || v > 840) return DataAccessResult::kOtherReason;  // UTC-12..UTC+14
      deviation_ = static_cast<std::int16_t>(v);
      return DataAccessResult::kSuccess;
    }
    case 5:
    case 6: {
      auto dt = value.as_date_time();
      if (!dt) return DataAccessResult::kTypeUnmatched;
      (attribute == 5 ? dst_begin_ : dst_end_) = *dt;
      return DataAccessResult::kSuccess;
    }
    case 7: {
      if (value.tag() != DataTag::kInteger) return DataAccessResult::kTypeUnmatched;
      dst_deviation_ = static_cast<std::int8_t>(*value.as_int());
      return DataAccessResult::kSuccess;
    }
    case 8: {
      if (value.tag() != DataTag::kBoolean) return DataAccessResult::kTypeUnmatched;
      dst_enabled_ = *value.as_bool();
      return DataAccessResult::kSuccess;
    }
    default:
      return DataAccessResult::kReadWriteDenied;  // status and clock_base are read-only
  }
}

ActionOutcome ClockObject::invoke_method(std::int8_t method, const std::optional<Data>& params,
                                         const AccessContext&) {
  auto round_to = [this](std::int64_t step_ms) {
    std::int64_t t = now().time_since_epoch().count();
    std::int64_t r = ((t + step_ms / 2) / step_ms) * step_ms;
    change_to(UtcTime(Millis(r)));
  };
  switch (method) {
    case 1:
      round_to(15 * 60 * 1000);
      return ActionOutcome::ok();
    case 3:
      round_to(60 * 1000);
      return ActionOutcome::ok();
    case 6: {
      if (!params || params->tag() != DataTag::kLong) {
        return ActionOutcome::fail(ActionResult::kTypeUnmatched);
      }
      auto s = *params->as_int();
      if (s < -kMaxShiftTimeSeconds || s > kMaxShiftTimeSeconds) {
        return ActionOutcome::fail(ActionResult::kOtherReason);
      }
      change_to(now() + Millis(s * 1000));
      return ActionOutcome::ok();
    }
    default:
      return ActionOutcome::fail(ActionResult::kOtherReason);
  }
}

}  // namespace vidyut::dlms::cosem
