#include "checkout/checkout.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "billing/test_rig.h"
#include "checkout/gateway_stub.h"
#include "checkout/signature.h"
#include "http/parse.h"

namespace vidyut::checkout {
namespace {

const std::string kSecret = "0123456789abcdef-shared-secret";

GatewayConfig config() {
  return GatewayConfig{"https://pay.example/checkout", "KESCO01", kSecret,
                       "https://vidyut.example/"};
}

struct CheckoutRig {
  billing::Rig rig;
  std::unique_ptr<Checkout> checkout;
  explicit CheckoutRig(const std::string& name) : rig("checkout-" + name, 2) {
    auto c = Checkout::open(rig.dir, config(), *rig.engine, rig.clock);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    checkout = std::move(*c);
  }
};

Notice notice(const std::string& order, const std::string& status, const std::string& amount,
              const std::string& secret = kSecret, const std::string& merchant = "KESCO01") {
  Notice n{merchant, order, status, amount, "GW-77", ""};
  n.signature = sign(secret, {{"merchant", n.merchant},
                              {"order", n.order},
                              {"status", n.status},
                              {"amount_paise", n.amount_paise},
                              {"gateway_txn", n.gateway_txn}});
  return n;
}

// The query of a URL as fields.
Fields query_of(const std::string& url) {
  const std::string raw =
      "GET /x?" + url.substr(url.find('?') + 1) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  auto p = http::parse_requests(raw);
  EXPECT_TRUE(p.ok());
  const auto& params = p->requests.at(0).params;
  return Fields(params.begin(), params.end());
}

TEST(CheckoutSignature, SignsTheSortedFieldsAndNoticesAnyChange) {
  const Fields f{{"order", "R1"}, {"amount_paise", "25000"}};
  const std::string s = sign(kSecret, f);
  EXPECT_EQ(s.size(), 64u);
  EXPECT_EQ(s, sign(kSecret, Fields{{"amount_paise", "25000"}, {"order", "R1"}}));
  EXPECT_TRUE(verify(kSecret, f, s));
  EXPECT_FALSE(verify(kSecret, Fields{{"order", "R1"}, {"amount_paise", "2500"}}, s));
  EXPECT_FALSE(verify("another-secret-of-16", f, s));
  EXPECT_FALSE(verify(kSecret, f, s.substr(1)));
  EXPECT_EQ(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(Checkout, TheRedirectCarriesASignedOrderAndAPaidNoticeCreditsOnce) {
  CheckoutRig c("paid");
  auto s = c.checkout->start("C1000", 25'000, "PORTAL-C1000-abcdef01", false);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->order.state, OrderState::kPending);
  ASSERT_EQ(s->pay_url.rfind("https://pay.example/checkout?", 0), 0u) << s->pay_url;
  Fields q = query_of(s->pay_url);
  EXPECT_EQ(q["amount_paise"], "25000");
  EXPECT_EQ(q["order"], "PORTAL-C1000-abcdef01");
  EXPECT_EQ(q["return_url"], "https://vidyut.example/");
  const std::string sig = q["signature"];
  q.erase("signature");
  EXPECT_TRUE(verify(kSecret, q, sig)) << "the gateway can check the amount";

  const auto before = c.rig.balance(0);
  auto paid = c.checkout->confirm(notice("PORTAL-C1000-abcdef01", "paid", "25000"));
  ASSERT_TRUE(paid.ok()) << paid.error().describe();
  EXPECT_FALSE(paid->repeated);
  EXPECT_EQ(paid->order.state, OrderState::kPaid);
  EXPECT_EQ(paid->order.gateway_txn, "GW-77");
  EXPECT_EQ(c.rig.balance(0), before + 25'000);
  auto again = c.checkout->confirm(notice("PORTAL-C1000-abcdef01", "paid", "25000"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(c.rig.balance(0), before + 25'000) << "a repeated notice credits nothing";
  // A late failure notice does not undo a payment.
  auto late = c.checkout->confirm(notice("PORTAL-C1000-abcdef01", "failed", "25000"));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ((*c.checkout->order("PORTAL-C1000-abcdef01"))->state, OrderState::kPaid);
  // The same request again answers the paid order without a redirect.
  auto restarted = c.checkout->start("C1000", 25'000, "PORTAL-C1000-abcdef01", false);
  ASSERT_TRUE(restarted.ok());
  EXPECT_TRUE(restarted->pay_url.empty());
}

TEST(Checkout, ForgedWrongOrMalformedNoticesAreRefusedAndCreditNothing) {
  CheckoutRig c("refused");
  ASSERT_TRUE(c.checkout->start("C1000", 25'000, "R-1", false).ok());
  const auto before = c.rig.balance(0);
  EXPECT_EQ(
      c.checkout->confirm(notice("R-1", "paid", "25000", "a-forger-s-own-secret")).error().code,
      Errc::kAuthFailed);
  EXPECT_EQ(c.checkout->confirm(notice("R-1", "paid", "25000", kSecret, "OTHER")).error().code,
            Errc::kAuthFailed);
  Notice tampered = notice("R-1", "paid", "25000");
  tampered.amount_paise = "2500000";
  EXPECT_EQ(c.checkout->confirm(tampered).error().code, Errc::kAuthFailed);
  EXPECT_EQ(c.checkout->confirm(notice("R-404", "paid", "25000")).error().code, Errc::kNotFound);
  EXPECT_EQ(c.checkout->confirm(notice("R-1", "refunded", "25000")).error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(c.checkout->confirm(notice("R-1", "paid", "-5")).error().code, Errc::kInvalidArgument);
  Notice missing = notice("R-1", "paid", "25000");
  missing.gateway_txn.clear();
  EXPECT_EQ(c.checkout->confirm(missing).error().code, Errc::kInvalidArgument);
  // Signed, but for another amount: recorded, refused, nothing credited.
  EXPECT_EQ(c.checkout->confirm(notice("R-1", "paid", "100")).error().code, Errc::kRefused);
  auto o = c.checkout->order("R-1");
  ASSERT_TRUE(o.ok() && *o);
  EXPECT_EQ((*o)->state, OrderState::kPending);
  EXPECT_NE((*o)->detail.find("100 paise"), std::string::npos) << (*o)->detail;
  EXPECT_EQ(c.rig.balance(0), before);
}

TEST(Checkout, AFailedPaymentThenAPaidOneCredits) {
  CheckoutRig c("failed");
  ASSERT_TRUE(c.checkout->start("C1001", 10'000, "R-2", false).ok());
  auto f = c.checkout->confirm(notice("R-2", "failed", "10000"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->order.state, OrderState::kFailed);
  EXPECT_FALSE(f->credit.has_value());
  const auto before = c.rig.balance(1);
  auto p = c.checkout->confirm(notice("R-2", "paid", "10000"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->order.state, OrderState::kPaid);
  EXPECT_EQ(c.rig.balance(1), before + 10'000);
}

TEST(Checkout, ACrashBetweenTheCreditAndTheOrderLosesNothingAndCreditsOnce) {
  CheckoutRig c("crash");
  ASSERT_TRUE(c.checkout->start("C1000", 30'000, "R-3", true).ok());
  const auto before = c.rig.balance(0);
  c.checkout->fail_after_writes(0);
  auto broken = c.checkout->confirm(notice("R-3", "paid", "30000"));
  ASSERT_FALSE(broken.ok()) << "the order could not be marked";
  EXPECT_EQ(c.rig.balance(0), before + 30'000) << "the credit is in the ledger";
  EXPECT_EQ((*c.checkout->order("R-3"))->state, OrderState::kPending);
  c.checkout->fail_after_writes(-1);
  auto retried = c.checkout->confirm(notice("R-3", "paid", "30000"));
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(retried->order.state, OrderState::kPaid);
  EXPECT_TRUE(retried->credit->duplicate);
  EXPECT_EQ(c.rig.balance(0), before + 30'000) << "credited once";
  // The hotspot token the order asked for, computed again on request.
  auto credit = c.checkout->credit_of(retried->order);
  ASSERT_TRUE(credit.ok());
  EXPECT_EQ(credit->token.size(), 20u);
  EXPECT_EQ(credit->token, retried->credit->token);
}

TEST(Checkout, OrdersAreKeptPerRequestAndWaitingOnesAreBounded) {
  CheckoutRig c("bounded");
  EXPECT_EQ(c.checkout->start("C1000", 10'000, "R-10", false)->order.ref, "R-10");
  EXPECT_EQ(c.checkout->start("C1000", 10'000, "R-10", false)->order.ref, "R-10")
      << "the same request is the same order";
  EXPECT_EQ(c.checkout->start("C1000", 20'000, "R-10", false).error().code, Errc::kRefused);
  EXPECT_EQ(c.checkout->start("C1001", 10'000, "R-10", false).error().code, Errc::kRefused);
  for (std::size_t i = 1; i < kMaxPendingPerConsumer; ++i) {
    ASSERT_TRUE(c.checkout->start("C1000", 10'000, "R-1" + std::to_string(i), false).ok());
  }
  EXPECT_EQ(c.checkout->start("C1000", 10'000, "R-99", false).error().code, Errc::kLimitExceeded);
  EXPECT_TRUE(c.checkout->start("C1001", 10'000, "R-98", false).ok()) << "another consumer";
  ASSERT_TRUE(c.checkout->confirm(notice("R-10", "failed", "10000")).ok());
  EXPECT_TRUE(c.checkout->start("C1000", 10'000, "R-99", false).ok()) << "one is settled";
  // A day later the waiting ones no longer count.
  c.rig.clock.advance(std::chrono::hours(25));
  EXPECT_TRUE(c.checkout->start("C1000", 10'000, "R-100", false).ok());
  EXPECT_EQ(
      Checkout::open(c.rig.dir, GatewayConfig{"u", "m", "short", "r"}, *c.rig.engine, c.rig.clock)
          .error()
          .code,
      Errc::kInvalidArgument)
      << "a secret too short to be one";
}

http::Request request(const std::string& method, const std::string& target,
                      const std::string& body = "") {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: x\r\n";
  if (!body.empty()) {
    raw += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  auto p = http::parse_requests(raw);
  EXPECT_TRUE(p.ok()) << raw;
  return p->requests.at(0);
}

TEST(GatewayStub, ShowsTheSignedOrderAndNotifiesThePlatformOfTheOutcome) {
  CheckoutRig c("stub");
  std::vector<std::string> notices;
  http::Handler stub = gateway_stub(StubConfig{"KESCO01", kSecret, [&](const std::string& j) {
                                                 notices.push_back(j);
                                                 return ok_status();
                                               }});
  auto s = c.checkout->start("C1000", 25'000, "R-7", false);
  ASSERT_TRUE(s.ok());
  const std::string target = "/checkout" + s->pay_url.substr(s->pay_url.find('?'));
  auto shown = stub(request("GET", target));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_NE(shown.body.find("Pay Rs 250.00"), std::string::npos);
  std::string forged = target;
  forged.replace(forged.find("amount_paise=25000"), 18, "amount_paise=100");
  EXPECT_EQ(stub(request("GET", forged)).status, 400) << "an amount changed in the browser";

  // Pay: the form's fields as the browser posts them.
  const std::string form = s->pay_url.substr(s->pay_url.find('?') + 1) + "&outcome=paid";
  auto done = stub(request("POST", "/checkout/complete", form));
  ASSERT_EQ(done.status, 303) << done.body;
  std::string location;
  for (const auto& [n, v] : done.headers) {
    if (n == "Location") location = v;
  }
  EXPECT_EQ(location, "https://vidyut.example/?order=R-7&status=paid");
  ASSERT_EQ(notices.size(), 1u);
  const auto j = nlohmann::json::parse(notices[0]);
  Notice n{j["merchant"],     j["order"],       j["status"],
           j["amount_paise"], j["gateway_txn"], j["signature"]};
  const auto before = c.rig.balance(0);
  auto confirmed = c.checkout->confirm(n);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().describe();
  EXPECT_EQ(c.rig.balance(0), before + 25'000);
  EXPECT_EQ(stub(request("POST", "/checkout/complete", "order=R-7&outcome=paid")).status, 400);
}

}  // namespace
}  // namespace vidyut::checkout
