// The demo's checks of the MDM against the simulator's truth (docs/demo.md, "mdm").
//
// Outages: the truth's feeder and DT outage episodes give each DT its spans without supply (its
// own outages and its feeder's, merged). Every such span must be found by the MDM with start and
// end within kOutageTolerance, and the MDM must find no span the truth does not have (a network
// cut is not an outage). Feeder outages likewise. SAIFI and SAIDI per feeder are computed again
// here, consumer by consumer from the truth's spans, and must equal the MDM's within 1 %. A
// feeder with a single DT has its outages found as that DT's spans (the two are one).
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
#include "mdm/theft.h"

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

// Theft: per DT and IST day, the truth's stolen energy (consumers' unmetered energy and hooks on
// the DT's line) against the MDM's flags, estimates and suspects.
struct DtDayTruth {
  std::string dt;
  UtcTime day;
  std::int64_t dt_mwh = 0;     // what the DT meter measured
  std::int64_t theft_mwh = 0;  // stolen below it
};
// A theft by a metered consumer, as the truth has it (its meter index and when).
struct ConsumerTheftTruth {
  std::string kind;
  std::uint32_t meter = 0;
  UtcTime start;
  std::optional<UtcTime> end;
};
void note_theft_episode(std::vector<ConsumerTheftTruth>& out, const fleet::Episode& e, bool started,
                        UtcTime at);

inline constexpr double kTheftShare = 0.05;         // a DT-day "with theft" loses this much
inline constexpr double kEstimateTolerance = 0.15;  // stolen energy, relative
struct TheftCheck {
  std::size_t theft_dt_days = 0;      // complete DT-days on which theft took >= 5 % of the energy
  std::size_t theft_flagged = 0;      // of them, flagged
  std::size_t honest_dt_days = 0;     // complete DT-days without theft
  std::size_t honest_flagged = 0;     // of them, flagged
  std::size_t estimates = 0;          // flagged DT-days with >= 5 % theft: estimates checked
  std::size_t estimates_within = 0;   // within 15 % of the truth
  double worst_estimate_error = 0;    // relative
  std::size_t consumer_episodes = 0;  // consumer thefts whose main DT-day was flagged
  std::size_t in_top3 = 0;  // the thief among its top 3 suspects (top k when k > 3 stole there)
  // Suspects the loss explanation named (flagged DT-days), and of them who did not steal that day
  // (reported, not judged: the issue sets no bound).
  std::size_t named_by_explanation = 0, named_honest = 0;
  std::vector<std::string> missed, false_flags, bad_estimates, not_in_top3, honest_named;
  bool ok() const;
};
TheftCheck check_theft(const fleet::Topology& topology, const std::vector<mdm::TheftReport>& days,
                       const std::vector<DtDayTruth>& truth,
                       const std::vector<ConsumerTheftTruth>& episodes, UtcTime run_end);

}  // namespace vidyut::demo
