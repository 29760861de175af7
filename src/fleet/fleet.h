// Fleet: a whole utility's simulated meters and network over simulated time, sans-I/O.
//
// The fleet owns one SimulatedMeter per meter of a Topology and the Grid that feeds them. It is
// driven by advance(now): every event due by `now` happens in time order - block-load pushes at
// each capture period end plus a per-meter randomised delay, tamper and theft episodes, supply
// outages with last-gasp / first-breath alerts, SIM path outages and failover, limiter trips,
// day-by-day random episodes drawn from the seed - and what the meters send comes back as
// Outgoing frames for a network layer (src/simulator) to deliver. Requests from the head end are
// served by a ServerConnection over the meter's COSEM device (make_session()).
//
// Ground truth goes to a TruthSink as it happens: per meter and interval the true and recorded
// energy, every episode, every push and its fate, every relay change.
//
// Determinism: the topology, every random episode, push delays and losses derive from the seed
// and the simulated time; two runs with the same inputs and the same control commands at the
// same simulated instants produce the same truth.
//
// Time: the fleet keeps its own clock, the instant its world has simulated to. Every meter, every
// session with the head end and every truth record reads that clock, never the live one: an
// event due at t runs with the fleet's clock at t (a late push carries the interval of its own
// due time, not of the moment it was handled), and nothing shows a moment the fleet has not
// simulated yet. The live clock given at construction only says how far advance-less calls
// (catch_up, control, enter_token) must run the fleet first.
//
// Thread-safety: none. The network layer serialises all calls (one I/O thread, or a mutex).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "dlms/session/client.h"
#include "dlms/session/server.h"
#include "fleet/grid.h"
#include "fleet/topology.h"
#include "meter/single_phase.h"

namespace vidyut::fleet {

// Wrapper ports of pushes: from the meter's management logical device to the push client.
inline constexpr std::uint16_t kPushSourceWPort = 1;
inline constexpr std::uint16_t kPushDestinationWPort = 64;
// Block-load push setup (IS 15959 leaves the periodic push object to the utility's profile; the
// simulator uses this one and docs/fleet-simulator.md documents it).
inline constexpr dlms::Obis kBlockLoadPush{0, 5, 25, 9, 0, 255};
// Most control commands a scenario file holds.
// Most scenario lines waiting to run.
inline constexpr std::size_t kMaxScenarioLines = 10'000;
// Most episodes scheduled or in progress at once (outages, network cuts, tamper): bounds memory
// against a flood of control commands; at 100,000 meters the default rates keep a few hundred.
inline constexpr std::size_t kMaxLiveEpisodes = 1'000'000;

// Largest hook load a control command may put on a DT: the largest DT rating (250 kVA) at unity
// power factor; more would be a typing error, not a theft.
inline constexpr std::uint32_t kMaxHookWatts = 250'000;
// Largest unmetered load of a `tamper` command (a typing-error guard, as above).
inline constexpr std::uint32_t kMaxTamperWatts = 1'000'000;
// Largest clock step of a `clock-step` command (10 days) and drift rate of a `clock-drift`
// command (typing-error guards; field meters drift by tens of ppm).
inline constexpr std::int64_t kMaxClockStepS = 10 * 86'400;
inline constexpr std::int64_t kMaxClockDriftPpm = 10'000;

// Rates are per target per (simulated) day; durations in simulated minutes.
struct EventRates {
  double magnet = 0.0002;  // consumer meters
  double neutral = 0.0002;
  double reverse = 0.0001;
  double bypass = 0.0002;
  double cover_open = 0.0001;
  double dt_outage = 0.01;      // per DT
  double feeder_outage = 0.02;  // per feeder
  double sim_outage = 0.02;     // per SIM path of a meter
  // Theft that leaves no event: a hook on a DT's LT network (per DT), a consumer's silent
  // partial bypass of his own meter (per consumer meter).
  double hook = 0.002;
  double silent_bypass = 0.0005;
  std::uint32_t outage_minutes_min = 5;
  std::uint32_t outage_minutes_max = 180;
  std::uint32_t tamper_minutes_min = 30;
  std::uint32_t tamper_minutes_max = 480;
  std::uint32_t sim_outage_minutes_max = 120;
  std::uint32_t hook_minutes_min = 120;  // 2 h .. 24 h
  std::uint32_t hook_minutes_max = 1'440;
  std::uint32_t hook_watts_min = 500;
  std::uint32_t hook_watts_max = 3'000;
  std::uint32_t silent_bypass_minutes_min = 1'440;  // 1 .. 5 days
  std::uint32_t silent_bypass_minutes_max = 7'200;
  std::uint32_t silent_bypass_share_min_ppm = 300'000;  // 30 % .. 70 % of his load
  std::uint32_t silent_bypass_share_max_ppm = 700'000;

  // No random episodes at all: only control commands and scenarios change the fleet.
  static EventRates none() {
    EventRates r;
    r.magnet = r.neutral = r.reverse = r.bypass = r.cover_open = 0;
    r.dt_outage = r.feeder_outage = r.sim_outage = 0;
    r.hook = r.silent_bypass = 0;
    return r;
  }
};

struct FleetConfig {
  std::uint64_t seed = 1;  // episode draws (the topology has its own seed)
  std::uint32_t capture_period_s = 900;
  // Days of history each meter holds at start (at least 45 days of block load can be read).
  std::uint32_t history_days = 46;
  // Each meter pushes its block-load row a fixed, seed-derived delay after the period ends,
  // uniformly in [0, push_spread_s): a fleet does not arrive in the same second.
  std::uint32_t push_spread_s = 300;
  bool block_load_push = true;
  EventRates rates;
  LossConfig losses;
  // Network: share of pushes lost in the operator's network, and their latency.
  double push_loss = 0.0;
  Millis latency{0};
  // Meter clocks start off by up to this many seconds either way (0: exact).
  std::uint32_t clock_drift_max_s = 0;
  // And run fast or slow by up to this many parts per million (seed-derived per meter; a
  // `clock-drift` control command sets one meter's rate), applied once a day at IST midnight as
  // a step (a few seconds a day at 50 ppm). A clock SET corrects the offset, not the rate.
  std::uint32_t clock_drift_ppm_max = 0;
  // The limiter opens the relay when a consumer draws more than its threshold (sanctioned load
  // by default) at a check, and closes it again after the lockout.
  bool limiter_trips = true;
  std::uint32_t limiter_lockout_s = 300;
  // Ciphering of pushes (general-glo-ciphering with the meter's EK/AK).
  dlms::security::SecurityPolicy push_security =
      dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
  // Write a truth row per meter and interval (off for very large benchmark runs).
  bool truth_intervals = true;
};

enum class EpisodeKind : std::uint8_t {
  kFeederOutage,
  kDtOutage,
  kOperatorOutage,  // one operator's network is down for every meter
  kSimOutage,       // one SIM path of one meter
  kMagnet,
  kNeutral,
  kReverse,
  kBypass,
  kCoverOpen,
  // Theft that leaves no event, no ESW bit and no alert (docs/fleet-simulator.md):
  kHook,          // an unmetered load on a DT's LT network (index: the DT)
  kSilentBypass,  // a share of a consumer's load routed around his meter (index: the meter)
};
const char* to_string(EpisodeKind k);
std::optional<EpisodeKind> tamper_kind_from_string(std::string_view s);
bool is_theft(EpisodeKind k);  // the tamper comes with an unmetered load

struct Episode {
  std::uint32_t id = 0;
  EpisodeKind kind{};
  std::string target;       // feeder/DT name, operator, or meter serial
  std::uint32_t index = 0;  // feeder, DT, operator or meter index
  std::uint8_t sim = 0;     // kSimOutage: 0 or 1
  UtcTime start;
  UtcTime end = kOpenEnd;
  std::uint32_t watts = 0;      // theft load (tamper thefts, kHook)
  std::uint32_t share_ppm = 0;  // kSilentBypass: share of the load bypassed, parts per million
  bool scheduled = false;       // drawn from the rates (false: from a control command)
};

// What a meter sends.
struct Outgoing {
  enum class Kind : std::uint8_t { kBlockLoad, kAlert };
  Kind kind = Kind::kBlockLoad;
  std::uint32_t meter = 0;
  std::uint8_t sim = 0;  // the SIM path it goes over
  UtcTime deliver_at;    // simulated time (now + latency)
  UtcTime interval;      // block-load interval start (meter time) / alert time
  Bytes frame;           // wrapper frame (header + Data-Notification APDU)
};

enum class PushFate : std::uint8_t {
  kSent,       // handed to the network
  kLost,       // lost in the operator's network (push_loss)
  kNoNetwork,  // neither SIM path up
  kNoSupply,   // the meter is without power (not even sent)
};
const char* to_string(PushFate f);

struct IntervalTruth {
  std::uint32_t meter = 0;
  UtcTime start;                  // true time
  std::int64_t true_mwh = 0;      // what really flowed (consumers: recorded + theft)
  std::int64_t recorded_mwh = 0;  // what the meter measured
  // Consumers: unmetered theft load plus silently bypassed energy (true = recorded + theft).
  // DT meters: energy of hooks on the DT's LT network, which the DT meter measured (true =
  // recorded). Feeder meters: 0.
  std::int64_t theft_mwh = 0;
  std::int64_t supplied_ms = 0;  // with supply during the interval
  bool relay_closed = true;      // at the interval's end
};

// A recharge token typed in at a meter's hotspot (Fleet::enter_token), accepted or not.
struct TokenTruth {
  std::uint32_t meter = 0;
  UtcTime at;  // true time
  // token::to_string(TokenStatus) ("accepted", "wrong-token", "already-used", ...), or
  // "no-supply" (the meter was without power: nothing was checked).
  std::string_view result;
  std::optional<token::TokenFields> fields;  // when the token authenticated
  bool relay_closed = false;                 // it closed an open relay
};

// A change of a meter's clock against true time (offset = meter time - true time).
struct ClockTruth {
  std::uint32_t meter = 0;
  UtcTime at;  // true time
  // "initial" (the offset the meter starts with), "drift" (its crystal's daily step),
  // "step" (a clock-step control command), "set" (a clock SET by the head end).
  std::string_view cause;
  Millis offset_before{0};
  Millis offset_after{0};
};

class TruthSink {
 public:
  virtual ~TruthSink() = default;
  virtual void on_interval(const IntervalTruth& t) = 0;
  virtual void on_episode(const Episode& e, bool started, UtcTime at) = 0;
  virtual void on_push(std::uint32_t meter, Outgoing::Kind kind, UtcTime at, UtcTime interval,
                       PushFate fate, std::uint8_t sim) = 0;
  virtual void on_relay(std::uint32_t meter, UtcTime at, bool connected,
                        std::string_view cause) = 0;
  virtual void on_failover(std::uint32_t meter, UtcTime at, std::uint8_t to_sim) = 0;
  // Every token typed in at a meter. Default: ignored (sinks that predate tokens).
  virtual void on_token(const TokenTruth& t) { (void)t; }
  // Every change of a meter's clock offset. Default: ignored (sinks that predate it).
  virtual void on_clock(const ClockTruth& t) { (void)t; }
};

struct FleetStats {
  std::uint64_t pushes_sent = 0;
  std::uint64_t pushes_lost = 0;
  std::uint64_t pushes_no_network = 0;
  std::uint64_t pushes_no_supply = 0;
  std::uint64_t alerts_sent = 0;
  std::uint64_t failovers = 0;
  std::uint64_t episodes = 0;
  std::uint64_t limiter_trips = 0;
  std::uint64_t relay_changes = 0;
  std::uint64_t tokens_accepted = 0;  // hotspot tokens (enter_token, `token` command)
  std::uint64_t tokens_refused = 0;
  std::uint64_t clock_sets = 0;  // clock SETs by the head end (after_session saw the offset move)
  // How late pushes were handled against their due time, in simulated milliseconds: the
  // distance between advance() calls plus any time the caller fell behind.
  std::int64_t push_lag_max_ms = 0;
  std::int64_t push_lag_total_ms = 0;
  std::uint64_t push_lag_count = 0;
};

class Fleet {
 public:
  // Builds every meter at clock.now() (each with config.history_days of history). `clock` is the
  // live simulated time the fleet catches up with (see Time above) and must outlive the fleet;
  // so must `truth` when given.
  Fleet(Topology topology, FleetConfig config, const Clock& clock, TruthSink* truth = nullptr);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  const Topology& topology() const { return topology_; }
  const FleetConfig& config() const { return config_; }
  const Grid& grid() const { return grid_; }
  Grid& grid() { return grid_; }
  std::size_t size() const { return meters_.size(); }
  meter::SimulatedMeter& meter(std::uint32_t m) { return *meters_[m].meter; }
  const meter::SimulatedMeter& meter(std::uint32_t m) const { return *meters_[m].meter; }
  const FleetStats& stats() const { return stats_; }

  // Runs every event due at or before `now` (simulated) and returns what meters sent. Each
  // event runs with the fleet's clock at its own due time; afterwards the clock shows `now`.
  std::vector<Outgoing> advance(UtcTime now);
  // Runs the fleet up to the live clock; what the meters send goes out with the next advance().
  // Call before serving a session, so that the meter answers from the present.
  void catch_up();
  // The instant the fleet has simulated to (what every meter's clock is derived from).
  UtcTime now() const { return time_.now(); }
  // The fleet's clock, for components that must see the fleet's time (a meter's session).
  const Clock& time() const { return time_; }
  // Simulated time of the next event (for a network layer's timer).
  UtcTime next_event_time() const;

  // ---- paths --------------------------------------------------------------------------------
  bool path_up(std::uint32_t m, std::uint8_t sim, UtcTime t) const;
  std::uint8_t active_sim(std::uint32_t m) const { return meters_[m].active_sim; }
  // True when the meter has power and a SIM path: it can hold a session right now.
  bool reachable(std::uint32_t m, UtcTime t) const;

  // ---- sessions with the head end (requests to the meter) ------------------------------------
  // A DLMS server for one connection to meter m: its COSEM device and association settings
  // (LLS password, EK/AK from the fleet file). Valid while the fleet lives.
  class Session {
   public:
    virtual ~Session() = default;
    virtual Result<Bytes> on_bytes(ByteView bytes) = 0;
    virtual bool wants_close() const = 0;
  };
  std::unique_ptr<Session> make_session(std::uint32_t m);
  // Call after a session handled bytes: notices relay changes made by the head end (truth,
  // alert push with ESW bit 84) and returns what the meter sends because of them.
  std::vector<Outgoing> after_session(std::uint32_t m);
  dlms::ServerSettings server_settings(std::uint32_t m) const;

  // ---- hotspot tokens (docs/hotspot-tokens.md) ---------------------------------------------
  // What happened to a token typed in at a meter.
  struct TokenOutcome {
    bool accepted = false;
    // token::to_string(TokenStatus), or "no-supply" when the meter had no power.
    std::string reason;
    std::optional<token::TokenFields> fields;  // when the token authenticated
    bool relay_closed = false;                 // it closed the meter's open relay
    std::string detail;                        // one line for people
  };
  // The consumer types `digits` into the meter with this serial through its Wi-Fi hotspot, now
  // (after the events due by now have run). The meter checks it with its own token key
  // (token::derive_token_key of its AK and system title), single use and lockout included;
  // an accepted token adds a token log row and closes an open relay (truth: relay.csv cause
  // "token", an alert push with ESW bit 84 when a SIM path is up). Network paths do not matter:
  // this is how a consumer recharges during an outage. A refusal is an outcome, not an error;
  // errors: kNotFound (no such serial), kInvalidArgument (a DT or feeder meter: no relay, no
  // hotspot).
  Result<TokenOutcome> enter_token(std::string_view serial, std::string_view digits);

  // ---- control (docs/fleet-simulator.md lists the commands) ---------------------------------
  // Applies one command line at the current simulated time, after running the events due by
  // then; returns a one-line answer or an error (kInvalidArgument: unknown command or target).
  Result<std::string> control(std::string_view line);
  // Scenario: lines "+<minutes> <command>", each applied at start + minutes; alerts that
  // control commands cause go out with the next advance().
  Status load_scenario(std::string_view text);

 private:
  struct MeterState {
    std::unique_ptr<meter::SimulatedMeter> meter;
    std::unique_ptr<dlms::InMemoryInvocationCounterStore> counters;  // created on first use
    std::uint32_t push_delay_ms = 0;
    std::uint8_t active_sim = 0;
    bool relay_known = true;  // relay state the fleet last saw
    // relay_operations() right after the limiter opened the relay; the limiter closes it again
    // only if nobody (the head end) has operated the relay since.
    std::optional<std::uint64_t> limiter_trip_ops;
    std::size_t relay_changes_seen = 0;
    Millis clock_known{0};  // the clock offset the truth last recorded
    // Drift rate set by a `clock-drift` command (parts per million); else the seed's draw.
    std::optional<double> drift_ppm;
  };
  enum class EvType : std::uint8_t {
    kPush,
    kEpisodeStart,
    kEpisodeEnd,
    kDay,
    kTruth,
    kLimiterReclose,
    kScenario,
  };
  struct Ev {
    UtcTime t;
    EvType type;
    std::uint32_t a = 0;
    bool operator>(const Ev& o) const {
      return t != o.t ? t > o.t : static_cast<int>(type) > static_cast<int>(o.type);
    }
  };

  void schedule(UtcTime t, EvType type, std::uint32_t a);
  Result<std::string> control_at(std::string_view line, UtcTime now);
  void draw_day(UtcTime day_start);
  // Records an episode and schedules its end, and its start unless the caller starts it now.
  std::uint32_t add_episode(Episode e, bool schedule_start = true);
  void start_episode(std::uint32_t id, UtcTime now, std::vector<Outgoing>& out);
  void end_episode(std::uint32_t id, UtcTime now, std::vector<Outgoing>& out);
  // Opens (on = false) or closes a feeder/DT outage; every meter whose power changes logs it
  // and sends a last gasp or first breath. False when the outage was already so.
  bool switch_supply(const Episode& e, UtcTime now, bool on, std::vector<Outgoing>& out);
  void push_block(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out);
  void push_alert(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out);
  // Chooses a SIM path for a push now (with failover); nullopt when none is up.
  std::optional<std::uint8_t> pick_path(std::uint32_t m, UtcTime now);
  void emit(Outgoing::Kind kind, std::uint32_t m, UtcTime now, UtcTime interval,
            const dlms::Data& body, std::vector<Outgoing>& out);
  void write_truth(UtcTime interval_start, UtcTime interval_end);
  void check_limiter(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out);
  void note_relay(std::uint32_t m, UtcTime now, std::string_view cause, std::vector<Outgoing>& out);
  // Records a change of meter m's clock offset in the truth (when it moved since the last one).
  void note_clock(std::uint32_t m, UtcTime now, std::string_view cause);
  // The meter's drift rate: its clock-drift command's, or the seed's draw (0 without one).
  double drift_ppm(std::uint32_t m) const;
  Result<TokenOutcome> enter_token_at(std::string_view serial, std::string_view digits,
                                      UtcTime now);
  double draw(std::uint64_t stream, std::uint64_t a, std::uint64_t b) const;
  dlms::InvocationCounterStore& counters(std::uint32_t m);
  Result<std::uint32_t> find_meter(std::string_view serial) const;
  Result<std::uint32_t> find_dt(std::string_view name) const;

  Topology topology_;
  FleetConfig config_;
  const Clock& clock_;  // live time, only to know how far to catch up
  ManualClock time_;    // the fleet's own time: never ahead of the events it has run
  TruthSink* truth_;
  Grid grid_;
  std::vector<MeterState> meters_;
  // Episodes scheduled or in progress; an episode leaves when it ends (or changes nothing).
  std::unordered_map<std::uint32_t, Episode> episodes_;
  std::uint32_t next_episode_id_ = 0;
  std::size_t scenario_pending_ = 0;                        // scenario lines not yet run
  std::vector<IntervalSet> operator_out_;                   // per kOperators entry
  std::unordered_map<std::uint64_t, IntervalSet> sim_out_;  // key: meter * 2 + sim
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> events_;
  std::vector<std::pair<Millis, std::string>> scenario_;
  UtcTime start_;
  UtcTime last_advance_;
  std::vector<Outgoing> pending_;  // produced by control() between advances
  FleetStats stats_;
};

// Index of an operator name in kOperators, or -1.
int operator_index(std::string_view name);

// System title a head end uses when none is configured ("HES" + 1).
inline constexpr dlms::security::SystemTitle kDefaultHeadEndTitle = {'H', 'E', 'S', 0, 0, 0, 0, 1};
// The DLMS client settings that reach meter `rec` at `client_sap` with the fleet file's
// credentials: 16 no authentication; 32 LLS with its password; 48 HLS-GMAC with authenticated
// encryption under its EK/AK. Other SAPs get no authentication.
dlms::ClientSettings client_settings(
    const MeterRecord& rec, std::uint16_t client_sap,
    const dlms::security::SystemTitle& title = kDefaultHeadEndTitle);

}  // namespace vidyut::fleet
