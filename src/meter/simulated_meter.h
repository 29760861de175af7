// SimulatedMeter: the state and history of one simulated IS 15959 single-phase consumer meter,
// without any DLMS objects (single_phase.h exposes it as a COSEM logical device).
//
// Per-meter state is small and independent of how long the meter has run: an identity (seed),
// a configuration, the relay changes, the clock adjustments, a few counters and bounded event
// lists. Everything else - cumulative registers, block-load, daily and billing rows - is derived
// on demand from the load model (load_model.h) and those changes, so a fleet of 100,000 meters
// fits in memory and any past row is recomputed identically on every read.
//
// Two timelines:
//   - true time: the injected vidyut::Clock. Energy flows in true time.
//   - meter time: what the meter's clock shows, true time + an offset (drift). A clock SET
//     changes the offset from that instant on; earlier adjustments are kept so that rows already
//     captured keep their stamps. Profile rows are cut at meter-time boundaries (the meter's own
//     15-minute marks, IST midnights, month starts) and hold the energy that flowed in true time
//     between the corresponding instants; a forward step leaves empty intervals, a backward step
//     puts the repeated stretch into the interval where the clock catches up.
//
// Registers are integer Wh / VAh, the floor of an exact milli-unit accumulator, so that for
// every pair of boundaries the register difference equals the sum of the block energies between
// them.
//
// Thread-safety: none. The owner serialises calls (the session layer serves one request per
// meter at a time). Even const methods update an internal cache.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "dlms/axdr/data.h"
#include "dlms/cosem/is15959.h"
#include "meter/load_model.h"
#include "token/token.h"

namespace vidyut::meter {

// Relay changes kept; older ones are folded into the history origin (the meter forgets the
// detail of history before the oldest change it keeps). Bounds memory under a flood of ACTIONs.
inline constexpr std::size_t kMaxRelayHistory = 256;
// Clock adjustments kept; when exceeded the two oldest are merged (only stamps older than both
// can move). Bounds memory under a flood of clock SETs.
inline constexpr std::size_t kMaxClockSteps = 64;
// Entries per event log before the oldest rolls over (IS 15959 meters keep tens to a few
// hundred per compartment).
inline constexpr std::size_t kMaxEventsPerLog = 200;
// Rows of the hotspot token log before the oldest rolls over (a consumer types in a few tokens a
// month; the head end reads the log back within days). Bounds memory per meter.
inline constexpr std::size_t kMaxTokenLog = 100;
// Longest range of derived history (days). Bounds the work of one register computation.
inline constexpr std::uint32_t kMaxHistoryDays = 400;
// Most rows one profile query returns (400 days of 15-minute blocks); callers page beyond that.
inline constexpr std::size_t kMaxProfileRows = 400 * 96;
// Cached maximum-demand scans and ToD sweep positions per meter (a few months' worth): bounds the
// memory of the caches that keep billing-profile reads from rescanning whole months.
inline constexpr std::size_t kMaxDerivedMarks = 16;

struct MeterConfig {
  // Block-load capture period in seconds; 900 or 1800 in the field. Must be a positive multiple
  // of 60 that divides 86,400.
  std::uint32_t capture_period_s = 900;
  // Days of derived history before the meter's first clock reading (its "installation"); the
  // profiles below never reach further back. Clamped to kMaxHistoryDays.
  std::uint32_t history_days = 60;
  std::uint32_t block_load_days = 45;     // retention of block-load rows
  std::uint32_t daily_profile_days = 45;  // retention of daily-load rows
  std::uint32_t billing_months = 12;      // retention of billing rows
  // Meter clock minus true time at start (drift).
  Millis clock_offset{0};
  // Block-load rows stamped with the interval's end instead of its start.
  bool stamp_block_at_end = false;
  // Cumulative kWh import at the history origin, in Wh; default derived from the seed.
  std::optional<std::int64_t> initial_import_wh;
  // The initial registers hold at construction time instead of at the history origin, and
  // history is derived backwards from there. Reading "now" then costs O(time since start)
  // instead of O(history): a fleet of 100,000 meters starts without summing 46 days each.
  bool anchor_at_start = false;
};

// A change of the relay, caused by disconnect control.
struct RelayChange {
  UtcTime true_time;
  UtcTime meter_time;  // meter clock at the change (what the control event log shows)
  bool connected = false;
};

// The meter clock's offset from true time, from `true_time` on.
struct ClockStep {
  UtcTime true_time;
  Millis offset{0};
};

// Event logs, in the order of their objects 0.0.99.98.0..6.255.
using EventLog = dlms::is15959::EventLog;
inline constexpr std::size_t kEventLogCount = 7;

// Event codes (IS 15959 Part 2), the ones the simulator produces.
namespace event_code {
inline constexpr std::uint16_t kClockSet = 151;
inline constexpr std::uint16_t kCapturePeriodSet = 153;
inline constexpr std::uint16_t kLoadLimitSet = 158;
inline constexpr std::uint16_t kSwitchedToPostpaid = 211;
inline constexpr std::uint16_t kSwitchedToPrepaid = 212;
inline constexpr std::uint16_t kRelayDisconnected = 301;
inline constexpr std::uint16_t kRelayConnected = 302;
}  // namespace event_code

// Time-of-day zones for the ToD registers: kTodZones equal zones over the IST day, zone 1
// starting at 00:00 (the simulator has no activity calendar; see docs/simulated-meter.md).
inline constexpr std::size_t kTodZones = 8;
using TodRegisters = std::array<std::int64_t, kTodZones>;  // import Wh per zone, cumulative

struct MeterEvent {
  UtcTime meter_time;
  std::uint16_t code = 0;
};

// Cumulative registers, integer Wh / VAh.
struct Registers {
  std::int64_t import_wh = 0;
  std::int64_t import_vah = 0;
  std::int64_t export_wh = 0;
  std::int64_t export_vah = 0;
  bool operator==(const Registers&) const = default;
};

// One block-load row (single-phase columns).
struct BlockRow {
  UtcTime stamp;             // meter time
  double avg_voltage_v = 0;  // mean of the slots' voltages (supply side: present while open)
  std::int64_t import_wh = 0;
  std::int64_t import_vah = 0;
  std::int64_t export_wh = 0;
  std::int64_t export_vah = 0;
  double avg_current_a = 0;  // apparent energy / (voltage x period)
  // Three-phase, DT and feeder meters: per phase, and reactive energy per quadrant (varh,
  // quadrants I..IV; the simulated load is lagging import, so only quadrant I is non-zero).
  std::array<double, 3> phase_voltage_v{};
  std::array<double, 3> phase_current_a{};
  std::array<std::int64_t, 4> kvarh{};
};

// How a polyphase meter's load splits over its three phases during a slot: each phase's share
// of the apparent power (summing to 1) and its voltage relative to the mean. Pure.
struct PhaseSplit {
  std::array<double, 3> share{};
  std::array<double, 3> voltage_factor{};
};
PhaseSplit phase_split(std::uint64_t seed, std::int64_t slot);

struct DailyRow {
  UtcTime stamp;  // meter time, an IST midnight
  Registers registers;
};

struct BillingRow {
  UtcTime stamp;                // meter time, IST 00:00 on the 1st of the month that starts
  double avg_power_factor = 1;  // import Wh / import VAh over the month ended
  Registers registers;
  std::int64_t md_w = 0;  // maximum block demand of the month ended
  UtcTime md_w_time;
  std::int64_t md_va = 0;
  UtcTime md_va_time;
  std::int64_t power_on_minutes = 0;  // cumulative at the billing instant
};

// A maximum demand: value and the stamp of the block where it occurred.
struct Demand {
  std::int64_t w = 0;
  UtcTime w_time;
  std::int64_t va = 0;
  UtcTime va_time;
};

struct PrepaidState {
  std::uint8_t metering_mode = 0;         // 0 import only (enum)
  std::uint8_t payment_mode = 1;          // 0 postpaid, 1 prepaid
  std::int64_t last_recharge_amount = 0;  // paise, as written by the head end
  UtcTime last_recharge_time;
  std::int64_t total_amount_at_last_recharge = 0;
  std::int64_t current_balance = 0;
  UtcTime current_balance_time;
};

// A recharge token the meter accepted through its hotspot (the token log's row).
struct TokenLogEntry {
  UtcTime meter_time;  // meter clock when accepted
  std::uint32_t sequence = 0;
  std::uint32_t amount_rupees = 0;
};

// What happened to a token typed in at the meter.
struct TokenEntry {
  token::TokenDecision decision;
  bool relay_closed = false;  // accepted, and it closed an open relay
};

class SimulatedMeter {
 public:
  // `clock` gives true time and must outlive the meter. The history origin is clock.now() minus
  // config.history_days, rounded down to an IST midnight.
  SimulatedMeter(MeterIdentity identity, MeterConfig config, const Clock& clock);

  const MeterIdentity& identity() const { return identity_; }
  const MeterConfig& config() const { return config_; }
  UtcTime history_origin() const { return origin_; }

  // Energy flowing through the measuring point comes from `source` (borrowed, must outlive the
  // meter) instead of the identity's load model; nullptr restores the model. Set it before the
  // first reading: history is derived from it, so a later change rewrites the past.
  void set_source(const EnergySource* source) {
    source_ = source;
    cursor_.reset();
  }
  // The supply-side state during `slot` (from the source or the load model).
  LoadSample sample(std::int64_t slot) const;

  // ---- time -------------------------------------------------------------------------------
  UtcTime true_now() const { return clock_->now(); }
  UtcTime meter_now() const;
  Millis clock_offset() const { return steps_.back().offset; }
  // Sets the meter clock (a clock SET); records event 151 at the new meter time.
  void set_meter_time(UtcTime meter_time);
  // The meter's clock gains `delta` now (its crystal drifts): like a clock SET, but no event
  // and no programming count.
  void drift_clock(Millis delta);
  // The true instant at which the meter clock showed `meter_time` (see top of file for steps).
  UtcTime to_true(UtcTime meter_time) const;
  const std::vector<ClockStep>& clock_steps() const { return steps_; }

  // ---- energy -----------------------------------------------------------------------------
  // True cumulative energy (milli-units) at true time t; t before the origin reads the origin.
  Energy cumulative_at(UtcTime true_time) const;
  Registers registers_at(UtcTime true_time) const;
  // Energy recorded over [from, to) of true time: the source's energy while the relay was
  // closed. Exactly additive; does not touch the cache.
  Energy energy_between(UtcTime from, UtcTime to) const { return connected_energy(from, to); }
  Registers registers_at_meter_time(UtcTime meter_time) const {
    return registers_at(to_true(meter_time));
  }
  Registers registers_now() const { return registers_at(true_now()); }
  // What the meter measures right now: zero current and power while the relay is open.
  LoadSample instantaneous() const;
  // Maximum block demand in the billing month containing meter time `meter_time`, over blocks
  // completed by then.
  Demand max_demand(UtcTime meter_time) const;
  std::int64_t power_on_minutes_at(UtcTime true_time) const;
  // Cumulative import Wh per ToD zone at each of `meter_times` (REQUIRES: ascending). Zones sum
  // exactly to the import register at each time. One sweep over the blocks since the origin.
  std::vector<TodRegisters> tod_import_wh(const std::vector<UtcTime>& meter_times) const;
  // ToD zone (0-based) of meter time t.
  static std::size_t tod_zone(UtcTime meter_time);

  // ---- communication module ---------------------------------------------------------------
  // The operators of SIM 1 and SIM 2 (borrowed: must outlive the meter; a fleet passes its
  // topology's). Unset (the default), the meter hosts no active-SIM object.
  void set_sim_operators(const std::array<std::string, 2>* operators) {
    sim_operators_ = operators;
  }
  const std::array<std::string, 2>* sim_operators() const { return sim_operators_; }
  // The SIM the modem uses now: 1 or 2 (0: none).
  void set_active_sim(std::uint8_t sim) { active_sim_ = sim; }
  std::uint8_t active_sim() const { return active_sim_; }

  // ---- relay --------------------------------------------------------------------------------
  bool relay_connected() const { return connected_; }
  // Relay state at true time t (as the history records it).
  bool relay_connected_at(UtcTime true_time) const { return connected_at(true_time); }
  // Opens / closes the relay now. Returns false (and records nothing) when already so.
  bool disconnect() { return set_relay(false); }
  bool connect() { return set_relay(true); }
  const std::vector<RelayChange>& relay_history() const { return relay_; }
  // Every disconnect() / connect() so far, including those that changed nothing.
  std::uint64_t relay_operations() const { return relay_operations_; }
  // Counts an operation that found the relay already in the asked state (a remote command).
  void note_relay_operation() { ++relay_operations_; }

  // ---- hotspot tokens (docs/hotspot-tokens.md) ---------------------------------------------
  // A token typed in through the meter's Wi-Fi hotspot. It is checked with `key`, the meter's
  // own token key (token::derive_token_key of its AK and system title: this class holds no
  // secrets, the owner passes it), and by the single-use and brute-force guard (true time).
  // Accepted: a row is added to the token log at the meter's time, and a meter with a relay
  // closes it if it was open (a local reconnection, recorded like any relay change: control log
  // 302, ESW bit 84). Works without a network: nothing here needs the head end.
  TokenEntry enter_token(const token::TokenKey& key, std::string_view digits);
  // Accepted tokens, oldest first; at most kMaxTokenLog (the oldest roll over).
  const std::vector<TokenLogEntry>& token_log() const;
  // The guard's lockout in force now, if any.
  std::optional<UtcTime> token_lockout_until() const;

  // ---- profiles (ranges in meter time, inclusive, clipped to retention and to now) --------
  std::uint32_t capture_period_s() const { return config_.capture_period_s; }
  // REQUIRES: a period accepted by valid_capture_period. Records event 153.
  void set_capture_period(std::uint32_t seconds);
  static bool valid_capture_period(std::uint32_t seconds);
  // At most max_rows rows, oldest first.
  std::vector<BlockRow> block_load(UtcTime from, UtcTime to,
                                   std::size_t max_rows = kMaxProfileRows) const;
  // Stamp of the oldest block-load row available now and the number of rows available.
  std::pair<UtcTime, std::uint32_t> block_load_extent() const;
  std::vector<DailyRow> daily_load(UtcTime from, UtcTime to) const;
  std::vector<BillingRow> billing(UtcTime from, UtcTime to) const;
  // Number of billing resets (month starts) since the origin, plus a seed-derived base.
  std::uint32_t billing_count() const;

  // ---- events, status -----------------------------------------------------------------------
  std::vector<MeterEvent> events(EventLog log) const;
  void record_event(EventLog log, std::uint16_t code);
  // Records a tamper occurrence or restoration in `log` and counts occurrences (tamper_count).
  void record_tamper(EventLog log, std::uint16_t code, bool occurrence);
  dlms::BitString esw() const { return esw_; }
  void set_esw_bit(std::size_t bit, bool on) { esw_.set(bit, on); }
  std::uint32_t programming_count() const { return programming_count_; }
  std::uint32_t tamper_count() const { return tamper_count_; }

  // ---- settings written by the utility ------------------------------------------------------
  std::uint32_t limiter_threshold_w() const { return limiter_threshold_w_; }
  void set_limiter_threshold_w(std::uint32_t w);
  const PrepaidState& prepaid() const { return prepaid_; }
  // Replaces the prepaid state; records 211/212 when the payment mode changes.
  void set_prepaid(const PrepaidState& p);

 private:
  bool set_relay(bool connected);
  void count_programming() { ++programming_count_; }
  bool connected_at(UtcTime true_time) const;
  Energy connected_energy(UtcTime from, UtcTime to) const;
  BlockRow make_block(UtcTime meter_start) const;
  // Maximum demand over blocks starting at or after `from` and completed by `limit` (meter time).
  Demand demand_between(UtcTime from, UtcTime limit) const;
  void retention_window(std::uint32_t days, UtcTime& from, UtcTime& to) const;

  MeterIdentity identity_;
  MeterConfig config_;
  const Clock* clock_;

  // Created on the first token: most meters never see one.
  struct TokenState {
    token::TokenGuard guard;
    std::vector<TokenLogEntry> log;
  };
  std::unique_ptr<TokenState> tokens_;

  UtcTime origin_;  // true time where derived history starts
  // Cumulative milli-units at origin_; with anchor_at_start, computed on first need from the
  // anchor (see cumulative_at).
  mutable std::optional<Energy> origin_energy_;
  std::optional<std::pair<UtcTime, Energy>> anchor_;  // anchor_at_start: (construction, initial)
  bool origin_connected_ = true;                      // relay state at origin_
  bool connected_ = true;
  std::vector<RelayChange> relay_;  // ascending true_time
  std::vector<ClockStep> steps_;    // ascending true_time; never empty
  std::vector<std::vector<MeterEvent>> logs_;
  dlms::BitString esw_;
  std::uint32_t programming_count_ = 0;
  std::uint32_t tamper_count_ = 0;
  std::uint64_t relay_operations_ = 0;
  const EnergySource* source_ = nullptr;
  std::uint32_t limiter_threshold_w_ = 0;
  PrepaidState prepaid_;
  const std::array<std::string, 2>* sim_operators_ = nullptr;
  std::uint8_t active_sim_ = 0;

  // Last computed cumulative, to make ascending sweeps linear. Invalidated when history before
  // it changes (a relay change earlier than it, an origin fold).
  mutable std::optional<std::pair<UtcTime, Energy>> cursor_;

  // Results over completed blocks, which never change once their time has passed: how far a
  // maximum-demand scan from a month start has gone (the billing profile and the MD registers
  // scan whole months; a DT meter's block sums hundreds of consumers), and positions of the ToD
  // sweep (which starts at the origin). Forgotten when the clock steps, the capture period
  // changes or the origin folds, the only events that move where past blocks begin. Keyed by
  // meter time. Allocated on the first read that needs it (most meters of a large fleet are
  // never read that way).
  struct DemandScan {
    UtcTime reached;  // start of the first block not scanned yet
    Demand demand;
  };
  struct TodMark {
    TodRegisters acc{};  // import Wh per zone over every block before the key
    std::int64_t acc_wh = 0;
  };
  struct Derived {
    std::map<UtcTime, DemandScan> demand_scans;             // by scan start (a month start)
    std::map<UtcTime, TodMark> tod_marks;                   // at billing instants
    std::optional<std::pair<UtcTime, TodMark>> tod_latest;  // the furthest other position
  };
  mutable std::unique_ptr<Derived> derived_;
  Derived& derived() const {
    if (!derived_) derived_ = std::make_unique<Derived>();
    return *derived_;
  }
  void forget_derived() const { derived_.reset(); }
};

// Start of the period of `period_ms` containing t, periods aligned to IST midnights (a 15-minute
// grid, a day); and the first such boundary at or after t.
UtcTime ist_align_down(UtcTime t, std::int64_t period_ms);
UtcTime ist_align_up(UtcTime t, std::int64_t period_ms);
// Midnight (00:00 IST) starting the IST day that contains t; t and result in the same timeline.
UtcTime ist_midnight_on_or_before(UtcTime t);
// 00:00 IST on the 1st of the IST month containing t.
UtcTime ist_month_start_on_or_before(UtcTime t);
// 00:00 IST on the 1st of the month after the one starting at month_start.
UtcTime ist_next_month_start(UtcTime month_start);

}  // namespace vidyut::meter
