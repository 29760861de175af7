// Reliability indices (IEEE 1366) and each consumer's interruption log, from detected outages
// (outage.h). docs/mdm.md gives the formulas.
//
// A consumer is interrupted while his DT is off (a feeder outage turns every DT of the feeder
// off) or while his own meter alone shows no supply. Each span without supply is one
// interruption of every consumer it reaches, counted in the period in which it starts, with its
// whole duration (up to OutageReport::until while it lasts):
//   SAIFI = sum of customers interrupted (sustained) / customers served
//   SAIDI = sum of customer minutes of interruption (sustained) / customers served
//   CAIDI = SAIDI / SAIFI
//   MAIFI = sum of customers interrupted momentarily / customers served
// Momentary: shorter than kMomentaryLimit (5 minutes); sustained otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "mdm/network.h"
#include "mdm/outage.h"

namespace vidyut::mdm {

struct ReliabilityIndices {
  std::string name;                          // the feeder, or "area"
  std::size_t customers = 0;                 // served
  std::uint64_t customer_interruptions = 0;  // sustained
  double customer_minutes = 0;               // sustained
  std::uint64_t momentary_customer_interruptions = 0;
  std::size_t sustained_spans = 0;  // DT (and single-meter) spans behind them
  std::size_t momentary_spans = 0;
  double saifi = 0, saidi = 0, caidi = 0, maifi = 0;
};

struct ReliabilityReport {
  UtcTime from;
  UtcTime to;
  std::vector<ReliabilityIndices> feeders;  // Network::feeders order
  ReliabilityIndices area;
};

ReliabilityReport reliability(const Network& network, const OutageReport& outages);

struct Interruption {
  OffSpan span;
  Millis duration{0};  // up to OutageReport::until while it lasts
  bool sustained = false;
  std::string cause;  // "feeder F0001", "dt F0001-T003" or "meter"
};

// One consumer meter's interruptions that start in the report's period, by start.
std::vector<Interruption> consumer_interruptions(const Network& network,
                                                 const OutageReport& outages,
                                                 std::int64_t meter_id);

}  // namespace vidyut::mdm
