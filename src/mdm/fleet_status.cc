#include "mdm/fleet_status.h"

#include <algorithm>
#include <unordered_map>

namespace vidyut::mdm {

Result<FleetStatus> fleet_status(store::Store& store, UtcTime now,
                                 const std::map<std::string, bool>& relay_open) {
  VIDYUT_TRY(comms, store.all_comm());
  std::unordered_map<std::int64_t, UtcTime> last;
  for (const auto& c : *comms) last[c.meter_id] = c.last_contact;
  FleetStatus out;
  out.at = now;
  std::map<std::string, StatusCounts> feeders, dts;
  constexpr std::size_t kPage = 10'000;
  for (std::size_t offset = 0;; offset += kPage) {
    VIDYUT_TRY(page, store.meters(offset, kPage));
    for (const auto& m : *page) {
      auto count = [&](StatusCounts& c) {
        ++c.meters;
        auto it = last.find(m.id);
        if (it == last.end() || it->second == UtcTime{}) {
          ++c.never_seen;
        } else if (now - it->second > kSilentAfter) {
          ++c.silent;
        } else {
          ++c.communicating;
        }
        if (!m.consumer_id.empty()) {
          auto r = relay_open.find(m.consumer_id);
          if (r != relay_open.end() && r->second) ++c.relay_open;
        }
      };
      count(out.all);
      StatusCounts& f = feeders[m.feeder];
      f.name = m.feeder;
      count(f);
      if (!m.dt.empty()) {
        StatusCounts& d = dts[m.dt];
        d.name = m.dt;
        d.feeder = m.feeder;
        count(d);
      }
    }
    if (page->size() < kPage) break;
  }
  auto worst_first = [](const StatusCounts& a, const StatusCounts& b) {
    const std::size_t qa = a.silent + a.never_seen, qb = b.silent + b.never_seen;
    return qa != qb ? qa > qb : a.name < b.name;
  };
  for (auto& [name, c] : feeders) out.feeders.push_back(c);
  for (auto& [name, c] : dts) out.dts.push_back(c);
  std::sort(out.feeders.begin(), out.feeders.end(), worst_first);
  std::sort(out.dts.begin(), out.dts.end(), worst_first);
  return out;
}

}  // namespace vidyut::mdm
