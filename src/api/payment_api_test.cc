// The payment API over parsed requests: authentication, the recharge, reversal and account
// routes against a real engine, exact amounts, and ambiguous bodies refused by name.
#include "api/payment_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "billing/test_rig.h"
#include "http/parse.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;
using billing::Paise;
using billing::Rig;

std::string post(const std::string& path, const std::string& body, const std::string& key = "k3y") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

http::Response call(PaymentApi& api, const std::string& raw) {
  auto p = http::parse_requests(raw);
  EXPECT_TRUE(p.ok() && p->requests.size() == 1) << raw;
  return api.handle(p->requests.at(0));
}

TEST(PaymentApi, AmountsAreExactRupeesOrPaise) {
  EXPECT_EQ(*parse_rupees("250"), 25'000);
  EXPECT_EQ(*parse_rupees("250.5"), 25'050);
  EXPECT_EQ(*parse_rupees("0.05"), 5);
  for (const char* bad : {"", "-1", "1.234", "1e3", "1.", ".5", "12,00", "0x10", "1 0"}) {
    EXPECT_FALSE(parse_rupees(bad).ok()) << bad;
  }
  auto q =
      parse_recharge(R"({"payment_ref":"R1","consumer_id":"C1","amount":"99.99","channel":"upi"})");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->amount, 9'999);
  EXPECT_FALSE(parse_recharge(R"({"payment_ref":"R1","consumer_id":"C1","amount":99.99})").ok())
      << "a floating-point amount is refused";
  EXPECT_FALSE(parse_recharge(R"({"payment_ref":"R1","amount_paise":100})").ok());
  EXPECT_FALSE(parse_recharge("[1,2]").ok());
  EXPECT_FALSE(parse_recharge("{").ok());
}

TEST(PaymentApi, RechargesAreCreditedOnceAndAuthenticated) {
  Rig rig("api");
  PaymentApi api(*rig.engine, "k3y");
  const std::string body =
      R"({"payment_ref":"UPI-1","consumer_id":"C1000","amount_paise":25000,"channel":"upi"})";
  EXPECT_EQ(call(api, post("/v1/recharges", body, "wrong")).status, 401);
  EXPECT_EQ(call(api, post("/v1/recharges", body, "")).status, 401);
  auto first = call(api, post("/v1/recharges", body));
  EXPECT_EQ(first.status, 201) << first.body;
  auto dup = call(api, post("/v1/recharges", body));
  EXPECT_EQ(dup.status, 200);
  EXPECT_TRUE(json::parse(dup.body)["duplicate"].get<bool>());
  EXPECT_EQ(rig.wallet(), 25'000);
  auto conflict = call(api, post("/v1/recharges", R"({"payment_ref":"UPI-1","consumer_id":"C1000",)"
                                                  R"("amount_paise":30000,"channel":"upi"})"));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(call(api, post("/v1/recharges",
                           R"({"payment_ref":"UPI-2","consumer_id":"NOBODY","amount_paise":100})"))
                .status,
            404);
  EXPECT_EQ(call(api, post("/v1/recharges", R"({"payment_ref":"UPI-3"})")).status, 400);
  auto acct = call(api, "GET /v1/accounts/C1000 HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n");
  EXPECT_EQ(acct.status, 200);
  EXPECT_EQ(json::parse(acct.body)["wallet_paise"].get<Paise>(), 25'000);
  auto rev = call(api, post("/v1/reversals", R"({"payment_ref":"UPI-1","reason":"bounced"})"));
  EXPECT_EQ(rev.status, 200) << rev.body;
  EXPECT_EQ(rig.wallet(), 0);
  EXPECT_EQ(call(api, "GET /v1/health HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(call(api, "GET /v1/nothing HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n").status, 404);
  EXPECT_EQ(call(api, "GET /v1/nothing HTTP/1.1\r\n\r\n").status, 401)
      << "without the key, no path is told apart";
  EXPECT_EQ(call(api, "GET /v1/recharges HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n").status,
            405);
}

// Issue 16: ambiguous JSON was accepted (both amounts, a key twice with the last winning,
// unknown fields ignored), and a query string made a valid path 404.
TEST(PaymentApi, AmbiguousBodiesAndQueryStringsAreRefusedByName) {
  Rig rig("api-strict");
  PaymentApi api(*rig.engine, "k3y");
  auto both = call(api, post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000",)"
                                              R"("amount":"5.00","amount_paise":90000})"));
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("not both"), std::string::npos) << both.body;
  auto twice = call(api, post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000",)"
                                               R"("amount_paise":500,"amount_paise":90000})"));
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("appears twice"), std::string::npos) << twice.body;
  auto unknown = call(api, post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000",)"
                                                 R"("amount_paise":500,"amount_rupees":900})"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown field"), std::string::npos) << unknown.body;
  EXPECT_EQ(rig.wallet(), 0) << "nothing was credited";
  auto query =
      call(api, "GET /v1/accounts/C1000?x=1 HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n");
  EXPECT_EQ(query.status, 400);
  EXPECT_NE(query.body.find("no query parameters"), std::string::npos);
  EXPECT_EQ(
      call(api, "GET /v1/accounts/C1000? HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n").status,
      200);
}

}  // namespace
}  // namespace vidyut::api
