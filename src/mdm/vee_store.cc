// VEE over the store (vee.h, vee_from_store): reads each meter's day, its like days, its DT's
// outages and its relay commands, and validates.
#include <algorithm>
#include <unordered_map>

#include "mdm/vee.h"

namespace vidyut::mdm {

std::size_t VeeReport::flagged(std::uint32_t flag) const {
  std::size_t n = 0;
  for (const auto& m : meters) n += m.flagged(flag);
  return n;
}

Result<VeeReport> vee_from_store(store::Store& store, const Network& network, UtcTime day,
                                 const VeeRules& rules, std::int64_t only) {
  VeeReport r;
  r.day = day;
  const UtcTime end = day + std::chrono::days(1);
  VIDYUT_TRY(events, power_events(store, network, day, end));
  const OutageReport outages = detect_outages(network, *events, day, end, end);
  // Relay open spans from the command queue: a succeeded disconnect until a succeeded connect.
  std::unordered_map<std::int64_t, std::vector<std::pair<UtcTime, bool>>> relay;
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(page, store.commands_after(after, store::kMaxPage));
    for (const auto& c : *page) {
      after = c.id;
      if (c.state != store::CommandState::kSucceeded || c.finished >= end) continue;
      if (c.kind == store::CommandKind::kDisconnect)
        relay[c.meter_id].emplace_back(c.finished, false);
      if (c.kind == store::CommandKind::kConnect) relay[c.meter_id].emplace_back(c.finished, true);
    }
    if (page->size() < store::kMaxPage) break;
  }
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    for (std::int64_t m : network.dts[d].consumers) {
      if (only != 0 && m != only) continue;
      VeeInput in;
      in.meter_id = m;
      in.day = day;
      in.until = end;
      VIDYUT_TRY(rows, store.intervals(m, day, end));
      in.rows = std::move(*rows);
      for (int w = 1; w <= static_cast<int>(rules.like_days); ++w) {
        const UtcTime ld = day - std::chrono::days(7 * w);
        VIDYUT_TRY(lrows, store.intervals(m, ld, ld + std::chrono::days(1)));
        if (!lrows->empty()) in.like_days.push_back({ld, std::move(*lrows)});
      }
      in.no_supply = outages.dt_off[d];
      if (auto it = relay.find(m); it != relay.end()) {
        auto v = it->second;
        std::sort(v.begin(), v.end());
        std::optional<UtcTime> open_since;
        for (const auto& [t, connected] : v) {
          if (!connected && !open_since) open_since = t;
          if (connected && open_since) {
            in.relay_open.push_back({*open_since, t});
            open_since.reset();
          }
        }
        if (open_since) in.relay_open.push_back({*open_since, std::nullopt});
      }
      VeeDay vd = validate_day(in, rules);
      r.intervals += vd.intervals.size();
      r.actual += vd.actual;
      r.linear += vd.linear;
      r.like_day += vd.like_day;
      r.unestimated += vd.unestimated;
      r.meters.push_back(std::move(vd));
    }
  }
  return r;
}

}  // namespace vidyut::mdm
