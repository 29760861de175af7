// The energy audit (docs/mdm.md): feeder -> DT -> consumer energy balance over any period (an
// interval, an hour, a day, a month), with the data completeness beside every figure.
//
//   consumers' net energy of a DT  = sum over its consumers of (import - export)
//   LT loss of a DT                = DT meter import - consumers' net energy
//   HT loss of a feeder            = feeder meter import - sum of its DT meters' import
//   loss % = loss / the energy that entered (DT meter, feeder meter)
//
// A figure is complete when every meter it uses has every interval of the period stored; an
// incomplete figure is still computed (from what is stored) but marked, and never ranked.
// Pure: the caller gives the per-meter energy (audit_from_store reads it from a Store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "store/store.h"

namespace vidyut::mdm {

// One meter's stored energy over the audited period.
struct MeterEnergy {
  std::uint32_t intervals = 0;
  std::int64_t import_wh = 0;
  std::int64_t export_wh = 0;
};
using EnergyByMeter = std::unordered_map<std::int64_t, MeterEnergy>;

struct Completeness {
  std::uint64_t expected = 0;        // intervals the meters should have for the period
  std::uint64_t present = 0;         // intervals stored (at most expected per meter)
  std::uint32_t meters_missing = 0;  // meters with fewer than all their intervals (or no meter)
  bool complete() const { return meters_missing == 0 && present == expected; }
  double percent() const {
    return expected == 0 ? 0.0
                         : 100.0 * static_cast<double>(present) / static_cast<double>(expected);
  }
  Completeness& operator+=(const Completeness& o) {
    expected += o.expected;
    present += o.present;
    meters_missing += o.meters_missing;
    return *this;
  }
};

struct DtBalance {
  std::string dt;
  std::string feeder;
  bool has_meter = false;
  bool meter_complete = false;    // the DT meter itself has every interval
  std::int64_t dt_wh = 0;         // the DT meter's import
  std::int64_t consumers_wh = 0;  // consumers' import - export
  std::int64_t consumers_export_wh = 0;
  std::int64_t loss_wh = 0;  // dt_wh - consumers_wh
  double loss_percent = 0;   // of dt_wh (0 when dt_wh is 0)
  std::size_t consumers = 0;
  Completeness data;  // the DT meter and every consumer meter
  bool complete() const { return has_meter && data.complete(); }
};

struct FeederBalance {
  std::string feeder;
  bool has_meter = false;
  bool meter_complete = false;     // the feeder meter itself has every interval
  std::int64_t feeder_wh = 0;      // the feeder meter's import
  std::int64_t dts_wh = 0;         // sum of its DT meters' import
  std::int64_t consumers_wh = 0;   // sum of its consumers' net energy
  std::int64_t ht_loss_wh = 0;     // feeder_wh - dts_wh
  double ht_loss_percent = 0;      // of feeder_wh
  std::int64_t lt_loss_wh = 0;     // sum of its DTs' LT loss
  std::int64_t total_loss_wh = 0;  // feeder_wh - consumers_wh
  double total_loss_percent = 0;   // of feeder_wh
  std::size_t dts = 0;
  std::size_t consumers = 0;
  Completeness data;  // the feeder meter, its DT meters and its consumers
  bool complete() const { return has_meter && data.complete(); }
};

struct AreaBalance {
  std::int64_t input_wh = 0;      // sum of the feeder meters
  std::int64_t consumers_wh = 0;  // sum of consumers' net energy
  std::int64_t loss_wh = 0;
  double loss_percent = 0;
  Completeness data;
  bool complete() const { return data.complete(); }
};

struct AuditReport {
  UtcTime from;
  UtcTime to;
  std::int32_t period_s = 900;
  std::vector<DtBalance> dts;          // in Network::dts order
  std::vector<FeederBalance> feeders;  // in Network::feeders order
  AreaBalance area;
  std::size_t unplaced_consumers = 0;  // left out (see Network::unplaced)
};

// Intervals of `period_s` in [from, to).
std::uint64_t intervals_in(UtcTime from, UtcTime to, std::int32_t period_s);

// The balance of every DT and feeder and of the whole area over [from, to).
AuditReport energy_audit(const Network& network, const EnergyByMeter& energy, UtcTime from,
                         UtcTime to, std::int32_t period_s = 900);

// Reads the per-meter energy of [from, to) from the store (one grouped query) and audits it.
// to - from is at most store::kMaxRangeDays.
Result<AuditReport> audit_from_store(store::Store& store, const Network& network, UtcTime from,
                                     UtcTime to, std::int32_t period_s = 900);

// The n DTs with the highest (worst = true) or lowest LT loss %, among complete figures only.
std::vector<const DtBalance*> rank_dts(const AuditReport& report, std::size_t n, bool worst);
std::vector<const FeederBalance*> rank_feeders(const AuditReport& report, std::size_t n,
                                               bool worst);

}  // namespace vidyut::mdm
