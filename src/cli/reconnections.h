// Recharge-to-reconnection times: for every reconnection the billing engine ordered because a
// recharge restored a balance, the time from the recharge being recorded to the meter
// confirming its relay closed (the head end's command finished). The control room's measure of
// "reconnection within seconds"; also what bench/billing_bench.sh reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "billing/ledger.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::cli {

struct Reconnection {
  std::string consumer_id;
  UtcTime recharged{};
  UtcTime ordered{};    // the connect command was created
  UtcTime confirmed{};  // the meter confirmed (epoch while pending)
  std::string state;    // the command's state
  std::int64_t latency_ms() const { return (confirmed - recharged).count(); }
};

// Reconnections ordered at or after `since`. A connect command counts when a recharge (or
// payment) of the same account was recorded at most 60 s before it was created.
Result<std::vector<Reconnection>> reconnections(store::Store& store, billing::BillingDb& db,
                                                UtcTime since);

}  // namespace vidyut::cli
