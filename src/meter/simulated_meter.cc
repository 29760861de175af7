#include "meter/simulated_meter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace vidyut::meter {
namespace {

constexpr std::int64_t kIstMillis = kIstOffsetSeconds * 1000;
constexpr std::int64_t kDayMillis = 86'400'000;
// Voltage samples averaged per block row at most (a block after a backward clock step can span
// the whole step; sampling bounds the work).
constexpr std::int64_t kMaxVoltageSamples = 16;

std::int64_t ms_of(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime at_ms(std::int64_t ms) { return UtcTime(Millis(ms)); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Start of the capture interval containing t, intervals aligned to IST midnight.
UtcTime align_down(UtcTime t, std::int64_t period_ms) {
  return at_ms(floor_div(ms_of(t) + kIstMillis, period_ms) * period_ms - kIstMillis);
}
UtcTime align_up(UtcTime t, std::int64_t period_ms) {
  const UtcTime d = align_down(t, period_ms);
  return d == t ? d : d + Millis(period_ms);
}

std::chrono::year_month_day ist_date(UtcTime t) {
  return std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::days{floor_div(ms_of(t) + kIstMillis, kDayMillis)}}};
}
UtcTime ist_midnight_of(const std::chrono::year_month_day& ymd) {
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return at_ms(static_cast<std::int64_t>(days) * kDayMillis - kIstMillis);
}

Registers to_registers(const Energy& e) {
  Registers r;
  r.import_wh = e.active_mwh / 1000;
  r.import_vah = e.apparent_mvah / 1000;
  return r;
}

}  // namespace

PhaseSplit phase_split(std::uint64_t seed, std::int64_t slot) {
  PhaseSplit p;
  double sum = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto u = [&](std::uint64_t stream) {
      return static_cast<double>(counter_hash(seed, stream + i, static_cast<std::uint64_t>(slot)) >>
                                 11) *
             0x1.0p-53;
    };
    p.share[i] = 0.8 + 0.4 * u(210);  // up to about +-20 % unbalance
    p.voltage_factor[i] = 0.985 + 0.03 * u(220);
    sum += p.share[i];
  }
  for (double& x : p.share) x /= sum;
  return p;
}

UtcTime ist_align_down(UtcTime t, std::int64_t period_ms) { return align_down(t, period_ms); }
UtcTime ist_align_up(UtcTime t, std::int64_t period_ms) { return align_up(t, period_ms); }
UtcTime ist_midnight_on_or_before(UtcTime t) { return align_down(t, kDayMillis); }

UtcTime ist_month_start_on_or_before(UtcTime t) {
  const auto ymd = ist_date(t);
  return ist_midnight_of(ymd.year() / ymd.month() / std::chrono::day{1});
}

UtcTime ist_next_month_start(UtcTime month_start) {
  const auto ymd = ist_date(month_start);
  const auto next = ymd.year() / ymd.month() / std::chrono::day{1} + std::chrono::months{1};
  return ist_midnight_of(next);
}

SimulatedMeter::SimulatedMeter(MeterIdentity identity, MeterConfig config, const Clock& clock)
    : identity_(std::move(identity)), config_(std::move(config)), clock_(&clock) {
  if (!valid_capture_period(config_.capture_period_s)) config_.capture_period_s = 900;
  config_.history_days = std::clamp<std::uint32_t>(config_.history_days, 1, kMaxHistoryDays);
  config_.block_load_days = std::min(config_.block_load_days, kMaxHistoryDays);
  config_.daily_profile_days = std::min(config_.daily_profile_days, kMaxHistoryDays);
  config_.billing_months = std::min<std::uint32_t>(config_.billing_months, kMaxHistoryDays / 28);

  const UtcTime now = clock.now();
  origin_ =
      ist_midnight_on_or_before(now - Millis(std::int64_t{config_.history_days} * kDayMillis));
  const std::int64_t initial_wh = config_.initial_import_wh.value_or(
      static_cast<std::int64_t>(counter_hash(identity_.seed, 100, 0) % 3'000'000));
  Energy initial;
  initial.active_mwh = initial_wh * 1000;
  // A lifetime power factor of about 0.93 for the apparent register's starting point.
  initial.apparent_mvah = initial_wh * 1000 * 100 / 93 / 1000 * 1000;
  if (config_.anchor_at_start) {
    anchor_ = std::make_pair(now, initial);
  } else {
    origin_energy_ = initial;
  }
  steps_.push_back({origin_, config_.clock_offset});
  logs_.resize(kEventLogCount);
  esw_ = dlms::BitString::of_size(dlms::is15959::kEswBits);
  limiter_threshold_w_ = identity_.sanctioned_load_w;
  prepaid_.last_recharge_time = origin_;
  prepaid_.current_balance_time = origin_;
}

// ---- time -----------------------------------------------------------------------------------

UtcTime SimulatedMeter::meter_now() const { return true_now() + steps_.back().offset; }

void SimulatedMeter::drift_clock(Millis delta) {
  const UtcTime now = true_now();
  const Millis offset = steps_.back().offset + delta;
  if (steps_.size() > 1 && steps_.back().true_time == now) {
    steps_.back().offset = offset;
  } else {
    steps_.push_back({now, offset});
  }
  if (steps_.size() > kMaxClockSteps) steps_.erase(steps_.begin() + 1);
  forget_derived();
}

void SimulatedMeter::set_meter_time(UtcTime meter_time) {
  const UtcTime now = true_now();
  const Millis offset = std::chrono::duration_cast<Millis>(meter_time - now);
  if (steps_.size() > 1 && steps_.back().true_time == now) {
    steps_.back().offset = offset;
  } else {
    steps_.push_back({now, offset});
  }
  if (steps_.size() > kMaxClockSteps) steps_.erase(steps_.begin() + 1);
  forget_derived();
  record_event(EventLog::kTransaction, event_code::kClockSet);
  count_programming();
}

UtcTime SimulatedMeter::to_true(UtcTime meter_time) const {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const UtcTime candidate = meter_time - steps_[i].offset;
    const bool last = i + 1 == steps_.size();
    if (last || candidate < steps_[i + 1].true_time) {
      return i == 0 ? candidate : std::max(steps_[i].true_time, candidate);
    }
  }
  return meter_time - steps_.back().offset;  // not reached: the last step always matches
}

// ---- energy ---------------------------------------------------------------------------------

bool SimulatedMeter::connected_at(UtcTime t) const {
  bool on = origin_connected_;
  for (const RelayChange& c : relay_) {
    if (c.true_time > t) break;
    on = c.connected;
  }
  return on;
}

Energy SimulatedMeter::connected_energy(UtcTime from, UtcTime to) const {
  Energy e;
  if (to <= from) return e;
  UtcTime pos = from;
  bool on = connected_at(from);
  for (const RelayChange& c : relay_) {
    if (c.true_time <= from) continue;
    if (c.true_time >= to) break;
    if (on)
      e += source_ ? source_->energy(pos, c.true_time) : model_energy(identity_, pos, c.true_time);
    pos = c.true_time;
    on = c.connected;
  }
  if (on) e += source_ ? source_->energy(pos, to) : model_energy(identity_, pos, to);
  return e;
}

Energy SimulatedMeter::cumulative_at(UtcTime t) const {
  if (t < origin_) t = origin_;
  // Start from the nearest known point - the cursor (last answer), the anchor, or the origin -
  // and walk forward or back: energy is exactly additive, so every path gives the same value.
  auto distance = [t](UtcTime ref) { return ref > t ? ref - t : t - ref; };
  std::optional<std::pair<UtcTime, Energy>> ref;
  auto consider = [&](UtcTime at, const Energy& e) {
    if (!ref || distance(at) < distance(ref->first)) ref = std::make_pair(at, e);
  };
  if (cursor_) consider(cursor_->first, cursor_->second);
  if (anchor_) consider(anchor_->first, anchor_->second);
  if (origin_energy_) consider(origin_, *origin_energy_);
  Energy e = ref->second;
  if (ref->first <= t) {
    e += connected_energy(ref->first, t);
  } else {
    const Energy back = connected_energy(t, ref->first);
    e.active_mwh -= back.active_mwh;
    e.apparent_mvah -= back.apparent_mvah;
  }
  if (t == origin_ && !origin_energy_) origin_energy_ = e;
  // Only the past is cached: the future can still change (a relay operation, or an outage
  // that an energy source knows of).
  if (t <= clock_->now()) cursor_ = std::make_pair(t, e);
  return e;
}

LoadSample SimulatedMeter::sample(std::int64_t slot) const {
  return source_ ? source_->sample(slot) : sample_load(identity_, slot);
}

Registers SimulatedMeter::registers_at(UtcTime t) const { return to_registers(cumulative_at(t)); }

LoadSample SimulatedMeter::instantaneous() const {
  LoadSample s = sample(slot_of(true_now()));
  if (!connected_) {
    s.power_w = 0;
    s.current_a = 0;
    s.power_factor = 1.0;
  }
  return s;
}

std::int64_t SimulatedMeter::power_on_minutes_at(UtcTime t) const {
  const std::int64_t base =
      static_cast<std::int64_t>(counter_hash(identity_.seed, 101, 0) % 50'000);
  return base + std::max<std::int64_t>(0, (ms_of(t) - ms_of(origin_)) / 60'000);
}

BlockRow SimulatedMeter::make_block(UtcTime start) const {
  const Millis period(std::int64_t{config_.capture_period_s} * 1000);
  const UtcTime ta = to_true(start);
  const UtcTime tb = to_true(start + period);
  const Registers ra = registers_at(ta);
  const Registers rb = registers_at(tb);
  BlockRow row;
  row.stamp = config_.stamp_block_at_end ? start + period : start;
  row.import_wh = rb.import_wh - ra.import_wh;
  row.import_vah = rb.import_vah - ra.import_vah;
  // Voltage: mean over the slots the interval covers, sampled at most kMaxVoltageSamples times.
  const std::int64_t s0 = slot_of(ta);
  const std::int64_t s1 = std::max(s0 + 1, slot_of(tb - Millis(1)) + 1);
  const std::int64_t stride = std::max<std::int64_t>(1, (s1 - s0) / kMaxVoltageSamples);
  double sum = 0;
  int n = 0;
  for (std::int64_t s = s0; s < s1; s += stride) {
    sum += sample(s).voltage_v;
    ++n;
  }
  row.avg_voltage_v = sum / n;
  const double hours = static_cast<double>(config_.capture_period_s) / 3600.0;
  row.avg_current_a = row.avg_voltage_v > 0
                          ? static_cast<double>(row.import_vah) / (row.avg_voltage_v * hours)
                          : 0.0;
  if (identity_.kind != MeterKind::kSinglePhase) {
    const PhaseSplit ps = phase_split(identity_.seed, s0);
    for (std::size_t i = 0; i < 3; ++i) {
      row.phase_voltage_v[i] = row.avg_voltage_v * ps.voltage_factor[i];
      row.phase_current_a[i] =
          row.phase_voltage_v[i] > 0
              ? static_cast<double>(row.import_vah) * ps.share[i] / (row.phase_voltage_v[i] * hours)
              : 0.0;
    }
    const double wh = static_cast<double>(row.import_wh);
    const double vah = static_cast<double>(row.import_vah);
    row.kvarh[0] = std::llround(std::sqrt(std::max(0.0, vah * vah - wh * wh)));
  }
  return row;
}

Demand SimulatedMeter::max_demand(UtcTime meter_time) const {
  return demand_between(ist_month_start_on_or_before(meter_time), meter_time);
}

Demand SimulatedMeter::demand_between(UtcTime from, UtcTime limit) const {
  Demand d;
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  const UtcTime start = align_up(std::max(from, origin_ + steps_.front().offset), period_ms);
  d.w_time = d.va_time = start;
  UtcTime m = start;
  // Go on from an earlier scan of the same range when it stopped at or before `limit`.
  auto& scans = derived().demand_scans;
  if (auto it = scans.find(start); it != scans.end() && it->second.reached <= limit) {
    m = it->second.reached;
    d = it->second.demand;
  }
  const UtcTime now = meter_now();
  for (; m + Millis(period_ms) <= limit; m += Millis(period_ms)) {
    const BlockRow row = make_block(m);
    const std::int64_t w = row.import_wh * 3600 / config_.capture_period_s;
    const std::int64_t va = row.import_vah * 3600 / config_.capture_period_s;
    if (w > d.w) {
      d.w = w;
      d.w_time = row.stamp;
    }
    if (va > d.va) {
      d.va = va;
      d.va_time = row.stamp;
    }
  }
  if (m <= now) {  // every block scanned has ended: the result holds for good
    scans[start] = {m, d};
    if (scans.size() > kMaxDerivedMarks) scans.erase(scans.begin());
  }
  return d;
}

std::size_t SimulatedMeter::tod_zone(UtcTime t) {
  const std::int64_t ms_in_day =
      ms_of(t) + kIstMillis - floor_div(ms_of(t) + kIstMillis, kDayMillis) * kDayMillis;
  return static_cast<std::size_t>(ms_in_day / (kDayMillis / static_cast<std::int64_t>(kTodZones)));
}

std::vector<TodRegisters> SimulatedMeter::tod_import_wh(const std::vector<UtcTime>& times) const {
  std::vector<TodRegisters> out;
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  const Millis period(period_ms);
  // Energy before the first whole block is shared equally (remainder to zone 1).
  const UtcTime first = align_up(origin_ + steps_.front().offset, period_ms);
  TodRegisters acc{};
  std::int64_t acc_wh = 0;
  UtcTime m = first;
  // Start from the latest sweep position at or before the first time asked for, if any.
  Derived& cache = derived();
  const TodMark* from_mark = nullptr;
  if (!times.empty()) {
    auto it = cache.tod_marks.upper_bound(times.front());
    if (it != cache.tod_marks.begin()) {
      --it;
      m = it->first;
      from_mark = &it->second;
    }
    if (cache.tod_latest && cache.tod_latest->first <= times.front() &&
        cache.tod_latest->first > m) {
      m = cache.tod_latest->first;
      from_mark = &cache.tod_latest->second;
    }
  }
  if (from_mark) {
    acc = from_mark->acc;
    acc_wh = from_mark->acc_wh;
  } else {
    acc_wh = registers_at_meter_time(first).import_wh;
    for (std::size_t z = 0; z < kTodZones; ++z)
      acc[z] = acc_wh / static_cast<std::int64_t>(kTodZones);
    acc[0] += acc_wh % static_cast<std::int64_t>(kTodZones);
  }
  const UtcTime now = meter_now();
  for (UtcTime t : times) {
    for (; m + period <= t; m += period) {
      const std::int64_t wh = registers_at_meter_time(m + period).import_wh;
      acc[tod_zone(m)] += wh - acc_wh;
      acc_wh = wh;
    }
    if (m <= now && m > first) {  // every block before m has ended: remember the position
      if (m == ist_month_start_on_or_before(m)) {  // a billing instant
        cache.tod_marks[m] = {acc, acc_wh};
        if (cache.tod_marks.size() > kMaxDerivedMarks)
          cache.tod_marks.erase(cache.tod_marks.begin());
      } else if (!cache.tod_latest || cache.tod_latest->first < m) {
        cache.tod_latest = std::make_pair(m, TodMark{acc, acc_wh});
      }
    }
    TodRegisters r = acc;
    if (t > m) r[tod_zone(m)] += registers_at_meter_time(t).import_wh - acc_wh;
    out.push_back(r);
  }
  return out;
}

// ---- relay ------------------------------------------------------------------------------------

bool SimulatedMeter::set_relay(bool connected) {
  ++relay_operations_;
  if (connected == connected_) return false;
  const UtcTime now = true_now();
  relay_.push_back({now, meter_now(), connected});
  connected_ = connected;
  esw_.set(dlms::is15959::esw::kRelayStateChanged);
  if (cursor_ && cursor_->first > now) cursor_.reset();
  if (relay_.size() > kMaxRelayHistory) {
    // Fold the oldest change into the origin: cumulative energy from there on is unchanged.
    const RelayChange oldest = relay_.front();
    origin_energy_ = cumulative_at(oldest.true_time);
    if (anchor_ && anchor_->first < oldest.true_time) anchor_.reset();
    origin_ = oldest.true_time;
    forget_derived();
    origin_connected_ = oldest.connected;
    relay_.erase(relay_.begin());
    cursor_.reset();
  }
  return true;
}

// ---- hotspot tokens ---------------------------------------------------------------------------

TokenEntry SimulatedMeter::enter_token(const token::TokenKey& key, std::string_view digits) {
  if (!tokens_) tokens_ = std::make_unique<TokenState>(TokenState{token::TokenGuard(*clock_), {}});
  TokenEntry e;
  e.decision = tokens_->guard.accept(key, digits);
  if (!e.decision.accepted() || !e.decision.fields) return e;
  auto& log = tokens_->log;
  log.push_back({meter_now(), e.decision.fields->sequence, e.decision.fields->amount_rupees});
  if (log.size() > kMaxTokenLog) log.erase(log.begin());
  if (has_relay(identity_.kind) && !connected_) e.relay_closed = connect();
  return e;
}

const std::vector<TokenLogEntry>& SimulatedMeter::token_log() const {
  static const std::vector<TokenLogEntry> kNone;
  return tokens_ ? tokens_->log : kNone;
}

std::optional<UtcTime> SimulatedMeter::token_lockout_until() const {
  return tokens_ ? tokens_->guard.locked_until() : std::nullopt;
}

// ---- profiles -------------------------------------------------------------------------------

bool SimulatedMeter::valid_capture_period(std::uint32_t seconds) {
  return seconds >= 60 && seconds % 60 == 0 && 86'400 % seconds == 0;
}

void SimulatedMeter::set_capture_period(std::uint32_t seconds) {
  if (!valid_capture_period(seconds)) return;
  config_.capture_period_s = seconds;
  forget_derived();  // blocks now start elsewhere
  record_event(EventLog::kTransaction, event_code::kCapturePeriodSet);
  count_programming();
}

void SimulatedMeter::retention_window(std::uint32_t days, UtcTime& from, UtcTime& to) const {
  const UtcTime now = meter_now();
  const UtcTime origin_meter = origin_ + steps_.front().offset;
  from = std::max({from, origin_meter, now - Millis(std::int64_t{days} * kDayMillis)});
  to = std::min(to, now);
}

std::vector<BlockRow> SimulatedMeter::block_load(UtcTime from, UtcTime to,
                                                 std::size_t max_rows) const {
  std::vector<BlockRow> rows;
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  const Millis period(period_ms);
  // Work in interval starts: a row exists for [m, m + period) once m + period <= now.
  UtcTime lo = config_.stamp_block_at_end ? from - period : from;
  UtcTime hi = config_.stamp_block_at_end ? to - period : to;
  const auto [first, count] = block_load_extent();
  const UtcTime first_start = config_.stamp_block_at_end ? first - period : first;
  lo = align_up(std::max(lo, first_start), period_ms);
  hi = std::min(hi, first_start + period * (std::int64_t{count} - 1));
  for (UtcTime m = lo; m <= hi && rows.size() < max_rows; m += period) {
    rows.push_back(make_block(m));
  }
  return rows;
}

std::pair<UtcTime, std::uint32_t> SimulatedMeter::block_load_extent() const {
  const std::int64_t period_ms = std::int64_t{config_.capture_period_s} * 1000;
  UtcTime lo = at_ms(std::numeric_limits<std::int64_t>::min() / 2);
  UtcTime hi = at_ms(std::numeric_limits<std::int64_t>::max() / 2);
  retention_window(config_.block_load_days, lo, hi);
  const UtcTime first = align_up(lo, period_ms);
  const UtcTime last = align_down(hi, period_ms) - Millis(period_ms);  // last complete interval
  const std::int64_t n = last < first ? 0 : (ms_of(last) - ms_of(first)) / period_ms + 1;
  const UtcTime stamp = config_.stamp_block_at_end ? first + Millis(period_ms) : first;
  return {stamp, static_cast<std::uint32_t>(n)};
}

std::vector<DailyRow> SimulatedMeter::daily_load(UtcTime from, UtcTime to) const {
  std::vector<DailyRow> rows;
  retention_window(config_.daily_profile_days, from, to);
  for (UtcTime d = align_up(from, kDayMillis); d <= to; d += Millis(kDayMillis)) {
    rows.push_back({d, registers_at_meter_time(d)});
  }
  return rows;
}

std::vector<BillingRow> SimulatedMeter::billing(UtcTime from, UtcTime to) const {
  std::vector<BillingRow> rows;
  const UtcTime now = meter_now();
  const UtcTime origin_meter = origin_ + steps_.front().offset;
  // Billing instants after the origin up to now, most recent billing_months of them.
  std::vector<UtcTime> starts;
  for (UtcTime b = ist_next_month_start(ist_month_start_on_or_before(origin_meter)); b <= now;
       b = ist_next_month_start(b)) {
    starts.push_back(b);
  }
  if (starts.size() > config_.billing_months) {
    starts.erase(starts.begin(), starts.end() - config_.billing_months);
  }
  for (UtcTime b : starts) {
    if (b < from || b > to) continue;
    BillingRow row;
    row.stamp = b;
    const UtcTime month_before = ist_month_start_on_or_before(b - Millis(1));
    const Registers ra = registers_at_meter_time(std::max(month_before, origin_meter));
    row.registers = registers_at_meter_time(b);
    const std::int64_t wh = row.registers.import_wh - ra.import_wh;
    const std::int64_t vah = row.registers.import_vah - ra.import_vah;
    row.avg_power_factor = vah > 0 ? static_cast<double>(wh) / static_cast<double>(vah) : 1.0;
    const Demand d = demand_between(month_before, b);
    row.md_w = d.w;
    row.md_w_time = d.w_time;
    row.md_va = d.va;
    row.md_va_time = d.va_time;
    row.power_on_minutes = power_on_minutes_at(to_true(b));
    rows.push_back(row);
  }
  return rows;
}

std::uint32_t SimulatedMeter::billing_count() const {
  std::uint32_t n = static_cast<std::uint32_t>(counter_hash(identity_.seed, 102, 0) % 24);
  const UtcTime now = meter_now();
  const UtcTime origin_meter = origin_ + steps_.front().offset;
  for (UtcTime b = ist_next_month_start(ist_month_start_on_or_before(origin_meter)); b <= now;
       b = ist_next_month_start(b)) {
    ++n;
  }
  return n;
}

// ---- events, settings -----------------------------------------------------------------------

std::vector<MeterEvent> SimulatedMeter::events(EventLog log) const {
  if (log != EventLog::kControl) return logs_[static_cast<std::size_t>(log)];
  std::vector<MeterEvent> out;
  const std::size_t first = relay_.size() > kMaxEventsPerLog ? relay_.size() - kMaxEventsPerLog : 0;
  for (std::size_t i = first; i < relay_.size(); ++i) {
    out.push_back({relay_[i].meter_time, relay_[i].connected ? event_code::kRelayConnected
                                                             : event_code::kRelayDisconnected});
  }
  return out;
}

void SimulatedMeter::record_event(EventLog log, std::uint16_t code) {
  auto& v = logs_[static_cast<std::size_t>(log)];
  v.push_back({meter_now(), code});
  if (v.size() > kMaxEventsPerLog) v.erase(v.begin());
}

void SimulatedMeter::record_tamper(EventLog log, std::uint16_t code, bool occurrence) {
  record_event(log, code);
  if (occurrence) ++tamper_count_;
}

void SimulatedMeter::set_limiter_threshold_w(std::uint32_t w) {
  limiter_threshold_w_ = w;
  record_event(EventLog::kTransaction, event_code::kLoadLimitSet);
  count_programming();
}

void SimulatedMeter::set_prepaid(const PrepaidState& p) {
  if (p.payment_mode != prepaid_.payment_mode) {
    record_event(EventLog::kOther, p.payment_mode == 0 ? event_code::kSwitchedToPostpaid
                                                       : event_code::kSwitchedToPrepaid);
    count_programming();
  }
  prepaid_ = p;
}

}  // namespace vidyut::meter
