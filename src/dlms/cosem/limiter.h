// Interface class 71 (Limiter), version 0: load limiting (IS 15959 0.0.17.0.0.255).
//
// Attributes: 2 monitored_value value_definition structure { class_id long-unsigned,
// logical_name octet-string, attribute_index integer }, 3 threshold_active, 4 threshold_normal,
// 5 threshold_emergency (same simple type as the monitored value; threshold_active is read-only
// here: it follows normal/emergency), 6 min_over_threshold_duration double-long-unsigned (s),
// 7 min_under_threshold_duration double-long-unsigned (s), 8 emergency_profile structure
// { emergency_profile_id long-unsigned, emergency_activation_time octet-string date-time,
// emergency_duration double-long-unsigned }, 9 emergency_profile_group_id_list array of
// long-unsigned, 10 emergency_profile_active boolean, 11 actions structure
// { action_over_threshold, action_under_threshold }, each structure { script_logical_name
// octet-string, script_selector long-unsigned }. No methods.
//
// The limiting itself (watch the value, open the relay after min_over_threshold_duration) is
// the meter's job: it reads the configuration here and calls DisconnectControl::local_*.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

// Most group ids in emergency_profile_group_id_list accepted by SET; bounds memory.
inline constexpr std::size_t kMaxEmergencyGroups = 64;

struct ValueDefinition {
  std::uint16_t class_id = 3;
  Obis logical_name{1, 0, 1, 7, 0, 255};  // typical: instantaneous active power
  std::int8_t attribute = 2;
  bool operator==(const ValueDefinition&) const = default;
};

struct EmergencyProfile {
  std::uint16_t id = 0;
  CosemDateTime activation_time;
  std::uint32_t duration_s = 0;
  bool operator==(const EmergencyProfile&) const = default;
};

struct ActionItem {
  Obis script_logical_name;
  std::uint16_t script_selector = 0;
  bool operator==(const ActionItem&) const = default;
};

class Limiter : public CosemObject {
 public:
  explicit Limiter(const Obis& ln = Obis{0, 0, 17, 0, 0, 255});

  std::int8_t attribute_count() const override { return 11; }

  const ValueDefinition& monitored_value() const { return monitored_; }
  void set_monitored_value(ValueDefinition v) { monitored_ = std::move(v); }
  // threshold_emergency while emergency_profile_active, else threshold_normal.
  const Data& threshold_active() const;
  const Data& threshold_normal() const { return normal_; }
  const Data& threshold_emergency() const { return emergency_; }
  void set_thresholds(Data normal, Data emergency) {
    normal_ = std::move(normal);
    emergency_ = std::move(emergency);
  }
  std::uint32_t min_over_threshold_duration() const { return min_over_; }
  std::uint32_t min_under_threshold_duration() const { return min_under_; }
  void set_durations(std::uint32_t over_s, std::uint32_t under_s) {
    min_over_ = over_s;
    min_under_ = under_s;
  }
  bool emergency_profile_active() const { return emergency_active_; }
  void set_emergency_profile_active(bool on) { emergency_active_ = on; }
  const EmergencyProfile& emergency_profile() const { return emergency_profile_; }
  const std::vector<std::uint16_t>& emergency_groups() const { return groups_; }
  const ActionItem& action_over_threshold() const { return over_action_; }
  const ActionItem& action_under_threshold() const { return under_action_; }

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;

 private:
  ValueDefinition monitored_;
  Data normal_ = Data::double_long_unsigned(0);
  Data emergency_ = Data::double_long_unsigned(0);
  std::uint32_t min_over_ = 0;
  std::uint32_t min_under_ = 0;
  EmergencyProfile emergency_profile_;
  std::vector<std::uint16_t> groups_;
  bool emergency_active_ = false;
  ActionItem over_action_;
  ActionItem under_action_;
};

}  // namespace vidyut::dlms::cosem
