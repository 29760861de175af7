// The payment API: HTTP parsing in any split, limits, authentication, and the recharge,
// reversal and account routes against a real engine.
#include "billing/payment_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "billing/test_rig.h"

namespace vidyut::billing {
namespace {

using json = nlohmann::json;

ByteView bytes(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string post(const std::string& path, const std::string& body, const std::string& key = "k3y") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

TEST(PaymentApi, ParsesRequestsSplitAnywhereAndPipelined) {
  const std::string one = post("/v1/recharges", R"({"a":1})");
  const std::string two = "GET /v1/accounts/C1 HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string all = one + two;
  for (std::size_t cut = 0; cut <= all.size(); cut += 7) {
    HttpRequestParser p;
    p.feed(bytes(all.substr(0, cut)));
    std::vector<HttpRequest> got;
    while (true) {
      auto r = p.next();
      ASSERT_TRUE(r.ok());
      if (!*r) break;
      got.push_back(**r);
    }
    p.feed(bytes(all.substr(cut)));
    while (true) {
      auto r = p.next();
      ASSERT_TRUE(r.ok());
      if (!*r) break;
      got.push_back(**r);
    }
    ASSERT_EQ(got.size(), 2u) << cut;
    EXPECT_EQ(got[0].body, R"({"a":1})");
    EXPECT_EQ(got[0].headers.at("authorization"), "Bearer k3y");
    EXPECT_TRUE(got[0].keep_alive);
    EXPECT_EQ(got[1].target, "/v1/accounts/C1");
    EXPECT_FALSE(got[1].keep_alive);
  }
}

TEST(PaymentApi, RefusesMalformedAndOversizedRequests) {
  auto first_error = [](const std::string& text) {
    HttpRequestParser p;
    p.feed(bytes(text));
    auto r = p.next();
    return r.ok() ? Errc::kInternal : r.error().code;
  };
  EXPECT_EQ(first_error("HELLO\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET / SPDY/3\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            Errc::kLimitExceeded);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Errc::kUnsupported);
  EXPECT_EQ(first_error("GET / HTTP/1.1\r\nX: " + std::string(kMaxHttpHead, 'a')),
            Errc::kLimitExceeded);
  EXPECT_EQ(first_error("GET / HTTP/1.1\r\nbad header\r\n\r\n"), Errc::kMalformed);
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
  auto call = [&](const std::string& raw) {
    HttpRequestParser p;
    p.feed(bytes(raw));
    auto r = p.next();
    EXPECT_TRUE(r.ok() && *r);
    return api.handle(**r);
  };
  const std::string body =
      R"({"payment_ref":"UPI-1","consumer_id":"C1000","amount_paise":25000,"channel":"upi"})";
  EXPECT_EQ(call(post("/v1/recharges", body, "wrong")).status, 401);
  EXPECT_EQ(call(post("/v1/recharges", body, "")).status, 401);
  auto first = call(post("/v1/recharges", body));
  EXPECT_EQ(first.status, 201) << first.body;
  auto dup = call(post("/v1/recharges", body));
  EXPECT_EQ(dup.status, 200);
  EXPECT_TRUE(json::parse(dup.body)["duplicate"].get<bool>());
  EXPECT_EQ(rig.wallet(), 25'000);
  auto conflict = call(post(
      "/v1/recharges",
      R"({"payment_ref":"UPI-1","consumer_id":"C1000","amount_paise":30000,"channel":"upi"})"));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(call(post("/v1/recharges",
                      R"({"payment_ref":"UPI-2","consumer_id":"NOBODY","amount_paise":100})"))
                .status,
            404);
  EXPECT_EQ(call(post("/v1/recharges", R"({"payment_ref":"UPI-3"})")).status, 400);
  auto acct = call("GET /v1/accounts/C1000 HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n");
  EXPECT_EQ(acct.status, 200);
  EXPECT_EQ(json::parse(acct.body)["wallet_paise"].get<Paise>(), 25'000);
  auto rev = call(post("/v1/reversals", R"({"payment_ref":"UPI-1","reason":"bounced"})"));
  EXPECT_EQ(rev.status, 200) << rev.body;
  EXPECT_EQ(rig.wallet(), 0);
  EXPECT_EQ(call("GET /v1/health HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(call("GET /v1/nothing HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n").status, 404);
  const std::string wire = serialize(first, true);
  EXPECT_EQ(wire.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
  EXPECT_NE(wire.find("Content-Length: " + std::to_string(first.body.size())), std::string::npos);
}

// Issue 16: heads that a proxy and this server could read differently (request smuggling) are
// refused, and a bare-LF head is refused at once instead of hanging until the timeout.
TEST(PaymentApi, AmbiguousHeadsAreRefused) {
  auto parse = [](const std::string& raw) {
    HttpRequestParser p;
    p.feed(bytes(raw));
    return p.next();
  };
  auto two_lengths =
      parse("POST /v1/recharges HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}");
  ASSERT_FALSE(two_lengths.ok());
  EXPECT_NE(two_lengths.error().message.find("content-length appears twice"), std::string::npos);
  auto hidden_te =
      parse("POST /v1/recharges HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n");
  ASSERT_FALSE(hidden_te.ok());
  EXPECT_EQ(hidden_te.error().code, Errc::kMalformed);
  auto two_auth = parse(
      "GET /v1/accounts/C1 HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer "
      "k3y\r\n\r\n");
  ASSERT_FALSE(two_auth.ok());
  // Bare LF: refused before the head is complete, not left waiting.
  HttpRequestParser lf;
  lf.feed(bytes("GET /v1/health HTTP/1.1\nHost: x\n"));
  auto r = lf.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
}

// Issue 16: ambiguous JSON was accepted (both amounts, a key twice with the last winning,
// unknown fields ignored), and a query string made a valid path 404.
TEST(PaymentApi, AmbiguousBodiesAndQueryStringsAreRefusedByName) {
  Rig rig("api-strict");
  PaymentApi api(*rig.engine, "k3y");
  auto call = [&](const std::string& raw) {
    HttpRequestParser p;
    p.feed(bytes(raw));
    auto r = p.next();
    EXPECT_TRUE(r.ok() && *r);
    return api.handle(**r);
  };
  auto both =
      call(post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000","amount":"5.00",)"
                                 R"("amount_paise":90000})"));
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("not both"), std::string::npos) << both.body;
  auto twice =
      call(post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000","amount_paise":500,)"
                                 R"("amount_paise":90000})"));
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("appears twice"), std::string::npos) << twice.body;
  auto unknown =
      call(post("/v1/recharges", R"({"payment_ref":"U1","consumer_id":"C1000","amount_paise":500,)"
                                 R"("amount_rupees":900})"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown field"), std::string::npos) << unknown.body;
  EXPECT_EQ(rig.wallet(), 0) << "nothing was credited";
  auto query = call("GET /v1/accounts/C1000?x=1 HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n");
  EXPECT_EQ(query.status, 400);
  EXPECT_NE(query.body.find("no query parameters"), std::string::npos);
  EXPECT_EQ(call("GET /v1/accounts/C1000? HTTP/1.1\r\nAuthorization: Bearer k3y\r\n\r\n").status,
            200);
}

}  // namespace
}  // namespace vidyut::billing
