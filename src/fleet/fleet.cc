#include "fleet/fleet.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "core/log.h"
#include "dlms/cosem/is15959.h"

namespace vidyut::fleet {
namespace {

namespace is = dlms::is15959;
using meter::EventLog;
using meter::MeterKind;

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kIstMs = meter::kIstOffsetSeconds * 1000;

std::int64_t ms_of(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime align_down(UtcTime t, std::int64_t period_ms) {
  return meter::ist_align_down(t, period_ms);
}
UtcTime next_boundary(UtcTime t, std::int64_t period_ms) {
  return align_down(t, period_ms) + Millis(period_ms);
}

// Draw streams (distinct from the topology's and the load model's).
enum Stream : std::uint64_t {
  kPushDelay = 2001,
  kDrift = 2002,
  kLoss = 2003,
  kEpisodeHit = 2010,  // + kind
  kEpisodeStart = 2030,
  kEpisodeLength = 2050,
  kTheftWatts = 2070,
  kHookWatts = 2071,    // per DT and day
  kBypassShare = 2072,  // per consumer and day
};

struct TamperInfo {
  EventLog log;
  std::uint16_t occurrence;
  std::uint16_t restoration;  // 0: none (latched)
  unsigned esw_bit;
};

TamperInfo tamper_info(EpisodeKind k) {
  switch (k) {
    case EpisodeKind::kMagnet:
      return {EventLog::kOther, 201, 202, is::esw::kMagnet};
    case EpisodeKind::kNeutral:
      return {EventLog::kOther, 203, 204, is::esw::kNeutralDisturbance};
    case EpisodeKind::kReverse:
      return {EventLog::kCurrent, 51, 52, 6};  // ESW bit 6: phase current reverse
    case EpisodeKind::kBypass:
      return {EventLog::kCurrent, 65, 66, 10};  // ESW bit 10: bypass
    case EpisodeKind::kCoverOpen:
      return {EventLog::kNonRollover, 251, 0, is::esw::kCoverOpen};
    default:
      return {EventLog::kOther, 0, 0, 0};
  }
}

constexpr std::uint16_t kPowerFail = 101;
constexpr std::uint16_t kPowerRestore = 102;
constexpr std::uint16_t kOverloadOccurrence = 215;
constexpr std::uint16_t kOverloadRestoration = 216;

Result<std::uint32_t> parse_minutes(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 366u * 24 * 60) {
    return Error(Errc::kInvalidArgument, fmt::format("'{}' is not a number of minutes", s));
  }
  return v;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> w;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return w;
}

}  // namespace

const char* to_string(EpisodeKind k) {
  switch (k) {
    case EpisodeKind::kFeederOutage:
      return "feeder-outage";
    case EpisodeKind::kDtOutage:
      return "dt-outage";
    case EpisodeKind::kOperatorOutage:
      return "operator-outage";
    case EpisodeKind::kSimOutage:
      return "sim-outage";
    case EpisodeKind::kMagnet:
      return "magnet";
    case EpisodeKind::kNeutral:
      return "neutral";
    case EpisodeKind::kReverse:
      return "reverse";
    case EpisodeKind::kBypass:
      return "bypass";
    case EpisodeKind::kCoverOpen:
      return "cover-open";
    case EpisodeKind::kHook:
      return "hook";
    case EpisodeKind::kSilentBypass:
      return "silent-bypass";
  }
  return "unknown";
}

std::optional<EpisodeKind> tamper_kind_from_string(std::string_view s) {
  for (EpisodeKind k : {EpisodeKind::kMagnet, EpisodeKind::kNeutral, EpisodeKind::kReverse,
                        EpisodeKind::kBypass, EpisodeKind::kCoverOpen}) {
    if (s == to_string(k)) return k;
  }
  return std::nullopt;
}

bool is_theft(EpisodeKind k) {
  return k == EpisodeKind::kMagnet || k == EpisodeKind::kNeutral || k == EpisodeKind::kReverse ||
         k == EpisodeKind::kBypass;
}

const char* to_string(PushFate f) {
  switch (f) {
    case PushFate::kSent:
      return "sent";
    case PushFate::kLost:
      return "lost";
    case PushFate::kNoNetwork:
      return "no-network";
    case PushFate::kNoSupply:
      return "no-supply";
  }
  return "unknown";
}

dlms::ClientSettings client_settings(const MeterRecord& rec, std::uint16_t client_sap,
                                     const dlms::security::SystemTitle& title) {
  dlms::ClientSettings cs;
  cs.client_sap = client_sap;
  if (client_sap == is::kSapMeterReader) {
    cs.auth = dlms::Authentication::kLow;
    cs.password = rec.secrets.lls_password;
  } else if (client_sap == is::kSapUtility) {
    cs.auth = dlms::Authentication::kHlsGmac;
    cs.security = dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
    cs.client_title = title;
    cs.keys.block_key = rec.secrets.ek;
    cs.keys.auth_key = rec.secrets.ak;
  }
  return cs;
}

int operator_index(std::string_view name) {
  for (std::size_t i = 0; i < kOperators.size(); ++i) {
    if (name == kOperators[i]) return static_cast<int>(i);
  }
  return -1;
}

// ---- construction -----------------------------------------------------------------------------

Fleet::Fleet(Topology topology, FleetConfig config, const Clock& clock, TruthSink* truth)
    : topology_(std::move(topology)),
      config_(config),
      clock_(clock),
      time_(clock.now()),
      truth_(truth),
      grid_(topology_, config.losses),
      operator_out_(kOperators.size()) {
  if (!meter::SimulatedMeter::valid_capture_period(config_.capture_period_s)) {
    config_.capture_period_s = 900;
  }
  config_.history_days = std::max<std::uint32_t>(config_.history_days, 1);
  if (topology_.dt_of.size() != topology_.meters.size()) {
    topology_ = std::move(link(std::move(topology_.meters))).value();
  }
  start_ = time_.now();
  last_advance_ = start_;
  meters_.resize(topology_.meters.size());
  std::vector<meter::SimulatedMeter*> ptrs;
  ptrs.reserve(meters_.size());
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  for (std::uint32_t i = 0; i < meters_.size(); ++i) {
    meter::MeterConfig mc;
    mc.capture_period_s = config_.capture_period_s;
    mc.history_days = config_.history_days;
    mc.block_load_days = std::min<std::uint32_t>(45, config_.history_days);
    mc.daily_profile_days = std::min<std::uint32_t>(45, config_.history_days);
    mc.anchor_at_start = true;
    if (config_.clock_drift_max_s > 0) {
      const double u = draw(kDrift, i, 0);
      mc.clock_offset = Millis(std::llround((2 * u - 1) * config_.clock_drift_max_s * 1000.0));
    }
    if (!meter::has_relay(topology_.meters[i].identity.kind)) {
      mc.initial_import_wh = static_cast<std::int64_t>(
          meter::counter_hash(topology_.meters[i].identity.seed, 100, 1) % 500'000'000);
    }
    meters_[i].meter =
        std::make_unique<meter::SimulatedMeter>(topology_.meters[i].identity, mc, time_);
    meters_[i].meter->set_sim_operators(&topology_.meters[i].sim_operator);
    meters_[i].meter->set_active_sim(1);
    meters_[i].clock_known = mc.clock_offset;
    if (truth_ && mc.clock_offset != Millis(0)) {
      truth_->on_clock({i, start_, "initial", Millis(0), mc.clock_offset});
    }
    meters_[i].push_delay_ms = static_cast<std::uint32_t>(
        draw(kPushDelay, i, 0) * std::max<std::uint32_t>(config_.push_spread_s, 1) * 1000.0);
    ptrs.push_back(meters_[i].meter.get());
  }
  grid_.attach(std::move(ptrs), start_);
  for (std::uint32_t i = 0; i < meters_.size(); ++i) {
    MeterState& s = meters_[i];
    if (config_.block_load_push) {
      const UtcTime b = next_boundary(s.meter->meter_now(), period_ms);
      schedule(s.meter->to_true(b) + Millis(s.push_delay_ms), EvType::kPush, i);
    }
  }
  schedule(meter::ist_midnight_on_or_before(start_), EvType::kDay, 0);
  schedule(next_boundary(start_, period_ms), EvType::kTruth, 0);
}

Fleet::~Fleet() = default;

double Fleet::draw(std::uint64_t stream, std::uint64_t a, std::uint64_t b) const {
  const std::uint64_t h = meter::counter_hash(config_.seed, stream, a * 0x100000001B3ULL ^ b);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

void Fleet::schedule(UtcTime t, EvType type, std::uint32_t a) { events_.push({t, type, a}); }

UtcTime Fleet::next_event_time() const { return events_.empty() ? kOpenEnd : events_.top().t; }

dlms::InvocationCounterStore& Fleet::counters(std::uint32_t m) {
  auto& c = meters_[m].counters;
  if (!c) c = std::make_unique<dlms::InMemoryInvocationCounterStore>(1);
  return *c;
}

// ---- the event loop ---------------------------------------------------------------------------

std::vector<Outgoing> Fleet::advance(UtcTime now) {
  std::vector<Outgoing> out = std::move(pending_);
  pending_.clear();
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  while (!events_.empty() && events_.top().t <= now) {
    const Ev ev = events_.top();
    events_.pop();
    // The world moves to the event's instant before it happens (never back: an event due before
    // the fleet's start, the first day's draw, runs at the start).
    time_.set(ev.t);
    switch (ev.type) {
      case EvType::kPush: {
        MeterState& s = meters_[ev.a];
        const std::int64_t lag = ms_of(now) - ms_of(ev.t);
        stats_.push_lag_max_ms = std::max(stats_.push_lag_max_ms, lag);
        stats_.push_lag_total_ms += lag;
        ++stats_.push_lag_count;
        push_block(ev.a, ev.t, out);
        check_limiter(ev.a, ev.t, out);
        const UtcTime b =
            next_boundary(s.meter->meter_now() - Millis(s.push_delay_ms) + Millis(1), period_ms);
        schedule(std::max(s.meter->to_true(b) + Millis(s.push_delay_ms), ev.t + Millis(1)),
                 EvType::kPush, ev.a);
        break;
      }
      case EvType::kEpisodeStart:
        start_episode(ev.a, ev.t, out);
        break;
      case EvType::kEpisodeEnd:
        end_episode(ev.a, ev.t, out);
        break;
      case EvType::kDay:
        if (ev.t > start_) {
          for (std::uint32_t m = 0; m < meters_.size(); ++m) {
            const double ppm = drift_ppm(m);
            if (ppm == 0) continue;
            meters_[m].meter->drift_clock(Millis(std::llround(ppm * 86.4)));  // ms per day
            note_clock(m, ev.t, "drift");
          }
        }
        draw_day(ev.t);
        schedule(ev.t + Millis(kDayMs), EvType::kDay, 0);
        break;
      case EvType::kTruth:
        if (truth_ && config_.truth_intervals) write_truth(ev.t - Millis(period_ms), ev.t);
        schedule(ev.t + Millis(period_ms), EvType::kTruth, 0);
        break;
      case EvType::kLimiterReclose: {
        MeterState& s = meters_[ev.a];
        meter::SimulatedMeter& m = *s.meter;
        const bool untouched = s.limiter_trip_ops == m.relay_operations();
        s.limiter_trip_ops.reset();
        if (untouched && !m.relay_connected()) {
          m.connect();
          m.record_tamper(EventLog::kOther, kOverloadRestoration, false);
          note_relay(ev.a, ev.t, "limiter-reclose", out);
        }
        break;
      }
      case EvType::kScenario: {
        auto r = control_at(scenario_[ev.a].second, ev.t);
        if (!r.ok()) {
          logger("sim")->warn("scenario line '{}': {}", scenario_[ev.a].second,
                              r.error().describe());
        }
        for (auto& o : pending_) out.push_back(std::move(o));
        pending_.clear();
        std::string().swap(scenario_[ev.a].second);  // run: its text is no longer needed
        --scenario_pending_;
        break;
      }
    }
  }
  time_.set(now);
  last_advance_ = std::max(last_advance_, now);
  return out;
}

void Fleet::catch_up() {
  std::vector<Outgoing> due = advance(std::max(clock_.now(), last_advance_));
  for (auto& o : due) pending_.push_back(std::move(o));
}

// ---- random episodes --------------------------------------------------------------------------

void Fleet::draw_day(UtcTime day) {
  const auto day_no =
      static_cast<std::uint64_t>((ms_of(meter::ist_midnight_on_or_before(day)) + kIstMs) / kDayMs);
  const EventRates& r = config_.rates;
  const UtcTime now = time_.now();
  auto make = [&](EpisodeKind kind, std::uint64_t key, double rate, std::uint32_t lo,
                  std::uint32_t hi, std::uint32_t index, std::string target, std::uint8_t sim,
                  std::uint32_t watts, std::uint32_t share_ppm = 0) {
    const auto k = static_cast<std::uint64_t>(kind);
    if (rate <= 0 || draw(kEpisodeHit + k, key, day_no) >= rate) return;
    Episode e;
    e.kind = kind;
    e.index = index;
    e.target = std::move(target);
    e.sim = sim;
    e.watts = watts;
    e.share_ppm = share_ppm;
    e.start = day + Millis(static_cast<std::int64_t>(draw(kEpisodeStart + k, key, day_no) *
                                                     static_cast<double>(kDayMs)));
    const double len =
        lo + draw(kEpisodeLength + k, key, day_no) * static_cast<double>(std::max(hi, lo) - lo);
    e.end = e.start + Millis(static_cast<std::int64_t>(len * 60'000.0));
    if (e.start < now || episodes_.size() >= kMaxLiveEpisodes) return;
    e.scheduled = true;
    add_episode(std::move(e));
  };
  for (std::uint32_t f = 0; f < topology_.feeders.size(); ++f) {
    make(EpisodeKind::kFeederOutage, f, r.feeder_outage, r.outage_minutes_min, r.outage_minutes_max,
         f, topology_.feeders[f].name, 0, 0);
  }
  for (std::uint32_t d = 0; d < topology_.dts.size(); ++d) {
    make(EpisodeKind::kDtOutage, d, r.dt_outage, r.outage_minutes_min, r.outage_minutes_max, d,
         topology_.dts[d].name, 0, 0);
  }
  for (std::uint32_t m = 0; m < meters_.size(); ++m) {
    const MeterRecord& rec = topology_.meters[m];
    for (std::uint8_t sim = 0; sim < 2; ++sim) {
      if (rec.sim_operator[sim].empty()) continue;
      make(EpisodeKind::kSimOutage, std::uint64_t{m} * 2 + sim, r.sim_outage, 5,
           r.sim_outage_minutes_max, m, rec.identity.serial, sim, 0);
    }
    if (!meter::has_relay(rec.identity.kind)) continue;
    const std::uint32_t watts = static_cast<std::uint32_t>(
        rec.identity.sanctioned_load_w * (0.3 + 0.4 * draw(kTheftWatts, m, day_no)));
    const std::pair<EpisodeKind, double> kinds[] = {{EpisodeKind::kMagnet, r.magnet},
                                                    {EpisodeKind::kNeutral, r.neutral},
                                                    {EpisodeKind::kReverse, r.reverse},
                                                    {EpisodeKind::kBypass, r.bypass},
                                                    {EpisodeKind::kCoverOpen, r.cover_open}};
    for (const auto& [kind, rate] : kinds) {
      make(kind, m, rate, r.tamper_minutes_min, r.tamper_minutes_max, m, rec.identity.serial, 0,
           is_theft(kind) ? watts : 0);
    }
  }
  // Theft that leaves no event, drawn after the others (and from streams of its own) so that
  // adding it changed none of the draws above.
  if (r.hook > 0) {
    for (std::uint32_t d = 0; d < topology_.dts.size(); ++d) {
      const auto watts = static_cast<std::uint32_t>(
          r.hook_watts_min +
          draw(kHookWatts, d, day_no) *
              static_cast<double>(std::max(r.hook_watts_max, r.hook_watts_min) - r.hook_watts_min));
      make(EpisodeKind::kHook, d, r.hook, r.hook_minutes_min, r.hook_minutes_max, d,
           topology_.dts[d].name, 0, std::max<std::uint32_t>(watts, 1));
    }
  }
  if (r.silent_bypass > 0) {
    const std::uint32_t lo = std::clamp<std::uint32_t>(r.silent_bypass_share_min_ppm, 1, 1'000'000);
    const std::uint32_t hi =
        std::clamp<std::uint32_t>(r.silent_bypass_share_max_ppm, lo, 1'000'000);
    for (std::uint32_t m = 0; m < meters_.size(); ++m) {
      const MeterRecord& rec = topology_.meters[m];
      if (!meter::has_relay(rec.identity.kind)) continue;
      const auto share = static_cast<std::uint32_t>(lo + draw(kBypassShare, m, day_no) *
                                                             static_cast<double>(hi - lo));
      make(EpisodeKind::kSilentBypass, m, r.silent_bypass, r.silent_bypass_minutes_min,
           r.silent_bypass_minutes_max, m, rec.identity.serial, 0, 0, share);
    }
  }
}

std::uint32_t Fleet::add_episode(Episode e, bool schedule_start) {
  e.id = next_episode_id_++;
  if (schedule_start) schedule(e.start, EvType::kEpisodeStart, e.id);
  if (e.end != kOpenEnd) schedule(e.end, EvType::kEpisodeEnd, e.id);
  const std::uint32_t id = e.id;
  episodes_.emplace(id, std::move(e));
  return id;
}

// Meters that lose or regain supply when a feeder or DT changes state.
static std::vector<std::uint32_t> meters_below(const Topology& t, EpisodeKind kind,
                                               std::uint32_t index) {
  std::vector<std::uint32_t> v;
  auto add_dt = [&](std::uint32_t d) {
    v.push_back(t.dts[d].meter);
    for (std::uint32_t c : t.dts[d].consumers) v.push_back(c);
  };
  if (kind == EpisodeKind::kFeederOutage) {
    v.push_back(t.feeders[index].meter);
    for (std::uint32_t d : t.feeders[index].dts) add_dt(d);
  } else {
    add_dt(index);
  }
  return v;
}

bool Fleet::switch_supply(const Episode& e, UtcTime now, bool on, std::vector<Outgoing>& out) {
  const auto affected = meters_below(topology_, e.kind, e.index);
  std::vector<bool> before(affected.size());
  for (std::size_t i = 0; i < affected.size(); ++i) before[i] = grid_.powered(affected[i], now);
  IntervalSet& set = e.kind == EpisodeKind::kFeederOutage ? grid_.feeder_outages(e.index)
                                                          : grid_.dt_outages(e.index);
  if (!(on ? set.close(now) : set.open(now))) return false;
  for (std::size_t i = 0; i < affected.size(); ++i) {
    const std::uint32_t m = affected[i];
    // Only meters whose power actually changed: one already dark under another outage stays so.
    if (before[i] == on || grid_.powered(m, now) != on) continue;
    meter::SimulatedMeter& sm = *meters_[m].meter;
    sm.record_event(EventLog::kPower, on ? kPowerRestore : kPowerFail);
    sm.set_esw_bit(is::esw::kLastGasp, !on);
    sm.set_esw_bit(is::esw::kFirstBreath, on);
    // Off: the last gasp, sent on the meter's stored energy. On: the first breath.
    push_alert(m, now, out);
    sm.set_esw_bit(is::esw::kFirstBreath, false);
  }
  return true;
}

void Fleet::start_episode(std::uint32_t id, UtcTime now, std::vector<Outgoing>& out) {
  auto it = episodes_.find(id);
  if (it == episodes_.end()) return;
  Episode& e = it->second;
  e.start = now;
  bool applied = true;
  switch (e.kind) {
    case EpisodeKind::kFeederOutage:
    case EpisodeKind::kDtOutage:
      applied = switch_supply(e, now, false, out);
      break;
    case EpisodeKind::kOperatorOutage:
      applied = operator_out_[e.index].open(now);
      break;
    case EpisodeKind::kSimOutage:
      applied = sim_out_[std::uint64_t{e.index} * 2 + e.sim].open(now);
      break;
    // Theft that leaves no event: the grid changes, the meters log and push nothing.
    case EpisodeKind::kHook:
      applied = !grid_.hooked(e.index, now);
      if (applied) grid_.start_hook(e.index, now, e.watts);
      break;
    case EpisodeKind::kSilentBypass:
      applied = !grid_.bypassing(e.index, now);
      if (applied) grid_.start_silent_bypass(e.index, now, e.share_ppm);
      break;
    default: {
      if (is_theft(e.kind)) {
        if (grid_.stealing(e.index, now)) {
          applied = false;
          break;
        }
        grid_.start_theft(e.index, now, e.watts);
      }
      const TamperInfo ti = tamper_info(e.kind);
      meter::SimulatedMeter& sm = *meters_[e.index].meter;
      sm.record_tamper(ti.log, ti.occurrence, true);
      sm.set_esw_bit(ti.esw_bit, true);
      if (grid_.powered(e.index, now)) push_alert(e.index, now, out);
      break;
    }
  }
  if (!applied) {
    // Already in that state (overlapping episodes): this one changes nothing, and neither will
    // its end.
    episodes_.erase(it);
    return;
  }
  ++stats_.episodes;
  if (truth_) truth_->on_episode(e, true, now);
}

void Fleet::end_episode(std::uint32_t id, UtcTime now, std::vector<Outgoing>& out) {
  auto it = episodes_.find(id);
  if (it == episodes_.end() || it->second.start > now) return;  // gone (ended early), or not begun
  Episode e = std::move(it->second);
  episodes_.erase(it);
  e.end = now;
  switch (e.kind) {
    case EpisodeKind::kFeederOutage:
    case EpisodeKind::kDtOutage:
      if (!switch_supply(e, now, true, out)) return;
      break;
    case EpisodeKind::kOperatorOutage:
      if (!operator_out_[e.index].close(now)) return;
      break;
    case EpisodeKind::kSimOutage:
      if (!sim_out_[std::uint64_t{e.index} * 2 + e.sim].close(now)) return;
      break;
    case EpisodeKind::kHook:
      grid_.stop_hook(e.index, now);
      break;
    case EpisodeKind::kSilentBypass:
      grid_.stop_silent_bypass(e.index, now);
      break;
    default: {
      if (is_theft(e.kind)) grid_.stop_theft(e.index, now);
      const TamperInfo ti = tamper_info(e.kind);
      if (ti.restoration == 0) break;  // latched (cover open): nothing restores it
      meter::SimulatedMeter& sm = *meters_[e.index].meter;
      sm.record_tamper(ti.log, ti.restoration, false);
      sm.set_esw_bit(ti.esw_bit, false);
      if (grid_.powered(e.index, now)) push_alert(e.index, now, out);
      break;
    }
  }
  if (truth_) truth_->on_episode(e, false, now);
}

// ---- pushes -----------------------------------------------------------------------------------

bool Fleet::path_up(std::uint32_t m, std::uint8_t sim, UtcTime t) const {
  const std::string& op = topology_.meters[m].sim_operator[sim];
  if (op.empty()) return false;
  const int oi = operator_index(op);
  if (oi >= 0 && operator_out_[static_cast<std::size_t>(oi)].contains(t)) return false;
  auto it = sim_out_.find(std::uint64_t{m} * 2 + sim);
  return it == sim_out_.end() || !it->second.contains(t);
}

bool Fleet::reachable(std::uint32_t m, UtcTime t) const {
  return grid_.powered(m, t) && (path_up(m, 0, t) || path_up(m, 1, t));
}

std::optional<std::uint8_t> Fleet::pick_path(std::uint32_t m, UtcTime now) {
  MeterState& s = meters_[m];
  if (path_up(m, s.active_sim, now)) return s.active_sim;
  const std::uint8_t other = s.active_sim ^ 1;
  if (!path_up(m, other, now)) return std::nullopt;
  s.active_sim = other;
  s.meter->set_active_sim(static_cast<std::uint8_t>(other + 1));
  ++stats_.failovers;
  if (truth_) truth_->on_failover(m, now, other);
  return other;
}

void Fleet::emit(Outgoing::Kind kind, std::uint32_t m, UtcTime now, UtcTime interval,
                 const dlms::Data& body, std::vector<Outgoing>& out) {
  auto path = pick_path(m, now);
  PushFate fate = PushFate::kSent;
  if (!path) {
    fate = PushFate::kNoNetwork;
    ++stats_.pushes_no_network;
  } else if (config_.push_loss > 0 &&
             draw(kLoss, m, static_cast<std::uint64_t>(ms_of(now))) < config_.push_loss) {
    fate = PushFate::kLost;
    ++stats_.pushes_lost;
  }
  if (fate == PushFate::kSent) {
    const MeterRecord& rec = topology_.meters[m];
    dlms::security::SecurityKeys keys;
    keys.block_key = rec.secrets.ek;
    keys.auth_key = rec.secrets.ak;
    const meter::SimulatedMeter& sm = *meters_[m].meter;
    auto apdu = dlms::build_data_notification(
        static_cast<std::uint32_t>(counters(m).peek_server_counter() & 0x00FFFFFF),
        dlms::CosemDateTime::from_utc(sm.meter_now()), body, config_.push_security,
        rec.identity.system_title, keys, counters(m));
    if (!apdu.ok()) {
      logger("sim")->warn("meter {}: push not built: {}", rec.identity.serial,
                          apdu.error().describe());
      return;
    }
    Outgoing o;
    o.kind = kind;
    o.meter = m;
    o.sim = *path;
    o.deliver_at = now + config_.latency;
    o.interval = interval;
    o.frame = dlms::wrap(kPushSourceWPort, kPushDestinationWPort, *apdu);
    out.push_back(std::move(o));
    if (kind == Outgoing::Kind::kAlert) {
      ++stats_.alerts_sent;
    } else {
      ++stats_.pushes_sent;
    }
  }
  if (truth_) truth_->on_push(m, kind, now, interval, fate, path.value_or(0));
}

void Fleet::push_block(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out) {
  MeterState& s = meters_[m];
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  // The interval that ended when this push was due (the push comes push_delay after it).
  const UtcTime end = align_down(s.meter->meter_now() - Millis(s.push_delay_ms), period_ms);
  const UtcTime start = end - Millis(period_ms);
  if (!grid_.powered(m, now)) {
    ++stats_.pushes_no_supply;
    if (truth_) truth_->on_push(m, Outgoing::Kind::kBlockLoad, now, start, PushFate::kNoSupply, 0);
    return;
  }
  const UtcTime stamp = s.meter->config().stamp_block_at_end ? end : start;
  const auto rows = s.meter->block_load(stamp, stamp, 1);
  if (rows.empty()) return;
  const MeterRecord& rec = topology_.meters[m];
  const std::string ldn = meter::logical_device_name(rec.identity);
  dlms::DataList body;
  body.push_back(dlms::Data::octet_string(Bytes(ldn.begin(), ldn.end())));
  body.push_back(dlms::Data::octet_string(kBlockLoadPush.to_bytes()));
  body.push_back(dlms::Data::array({meter::block_row_structure(*s.meter, rows.front())}));
  emit(Outgoing::Kind::kBlockLoad, m, now, start, dlms::Data::structure(std::move(body)), out);
}

void Fleet::push_alert(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out) {
  const meter::SimulatedMeter& sm = *meters_[m].meter;
  const std::string ldn = meter::logical_device_name(topology_.meters[m].identity);
  dlms::DataList body;
  body.push_back(dlms::Data::octet_string(Bytes(ldn.begin(), ldn.end())));
  body.push_back(dlms::Data::octet_string(is::kAlertPush.to_bytes()));
  body.push_back(dlms::Data::date_time_octets(dlms::CosemDateTime::from_utc(sm.meter_now())));
  body.push_back(dlms::Data::bit_string(sm.esw()));
  emit(Outgoing::Kind::kAlert, m, now, sm.meter_now(), dlms::Data::structure(std::move(body)), out);
}

// ---- relay ------------------------------------------------------------------------------------

void Fleet::note_relay(std::uint32_t m, UtcTime now, std::string_view cause,
                       std::vector<Outgoing>& out) {
  MeterState& s = meters_[m];
  const bool connected = s.meter->relay_connected();
  if (connected == s.relay_known) return;
  s.relay_known = connected;
  ++stats_.relay_changes;
  if (truth_) truth_->on_relay(m, now, connected, cause);
  if (grid_.powered(m, now)) {
    s.meter->set_esw_bit(is::esw::kRelayStateChanged, true);
    push_alert(m, now, out);
  }
  s.meter->set_esw_bit(is::esw::kRelayStateChanged, false);
}

void Fleet::check_limiter(std::uint32_t m, UtcTime now, std::vector<Outgoing>& out) {
  if (!config_.limiter_trips) return;
  meter::SimulatedMeter& sm = *meters_[m].meter;
  if (!meter::has_relay(topology_.meters[m].identity.kind) || !sm.relay_connected()) return;
  const std::uint32_t threshold = sm.limiter_threshold_w();
  if (threshold == 0 || !grid_.supplied(m, now)) return;
  if (sm.sample(meter::slot_of(now)).power_w <= threshold) return;
  sm.disconnect();
  meters_[m].limiter_trip_ops = sm.relay_operations();
  sm.record_tamper(EventLog::kOther, kOverloadOccurrence, true);
  ++stats_.limiter_trips;
  note_relay(m, now, "limiter", out);
  schedule(now + Millis(std::int64_t{config_.limiter_lockout_s} * 1000), EvType::kLimiterReclose,
           m);
}

// ---- truth ------------------------------------------------------------------------------------

void Fleet::write_truth(UtcTime a, UtcTime b) {
  for (std::uint32_t m = 0; m < meters_.size(); ++m) {
    IntervalTruth t;
    t.meter = m;
    t.start = a;
    t.recorded_mwh = grid_.recorded_mwh(m, a, b);
    const MeterKind kind = topology_.meters[m].identity.kind;
    if (meter::has_relay(kind)) {
      // What flowed: what the meter recorded plus what went around it.
      t.theft_mwh = grid_.theft_mwh(m, a, b);
      t.true_mwh = t.recorded_mwh + t.theft_mwh;
    } else {
      // The DT meter measures what flows, hooks included: its theft is the hooks' share of it.
      t.theft_mwh = kind == MeterKind::kDt
                        ? grid_.hook_mwh(static_cast<std::uint32_t>(topology_.dt_of[m]), a, b)
                        : 0;
      t.true_mwh = t.recorded_mwh;
    }
    t.supplied_ms = grid_.supplied_ms(m, a, b);
    t.relay_closed = meters_[m].meter->relay_connected_at(b - Millis(1));
    truth_->on_interval(t);
  }
}

// ---- sessions ---------------------------------------------------------------------------------

dlms::ServerSettings Fleet::server_settings(std::uint32_t m) const {
  const MeterRecord& rec = topology_.meters[m];
  dlms::security::SecurityKeys keys;
  keys.block_key = rec.secrets.ek;
  keys.auth_key = rec.secrets.ak;
  return dlms::ServerSettings::is15959_defaults(rec.identity.system_title, rec.secrets.lls_password,
                                                keys);
}

namespace {
class MeterSession final : public Fleet::Session {
 public:
  MeterSession(meter::SimulatedMeter& m, dlms::ServerSettings settings,
               dlms::InvocationCounterStore& counters, const Clock& clock)
      : settings_(std::move(settings)),
        device_(m, clock),
        conn_(settings_, device_.device(), counters, clock) {
    device_.set_invocation_counter_source(
        [&counters] { return counters.highest_client_counter(is::kSapUtility).value_or(0); });
  }
  Result<Bytes> on_bytes(ByteView bytes) override { return conn_.on_bytes(bytes); }
  bool wants_close() const override { return conn_.wants_close(); }

 private:
  dlms::ServerSettings settings_;
  meter::SinglePhaseMeter device_;
  dlms::ServerConnection conn_;
};
}  // namespace

std::unique_ptr<Fleet::Session> Fleet::make_session(std::uint32_t m) {
  return std::make_unique<MeterSession>(*meters_[m].meter, server_settings(m), counters(m), time_);
}

std::vector<Outgoing> Fleet::after_session(std::uint32_t m) {
  std::vector<Outgoing> out;
  MeterState& s = meters_[m];
  if (s.meter->relay_connected() != s.relay_known) {
    note_relay(m, time_.now(), "command", out);
  }
  if (s.meter->clock_offset() != s.clock_known) {
    ++stats_.clock_sets;
    note_clock(m, time_.now(), "set");
  }
  return out;
}

void Fleet::note_clock(std::uint32_t m, UtcTime now, std::string_view cause) {
  MeterState& s = meters_[m];
  const Millis after = s.meter->clock_offset();
  if (after == s.clock_known) return;
  if (truth_) truth_->on_clock({m, now, cause, s.clock_known, after});
  s.clock_known = after;
}

double Fleet::drift_ppm(std::uint32_t m) const {
  if (meters_[m].drift_ppm) return *meters_[m].drift_ppm;
  if (config_.clock_drift_ppm_max == 0) return 0;
  return (2 * draw(kDrift, m, 1) - 1) * config_.clock_drift_ppm_max;
}

// ---- hotspot tokens ---------------------------------------------------------------------------

Result<Fleet::TokenOutcome> Fleet::enter_token(std::string_view serial, std::string_view digits) {
  catch_up();
  return enter_token_at(serial, digits, time_.now());
}

Result<Fleet::TokenOutcome> Fleet::enter_token_at(std::string_view serial, std::string_view digits,
                                                  UtcTime now) {
  VIDYUT_TRY(m, find_meter(serial));
  const MeterRecord& rec = topology_.meters[*m];
  if (!meter::has_relay(rec.identity.kind)) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("meter {} is a {} meter: no relay, no hotspot tokens", serial,
                             meter::to_string(rec.identity.kind)));
  }
  TokenOutcome o;
  TokenTruth t;
  t.meter = *m;
  t.at = now;
  if (!grid_.powered(*m, now)) {
    // The meter, its hotspot included, is dark.
    o.reason = "no-supply";
    o.detail = "the meter has no power";
  } else {
    meter::SimulatedMeter& sm = *meters_[*m].meter;
    const token::TokenKey key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
    const meter::TokenEntry e = sm.enter_token(key, digits);
    o.accepted = e.decision.accepted();
    o.reason = token::to_string(e.decision.status);
    o.fields = e.decision.fields;
    o.relay_closed = e.relay_closed;
    o.detail = e.decision.detail;
    t.fields = e.decision.fields;
    t.relay_closed = e.relay_closed;
    if (e.relay_closed) note_relay(*m, now, "token", pending_);
  }
  ++(o.accepted ? stats_.tokens_accepted : stats_.tokens_refused);
  t.result = o.reason;
  if (truth_) truth_->on_token(t);
  return o;
}

// ---- control ----------------------------------------------------------------------------------

Result<std::uint32_t> Fleet::find_meter(std::string_view serial) const {
  const std::int64_t i = topology_.find_serial(std::string(serial));
  if (i < 0) return Error(Errc::kNotFound, fmt::format("no meter with serial {}", serial));
  return static_cast<std::uint32_t>(i);
}

Result<std::uint32_t> Fleet::find_dt(std::string_view name) const {
  for (std::uint32_t d = 0; d < topology_.dts.size(); ++d) {
    if (topology_.dts[d].name == name) return d;
  }
  return Error(Errc::kNotFound, fmt::format("no DT named {}", name));
}

Result<std::string> Fleet::control(std::string_view line) {
  // Catch up first, so that the command acts on the present state (an outage due to end before
  // now has ended) and happens after everything due before it.
  catch_up();
  return control_at(line, time_.now());
}

Result<std::string> Fleet::control_at(std::string_view line, UtcTime now) {
  const auto w = split_words(line);
  if (w.empty()) return Error(Errc::kInvalidArgument, "empty command");
  const std::string_view cmd = w[0];
  auto minutes_arg = [&](std::size_t i) -> Result<std::optional<std::uint32_t>> {
    if (w.size() <= i) return std::optional<std::uint32_t>();
    VIDYUT_TRY(m, parse_minutes(w[i]));
    return std::optional<std::uint32_t>(*m);
  };
  auto begin = [&](Episode e, std::optional<std::uint32_t> minutes) -> Result<std::string> {
    if (episodes_.size() >= kMaxLiveEpisodes) {
      return Error(
          Errc::kLimitExceeded,
          fmt::format("{} episodes in progress or scheduled; end some first", episodes_.size()));
    }
    e.start = now;
    e.end = minutes ? now + Millis(std::int64_t{*minutes} * 60'000) : kOpenEnd;
    // Applied at once (not scheduled) so that the answer is true when it is read.
    const std::uint32_t id = add_episode(e, false);
    start_episode(id, now, pending_);
    if (!episodes_.contains(id)) {
      return fmt::format("{} {}: already in that state", to_string(e.kind), e.target);
    }
    return fmt::format(
        "{} {} from {}{}", to_string(e.kind), e.target, format_iso8601(now),
        minutes ? fmt::format(" for {} min", *minutes) : std::string(" until restored"));
  };
  auto finish = [&](EpisodeKind kind, std::uint32_t index, std::uint8_t sim) -> std::string {
    std::vector<std::uint32_t> ids;
    for (const auto& [id, e] : episodes_) {
      if (e.kind == kind && e.index == index && e.sim == sim && e.start <= now && now < e.end) {
        ids.push_back(id);
      }
    }
    for (std::uint32_t id : ids) end_episode(id, now, pending_);
    const std::size_t n = ids.size();
    return n ? fmt::format("{} ended", to_string(kind)) : std::string("nothing to end");
  };

  if (cmd == "status") {
    std::size_t out_feeders = 0, out_dts = 0, stealing = 0, hooks = 0, bypasses = 0;
    for (std::uint32_t f = 0; f < topology_.feeders.size(); ++f)
      out_feeders += grid_.feeder_outages(f).contains(now);
    for (std::uint32_t d = 0; d < topology_.dts.size(); ++d) {
      out_dts += grid_.dt_outages(d).contains(now);
      hooks += grid_.hooked(d, now);
    }
    for (std::uint32_t m = 0; m < meters_.size(); ++m) {
      stealing += grid_.stealing(m, now);
      bypasses += grid_.bypassing(m, now);
    }
    return fmt::format(
        "time {} meters {} feeders-out {} dts-out {} thefts {} hooks {} silent-bypasses {} "
        "pushes-sent {} alerts {} no-network {} no-supply {} failovers {} relay-changes {} "
        "push-lag-max-s {:.1f}",
        format_iso8601(now), meters_.size(), out_feeders, out_dts, stealing, hooks, bypasses,
        stats_.pushes_sent, stats_.alerts_sent, stats_.pushes_no_network, stats_.pushes_no_supply,
        stats_.failovers, stats_.relay_changes,
        static_cast<double>(stats_.push_lag_max_ms) / 1000.0);
  }
  if (cmd == "fail-feeder" || cmd == "restore-feeder" || cmd == "fail-dt" || cmd == "restore-dt") {
    if (w.size() < 2)
      return Error(Errc::kInvalidArgument, fmt::format("usage: {} <name> [minutes]", cmd));
    const bool feeder = cmd.ends_with("feeder");
    std::int64_t index = -1;
    if (feeder) {
      for (std::uint32_t f = 0; f < topology_.feeders.size(); ++f)
        if (topology_.feeders[f].name == w[1]) index = f;
    } else {
      for (std::uint32_t d = 0; d < topology_.dts.size(); ++d)
        if (topology_.dts[d].name == w[1]) index = d;
    }
    if (index < 0)
      return Error(Errc::kNotFound, fmt::format("no {} named {}", feeder ? "feeder" : "DT", w[1]));
    const EpisodeKind kind = feeder ? EpisodeKind::kFeederOutage : EpisodeKind::kDtOutage;
    if (cmd.starts_with("restore")) return finish(kind, static_cast<std::uint32_t>(index), 0);
    VIDYUT_TRY(minutes, minutes_arg(2));
    Episode e;
    e.kind = kind;
    e.index = static_cast<std::uint32_t>(index);
    e.target = std::string(w[1]);
    return begin(std::move(e), *minutes);
  }
  if (cmd == "cut-operator" || cmd == "restore-operator") {
    if (w.size() < 2)
      return Error(Errc::kInvalidArgument, fmt::format("usage: {} <operator> [minutes]", cmd));
    const int oi = operator_index(w[1]);
    if (oi < 0)
      return Error(Errc::kNotFound, fmt::format("no operator {} (JIO, AIRTEL, VI, BSNL)", w[1]));
    if (cmd == "restore-operator")
      return finish(EpisodeKind::kOperatorOutage, static_cast<std::uint32_t>(oi), 0);
    VIDYUT_TRY(minutes, minutes_arg(2));
    Episode e;
    e.kind = EpisodeKind::kOperatorOutage;
    e.index = static_cast<std::uint32_t>(oi);
    e.target = std::string(w[1]);
    return begin(std::move(e), *minutes);
  }
  if (cmd == "cut-sim" || cmd == "restore-sim") {
    if (w.size() < 3 || (w[2] != "1" && w[2] != "2")) {
      return Error(Errc::kInvalidArgument, fmt::format("usage: {} <serial> <1|2> [minutes]", cmd));
    }
    VIDYUT_TRY(m, find_meter(w[1]));
    const std::uint8_t sim = w[2] == "1" ? 0 : 1;
    if (cmd == "restore-sim") return finish(EpisodeKind::kSimOutage, *m, sim);
    VIDYUT_TRY(minutes, minutes_arg(3));
    Episode e;
    e.kind = EpisodeKind::kSimOutage;
    e.index = *m;
    e.sim = sim;
    e.target = std::string(w[1]);
    return begin(std::move(e), *minutes);
  }
  if (cmd == "tamper" || cmd == "stop-tamper") {
    if (w.size() < 3) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("usage: {} <serial> <magnet|neutral|reverse|bypass|cover-open> "
                               "[minutes] [watts]",
                               cmd));
    }
    VIDYUT_TRY(m, find_meter(w[1]));
    if (!meter::has_relay(topology_.meters[*m].identity.kind)) {
      return Error(Errc::kInvalidArgument, fmt::format("meter {} is not a consumer meter", w[1]));
    }
    auto kind = tamper_kind_from_string(w[2]);
    if (!kind) return Error(Errc::kInvalidArgument, fmt::format("unknown tamper '{}'", w[2]));
    if (cmd == "stop-tamper") return finish(*kind, *m, 0);
    VIDYUT_TRY(minutes, minutes_arg(3));
    Episode e;
    e.kind = *kind;
    e.index = *m;
    e.target = std::string(w[1]);
    if (is_theft(*kind)) {
      e.watts = topology_.meters[*m].identity.sanctioned_load_w / 2;
      if (w.size() > 4) {
        std::uint32_t watts = 0;
        auto [p, ec] = std::from_chars(w[4].data(), w[4].data() + w[4].size(), watts);
        if (ec != std::errc() || p != w[4].data() + w[4].size() || watts == 0 ||
            watts > kMaxTamperWatts) {
          return Error(Errc::kInvalidArgument, fmt::format("'{}' is not a load in watts", w[4]));
        }
        e.watts = watts;
      }
    }
    return begin(std::move(e), *minutes);
  }
  if (cmd == "hook" || cmd == "stop-hook") {
    const bool stop = cmd == "stop-hook";
    if (w.size() < (stop ? 2u : 3u)) {
      return Error(Errc::kInvalidArgument, stop ? std::string("usage: stop-hook <dt-name>")
                                                : "usage: hook <dt-name> <watts> [minutes]");
    }
    VIDYUT_TRY(dt, find_dt(w[1]));
    if (stop) return finish(EpisodeKind::kHook, *dt, 0);
    std::uint32_t watts = 0;
    auto [p, ec] = std::from_chars(w[2].data(), w[2].data() + w[2].size(), watts);
    if (ec != std::errc() || p != w[2].data() + w[2].size() || watts == 0 ||
        watts > kMaxHookWatts) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("'{}' is not a hook load in watts (1 to {})", w[2], kMaxHookWatts));
    }
    VIDYUT_TRY(minutes, minutes_arg(3));
    Episode e;
    e.kind = EpisodeKind::kHook;
    e.index = *dt;
    e.target = std::string(w[1]);
    e.watts = watts;
    return begin(std::move(e), *minutes);
  }
  if (cmd == "silent-bypass" || cmd == "stop-silent-bypass") {
    const bool stop = cmd == "stop-silent-bypass";
    if (w.size() < (stop ? 2u : 3u)) {
      return Error(Errc::kInvalidArgument,
                   stop ? std::string("usage: stop-silent-bypass <serial>")
                        : "usage: silent-bypass <serial> <percent 1-100> [minutes]");
    }
    VIDYUT_TRY(m, find_meter(w[1]));
    const meter::MeterKind kind = topology_.meters[*m].identity.kind;
    if (!meter::has_relay(kind)) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("meter {} is a {} meter: only a consumer bypasses his meter", w[1],
                               meter::to_string(kind)));
    }
    if (stop) return finish(EpisodeKind::kSilentBypass, *m, 0);
    std::uint32_t percent = 0;
    auto [p, ec] = std::from_chars(w[2].data(), w[2].data() + w[2].size(), percent);
    if (ec != std::errc() || p != w[2].data() + w[2].size() || percent == 0 || percent > 100) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("'{}' is not a share of the load in percent (1 to 100)", w[2]));
    }
    VIDYUT_TRY(minutes, minutes_arg(3));
    Episode e;
    e.kind = EpisodeKind::kSilentBypass;
    e.index = *m;
    e.target = std::string(w[1]);
    e.share_ppm = percent * 10'000;
    return begin(std::move(e), *minutes);
  }
  if (cmd == "token") {
    if (w.size() < 3) {
      return Error(Errc::kInvalidArgument,
                   "usage: token <serial> <20 digits, spaces or dashes allowed>");
    }
    // The digits may come in groups ("1234 5678 ..."): the rest of the line is the token.
    std::string digits;
    for (std::size_t i = 2; i < w.size(); ++i) {
      if (!digits.empty()) digits.push_back(' ');
      digits.append(w[i]);
    }
    VIDYUT_TRY(o, enter_token_at(w[1], digits, now));
    if (!o->accepted) return fmt::format("token {} refused {}: {}", w[1], o->reason, o->detail);
    return fmt::format("token {} accepted sequence {} amount {} relay {}", w[1],
                       o->fields->sequence, o->fields->amount_rupees,
                       o->relay_closed ? "closed" : "unchanged");
  }
  if (cmd == "clock-step" || cmd == "clock-drift") {
    const bool step = cmd == "clock-step";
    if (w.size() != 3) {
      return Error(Errc::kInvalidArgument,
                   step ? std::string("usage: clock-step <serial> <seconds, signed>")
                        : "usage: clock-drift <serial> <ppm, signed>");
    }
    VIDYUT_TRY(m, find_meter(w[1]));
    // A step of at most 10 days, a rate of at most 10,000 ppm (0.86 s a day is 10 ppm): more is
    // a typing error, not a crystal.
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(w[2].data() + (w[2].starts_with('+') ? 1 : 0),
                                   w[2].data() + w[2].size(), v);
    const std::int64_t limit = step ? kMaxClockStepS : kMaxClockDriftPpm;
    if (ec != std::errc() || p != w[2].data() + w[2].size() || v < -limit || v > limit) {
      return Error(
          Errc::kInvalidArgument,
          fmt::format("'{}' is not {} (-{} to {})", w[2],
                      step ? "a whole number of seconds" : "a whole number of ppm", limit, limit));
    }
    meter::SimulatedMeter& sm = *meters_[*m].meter;
    if (step) {
      sm.drift_clock(Millis(v * 1000));
      note_clock(*m, now, "step");
      return fmt::format("clock-step {} {:+d} s: clock offset {:+.3f} s", w[1], v,
                         static_cast<double>(sm.clock_offset().count()) / 1000.0);
    }
    meters_[*m].drift_ppm = static_cast<double>(v);
    return fmt::format("clock-drift {} {:+d} ppm ({:+.3f} s a day, applied at IST midnight)", w[1],
                       v, static_cast<double>(v) * 0.0864);
  }
  return Error(Errc::kInvalidArgument,
               fmt::format("unknown command '{}' (status, fail-feeder, restore-feeder, fail-dt, "
                           "restore-dt, cut-operator, restore-operator, cut-sim, restore-sim, "
                           "tamper, stop-tamper, hook, stop-hook, silent-bypass, "
                           "stop-silent-bypass, token, clock-step, clock-drift)",
                           cmd));
}

Status Fleet::load_scenario(std::string_view text) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    const auto w = split_words(line);
    if (w.empty() || w[0].starts_with("#")) continue;
    if (scenario_pending_ >= kMaxScenarioLines) {
      return Error(Errc::kLimitExceeded,
                   fmt::format("over {} scenario lines waiting to run", kMaxScenarioLines));
    }
    if (w.size() < 2 || !w[0].starts_with("+")) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("scenario line {}: expected '+<minutes> <command>'", line_no));
    }
    std::uint32_t minutes = 0;
    const std::string_view num = w[0].substr(1);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), minutes);
    if (ec != std::errc() || p != num.data() + num.size()) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("scenario line {}: '{}' is not +<minutes>", line_no, w[0]));
    }
    const std::string command(line.substr(static_cast<std::size_t>(w[1].data() - line.data())));
    const auto id = static_cast<std::uint32_t>(scenario_.size());
    scenario_.emplace_back(Millis(std::int64_t{minutes} * 60'000), command);
    ++scenario_pending_;
    schedule(start_ + scenario_.back().first, EvType::kScenario, id);
  }
  return ok_status();
}

}  // namespace vidyut::fleet
