// What consumers are told, and when (docs/notify.md, "Notices").
//
// Sources, each followed from a cursor kept in notify.db (a restart neither repeats nor skips):
//   - billing's notifications (billing.db): low balance, emergency credit, disconnection,
//     reconnection, recharges, statements and bills, reversals, adjustments, hotspot tokens;
//   - the store's alerts: an outage of a DT (or a feeder) and its restoration to every consumer
//     behind it, and a tamper event to the meter's consumer.
// Each becomes one notice per consumer, keyed by its source ("billing:<id>",
// "alert:<id>:<consumer>"), queued in the outbox in the consumer's language, and delivered with
// retries (notify::Notifier::deliver_due).
//
// A feed starts at the sources' latest records the first time it runs (a new installation does
// not send a year of old notices), and never tells of an alert older than kStaleAlert (an outage
// read back by gap fill hours later is history, not news).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace vidyut::billing {
class BillingDb;
}  // namespace vidyut::billing

namespace vidyut::notices {

inline constexpr Millis kStaleAlert = std::chrono::hours(2);
// Records read from each source per round.
inline constexpr std::size_t kMaxNoticeRound = 1'000;

// Billing kinds meant for the utility, not the consumer ("token-unknown": a token the platform
// never issued, a matter for investigation).
bool for_consumer(const std::string& billing_kind);

// A billing notification as an SMS: billing's own English text, and Hindi for the notices a
// prepaid consumer lives by (low balance, emergency credit, disconnection, reconnection,
// recharge, payment), with the amounts of the English text; the others stay in English.
notify::NoticeText billing_text(const std::string& kind, const std::string& english);

struct AlertNotice {
  std::string consumer_id;
  std::string kind;  // "outage", "restored", "tamper"
  notify::NoticeText text;
};
// The notices an alert makes: an outage of a DT (not one inside its feeder's outage) or a feeder,
// and its end, to every consumer behind it; a tamper event of a consumer meter to its consumer.
// `consumer_of`: consumer meter id -> consumer id.
std::vector<AlertNotice> alert_notices(const store::Alert& a, const mdm::Network& network,
                                       const std::map<std::int64_t, std::string>& consumer_of);

class NoticeFeed {
 public:
  // `billing` may be null (no billing on this server). All outlive the feed.
  NoticeFeed(billing::BillingDb* billing, store::Store& store, notify::Notifier& notifier,
             const Clock& clock)
      : billing_(billing), store_(store), notifier_(notifier), clock_(clock) {}

  struct Round {
    std::size_t billing_read = 0;
    std::size_t alerts_read = 0;
    std::size_t queued = 0;  // new notices
    notify::Notifier::Delivery delivery;
  };
  // Reads what is new in each source (at most kMaxNoticeRound each), queues its notices, and
  // delivers what is due. A source's cursor moves only after its notices are queued.
  Result<Round> run_once();

 private:
  Status follow_billing(Round& r);
  Status follow_alerts(Round& r);
  Status refresh_network();

  billing::BillingDb* billing_;
  store::Store& store_;
  notify::Notifier& notifier_;
  const Clock& clock_;
  mdm::Network network_;
  std::map<std::int64_t, std::string> consumer_of_;       // consumer meter -> consumer id
  std::map<std::int64_t, std::string> account_consumer_;  // billing account -> consumer id
  UtcTime network_read_{};
};

}  // namespace vidyut::notices
