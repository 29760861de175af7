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
inline constexpr std::int64_t kIstOffsetSeconds = kIstOffset.count() / 1000;  // core/clock.h

enum class ConsumerCategory : std::uint8_t {
  kDomestic = 1,    // household: morning and evening peaks, summer cooling at night
  kCommercial = 2,  // shop/office: business hours, closed on Sundays
};

const char* to_string(ConsumerCategory c);

// What kind of meter, which decides its object set: consumer meters (IS 15959 Part 2) have a
// relay and prepaid objects; DT and feeder meters (CT/PT-operated, Part 3) have neither.
enum class MeterKind : std::uint8_t {
  kSinglePhase = 1,  // whole-current single-phase consumer meter
  kThreePhase = 2,   // whole-current three-phase consumer meter
  kDt = 3,           // distribution-transformer meter (LT side)
  kFeeder = 4,       // 11 kV feeder-head meter
};
const char* to_string(MeterKind k);
bool has_relay(MeterKind k);

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
  MeterKind kind = MeterKind::kSinglePhase;
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
  friend Energy operator-(Energy a, const Energy& b) {
    a.active_mwh -= b.active_mwh;
    a.apparent_mvah -= b.apparent_mvah;
    return a;
  }
  bool operator==(const Energy&) const = default;
};
Energy model_energy(const MeterIdentity& id, UtcTime from, UtcTime to);

// Energy over [from, to) of any series given by its whole-slot energies `slot_fn(slot)` (a
// SlotEnergy), partial slots taken as floored prefixes of the slot's energy. Exactly additive
// over every split point, as model_energy is (model_energy is this over slot_energy).
template <class SlotFn>
Energy sliced_energy(UtcTime from, UtcTime to, SlotFn&& slot_fn);

// What flows through a meter's measuring point while its relay is closed. The default is the
// meter identity's own load model; the fleet simulator substitutes sources that know about
// supply outages, theft and, for DT and feeder meters, the sum of what is downstream.
// REQUIRES of implementations: energy() exactly additive over every split point, and pure
// (the same arguments always give the same answer, whatever was asked before).
class EnergySource {
 public:
  virtual ~EnergySource() = default;
  virtual Energy energy(UtcTime from, UtcTime to) const = 0;
  // Electrical state during `slot` (supply side: voltage 0 when the supply is out).
  virtual LoadSample sample(std::int64_t slot) const = 0;
};

namespace detail {
// Floored energy of the first `ms` milliseconds of a slot holding `whole`.
inline std::int64_t slot_prefix(std::int64_t whole, std::int64_t ms) {
  return whole * ms / kSlotMillis;
}
inline std::int64_t floor_div_ms(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace detail

template <class SlotFn>
Energy sliced_energy(UtcTime from, UtcTime to, SlotFn&& slot_fn) {
  Energy e;
  if (to <= from) return e;
  const std::int64_t a = from.time_since_epoch().count();
  const std::int64_t b = to.time_since_epoch().count();
  const std::int64_t sa = detail::floor_div_ms(a, kSlotMillis);
  const std::int64_t sb = detail::floor_div_ms(b, kSlotMillis);
  const std::int64_t oa = a - sa * kSlotMillis;
  const std::int64_t ob = b - sb * kSlotMillis;
  const SlotEnergy first = slot_fn(sa);
  if (sa == sb) {
    e.active_mwh =
        detail::slot_prefix(first.active_mwh, ob) - detail::slot_prefix(first.active_mwh, oa);
    e.apparent_mvah =
        detail::slot_prefix(first.apparent_mvah, ob) - detail::slot_prefix(first.apparent_mvah, oa);
    return e;
  }
  e.active_mwh = first.active_mwh - detail::slot_prefix(first.active_mwh, oa);
  e.apparent_mvah = first.apparent_mvah - detail::slot_prefix(first.apparent_mvah, oa);
  for (std::int64_t s = sa + 1; s < sb; ++s) {
    const SlotEnergy se = slot_fn(s);
    e.active_mwh += se.active_mwh;
    e.apparent_mvah += se.apparent_mvah;
  }
  if (ob > 0) {
    const SlotEnergy last = slot_fn(sb);
    e.active_mwh += detail::slot_prefix(last.active_mwh, ob);
    e.apparent_mvah += detail::slot_prefix(last.apparent_mvah, ob);
  }
  return e;
}

// A uniform 64-bit hash of (seed, stream, counter): splitmix64 finaliser over a mix of the three.
std::uint64_t counter_hash(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

}  // namespace vidyut::meter
