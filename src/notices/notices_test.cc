// Notices from billing's notifications and the store's alerts, in each consumer's language,
// queued once per source, delivered with retries, and neither repeated nor skipped across a
// restart.
#include "notices/notices.h"

#include <gtest/gtest.h>

#include "billing/test_rig.h"

namespace vidyut::notices {
namespace {

// A gateway that records what it sends and fails while `failing` is set.
class Channel final : public notify::SmsChannel {
 public:
  Result<std::string> send(const std::string& mobile, const std::string& text) override {
    if (failing) return Error(Errc::kIo, "gateway answered 503");
    sent.push_back({mobile, text});
    return "gw-" + std::to_string(sent.size());
  }
  bool failing = false;
  std::vector<std::pair<std::string, std::string>> sent;
};

struct FeedRig {
  billing::Rig rig{"notices", 3};  // C1002 has no registered mobile
  Channel* channel = nullptr;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<NoticeFeed> feed;
  std::int64_t dt_meter = 0;
  FeedRig() {
    store::MeterInfo dt;
    dt.serial = "DT1";
    dt.kind = "dt";
    dt.manufacturer = "VDY";
    dt.system_title = {'V', 'D', 'Y', 0, 0, 0, 9, 9};
    dt.feeder = "F1";
    dt.dt = "D1";
    dt.sanctioned_load_w = 100'000;
    store::MeterSecrets s;
    s.lls_password = "pw";
    s.ak = {9};
    s.ek = {9};
    const std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows{{dt, s}};
    EXPECT_TRUE(rig.store->upsert_meters(rows).ok());
    dt_meter = (*rig.store->meter_by_serial("DT1"))->id;
    reopen();
    EXPECT_TRUE(
        notifier
            ->import_contacts({{"C1000", "+919800000001", "hi"}, {"C1001", "+919800000002", "en"}})
            .ok());
  }
  // As after a restart: the outbox and the feed anew on the same files.
  void reopen() {
    feed.reset();
    notifier.reset();
    auto ch = std::make_unique<Channel>();
    channel = ch.get();
    notifier = std::move(*notify::Notifier::open(rig.dir, rig.clock, std::move(ch)));
    feed = std::make_unique<NoticeFeed>(rig.db.get(), *rig.store, *notifier, rig.clock);
  }
  NoticeFeed::Round run() {
    auto r = feed->run_once();
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : NoticeFeed::Round{};
  }
  void alert(std::int64_t meter, const std::string& kind, const std::string& name, bool active,
             UtcTime at, const std::string& detail = "") {
    store::WriteBatch b;
    store::Alert a;
    a.meter_id = meter;
    a.at = at;
    a.received = rig.clock.now();
    a.kind = kind;
    a.name = name;
    a.active = active;
    a.detail = detail;
    b.alerts.push_back(a);
    ASSERT_TRUE(rig.store->write(b).ok());
  }
};

TEST(Notices, BillingTextsInHindiCarryTheAmounts) {
  auto low =
      billing_text("low-balance",
                   "Balance Rs 48.20 is at or below 20% of your last recharge of Rs 1,000.00. "
                   "Recharge to avoid disconnection.");
  EXPECT_NE(low.hi.find("रु. 48.20"), std::string::npos) << low.hi;
  EXPECT_NE(low.hi.find("रु. 1,000.00"), std::string::npos) << low.hi;
  auto off = billing_text("disconnect", "Supply disconnected: balance -Rs 12.50. Recharge ...");
  EXPECT_NE(off.hi.find("-रु. 12.50"), std::string::npos) << off.hi;
  EXPECT_NE(billing_text("reconnect", "Supply reconnected: balance Rs 5.00.").hi.find("रु. 5.00"),
            std::string::npos);
  EXPECT_TRUE(billing_text("statement", "Statement for 2026-11: ...").hi.empty())
      << "the others stay in English";
  EXPECT_FALSE(for_consumer("token-unknown"));
  EXPECT_TRUE(for_consumer("low-balance"));
}

TEST(Notices, ARechargeIsToldOnceInTheConsumersLanguageEvenWhenTheGatewayFailsFirst) {
  FeedRig f;
  f.rig.recharge(0, 10'000, "OLD-1");
  EXPECT_EQ(f.run().queued, 0u) << "the first run starts from the latest";
  f.channel->failing = true;
  f.rig.recharge(0, 20'000, "UPI-7");
  f.rig.recharge(1, 30'000, "UPI-8");
  auto r = f.run();
  EXPECT_EQ(r.queued, 2u);
  EXPECT_EQ(r.delivery.retrying, 2u);
  EXPECT_EQ(*f.notifier->queued(), 2u);
  f.channel->failing = false;
  EXPECT_EQ(f.run().delivery.sent, 0u) << "not before the retry delay";
  f.rig.clock.advance(notify::kRetryDelays[0]);
  r = f.run();
  EXPECT_EQ(r.delivery.sent, 2u);
  ASSERT_EQ(f.channel->sent.size(), 2u);
  EXPECT_EQ(f.channel->sent[0].first, "+919800000001");
  EXPECT_NE(f.channel->sent[0].second.find("रिचार्ज रु. 200.00"), std::string::npos)
      << f.channel->sent[0].second;
  EXPECT_EQ(f.channel->sent[1].second.rfind("Recharge of Rs 300.00", 0), 0u)
      << f.channel->sent[1].second;
  auto mine = f.notifier->messages_of("C1000", 10);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].state, "sent");
  EXPECT_EQ((*mine)[0].attempts, 2);
  EXPECT_EQ((*mine)[0].kind, "recharge");

  // After a restart nothing is told again, and what is new is told.
  f.reopen();
  EXPECT_EQ(f.run().queued, 0u);
  f.rig.recharge(1, 5'000, "UPI-9");
  EXPECT_EQ(f.run().delivery.sent, 1u);
  EXPECT_EQ(f.channel->sent.size(), 1u);
}

TEST(Notices, ANoticeIsGivenUpAfterItsLastAttemptAndAConsumerWithoutAMobileIsRecorded) {
  FeedRig f;
  f.run();
  f.channel->failing = true;
  f.rig.recharge(0, 20'000, "UPI-1");
  f.rig.recharge(2, 20'000, "UPI-2");
  for (int i = 0; i < notify::kMaxAttempts; ++i) {
    f.run();
    if (i + 1 < notify::kMaxAttempts) f.rig.clock.advance(notify::kRetryDelays[i]);
  }
  auto m = f.notifier->messages_of("C1000", 10);
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].state, "failed");
  EXPECT_EQ((*m)[0].attempts, notify::kMaxAttempts);
  EXPECT_EQ((*m)[0].result, "gateway answered 503");
  EXPECT_EQ(*f.notifier->queued(), 0u);
  auto nobody = f.notifier->messages_of("C1002", 10);
  ASSERT_EQ(nobody->size(), 1u);
  EXPECT_EQ((*nobody)[0].state, "no-mobile");
  EXPECT_EQ((*nobody)[0].attempts, 0);
  EXPECT_TRUE(f.channel->sent.empty());
}

TEST(Notices, AnOutageIsToldToEveryConsumerBehindItAndATamperToHisOwn) {
  FeedRig f;
  f.run();
  const UtcTime now = f.rig.clock.now();
  f.alert(f.dt_meter, "supply", "dt-outage", true, now - std::chrono::minutes(3),
          "DT D1 without supply: 2 consumers");
  f.alert(f.rig.meter_ids[1], "tamper", "magnet", true, now - std::chrono::minutes(1));
  f.alert(f.rig.meter_ids[0], "tamper", "magnet", true, now - std::chrono::hours(3));  // stale
  f.alert(f.rig.meter_ids[0], "relay", "relay-state-changed", true, now);              // not told
  auto r = f.run();
  EXPECT_EQ(r.alerts_read, 4u);
  EXPECT_EQ(r.queued, 4u) << "three consumers behind the DT (one without a mobile), one tamper";
  EXPECT_EQ(r.delivery.sent, 3u);
  auto c0 = *f.notifier->messages_of("C1000", 10);
  auto c1 = *f.notifier->messages_of("C1001", 10);
  ASSERT_EQ(c0.size(), 1u);
  ASSERT_EQ(c1.size(), 2u);
  EXPECT_EQ(c0[0].kind, "outage");
  EXPECT_NE(c0[0].text.find("बिजली बंद"), std::string::npos) << c0[0].text;
  EXPECT_EQ(c1[0].kind, "tamper");
  EXPECT_NE(c1[0].text.find("tamper event (magnet)"), std::string::npos) << c1[0].text;
  EXPECT_NE(c1[1].text.find("Power is off in your area (transformer D1)"), std::string::npos)
      << c1[1].text;
  // Its end, and a DT outage inside its feeder's outage (told by the feeder's, not twice).
  f.alert(f.dt_meter, "supply", "dt-outage", false, f.rig.clock.now(), "DT D1 supply restored");
  f.alert(f.dt_meter, "supply", "dt-outage", true, f.rig.clock.now(),
          "DT D1 without supply: 2 consumers (its feeder is out)");
  r = f.run();
  EXPECT_EQ(r.queued, 3u);
  EXPECT_EQ((*f.notifier->messages_of("C1001", 1))[0].kind, "restored");
}

TEST(Notices, AFailedWriteLeavesTheCursorSoNothingIsLost) {
  FeedRig f;
  f.run();
  f.rig.recharge(0, 20'000, "UPI-1");
  f.notifier->fail_after_writes(0);
  EXPECT_FALSE(f.feed->run_once().ok());
  f.notifier->fail_after_writes(-1);
  auto r = f.run();
  EXPECT_EQ(r.queued, 1u);
  EXPECT_EQ(r.delivery.sent, 1u);
}

}  // namespace
}  // namespace vidyut::notices
