// Billing and collection efficiency and the AT&C loss (aggregate technical and commercial loss)
// per DT, feeder and area, over a period (docs/mdm.md, "AT&C loss"):
//
//   billing efficiency    = energy billed / energy input (the DT's or feeder's meter; the sum of
//                           the feeder meters for the area)
//   collection efficiency = amount collected / amount billed (collected: realised against the
//                           bills, not the cash of the period: a prepaid consumer pays ahead)
//   AT&C loss             = 1 - billing efficiency x collection efficiency
//
// The energy side comes from the energy audit (audit.h); the commercial side per consumer meter
// from the caller (the CLI reads billing's ledger: billing/revenue.h), so the MDM never depends
// on billing. A figure is marked incomplete when the input meter's data is incomplete or a
// consumer's billed days do not cover the period; it is still computed. Consumers without a
// billing account count as billed nothing: an unbilled connection is a commercial loss.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mdm/audit.h"
#include "mdm/network.h"

namespace vidyut::mdm {

// One consumer meter's commercial figures over the period.
struct ConsumerRevenue {
  std::int64_t billed_wh = 0;
  std::int64_t billed_paise = 0;
  std::int64_t collected_paise = 0;  // realised against the bills (billing/revenue.h)
  std::int64_t cash_paise = 0;       // cash received (advance payments included)
  std::int64_t intervals = 0;        // behind billed_wh
};
using RevenueByMeter = std::unordered_map<std::int64_t, ConsumerRevenue>;

struct AtcFigures {
  std::string name;    // DT or feeder ("" for the area)
  std::string feeder;  // the DT's feeder
  std::int64_t input_wh = 0;
  bool input_complete = false;   // the input meter(s) have every interval
  std::size_t consumers = 0;     // consumer meters in the network here
  std::size_t accounts = 0;      // of them, with commercial figures
  std::size_t billed_whole = 0;  // of them, billed for every interval of the period
  std::int64_t billed_wh = 0;
  std::int64_t billed_paise = 0;
  std::int64_t collected_paise = 0;
  std::int64_t cash_paise = 0;
  // Percentages; empty when their denominator is zero.
  std::optional<double> billing_efficiency, collection_efficiency, atc_loss;
  bool complete() const { return input_complete && billed_whole == consumers; }
};

struct AtcReport {
  std::vector<AtcFigures> dts;      // Network::dts order
  std::vector<AtcFigures> feeders;  // Network::feeders order
  AtcFigures area;
};

// `audit` is the energy audit of the same period; `intervals` the intervals each consumer
// should be billed for over it.
AtcReport atc_report(const Network& network, const AuditReport& audit,
                     const RevenueByMeter& revenue, std::int64_t intervals);

// The n feeders with the highest (worst = true) or lowest AT&C loss, complete figures only.
std::vector<const AtcFigures*> rank_atc(const AtcReport& report, std::size_t n, bool worst);

}  // namespace vidyut::mdm
