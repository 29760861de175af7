#include "api/mdm_forms.h"

#include <algorithm>

#include "core/clock.h"
#include "tariff/calendar.h"

namespace vidyut::api {

using json = nlohmann::json;

namespace {

json data_json(const mdm::Completeness& c) {
  return json{{"complete", c.complete()},
              {"intervals_expected", c.expected},
              {"intervals_present", c.present},
              {"completeness_percent", c.percent()},
              {"meters_incomplete", c.meters_missing}};
}

}  // namespace

json audit_json(const mdm::AuditReport& r) {
  json dts = json::array();
  for (const auto& d : r.dts) {
    dts.push_back({{"dt", d.dt},
                   {"feeder", d.feeder},
                   {"dt_meter", d.has_meter},
                   {"consumers", d.consumers},
                   {"dt_wh", d.dt_wh},
                   {"consumers_wh", d.consumers_wh},
                   {"consumers_export_wh", d.consumers_export_wh},
                   {"lt_loss_wh", d.loss_wh},
                   {"lt_loss_percent", d.loss_percent},
                   {"data", data_json(d.data)}});
  }
  json feeders = json::array();
  for (const auto& f : r.feeders) {
    feeders.push_back({{"feeder", f.feeder},
                       {"feeder_meter", f.has_meter},
                       {"dts", f.dts},
                       {"consumers", f.consumers},
                       {"feeder_wh", f.feeder_wh},
                       {"dts_wh", f.dts_wh},
                       {"consumers_wh", f.consumers_wh},
                       {"ht_loss_wh", f.ht_loss_wh},
                       {"ht_loss_percent", f.ht_loss_percent},
                       {"lt_loss_wh", f.lt_loss_wh},
                       {"total_loss_wh", f.total_loss_wh},
                       {"total_loss_percent", f.total_loss_percent},
                       {"data", data_json(f.data)}});
  }
  return {{"from", format_iso8601(r.from)},
          {"to", format_iso8601(r.to)},
          {"area",
           {{"input_wh", r.area.input_wh},
            {"consumers_wh", r.area.consumers_wh},
            {"loss_wh", r.area.loss_wh},
            {"loss_percent", r.area.loss_percent},
            {"data", data_json(r.area.data)}}},
          {"feeders", feeders},
          {"dts", dts},
          {"unplaced_consumers", r.unplaced_consumers}};
}

json reliability_json(const mdm::ReliabilityIndices& x) {
  return {{"name", x.name},
          {"customers", x.customers},
          {"customer_interruptions", x.customer_interruptions},
          {"customer_minutes", x.customer_minutes},
          {"momentary_customer_interruptions", x.momentary_customer_interruptions},
          {"sustained_spans", x.sustained_spans},
          {"momentary_spans", x.momentary_spans},
          {"saifi", x.saifi},
          {"saidi_minutes", x.saidi},
          {"caidi_minutes", x.caidi},
          {"maifi", x.maifi}};
}

json reliability_json(const mdm::ReliabilityReport& r) {
  json f = json::array();
  for (const auto& x : r.feeders) f.push_back(reliability_json(x));
  return {{"from", format_iso8601(r.from)},
          {"to", format_iso8601(r.to)},
          {"feeders", f},
          {"area", reliability_json(r.area)}};
}

json loading_json(const mdm::LoadingReport& r) {
  std::vector<const mdm::DtLoading*> dts;
  for (const auto& d : r.dts) dts.push_back(&d);
  std::stable_sort(dts.begin(), dts.end(), [](const auto* a, const auto* b) {
    return a->peak.loading_percent > b->peak.loading_percent;
  });
  json j = json::array();
  for (const auto* d : dts) {
    json over = json::array();
    for (const auto& li : d->overloaded) {
      over.push_back({{"start", format_iso8601(li.start)},
                      {"kva", li.kva},
                      {"loading_percent", li.loading_percent}});
    }
    j.push_back({{"dt", d->dt},
                 {"feeder", d->feeder},
                 {"rating_kva", d->rating_va / 1000.0},
                 {"intervals", d->intervals},
                 {"intervals_expected", d->expected},
                 {"peak_kva", d->peak.kva},
                 {"peak_at", d->intervals ? json(format_iso8601(d->peak.start)) : json(nullptr)},
                 {"peak_loading_percent", d->peak.loading_percent},
                 {"overloaded_hours", d->overloaded_hours(r.period_s)},
                 {"overloaded", over}});
  }
  return {{"from", format_iso8601(r.from)},
          {"to", format_iso8601(r.to)},
          {"dts", j},
          {"dts_without_rating", r.dts_without_rating}};
}

json theft_json(const mdm::TheftReport& r, bool all) {
  json dts = json::array();
  for (const auto& f : r.dts) {
    if (!f.flagged && !all) continue;
    json sus = json::array();
    for (const auto& x : f.suspects) {
      sus.push_back({{"serial", x.serial},
                     {"consumer", x.consumer_id},
                     {"score", x.score},
                     {"explained_wh", x.explained_wh},
                     {"correlation", x.correlation},
                     {"reasons", x.reasons}});
    }
    dts.push_back({{"dt", f.dt},
                   {"feeder", f.feeder},
                   {"complete", f.complete},
                   {"dt_wh", f.dt_wh},
                   {"loss_wh", f.loss_wh},
                   {"technical_wh", f.technical_wh},
                   {"unexplained_wh", f.unexplained_wh},
                   {"unexplained_percent", f.unexplained_percent},
                   {"flagged", f.flagged},
                   {"stolen_wh_estimate", f.stolen_wh},
                   {"pattern", f.pattern},
                   {"suspects", sus}});
  }
  return {{"day", tariff::to_string(tariff::ist_date(r.day))},
          {"model",
           {{"conductor_share", r.model.conductor_share},
            {"core_w_per_kva", r.model.core_w_per_kva},
            {"residual_sigma_wh", r.model.residual_sigma_wh},
            {"dt_days_fitted", r.model.fitted_on},
            {"dt_days_offered", r.model.candidates}}},
          {"flagged", r.flagged},
          {"dts", dts}};
}

json case_json(const mdm::TheftCase& c) {
  return {
      {"id", c.id},
      {"dt", c.dt},
      {"day", c.day},
      {"serial", c.serial},
      {"consumer", c.consumer_id},
      {"state", mdm::to_string(c.state)},
      {"evidence", c.evidence},
      {"opened", format_iso8601(c.opened)},
      {"opened_by", c.opened_by},
      {"closed", c.state == mdm::CaseState::kOpen ? json(nullptr) : json(format_iso8601(c.closed))},
      {"closed_by", c.closed_by}};
}

json trail_json(const std::vector<mdm::CaseEvent>& trail) {
  json t = json::array();
  for (const auto& e : trail) {
    t.push_back(
        {{"at", format_iso8601(e.at)}, {"actor", e.actor}, {"action", e.action}, {"note", e.note}});
  }
  return t;
}

json load_action_json(const mdm::LoadAction& a, const mdm::LoadActionProgress& p) {
  auto pct = [](std::vector<std::int64_t> v, double q) -> json {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * double(v.size() - 1) + 0.5))];
  };
  return {{"id", a.id},
          {"kind", mdm::to_string(a.kind)},
          {"target", a.target},
          {"level", a.feeder ? "feeder" : "dt"},
          {"limit_w", a.limit_w},
          {"start", format_iso8601(a.start)},
          {"end", format_iso8601(a.end)},
          {"state", mdm::to_string(a.state)},
          {"requested_by", a.requested_by},
          {"reason", a.reason},
          {"meters", a.meters.size()},
          {"essential_left_alone", a.essential_skipped},
          {"applied", p.applied},
          {"apply_pending", p.apply_pending},
          {"apply_failed", p.apply_failed},
          {"restored", p.restored},
          {"restore_pending", p.restore_pending},
          {"restore_failed", p.restore_failed},
          {"left_open_held_by_billing", p.held_open},
          {"apply_latency_ms_median", pct(p.apply_latency_ms, 0.5)},
          {"apply_latency_ms_p99", pct(p.apply_latency_ms, 0.99)}};
}

}  // namespace vidyut::api
