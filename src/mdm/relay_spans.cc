#include "mdm/relay_spans.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace vidyut::mdm {

Status relay_open_spans(store::Store& store, RelaySpans& out) {
  std::unordered_map<std::int64_t, std::vector<std::pair<UtcTime, bool>>> relay;
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(page, store.commands_after(after, store::kMaxPage));
    for (const auto& cmd : *page) {
      after = cmd.id;
      if (cmd.state != store::CommandState::kSucceeded) continue;
      if (cmd.kind == store::CommandKind::kDisconnect)
        relay[cmd.meter_id].emplace_back(cmd.finished, false);
      if (cmd.kind == store::CommandKind::kConnect)
        relay[cmd.meter_id].emplace_back(cmd.finished, true);
    }
    if (page->size() < store::kMaxPage) break;
  }
  out.clear();
  for (auto& [m, v] : relay) {
    std::sort(v.begin(), v.end());
    std::optional<UtcTime> open_since;
    auto& spans = out[m];
    for (const auto& [t, connected] : v) {
      if (!connected && !open_since) open_since = t;
      if (connected && open_since) {
        spans.push_back({*open_since, t});
        open_since.reset();
      }
    }
    if (open_since) spans.push_back({*open_since, std::nullopt});
  }
  return ok_status();
}

}  // namespace vidyut::mdm
