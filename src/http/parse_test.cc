// The request rules on Beast's parser: requests split anywhere and pipelined, limits, and the
// ambiguous heads that issue 16 found (request smuggling behind a proxy) refused.
#include "http/parse.h"

#include <gtest/gtest.h>

#include "http/router.h"

namespace vidyut::http {
namespace {

std::string post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k3y\r\n" +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

Errc first_error(const std::string& text) {
  auto r = parse_requests(text);
  return r.ok() ? Errc::kInternal : r.error().code;
}

TEST(HttpParse, RequestsSplitAnywhereAndPipelined) {
  const std::string all = post("/v1/recharges", R"({"a":1})") +
                          "GET /v1/accounts/C%201?day=2026-12-01&x=a+b HTTP/1.1\r\n"
                          "Connection: close\r\n\r\n";
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    auto first = parse_requests(std::string_view(all).substr(0, cut));
    ASSERT_TRUE(first.ok()) << cut << " " << first.error().message;
    std::vector<Request> got = first->requests;
    auto second = parse_requests(std::string_view(all).substr(first->consumed));
    ASSERT_TRUE(second.ok()) << cut;
    for (auto& r : second->requests) got.push_back(r);
    ASSERT_EQ(got.size(), 2u) << cut;
    EXPECT_EQ(got[0].body, R"({"a":1})");
    EXPECT_EQ(got[0].header("authorization"), "Bearer k3y");
    EXPECT_TRUE(got[0].keep_alive);
    EXPECT_EQ(got[1].path, "/v1/accounts/C 1");
    EXPECT_EQ(got[1].params.at("day"), "2026-12-01");
    EXPECT_EQ(got[1].params.at("x"), "a b");
    EXPECT_FALSE(got[1].keep_alive);
  }
}

TEST(HttpParse, RefusesMalformedAndOversizedRequests) {
  EXPECT_EQ(first_error("HELLO\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET / SPDY/3\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            Errc::kLimitExceeded);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET / HTTP/1.1\r\nX: " + std::string(kMaxHead + 10, 'a')),
            Errc::kLimitExceeded);
  EXPECT_EQ(first_error("GET / HTTP/1.1\r\nbad header\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET http://example.com/ HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET /a/../etc/passwd HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET /a/%2e%2e/b HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET /a%00 HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET /a%zz HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  EXPECT_EQ(first_error("GET /%ff%fe HTTP/1.1\r\n\r\n"), Errc::kInvalidArgument)
      << "a path that is not UTF-8 once decoded";
  EXPECT_EQ(first_error("GET /a?x=1&x=2 HTTP/1.1\r\n\r\n"), Errc::kMalformed);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 70; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(first_error(many + "\r\n"), Errc::kLimitExceeded);
  EXPECT_EQ(first_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), Errc::kUnsupported);
}

TEST(HttpParse, ChunkedBodiesAreReadByTheLibrary) {
  auto r = parse_requests(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->requests.size(), 1u);
  EXPECT_EQ(r->requests[0].body, "abcde");
}

// Issue 16: heads that a proxy and this server could read differently are refused, and a
// bare-LF head is refused at once instead of hanging until the timeout.
TEST(HttpParse, AmbiguousHeadsAreRefused) {
  auto two_lengths = parse_requests(
      "POST /v1/recharges HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}");
  ASSERT_FALSE(two_lengths.ok());
  auto same_lengths = parse_requests(
      "POST /v1/recharges HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_FALSE(same_lengths.ok()) << "a header twice is refused even with the same value";
  EXPECT_NE(same_lengths.error().message.find("content-length appears twice"), std::string::npos);
  auto hidden_te =
      parse_requests("POST /v1/recharges HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n");
  ASSERT_FALSE(hidden_te.ok());
  EXPECT_EQ(hidden_te.error().code, Errc::kMalformed);
  auto te_and_cl = parse_requests(
      "POST /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_FALSE(te_and_cl.ok());
  auto two_auth = parse_requests(
      "GET /v1/accounts/C1 HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer "
      "k3y\r\n\r\n");
  ASSERT_FALSE(two_auth.ok());
  auto bare_lf = parse_requests("GET /v1/health HTTP/1.1\nHost: x\n");
  ASSERT_FALSE(bare_lf.ok()) << "refused before the head is complete, not left waiting";
  EXPECT_EQ(bare_lf.error().code, Errc::kMalformed);
}

TEST(HttpRouter, RoutesByPatternMethodAndQuery) {
  Router router;
  router.add("GET", "/api/v1/consumers/{id}", [](const Request&, const Match& m) {
    return json_response(200, "\"" + m.var("id") + "\"");
  });
  router.add(
      "GET", "/api/v1/consumers/{id}/intervals",
      [](const Request& r, const Match& m) {
        return json_response(200, m.var("id") + "/" + r.params.at("day"));
      },
      RouteOptions{{"day"}});
  router.add("POST", "/api/v1/consumers/{id}",
             [](const Request&, const Match&) { return json_response(201, "{}"); });
  router.add("GET", "/static/{path*}",
             [](const Request&, const Match& m) { return json_response(200, m.var("path")); });
  auto call = [&](const std::string& raw) {
    auto p = parse_requests(raw);
    EXPECT_TRUE(p.ok() && p->requests.size() == 1) << raw;
    return router.dispatch(p->requests.at(0));
  };
  EXPECT_EQ(call("GET /api/v1/consumers/C1 HTTP/1.1\r\n\r\n").body, "\"C1\"");
  EXPECT_EQ(call("POST /api/v1/consumers/C1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status, 201);
  auto wrong = call("DELETE /api/v1/consumers/C1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(call("GET /api/v1/consumers/C1/intervals?day=2026-12-01 HTTP/1.1\r\n\r\n").body,
            "C1/2026-12-01");
  auto unknown = call("GET /api/v1/consumers/C1/intervals?month=1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown query parameter"), std::string::npos);
  auto none = call("GET /api/v1/consumers/C1?x=1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body.find("no query parameters"), std::string::npos);
  EXPECT_EQ(call("GET /api/v1/consumers HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(call("GET /static/js/app.js HTTP/1.1\r\n\r\n").body, "js/app.js");
  EXPECT_EQ(router.routes().size(), 4u);
  EXPECT_EQ(router.routes()[1], "GET /api/v1/consumers/{id}/intervals");
}

}  // namespace
}  // namespace vidyut::http
