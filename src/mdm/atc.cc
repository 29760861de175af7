#include "mdm/atc.h"

#include <algorithm>

namespace vidyut::mdm {
namespace {

void add_consumer(AtcFigures& f, const RevenueByMeter& revenue, std::int64_t meter,
                  std::int64_t intervals) {
  ++f.consumers;
  auto it = revenue.find(meter);
  if (it == revenue.end()) return;
  ++f.accounts;
  if (it->second.intervals >= intervals) ++f.billed_whole;
  f.billed_wh += it->second.billed_wh;
  f.billed_paise += it->second.billed_paise;
  f.collected_paise += it->second.collected_paise;
  f.cash_paise += it->second.cash_paise;
}

void finish(AtcFigures& f) {
  if (f.input_wh > 0) {
    f.billing_efficiency =
        100.0 * static_cast<double>(f.billed_wh) / static_cast<double>(f.input_wh);
  }
  if (f.billed_paise > 0) {
    f.collection_efficiency =
        100.0 * static_cast<double>(f.collected_paise) / static_cast<double>(f.billed_paise);
  }
  if (f.billing_efficiency && f.collection_efficiency) {
    f.atc_loss = 100.0 - *f.billing_efficiency * *f.collection_efficiency / 100.0;
  }
}

}  // namespace

AtcReport atc_report(const Network& network, const AuditReport& audit,
                     const RevenueByMeter& revenue, std::int64_t intervals) {
  AtcReport r;
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtNode& node = network.dts[d];
    AtcFigures f;
    f.name = node.name;
    f.feeder = network.feeders[node.feeder].name;
    if (d < audit.dts.size()) {
      f.input_wh = audit.dts[d].dt_wh;
      f.input_complete = audit.dts[d].meter_complete;
    }
    for (std::int64_t m : node.consumers) add_consumer(f, revenue, m, intervals);
    finish(f);
    r.dts.push_back(std::move(f));
  }
  r.area.input_complete = true;
  for (std::size_t i = 0; i < network.feeders.size(); ++i) {
    const FeederNode& node = network.feeders[i];
    AtcFigures f;
    f.name = node.name;
    f.feeder = node.name;
    if (i < audit.feeders.size()) {
      f.input_wh = audit.feeders[i].feeder_wh;
      f.input_complete = audit.feeders[i].meter_complete;
    }
    for (std::size_t d : node.dts) {
      for (std::int64_t m : network.dts[d].consumers) add_consumer(f, revenue, m, intervals);
    }
    r.area.input_wh += f.input_wh;
    r.area.input_complete = r.area.input_complete && f.input_complete;
    r.area.consumers += f.consumers;
    r.area.accounts += f.accounts;
    r.area.billed_whole += f.billed_whole;
    r.area.billed_wh += f.billed_wh;
    r.area.billed_paise += f.billed_paise;
    r.area.collected_paise += f.collected_paise;
    r.area.cash_paise += f.cash_paise;
    finish(f);
    r.feeders.push_back(std::move(f));
  }
  finish(r.area);
  return r;
}

std::vector<const AtcFigures*> rank_atc(const AtcReport& report, std::size_t n, bool worst) {
  std::vector<const AtcFigures*> v;
  for (const auto& f : report.feeders) {
    if (f.complete() && f.atc_loss) v.push_back(&f);
  }
  std::stable_sort(v.begin(), v.end(), [&](const AtcFigures* a, const AtcFigures* b) {
    return worst ? *a->atc_loss > *b->atc_loss : *a->atc_loss < *b->atc_loss;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

}  // namespace vidyut::mdm
