// Load model: what a simulated consumer draws, as a pure function of (identity, time).
//
// The simulated meter never stores interval history. Instead, time is cut into fixed slots of
// kSlotSeconds (aligned to the Unix epoch) and the load of slot n is computed from a counter-based
// hash of (seed, n): daily pattern in IST, weekday/weekend, season, and random appliance switching.
// Any past slot can therefore be recomputed in O(1) without state, and two processes given the
// same identity agree on every slot.
//
// Energy is integer milli-watt-hours (mWh). Inside a slot the power is constant, and the energy
// of a partial slot is a floored prefix of the slot's energy, so energy over [a, c) equals energy
// over [a, b) plus energy over [b, c) exactly for every b: registers derived from these sums
// telescope and never disagree by a rounding unit however the range is cut.
//
// See docs/simulated-meter.md for the shape of the curves.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/clock.h"

namespace vidyut::meter {

// Length of one load slot. 5 minutes: appliances switch on this grid; any capture period that is
// a multiple of it (900 s, 1800 s) sees whole slots when the meter clock is aligned.
inline constexpr std::int64_t kSlotSeconds = 300;
inline constexpr std::int64_t kSlotMillis = kSlotSeconds * 1000;
// IST is UTC+05:30; daily patterns and midnights are in IST.
inline constexpr std::int64_t kIstOffsetSeconds = 19'800;

enum class ConsumerCategory : std::uint8_t {
  kDomestic = 1,    // household: morning and evening peaks, summer cooling at night
  kCommercial = 2,  // shop/office: business hours, closed on Sundays
};

const char* to_string(ConsumerCategory c);

// Who the meter is. Everything the meter reports about itself derives from this.
struct MeterIdentity {
  std::string serial;        // digits, e.g. "00012345"
  std::string manufacturer;  // 3-letter FLAG-style code, e.g. "VDY"
  std::string manufacturer_name = "Vidyut Simulated Meters";
  std::string firmware_version = "VSIM-1.0";
  // System title: 3 ASCII bytes of the manufacturer code + the serial number's value in 5 bytes
  // big-endian (see make_identity).
  std::array<std::uint8_t, 8> system_title{};
  std::uint64_t seed = 0;
  std::uint32_t sanctioned_load_w = 2000;
  ConsumerCategory category = ConsumerCategory::kDomestic;
  std::string current_rating = "5-30A";  // basic-maximum current as printed on the name plate
  std::uint16_t year_of_manufacture = 2025;
};

// Builds an identity with a consistent system title. REQUIRES: manufacturer has 3 characters;
// serial is decimal digits (others are ignored when packing the title).
MeterIdentity make_identity(std::string manufacturer, std::string serial, std::uint64_t seed,
                            ConsumerCategory category = ConsumerCategory::kDomestic,
                            std::uint32_t sanctioned_load_w = 2000);

// Electrical state during one slot with the supply connected.
struct LoadSample {
  double power_w = 0;       // true average active power
  double voltage_v = 0;     // RMS phase voltage
  double power_factor = 1;  // 0.85 .. 0.99, lagging
  double frequency_hz = 50;
  double current_a = 0;  // power / (voltage * power factor)
  double apparent_va() const { return power_factor > 0 ? power_w / power_factor : 0; }
};

// Slot containing t (floor division, valid before 1970 too).
std::int64_t slot_of(UtcTime t);
UtcTime slot_start(std::int64_t slot);

// The load during `slot`. Pure: depends only on the arguments.
LoadSample sample_load(const MeterIdentity& id, std::int64_t slot);

// Energy of a whole slot, rounded once to integer mWh / mVAh.
struct SlotEnergy {
  std::int64_t active_mwh = 0;
  std::int64_t apparent_mvah = 0;
};
SlotEnergy slot_energy(const MeterIdentity& id, std::int64_t slot);

// Energy drawn over [from, to) with the supply connected throughout (zero when to <= from).
// Exactly additive over any split point (see top of file). Cost: O(number of slots).
struct Energy {
  std::int64_t active_mwh = 0;
  std::int64_t apparent_mvah = 0;
  Energy& operator+=(const Energy& o) {
    active_mwh += o.active_mwh;
    apparent_mvah += o.apparent_mvah;
    return *this;
  }
  bool operator==(const Energy&) const = default;
};
Energy model_energy(const MeterIdentity& id, UtcTime from, UtcTime to);

// A uniform 64-bit hash of (seed, stream, counter): splitmix64 finaliser over a mix of the three.
std::uint64_t counter_hash(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

}  // namespace vidyut::meter
