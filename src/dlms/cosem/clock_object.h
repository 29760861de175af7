// Interface class 8 (Clock), version 0: the meter's own clock.
//
// Meter time = source clock time + offset + drift. The offset changes when a client sets
// attribute 2 (time) or calls shift_time; drift (parts per million, accumulated since the last
// set) lets the simulator make a meter clock run fast or slow, as real RTCs do.
//
// Attributes: 2 time (octet-string date-time, local time with deviation), 3 time_zone (long,
// minutes; same sign convention as the date-time deviation, see dlms/axdr/data.h), 4 status
// (unsigned), 5 daylight_savings_begin, 6 daylight_savings_end (octet-string date-time),
// 7 daylight_savings_deviation (integer, minutes), 8 daylight_savings_enabled (boolean),
// 9 clock_base (enum: 0 not defined, 1 internal crystal, 2 mains 50 Hz, ...).
// Methods: 1 adjust_to_quarter, 3 adjust_to_minute, 6 shift_time(long, seconds -900..900) are
// implemented; 2, 4, 5 (measuring period / preset time) answer kOtherReason.
// India does not use daylight saving: DST fields are stored and reported, never applied.
#pragma once

#include <cstdint>
#include <functional>

#include "core/clock.h"
#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

// Largest shift_time argument (seconds): the Blue Book limits shift_time to -900..900.
inline constexpr std::int32_t kMaxShiftTimeSeconds = 900;

class ClockObject : public CosemObject {
 public:
  // Called after the meter time was changed by SET or a method: (time before, time after).
  using TimeSetObserver = std::function<void(UtcTime before, UtcTime after)>;

  // `source` must outlive this object. `deviation` defaults to IST (-330, see data.h).
  explicit ClockObject(const Clock& source, std::int16_t deviation = -330,
                       const Obis& ln = Obis{0, 0, 1, 0, 0, 255});

  std::int8_t attribute_count() const override { return 9; }
  std::int8_t method_count() const override { return 6; }

  // Meter time now.
  UtcTime now() const;
  // Meter time when the source clock reads `source_time` (for callers holding AccessContext).
  UtcTime at(UtcTime source_time) const;
  // Sets the meter time (as SET of attribute 2 does); resets accumulated drift.
  void set_time(UtcTime meter_time);
  // Current offset (meter - source) without drift.
  Millis offset() const { return offset_; }
  // Drift rate in parts per million from now on (positive: meter runs fast).
  void set_drift_ppm(double ppm);
  std::int16_t deviation() const { return deviation_; }
  void set_status(std::uint8_t status) { status_ = status; }
  void set_observer(TimeSetObserver observer) { observer_ = std::move(observer); }

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  void change_to(UtcTime meter_time);

  const Clock& source_;
  std::int16_t deviation_;
  Millis offset_{0};
  double drift_ppm_ = 0.0;
  UtcTime drift_anchor_{};  // source time from which drift accumulates
  std::uint8_t status_ = 0;
  CosemDateTime dst_begin_;
  CosemDateTime dst_end_;
  std::int8_t dst_deviation_ = 0;
  bool dst_enabled_ = false;
  std::uint8_t clock_base_ = 1;  // internal crystal
  TimeSetObserver observer_;
};

}  // namespace vidyut::dlms::cosem
