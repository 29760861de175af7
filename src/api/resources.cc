#include "api/resources.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "core/clock.h"
#include "tariff/calendar.h"

namespace vidyut::api {

using json = nlohmann::json;

json account_json(const billing::AccountView& v, std::optional<double> days_left) {
  json j{{"consumer_id", v.account.consumer_id},
         {"meter_serial", v.account.meter_serial},
         {"mode", v.account.mode == billing::PaymentMode::kPrepaid ? "prepaid" : "postpaid"},
         {"tariff", v.tariff},
         {"balance_paise", v.balance},
         {"wallet_paise", v.wallet},
         {"accrued_paise", v.accrued},
         {"arrears_paise", v.arrears},
         {"dues_paise", v.receivable},
         {"month_wh", v.month_wh},
         {"relay", v.account.relay_closed ? "closed" : "open"},
         {"relay_confirmed", v.account.relay_confirmed},
         {"last_recharge_paise", v.account.last_recharge},
         {"disconnection_paused", v.quiet}};
  j["days_left"] = days_left ? json(std::floor(*days_left * 10.0) / 10.0) : json(nullptr);
  return j;
}

json history_json(const std::vector<billing::HistoryEntry>& h) {
  json out = json::array();
  for (const auto& e : h) {
    out.push_back(json{{"txn_id", e.txn_id},
                       {"kind", e.kind},
                       {"at", format_iso8601(e.at)},
                       {"effective", e.effective},
                       {"balance_change_paise", e.balance_change},
                       {"dues_change_paise", e.dues_change}});
  }
  return out;
}

json usage_json(const mdm::UsageSeries& s) {
  json buckets = json::array();
  for (const auto& b : s.buckets) {
    buckets.push_back(json{{"start", format_iso8601(b.start)},
                           {"label", b.label},
                           {"import_wh", b.import_wh},
                           {"export_wh", b.export_wh},
                           {"intervals", b.intervals},
                           {"estimated", b.estimated},
                           {"missing", b.missing}});
  }
  return json{{"resolution", mdm::to_string(s.resolution)},
              {"import_wh", s.import_wh},
              {"export_wh", s.export_wh},
              {"estimated", s.estimated},
              {"missing", s.missing},
              {"buckets", buckets}};
}

namespace {

// A JSON string of text that holds no character needing an escape but " and \ (labels and ISO
// times); anything else is escaped as \u00XX.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string usage_text(const mdm::UsageSeries& s) {
  // Keys in the order nlohmann::json writes them (sorted), so the two forms never differ.
  std::string out = "{\"buckets\":[";
  out.reserve(64 + s.buckets.size() * 150);
  bool first = true;
  for (const auto& b : s.buckets) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out),
                   "{{\"estimated\":{},\"export_wh\":{},\"import_wh\":{},\"intervals\":{},"
                   "\"label\":",
                   b.estimated, b.export_wh, b.import_wh, b.intervals);
    append_string(out, b.label);
    fmt::format_to(std::back_inserter(out), ",\"missing\":{},\"start\":", b.missing);
    append_string(out, format_iso8601(b.start));
    out += '}';
  }
  fmt::format_to(std::back_inserter(out),
                 "],\"estimated\":{},\"export_wh\":{},\"import_wh\":{},\"missing\":{},"
                 "\"resolution\":",
                 s.estimated, s.export_wh, s.import_wh, s.missing);
  append_string(out, mdm::to_string(s.resolution));
  out += '}';
  return out;
}

json command_json(const store::Command& c) {
  return json{
      {"id", c.id},
      {"meter_id", c.meter_id},
      {"kind", store::to_string(c.kind)},
      {"argument", c.argument},
      {"state", store::to_string(c.state)},
      {"requested_by", c.requested_by},
      {"reason", c.reason},
      {"created", format_iso8601(c.created)},
      {"deadline", format_iso8601(c.deadline)},
      {"attempts", c.attempts},
      {"result", c.result},
      {"finished", c.state == store::CommandState::kPending ? json(nullptr)
                                                            : json(format_iso8601(c.finished))}};
}

json meter_json(const store::MeterInfo& m, const std::optional<store::MeterComm>& comm) {
  json j{{"meter_id", m.id},
         {"serial", m.serial},
         {"kind", m.kind},
         {"manufacturer", m.manufacturer},
         {"category", m.category},
         {"sanctioned_load_w", m.sanctioned_load_w},
         {"feeder", m.feeder},
         {"dt", m.dt},
         {"consumer_id", m.consumer_id}};
  const bool seen = comm && comm->last_contact != UtcTime{};
  j["last_contact"] = seen ? json(format_iso8601(comm->last_contact)) : json(nullptr);
  j["active_sim"] = comm && comm->active_sim != 0 ? json(comm->active_sim) : json(nullptr);
  return j;
}

json hold_json(const store::RelayHold& h) {
  return json{{"holder", h.holder}, {"reason", h.reason}, {"since", format_iso8601(h.since)}};
}

json alert_json(const store::Alert& a) {
  return json{{"id", a.id},
              {"meter_id", a.meter_id},
              {"at", format_iso8601(a.at)},
              {"received", format_iso8601(a.received)},
              {"kind", a.kind},
              {"name", a.name},
              {"active", a.active},
              {"detail", a.detail}};
}

json relay_json(const mdm::RelayStatus& r) {
  json holds = json::array();
  for (const auto& h : r.holds) holds.push_back(hold_json(h));
  return json{{"state", r.open ? "open" : "closed"},
              {"holds", holds},
              {"pending_command", r.pending ? command_json(*r.pending) : json(nullptr)}};
}

Result<UsageQuery> usage_query(const http::Request& r, UtcTime now) {
  UsageQuery q;
  q.to = tariff::ist_date(now);
  q.from = tariff::add_days(q.to, -29);
  if (auto it = r.params.find("resolution"); it != r.params.end()) {
    auto res = mdm::resolution_from_string(it->second);
    if (!res) {
      return Error(Errc::kInvalidArgument, "resolution must be 15m, hour, day or month");
    }
    q.resolution = *res;
    if (*res == mdm::Resolution::k15Min || *res == mdm::Resolution::kHour) q.from = q.to;
    if (*res == mdm::Resolution::kMonth) q.from = tariff::add_days(q.to, -364);
  }
  for (const char* name : {"from", "to"}) {
    auto it = r.params.find(name);
    if (it == r.params.end()) continue;
    auto d = tariff::parse_date(it->second);
    if (!d.ok()) return Error(Errc::kInvalidArgument, std::string(name) + " must be YYYY-MM-DD");
    (std::string(name) == "from" ? q.from : q.to) = *d;
  }
  return q;
}

Result<std::size_t> count_param(const http::Request& r, const char* name, std::size_t fallback,
                                std::size_t max) {
  auto it = r.params.find(name);
  if (it == r.params.end()) return fallback;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos) {
    return Error(Errc::kInvalidArgument, std::string(name) + " must be a whole number");
  }
  return std::min<std::size_t>(std::stoull(v), max);
}

}  // namespace vidyut::api
