#include "headend/health.h"

#include <map>
#include <unordered_map>

namespace vidyut::headend {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kIstOffsetMs = kIstOffset.count();

std::int64_t ms_of(UtcTime t) { return t.time_since_epoch().count(); }

std::int64_t floor_to(std::int64_t v, std::int64_t step) {
  std::int64_t q = v / step;
  if (v % step != 0 && v < 0) --q;
  return q * step;
}

// The operator the meter reported for its active SIM; without one, the registry's operator of
// that SIM (SIM 1's when not known).
std::string operator_of(const store::MeterInfo& m, const store::MeterComm* c) {
  if (c != nullptr && !c->sim_operator.empty()) return c->sim_operator;
  const std::uint8_t active_sim = c != nullptr ? c->active_sim : 0;
  if (active_sim == 2 && !m.sim_operator[1].empty()) return m.sim_operator[1];
  return m.sim_operator[0];
}

}  // namespace

UtcTime ist_day_start(UtcTime t) {
  return UtcTime(Millis(floor_to(ms_of(t) + kIstOffsetMs, kDayMs) - kIstOffsetMs));
}

Result<FleetHealth> fleet_health(store::Store& store, UtcTime day, std::int32_t period_s,
                                 UtcTime now) {
  if (period_s <= 0) return Error(Errc::kInvalidArgument, "period must be positive");
  FleetHealth h;
  h.day_start = ist_day_start(day);
  auto sum = store.interval_summary(h.day_start, h.day_start + Millis(kDayMs));
  if (!sum.ok()) return sum.error();
  std::unordered_map<std::int64_t, std::uint32_t> count;
  for (const auto& s : *sum) count[s.meter_id] = s.count;
  auto comms = store.all_comm();
  if (!comms.ok()) return comms.error();
  std::unordered_map<std::int64_t, const store::MeterComm*> comm;
  for (const auto& c : *comms) comm[c.meter_id] = &c;
  auto total = store.meter_count();
  if (!total.ok()) return total.error();

  const std::uint64_t expected = kDayMs / (std::int64_t{period_s} * 1000);
  std::map<std::string, Completeness> by_op, by_feeder;
  h.all.group = "all";
  for (std::size_t off = 0; off < *total; off += store::kMaxPage) {
    auto page = store.meters(off, store::kMaxPage);
    if (!page.ok()) return page.error();
    for (const auto& m : *page) {
      const auto it = count.find(m.id);
      const std::uint32_t n = it == count.end() ? 0 : it->second;
      const auto ci = comm.find(m.id);
      const store::MeterComm* c = ci == comm.end() ? nullptr : ci->second;
      const std::string op = operator_of(m, c);
      for (Completeness* g : {&h.all, &by_op[op], &by_feeder[m.feeder]}) {
        ++g->meters;
        g->intervals += n;
        g->expected += expected;
        if (n >= expected) ++g->complete;
      }
      if (c == nullptr || c->last_contact == UtcTime{}) {
        ++h.meters_never_seen;
      } else if (ms_of(now) - ms_of(c->last_contact) > kDayMs) {
        ++h.meters_silent_24h;
      }
    }
  }
  for (auto& [k, v] : by_op) {
    v.group = k;
    h.by_operator.push_back(v);
  }
  for (auto& [k, v] : by_feeder) {
    v.group = k;
    h.by_feeder.push_back(v);
  }
  return h;
}

Result<MeterHealth> meter_health(store::Store& store, std::string_view serial,
                                 std::int32_t period_s, UtcTime now) {
  if (period_s <= 0) return Error(Errc::kInvalidArgument, "period must be positive");
  auto m = store.meter_by_serial(serial);
  if (!m.ok()) return m.error();
  if (!*m) return Error(Errc::kNotFound, "no meter with serial " + std::string(serial));
  MeterHealth mh;
  mh.meter = **m;
  auto c = store.comm(mh.meter.id);
  if (!c.ok()) return c.error();
  if (*c) {
    mh.last_contact = (*c)->last_contact;
    mh.active_sim = (*c)->active_sim;
    mh.peer_address = (*c)->peer_address;
    mh.clock_drift_ms = (*c)->clock_drift_ms;
    mh.clock_checked = (*c)->clock_checked;
  }
  mh.active_operator = operator_of(mh.meter, *c ? &**c : nullptr);
  const UtcTime ds = ist_day_start(now);
  auto rows = store.intervals(mh.meter.id, ds, ds + Millis(kDayMs));
  if (!rows.ok()) return rows.error();
  mh.intervals_today = static_cast<std::uint32_t>(rows->size());
  mh.expected_today =
      static_cast<std::uint32_t>((ms_of(now) - ms_of(ds)) / (std::int64_t{period_s} * 1000));
  return mh;
}

}  // namespace vidyut::headend
