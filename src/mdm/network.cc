#include "mdm/network.h"

#include <algorithm>
#include <map>

namespace vidyut::mdm {

Network build_network(const std::vector<store::MeterInfo>& meters) {
  std::map<std::string, FeederNode> feeders;
  std::map<std::string, DtNode> dts;
  std::map<std::string, std::string> dt_feeder;  // DT -> feeder, as its DT meter says
  std::vector<const store::MeterInfo*> consumers;
  Network n;
  for (const auto& m : meters) {
    if (!m.consumer_id.empty()) {
      consumers.push_back(&m);
    } else if (!m.dt.empty()) {
      dts[m.dt].name = m.dt;
      dts[m.dt].meter_id = m.id;
      dts[m.dt].rating_va = m.sanctioned_load_w;
      dt_feeder[m.dt] = m.feeder;
      feeders[m.feeder].name = m.feeder;
    } else if (!m.feeder.empty()) {
      feeders[m.feeder].name = m.feeder;
      feeders[m.feeder].meter_id = m.id;
    }
  }
  for (const auto* c : consumers) {
    if (c->dt.empty() || c->feeder.empty()) {
      n.unplaced.push_back(c->id);
      continue;
    }
    auto f = dt_feeder.find(c->dt);
    if (f != dt_feeder.end() && f->second != c->feeder) {
      n.unplaced.push_back(c->id);
      continue;
    }
    dt_feeder.emplace(c->dt, c->feeder);
    DtNode& d = dts[c->dt];
    d.name = c->dt;
    d.consumers.push_back(c->id);
    feeders[c->feeder].name = c->feeder;
    ++n.consumers;
  }
  std::map<std::string, std::size_t> feeder_index;
  for (auto& [name, f] : feeders) {
    feeder_index[name] = n.feeders.size();
    n.feeders.push_back(std::move(f));
  }
  for (auto& [name, d] : dts) {
    d.feeder = feeder_index.at(dt_feeder.at(name));
    std::sort(d.consumers.begin(), d.consumers.end());
    n.feeders[d.feeder].dts.push_back(n.dts.size());
    n.dts.push_back(std::move(d));
  }
  std::sort(n.unplaced.begin(), n.unplaced.end());
  return n;
}

Result<std::vector<store::MeterInfo>> all_meters(store::Store& store) {
  std::vector<store::MeterInfo> out;
  for (std::size_t offset = 0;; offset += store::kMaxPage) {
    VIDYUT_TRY(page, store.meters(offset, store::kMaxPage));
    const std::size_t got = page->size();
    for (auto& m : *page) out.push_back(std::move(m));
    if (got < store::kMaxPage) break;
  }
  return out;
}

}  // namespace vidyut::mdm
