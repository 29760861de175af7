#include "meter/load_model.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

namespace vidyut::meter {
namespace {

// Hash streams: one per independent random quantity, so adding a quantity never shifts others.
enum Stream : std::uint64_t {
  kPersonality = 1,
  kAppliance = 2,
  kApplianceSize = 3,
  kNoise = 4,
  kVoltage = 5,
  kPowerFactor = 6,
  kFrequency = 7,
};

constexpr double kPi = 3.14159265358979323846;

double unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

double u(const MeterIdentity& id, Stream s, std::int64_t counter) {
  return unit(counter_hash(id.seed, s, static_cast<std::uint64_t>(counter)));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Gaussian bump centred on hour c with width w, distance measured around the 24-hour circle.
double bump(double h, double c, double w) {
  double d = std::fabs(h - c);
  d = std::min(d, 24.0 - d);
  return std::exp(-(d / w) * (d / w));
}

// Cooling/heating share by month (1..12) in a north-Indian climate.
double cooling_share(unsigned month) {
  switch (month) {
    case 4:
    case 5:
    case 6:
      return 0.35;
    case 7:
    case 8:
    case 9:
      return 0.22;
    case 3:
    case 10:
      return 0.06;
    default:
      return 0.0;
  }
}
double heating_share(unsigned month) { return (month == 12 || month == 1) ? 0.10 : 0.0; }

struct LocalTime {
  double hour = 0;       // 0 <= hour < 24, IST
  unsigned weekday = 0;  // 0 = Monday .. 6 = Sunday
  unsigned month = 1;
};

LocalTime local_time_of_slot(std::int64_t slot) {
  // Middle of the slot, in IST seconds since the epoch.
  const std::int64_t s = slot * kSlotSeconds + kSlotSeconds / 2 + kIstOffsetSeconds;
  const std::int64_t day = floor_div(s, 86'400);
  LocalTime lt;
  lt.hour = static_cast<double>(s - day * 86'400) / 3600.0;
  lt.weekday = static_cast<unsigned>(((day + 3) % 7 + 7) % 7);  // 1970-01-01: Thursday
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  lt.month = static_cast<unsigned>(ymd.month());
  return lt;
}

// Expected load as a share of the sanctioned load, before randomness.
double shape(ConsumerCategory cat, const LocalTime& lt) {
  const double h = lt.hour;
  const bool sunday = lt.weekday == 6;
  const bool weekend = lt.weekday >= 5;
  const double cool = cooling_share(lt.month);
  const double heat = heating_share(lt.month);
  if (cat == ConsumerCategory::kCommercial) {
    const bool open = !sunday && h >= 9.0 && h < 20.5;
    if (!open) return 0.04;
    return 0.35 + 0.10 * bump(h, 13.0, 3.0) + 0.12 * bump(h, 19.0, 1.0) + 0.8 * cool;
  }
  const double morning_centre = weekend ? 8.5 : 7.5;
  double s = 0.06;                                    // refrigerator, standby, fans
  s += 0.25 * bump(h, morning_centre, 1.4);           // water heater, cooking, pumps
  s += 0.34 * bump(h, 20.5, 2.0);                     // lights, TV, cooking
  s += (weekend ? 0.14 : 0.06) * bump(h, 13.5, 2.5);  // daytime at home
  const bool night = h >= 22.0 || h < 6.0;
  s += cool * (night ? 1.0 : 0.4);  // coolers and air conditioners
  s += heat * (bump(h, 7.0, 1.5) + bump(h, 21.0, 1.5));
  return s;
}

}  // namespace

const char* to_string(ConsumerCategory c) {
  switch (c) {
    case ConsumerCategory::kDomestic:
      return "domestic";
    case ConsumerCategory::kCommercial:
      return "commercial";
  }
  return "unknown";
}

const char* to_string(MeterKind k) {
  switch (k) {
    case MeterKind::kSinglePhase:
      return "single-phase";
    case MeterKind::kThreePhase:
      return "three-phase";
    case MeterKind::kDt:
      return "dt";
    case MeterKind::kFeeder:
      return "feeder";
  }
  return "unknown";
}

bool has_relay(MeterKind k) { return k == MeterKind::kSinglePhase || k == MeterKind::kThreePhase; }

std::uint64_t counter_hash(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  std::uint64_t z = seed ^ (stream * 0x9E3779B97F4A7C15ULL) ^ (counter * 0xD1B54A32D192ED03ULL);
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

MeterIdentity make_identity(std::string manufacturer, std::string serial, std::uint64_t seed,
                            ConsumerCategory category, std::uint32_t sanctioned_load_w) {
  MeterIdentity id;
  id.manufacturer = std::move(manufacturer);
  id.serial = std::move(serial);
  id.seed = seed;
  id.category = category;
  id.sanctioned_load_w = sanctioned_load_w;
  for (std::size_t i = 0; i < 3; ++i) {
    id.system_title[i] =
        i < id.manufacturer.size() ? static_cast<std::uint8_t>(id.manufacturer[i]) : 0x20;
  }
  std::uint64_t n = 0;
  for (char c : id.serial) {
    if (c >= '0' && c <= '9') n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  for (std::size_t i = 0; i < 5; ++i) {
    id.system_title[7 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  id.year_of_manufacture = static_cast<std::uint16_t>(2020 + seed % 6);
  return id;
}

std::int64_t slot_of(UtcTime t) { return floor_div(t.time_since_epoch().count(), kSlotMillis); }

UtcTime slot_start(std::int64_t slot) { return UtcTime(Millis(slot * kSlotMillis)); }

namespace {

// What every meter of a category shares in a slot: its shape and the voltage's daily pattern.
// They are pure functions of (category, slot) that cost a calendar conversion, exponentials and a
// sine; a DT or feeder row sums hundreds of consumers over the same slots, so a small per-thread
// cache of recent slots answers almost every call with the very same values.
struct SlotCommon {
  std::int64_t slot = std::numeric_limits<std::int64_t>::min();
  ConsumerCategory category{};
  double hour = 0;
  double shape = 0;
  double voltage = 0;  // the part of the voltage that depends on the hour only
};

const SlotCommon& slot_common(ConsumerCategory cat, std::int64_t slot) {
  constexpr std::size_t kEntries = 256;  // a power of two
  thread_local std::array<SlotCommon, kEntries> cache;
  const auto i =
      (static_cast<std::size_t>(slot) * 2 + static_cast<std::size_t>(cat)) & (kEntries - 1);
  SlotCommon& c = cache[i];
  if (c.slot != slot || c.category != cat) {
    const LocalTime lt = local_time_of_slot(slot);
    c.slot = slot;
    c.category = cat;
    c.hour = lt.hour;
    c.shape = shape(cat, lt);
    c.voltage =
        234.0 + 4.0 * std::sin(2.0 * kPi * (lt.hour - 9.0) / 24.0) - 9.0 * bump(lt.hour, 20.5, 2.0);
  }
  return c;
}

}  // namespace

namespace {
// The active power and power factor of a slot: all that energy needs (sample_load adds the
// voltage, frequency and current on top, from the same values).
struct PowerPf {
  double power_w = 0;
  double load_share = 0;
  double power_factor = 1;
};
PowerPf power_of_slot(const MeterIdentity& id, std::int64_t slot, const SlotCommon& common) {
  const double sanctioned = static_cast<double>(std::max<std::uint32_t>(id.sanctioned_load_w, 100));
  const double personality = 0.6 + 0.8 * u(id, kPersonality, 0);
  const double base = common.shape * personality;

  double share = base;
  // Random appliance switching: more likely when the household is active.
  const double p_on = std::min(0.6, 0.10 + 0.5 * base);
  if (u(id, kAppliance, slot) < p_on) share += 0.08 + 0.30 * u(id, kApplianceSize, slot);
  share *= 0.88 + 0.24 * u(id, kNoise, slot);

  PowerPf p;
  p.power_w = std::clamp(share * sanctioned, 8.0, 1.25 * sanctioned);
  p.load_share = p.power_w / sanctioned;
  p.power_factor =
      std::clamp(0.97 - 0.06 * p.load_share - 0.06 * u(id, kPowerFactor, slot), 0.85, 0.99);
  return p;
}
}  // namespace

LoadSample sample_load(const MeterIdentity& id, std::int64_t slot) {
  const SlotCommon& common = slot_common(id.category, slot);
  const PowerPf p = power_of_slot(id, slot, common);
  LoadSample s;
  s.power_w = p.power_w;
  s.voltage_v = common.voltage - 4.0 * p.load_share + 6.0 * (u(id, kVoltage, slot) - 0.5);
  s.power_factor = p.power_factor;
  s.frequency_hz = 49.90 + 0.20 * u(id, kFrequency, slot);
  s.current_a = s.power_w / (s.voltage_v * s.power_factor);
  return s;
}

SlotEnergy slot_energy(const MeterIdentity& id, std::int64_t slot) {
  const PowerPf p = power_of_slot(id, slot, slot_common(id.category, slot));
  constexpr double kMilliPerSlot = 1000.0 * static_cast<double>(kSlotSeconds) / 3600.0;
  const double va = p.power_factor > 0 ? p.power_w / p.power_factor : 0;  // LoadSample::apparent_va
  return {std::llround(p.power_w * kMilliPerSlot), std::llround(va * kMilliPerSlot)};
}

Energy model_energy(const MeterIdentity& id, UtcTime from, UtcTime to) {
  return sliced_energy(from, to, [&id](std::int64_t s) { return slot_energy(id, s); });
}

}  // namespace vidyut::meter
