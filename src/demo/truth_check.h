// The demo's checks of the MDM against the simulator's truth (docs/demo.md, "mdm").
//
// Outages: the truth's feeder and DT outage episodes give each DT its spans without supply (its
// own outages and its feeder's, merged). Every such span must be found by the MDM with start and
// end within kOutageTolerance, and the MDM must find no span the truth does not have (a network
// cut is not an outage). Feeder outages likewise. SAIFI and SAIDI per feeder are computed again
// here, consumer by consumer from the truth's spans, and must equal the MDM's within 1 %.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "fleet/fleet.h"
#include "fleet/grid.h"
#include "fleet/topology.h"
#include "mdm/loading.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "mdm/reliability.h"

namespace vidyut::demo {

inline constexpr Millis kOutageTolerance{120'000};
inline constexpr double kIndexTolerance = 0.01;  // relative

// A feeder or DT outage as the simulator lived it (fleet::TruthSink::on_episode).
struct TruthOutage {
  bool feeder = false;
  std::uint32_t index = 0;  // into Topology::feeders or Topology::dts
  UtcTime start;
  std::optional<UtcTime> end;
};

// Collects outage episodes from a TruthSink's on_episode calls.
void note_episode(std::vector<TruthOutage>& out, const fleet::Episode& e, bool started, UtcTime at);

struct SpanMatch {
  std::size_t truth = 0;         // spans in the truth reaching into the period
  std::size_t found = 0;         // of them, found within kOutageTolerance at both ends
  std::size_t false_alarms = 0;  // spans the MDM found that the truth does not have
  double worst_start_error_s = 0, worst_end_error_s = 0;  // over the found ones
  std::vector<std::string> missed;                        // "<name> <start>", for people
  std::vector<std::string> false_found;
  bool ok() const { return found == truth && false_alarms == 0; }
};

struct IndexCheck {
  std::string feeder;
  double saifi = 0, saidi = 0;              // the MDM's
  double truth_saifi = 0, truth_saidi = 0;  // computed here from the truth
  bool within = false;                      // both within kIndexTolerance (relative)
};

struct OutageCheck {
  SpanMatch dts;
  SpanMatch feeders;
  std::vector<IndexCheck> indices;  // per feeder
  std::size_t sustained_truth_spans = 0;
  bool ok() const;
};

// Compares the MDM's outage report (and its reliability report) with the truth over the
// report's period; spans still open in the truth end at report.until.
OutageCheck check_outages(const fleet::Topology& topology, const std::vector<TruthOutage>& truth,
                          const mdm::Network& network, const mdm::OutageReport& report,
                          const mdm::ReliabilityReport& reliability);

// Transformer overload: every DT interval of [report.from, report.to) whose true apparent power
// (the grid's DT cumulative, what the DT meter measures) is above the DT's rating must be among
// the MDM's overloaded intervals, and none below it. An interval whose true energy lies within
// one VAh (the meter register's resolution) of the rating can go either way and is only counted.
struct OverloadCheck {
  std::size_t dt_intervals = 0;      // DT intervals checked (DTs with a rating)
  std::size_t truth_overloaded = 0;  // above the rating in the truth
  std::size_t flagged = 0;           // flagged by the MDM
  std::size_t missed = 0;            // above in the truth, not flagged
  std::size_t false_flags = 0;       // flagged, below in the truth
  std::size_t at_resolution = 0;     // within one VAh of the rating
  std::size_t dts_overloaded = 0;    // DTs with at least one overloaded interval (truth)
  double worst_loading_percent = 0;  // truth
  bool ok() const { return missed == 0 && false_flags == 0; }
};

OverloadCheck check_overload(const fleet::Topology& topology, const fleet::Grid& grid,
                             const mdm::LoadingReport& report);

}  // namespace vidyut::demo
