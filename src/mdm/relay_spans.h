// When each consumer meter's relay was open, from the command queue (store.h): a succeeded
// disconnect opens a span, the next succeeded connect closes it. Shared by validation (an open
// relay explains a zero) and theft (a disconnected consumer whose load goes on around his meter).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "mdm/outage.h"
#include "store/store.h"

namespace vidyut::mdm {

using RelaySpans = std::unordered_map<std::int64_t, std::vector<OffSpan>>;

// Every meter's relay-open spans, in time order, into `out` (the queue is walked once from its
// start).
Status relay_open_spans(store::Store& store, RelaySpans& out);

}  // namespace vidyut::mdm
