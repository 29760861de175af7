#include "api/alert_stream.h"

#include "api/json_body.h"
#include "api/resources.h"
#include "core/clock.h"

namespace vidyut::api {

AlertStream::AlertStream(store::Store& store, std::int64_t after_id,
                         std::function<bool()> still_valid)
    : store_(store), cursor_(after_id), still_valid_(std::move(still_valid)) {}

std::string AlertStream::poll() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ >= std::chrono::seconds(30)) {
    last_check_ = now;
    if (still_valid_ && !still_valid_()) {
      done_ = true;
      return "event: end\ndata: the session ended\n\n";
    }
  }
  std::string out;
  auto alerts = store_.alerts_after(cursor_, kMaxAlertsPerPoll);
  if (alerts.ok()) {
    for (const auto& a : *alerts) {
      cursor_ = a.id;
      out +=
          "id: " + std::to_string(a.id) + "\nevent: alert\ndata: " + dump(alert_json(a)) + "\n\n";
    }
  }
  if (out.empty() && now - last_sent_ >= std::chrono::seconds(15)) out = ": keep-alive\n\n";
  if (!out.empty()) last_sent_ = now;
  return out;
}

}  // namespace vidyut::api
