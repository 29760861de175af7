#include "cli/reconnections.h"

#include <map>

namespace vidyut::cli {

Result<std::vector<Reconnection>> reconnections(store::Store& store, billing::BillingDb& db,
                                                UtcTime since) {
  VIDYUT_TRY(accounts, db.accounts());
  std::map<std::int64_t, std::string> consumer_of_meter;
  std::map<std::int64_t, std::string> consumer_of_account;
  for (const auto& a : *accounts) {
    consumer_of_meter[a.meter_id] = a.consumer_id;
    consumer_of_account[a.id] = a.consumer_id;
  }
  // Recharge times by consumer, in order.
  std::map<std::string, std::vector<UtcTime>> recharges;
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(t, db.txns_after(after, 10'000));
    if (t->empty()) break;
    for (const auto& x : *t) {
      after = x.id;
      if (x.kind != "recharge" && x.kind != "payment") continue;
      recharges[consumer_of_account[x.account_id]].push_back(x.at);
    }
  }
  std::vector<Reconnection> out;
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(cs, store.commands_after(after, store::kMaxPage));
    if (cs->empty()) break;
    for (const auto& c : *cs) {
      after = c.id;
      if (c.kind != store::CommandKind::kConnect || c.requested_by != "billing" ||
          c.created < since) {
        continue;
      }
      auto who = consumer_of_meter.find(c.meter_id);
      if (who == consumer_of_meter.end()) continue;
      const auto& times = recharges[who->second];
      UtcTime latest{};
      for (auto t : times) {
        if (t <= c.created && t > latest) latest = t;
      }
      if (latest == UtcTime{} || c.created - latest > Millis(60'000)) continue;
      Reconnection r;
      r.consumer_id = who->second;
      r.recharged = latest;
      r.ordered = c.created;
      r.state = store::to_string(c.state);
      if (c.state == store::CommandState::kSucceeded) r.confirmed = c.finished;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace vidyut::cli
