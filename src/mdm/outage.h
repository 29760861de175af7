// Outages (docs/mdm.md, "Outages and reliability"): where the supply was off, from what the
// meters say about their own power, rolled up to DT and feeder.
//
// Evidence, per meter: power-fail / power-restore rows of its power event log (IS 15959 event
// codes 101 / 102, read daily) and its last-gasp / first-breath pushes (alerts outage/last-gasp
// and restore/first-breath, seconds after the fact). The two say the same thing; the alert is
// early, the log is complete. A meter that stops communicating says nothing: silence is never an
// outage.
//
// Roll-up:
//   - a DT is off while more than half of its meters are (its DT meter and its consumer
//     meters, one vote each): a few lost alerts, or a DT meter whose restore was lost, change
//     nothing;
//   - a feeder is off while at least kFeederShare of its DTs are off (all of them below 4 DTs;
//     a feeder with a single DT has only DT outages: the two cannot be told apart), and at least
//     two of them went dark within a minute of its start (a trip darkens them together; DT
//     outages that merely overlap do not).
// The feeder meter is powered from the substation bus and keeps running when its feeder trips,
// so it has no power events of its own.
//
// An interruption lasting less than kMomentaryLimit is momentary, otherwise sustained (the rule
// in the issue: momentary is under 5 minutes).
//
// Pure except for power_events(), which reads the evidence from a Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "store/store.h"

namespace vidyut::mdm {

// Power event log codes (IS 15959 Annex G, power related events).
inline constexpr std::int32_t kPowerFailCode = 101;
inline constexpr std::int32_t kPowerRestoreCode = 102;
inline constexpr Millis kMomentaryLimit{5 * 60'000};
// Share of a feeder's DTs that must be off at once for the feeder to be off.
inline constexpr double kFeederShare = 0.75;
// Evidence is read this long before the period, so that an outage that began before it (and a
// restore inside it) is seen whole.
inline constexpr Millis kOutageLookback{2 * 86'400'000};

struct PowerEvent {
  enum class Source : std::uint8_t { kAlert, kLog };
  std::int64_t meter_id = 0;
  UtcTime at;
  bool on = false;  // power restored (true) or failed (false)
  Source source = Source::kAlert;
};

// A span without supply; end is nullopt while no restoration is known.
struct OffSpan {
  UtcTime start;
  std::optional<UtcTime> end;
  // When the span ends, or `until` if it has not.
  UtcTime end_or(UtcTime until) const { return end ? *end : until; }
};

// One meter's spans without supply, from its events (any order, duplicates allowed): a fail opens
// a span, the next restore closes it; a second fail before the restore, and a restore without a
// fail, add nothing.
std::vector<OffSpan> meter_off_spans(std::vector<PowerEvent> events);

struct Outage {
  enum class Level : std::uint8_t { kFeeder, kDt };
  Level level = Level::kDt;
  std::string name;    // the feeder or the DT
  std::string feeder;  // the feeder (itself for a feeder outage)
  OffSpan span;
  std::size_t consumers = 0;  // consumers without supply
  // Meters whose own evidence shows the outage (DT: its meter and consumers; feeder: DTs off).
  std::size_t reporting = 0;
  bool within_feeder_outage = false;  // a DT outage entirely inside one of its feeder's
  bool momentary(UtcTime until) const { return span.end_or(until) - span.start < kMomentaryLimit; }
};

struct OutageReport {
  UtcTime from;
  UtcTime to;
  UtcTime until;  // ongoing outages are measured up to here
  // Every DT's spans without supply (in Network::dts order), feeder outages included, clipped to
  // nothing: a span that began before `from` is kept whole if it reaches into the period.
  std::vector<std::vector<OffSpan>> dt_off;
  // Per consumer meter: spans its own evidence shows that overlap no outage of its DT (a
  // service line or a meter fuse), with both ends known.
  std::vector<std::pair<std::int64_t, OffSpan>> single_meter;
  // Outages that reach into [from, to): feeders first, then DTs, each by start.
  std::vector<Outage> outages;
  std::size_t meters_with_evidence = 0;
};

// The outages of [from, to) from `events` (which should start kOutageLookback before `from`).
// `until` (>= to) is the instant the evidence is as of: spans still open end there.
OutageReport detect_outages(const Network& network, const std::vector<PowerEvent>& events,
                            UtcTime from, UtcTime to, UtcTime until);

// Power events of every meter of the network with at in [from - kOutageLookback, until): alerts
// and event-power log rows.
Result<std::vector<PowerEvent>> power_events(store::Store& store, const Network& network,
                                             UtcTime from, UtcTime until);

// Alerts for the outages of a report, for the control room and every alert subscriber:
// "supply/feeder-outage" on the feeder meter and "supply/dt-outage" on the DT meter (meter id 0
// when it has none), active at the start and inactive at the restoration when known. Every DT has
// its own, also during its feeder's outage, so that each DT's status read from the alerts is
// right (a DT seen dark before its feeder's trip was known is not left dangling). The store keeps
// alerts idempotent.
std::vector<store::Alert> outage_alerts(const Network& network, const OutageReport& report,
                                        UtcTime received);

const char* to_string(Outage::Level level);  // "feeder", "dt"

}  // namespace vidyut::mdm
