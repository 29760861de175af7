// JSON forms of the domain's results, shared by the portal's and the control room's routes, so a
// figure reads the same in both (docs/api.md, "Resources").
#pragma once

#include <nlohmann/json.hpp>

#include "billing/account_history.h"
#include "billing/engine.h"
#include "http/message.h"
#include "mdm/manual_relay.h"
#include "mdm/usage.h"
#include "store/store.h"

namespace vidyut::api {

nlohmann::json account_json(const billing::AccountView& v, std::optional<double> days_left);
nlohmann::json history_json(const std::vector<billing::HistoryEntry>& h);
nlohmann::json usage_json(const mdm::UsageSeries& s);
// The same, written straight to text (byte for byte what dump(usage_json(s)) gives): a month of
// 15-minute points is 2,880 buckets, and building them as a document first cost most of the
// answer's time (bench/RESULTS.md, "The portal's consumption API under load").
std::string usage_text(const mdm::UsageSeries& s);
nlohmann::json command_json(const store::Command& c);
nlohmann::json meter_json(const store::MeterInfo& m, const std::optional<store::MeterComm>& comm);
nlohmann::json hold_json(const store::RelayHold& h);
nlohmann::json alert_json(const store::Alert& a);
// {"state": "open" | "closed", "holds": [...], "pending_command": command | null}
nlohmann::json relay_json(const mdm::RelayStatus& r);

// The usage query of a request (?resolution=&from=&to=), defaulting to daily over the 30 IST days
// up to today; kInvalidArgument naming a bad parameter.
struct UsageQuery {
  mdm::Resolution resolution = mdm::Resolution::kDay;
  tariff::CivilDate from, to;
};
Result<UsageQuery> usage_query(const http::Request& r, UtcTime now);

// A non-negative integer query parameter with a default and a maximum.
Result<std::size_t> count_param(const http::Request& r, const char* name, std::size_t fallback,
                                std::size_t max);

}  // namespace vidyut::api
