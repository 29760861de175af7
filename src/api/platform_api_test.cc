// The platform API against a real engine, store and access book: every route is in the published
// OpenAPI document and the other way round; a consumer reaches only his own data and no operator
// route; an operator acts only within his roles and with the CSRF token; sign-in by code.
#include "api/platform_api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "api/hosted_gateway.h"
#include "api/payment_api.h"
#include "api/simulated_gateway.h"
#include "billing/test_rig.h"
#include "checkout/signature.h"
#include "http/parse.h"
#include "mdm/cases.h"
#include "mdm/load_control.h"
#include "mdm/manual_relay.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;

class Mobiles final : public ConsumerDirectory {
 public:
  Result<std::optional<std::string>> mobile_of(const std::string& c) override {
    if (c == "C1000") return std::optional<std::string>("+919800000001");
    if (c == "C1001") return std::optional<std::string>("+919800000002");
    return std::optional<std::string>();
  }
};

class Outbox final : public CodeSender {
 public:
  Status send_code(const std::string& consumer, const std::string& mobile,
                   const std::string& code) override {
    sent.push_back({consumer, mobile, code});
    return ok_status();
  }
  struct Sent {
    std::string consumer, mobile, code;
  };
  std::vector<Sent> sent;
};

const std::string kGatewaySecret = "a-secret-the-gateway-shares";

struct ApiRig {
  billing::Rig rig{"platform-api", 2};
  std::unique_ptr<access::AccessBook> book;
  std::unique_ptr<mdm::CaseBook> cases;
  std::unique_ptr<mdm::LoadControl> load_control;
  mdm::StoreCommandPort port{*rig.store};
  Mobiles mobiles;
  Outbox outbox;
  std::unique_ptr<SimulatedGateway> gateway;
  std::unique_ptr<checkout::Checkout> checkout;
  std::unique_ptr<HostedGateway> hosted;
  http::Router router;
  // `hosted`: the portal pays through a gateway's hosted checkout (else the simulated gateway).
  explicit ApiRig(bool with_hosted_checkout = false) {
    book = std::move(*access::AccessBook::open(rig.dir, rig.clock, rig.store.get()));
    cases = std::move(*mdm::CaseBook::open(rig.dir, rig.clock));
    Platform p;
    p.store = rig.store.get();
    p.access = book.get();
    p.clock = &rig.clock;
    p.billing_db = rig.db.get();
    p.engine = rig.engine.get();
    p.commands = &port;
    p.cases = cases.get();
    load_control = std::move(*mdm::LoadControl::open(rig.dir, *rig.store, port, rig.clock));
    p.load_control = load_control.get();
    p.directory = &mobiles;
    gateway = std::make_unique<SimulatedGateway>(*rig.engine);
    p.payments = gateway.get();
    if (with_hosted_checkout) {
      checkout = std::move(*checkout::Checkout::open(
          rig.dir,
          checkout::GatewayConfig{"https://pay.example/checkout", "KESCO01", kGatewaySecret,
                                  "https://vidyut.example/"},
          *rig.engine, rig.clock));
      hosted = std::make_unique<HostedGateway>(*checkout);
      p.payments = hosted.get();
      p.checkout = checkout.get();
    }
    p.codes = &outbox;
    add_platform_routes(router, p);
    EXPECT_TRUE(
        book->add_operator("asha", "grid-control-2026", *access::parse_roles("operator"), "test")
            .ok());
    EXPECT_TRUE(
        book->add_operator("vikram", "view-only-person", *access::parse_roles("viewer"), "test")
            .ok());
  }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& cookie = "",
                      const std::string& csrf = "",
                      const std::string& content_type = "application/json") {
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: x\r\n";
    if (!cookie.empty()) raw += "Cookie: vidyut_session=" + cookie + "\r\n";
    if (!csrf.empty()) raw += "X-CSRF-Token: " + csrf + "\r\n";
    if (!body.empty() || method == "POST") {
      raw += "Content-Type: " + content_type +
             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    raw += "\r\n" + body;
    auto p = http::parse_requests(raw);
    EXPECT_TRUE(p.ok() && p->requests.size() == 1) << raw;
    http::Request r = p->requests.at(0);
    r.remote_address = "10.0.0.7";
    return router.dispatch(r);
  }
  struct Signed {
    std::string token, csrf;
  };
  Signed operator_session(const std::string& user, const std::string& password) {
    auto r =
        call("POST", "/api/v1/session", json{{"username", user}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return from(r);
  }
  Signed consumer_session(const std::string& consumer) {
    auto asked = call("POST", "/api/v1/portal/code", json{{"consumer_id", consumer}}.dump());
    EXPECT_EQ(asked.status, 202) << asked.body;
    EXPECT_FALSE(outbox.sent.empty());
    auto r = call("POST", "/api/v1/portal/session",
                  json{{"consumer_id", consumer}, {"code", outbox.sent.back().code}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return from(r);
  }
  static Signed from(const http::Response& r) {
    Signed s;
    for (const auto& [name, value] : r.headers) {
      if (name == "Set-Cookie") {
        const auto eq = value.find('=');
        s.token = value.substr(eq + 1, value.find(';') - eq - 1);
        EXPECT_NE(value.find("HttpOnly"), std::string::npos);
        EXPECT_NE(value.find("SameSite=Strict"), std::string::npos);
      }
    }
    if (r.status == 200) s.csrf = json::parse(r.body)["csrf"].get<std::string>();
    return s;
  }
};

TEST(PlatformApi, EveryRouteIsInTheOpenApiDocumentAndTheOtherWayRound) {
  ApiRig a;
  billing::Rig pay_rig("platform-api-payments");
  PaymentApi payments(*pay_rig.engine, "k3y");
  http::Router all;
  payments.add_routes(all);
  for (const auto& r : a.router.routes())
    all.add(r.substr(0, r.find(' ')), r.substr(r.find(' ') + 1), nullptr);
  const json doc = json::parse(openapi_document());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::string> documented, routed;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + path);
      EXPECT_TRUE(op.contains("responses")) << m << " " << path;
    }
  }
  for (const auto& r : all.routes()) routed.insert(r);
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << "not documented: " << r;
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << "documented, not routed: " << d;
  auto published = a.call("GET", "/api/v1/openapi.json");
  EXPECT_EQ(published.status, 200);
  EXPECT_EQ(json::parse(published.body), doc);
}

TEST(PlatformApi, AConsumerSeesOnlyHisOwnDataAndNoOperatorRoute) {
  ApiRig a;
  a.rig.recharge(0, 50'000, "UPI-1");
  a.rig.recharge(1, 90'000, "UPI-2");
  const auto me = a.consumer_session("C1000");
  EXPECT_EQ(a.outbox.sent.back().mobile, "+919800000001");
  auto account = a.call("GET", "/api/v1/portal/account", "", me.token);
  ASSERT_EQ(account.status, 200) << account.body;
  const json j = json::parse(account.body);
  EXPECT_EQ(j["consumer_id"], "C1000");
  EXPECT_EQ(j["wallet_paise"], 50'000);
  EXPECT_EQ(j["balance_paise"], a.rig.balance(0)) << "wallet less the charges accrued";
  auto pays = a.call("GET", "/api/v1/portal/payments", "", me.token);
  ASSERT_EQ(pays.status, 200);
  EXPECT_EQ(json::parse(pays.body)["entries"][0]["balance_change_paise"], 50'000);
  EXPECT_EQ(a.call("GET", "/api/v1/portal/usage?resolution=hour", "", me.token).status, 200);

  // Other consumers' data: no route takes an id; the operator routes refuse him.
  for (const char* path :
       {"/api/v1/consumers/C1001", "/api/v1/consumers/C1000", "/api/v1/consumers/C1001/usage",
        "/api/v1/consumers/C1001/payments", "/api/v1/fleet", "/api/v1/consumers", "/api/v1/alerts",
        "/api/v1/audit", "/api/v1/operators", "/api/v1/commands/1"}) {
    EXPECT_EQ(a.call("GET", path, "", me.token).status, 401) << path;
  }
  EXPECT_EQ(
      a.call("POST", "/api/v1/consumers/C1001/disconnect", R"({"reason":"x"})", me.token, me.csrf)
          .status,
      401);
  EXPECT_EQ(a.call("GET", "/api/v1/portal/account?consumer_id=C1001", "", me.token).status, 400)
      << "no parameter names another consumer";
  EXPECT_EQ(a.call("GET", "/api/v1/portal/account").status, 401) << "no session, no data";
  EXPECT_EQ(a.call("GET", "/api/v1/portal/account", "", std::string(64, '0')).status, 401);
}

TEST(PlatformApi, OperatorsActWithinTheirRolesAndWithTheCsrfToken) {
  ApiRig a;
  const auto viewer = a.operator_session("vikram", "view-only-person");
  const auto op = a.operator_session("asha", "grid-control-2026");
  EXPECT_EQ(a.call("GET", "/api/v1/fleet", "", viewer.token).status, 200);
  auto fleet = json::parse(a.call("GET", "/api/v1/fleet", "", op.token).body);
  EXPECT_EQ(fleet["all"]["meters"], 2);
  EXPECT_EQ(fleet["all"]["never_seen"], 2);
  EXPECT_EQ(a.call("GET", "/api/v1/portal/account", "", op.token).status, 401)
      << "an operator is not a consumer";

  const std::string why = R"({"reason":"tamper reported by the lineman"})";
  EXPECT_EQ(
      a.call("POST", "/api/v1/consumers/C1001/disconnect", why, viewer.token, viewer.csrf).status,
      403)
      << "a viewer cannot act";
  EXPECT_EQ(a.call("POST", "/api/v1/consumers/C1001/disconnect", why, op.token).status, 403)
      << "no CSRF token";
  EXPECT_EQ(a.call("POST", "/api/v1/consumers/C1001/disconnect", why, op.token, viewer.csrf).status,
            403)
      << "another session's CSRF token";
  EXPECT_EQ(a.call("POST", "/api/v1/operators",
                   R"({"username":"x1","password":"long-enough-pass","roles":"viewer"})", op.token,
                   op.csrf)
                .status,
            403)
      << "an operator does not manage users";
  auto off = a.call("POST", "/api/v1/consumers/C1001/disconnect", why, op.token, op.csrf);
  ASSERT_EQ(off.status, 202) << off.body;
  const json cmd = json::parse(off.body)["command"];
  EXPECT_EQ(cmd["kind"], "disconnect");
  EXPECT_EQ(cmd["requested_by"], "web:asha");
  auto followed = a.call("GET", "/api/v1/commands/" + std::to_string(cmd["id"].get<std::int64_t>()),
                         "", viewer.token);
  ASSERT_EQ(followed.status, 200);
  EXPECT_EQ(json::parse(followed.body)["state"], "pending");
  auto detail = json::parse(a.call("GET", "/api/v1/consumers/C1001", "", viewer.token).body);
  EXPECT_EQ(detail["holds"][0]["holder"], "operator");
  auto on = a.call("POST", "/api/v1/consumers/C1001/reconnect", R"({"reason":"inspected"})",
                   op.token, op.csrf);
  ASSERT_EQ(on.status, 202);
  EXPECT_EQ(json::parse(on.body)["command"]["kind"], "connect");

  // The trail names the operator.
  auto audit = json::parse(a.call("GET", "/api/v1/audit?limit=1000", "", viewer.token).body);
  std::set<std::string> actions;
  for (const auto& r : audit["items"]) {
    actions.insert(r["actor"].get<std::string>() + " " + r["action"].get<std::string>());
  }
  EXPECT_TRUE(actions.count("web:asha operator-disconnect"));
  EXPECT_TRUE(actions.count("web:asha operator-reconnect"));
  EXPECT_TRUE(actions.count("web:vikram sign-in"));
  // Latest first; ?before= pages back, ?after= reads forward; not both.
  std::vector<std::int64_t> ids;
  for (const auto& r : audit["items"]) ids.push_back(r["id"].get<std::int64_t>());
  ASSERT_GE(ids.size(), 3u);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  auto back = json::parse(
      a.call("GET", "/api/v1/audit?limit=1&before=" + std::to_string(ids[0]), "", viewer.token)
          .body);
  EXPECT_EQ(back["items"][0]["id"], ids[1]);
  auto forward = json::parse(a.call("GET", "/api/v1/audit?after=0&limit=2", "", viewer.token).body);
  EXPECT_EQ(forward["items"][0]["id"], ids.back());
  EXPECT_EQ(a.call("GET", "/api/v1/audit?after=1&before=5", "", viewer.token).status, 400);

  // Sign-out ends the session; the cookie is cleared.
  EXPECT_EQ(a.call("DELETE", "/api/v1/session", "", op.token).status, 403) << "CSRF";
  EXPECT_EQ(a.call("DELETE", "/api/v1/session", "", op.token, op.csrf).status, 204);
  EXPECT_EQ(a.call("GET", "/api/v1/fleet", "", op.token).status, 401);
}

// Every route the document marks as needing a session, tried without one, with a consumer's
// session where it is not a portal route, and with an operator's where it is: all refused, before
// anything is looked up (ids that exist are used, so a 404 cannot hide a missing check).
TEST(PlatformApi, EveryProtectedRouteRefusesTheWrongAudience) {
  ApiRig a;
  const auto consumer = a.consumer_session("C1000");
  const auto op = a.operator_session("asha", "grid-control-2026");
  const json doc = json::parse(openapi_document());
  int checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    if (path.rfind("/api/v1/", 0) != 0) continue;
    for (const auto& [method, o] : ops.items()) {
      const auto sec = o.value("security", json::array());
      if (sec.empty() || !sec[0].contains("session")) continue;
      if (path == "/api/v1/session") continue;  // either audience's own session
      std::string target = path;
      for (const auto& [var, value] : {std::pair<std::string, std::string>{"{id}", "C1001"}}) {
        if (auto at = target.find(var); at != std::string::npos)
          target.replace(at, var.size(), value);
      }
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string body = m == "POST" ? R"({"reason":"probe"})" : "";
      const bool portal = path.rfind("/api/v1/portal/", 0) == 0;
      EXPECT_EQ(a.call(m, target, body).status, 401) << m << " " << target << " without a session";
      const auto& wrong = portal ? op : consumer;
      EXPECT_EQ(a.call(m, target, body, wrong.token, wrong.csrf).status, 401)
          << m << " " << target << " with the other audience's session";
      ++checked;
    }
  }
  EXPECT_GE(checked, 15);
  EXPECT_TRUE(a.book->find_operator("probe").value() == std::nullopt);
}

TEST(PlatformApi, SignInRefusesGuessesAndDoesNotTellWhoIsAConsumer) {
  ApiRig a;
  EXPECT_EQ(a.call("POST", "/api/v1/session", R"({"username":"asha","password":"nope-nope-nope"})")
                .status,
            401);
  auto unknown = a.call("POST", "/api/v1/portal/code", R"({"consumer_id":"NOBODY"})");
  auto known = a.call("POST", "/api/v1/portal/code", R"({"consumer_id":"C1000"})");
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(unknown.body, known.body) << "the same answer for a stranger";
  ASSERT_EQ(a.outbox.sent.size(), 1u) << "a code only to the registered mobile";
  EXPECT_EQ(a.call("POST", "/api/v1/portal/session", R"({"consumer_id":"C1000","code":"000000"})")
                    .status == 200,
            a.outbox.sent[0].code == "000000");
  // A form post (not JSON) is refused: cross-site forms cannot sign anyone in.
  std::string raw =
      "POST /api/v1/session HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 3\r\n\r\na=b";
  auto p = http::parse_requests(raw);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(a.router.dispatch(p->requests[0]).status, 415);
}

// Theft cases from the control room: an operator opens one on a suspect's meter for a DT-day
// (once: again answers the open case), notes and closes it with an outcome; each step is in the
// case's trail and the audit trail with its actor. A viewer reads but cannot act; bad input is
// refused by name.
TEST(PlatformApi, AnOperatorFollowsATheftCaseFromOpeningToItsOutcome) {
  ApiRig a;
  a.rig.consume(0, tariff::CivilDate{2026, 10, 31}, 50);
  const auto op = a.operator_session("asha", "grid-control-2026");
  const auto viewer = a.operator_session("vikram", "view-only-person");
  const std::string open_body = R"({"serial":"S1000","day":"2026-10-31","note":"DT loss 18 %"})";
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases", open_body, viewer.token, viewer.csrf).status,
            403);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases", open_body, op.token).status, 403) << "no CSRF";
  auto opened = a.call("POST", "/api/v1/theft-cases", open_body, op.token, op.csrf);
  ASSERT_EQ(opened.status, 201) << opened.body;
  const json c = json::parse(opened.body)["case"];
  EXPECT_EQ(c["serial"], "S1000");
  EXPECT_EQ(c["consumer"], "C1000");
  EXPECT_EQ(c["dt"], "D1");
  EXPECT_EQ(c["state"], "open");
  EXPECT_EQ(c["opened_by"], "web:asha");
  EXPECT_FALSE(c["evidence"].get<std::string>().empty());
  const std::string id = std::to_string(c["id"].get<std::int64_t>());
  auto again = a.call("POST", "/api/v1/theft-cases", open_body, op.token, op.csrf);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["created"], false);
  EXPECT_EQ(json::parse(again.body)["case"]["id"], c["id"]);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases", R"({"serial":"NOPE","day":"2026-10-31"})",
                   op.token, op.csrf)
                .status,
            404);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases", R"({"serial":"S1000","day":"31/10/2026"})",
                   op.token, op.csrf)
                .status,
            400);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases", R"({"serial":"S1000","day":"2026-10-31","x":1})",
                   op.token, op.csrf)
                .status,
            400)
      << "an unknown field";

  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/" + id + "/notes",
                   R"({"note":"inspection Tuesday"})", viewer.token, viewer.csrf)
                .status,
            403);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/" + id + "/notes",
                   R"({"note":"inspection Tuesday"})", op.token, op.csrf)
                .status,
            200);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/" + id + "/close",
                   R"({"outcome":"open","note":"x"})", op.token, op.csrf)
                .status,
            400);
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/" + id + "/close",
                   R"({"outcome":"confirmed","note":""})", op.token, op.csrf)
                .status,
            400)
      << "closing needs a note";
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/999/close", R"({"outcome":"confirmed","note":"x"})",
                   op.token, op.csrf)
                .status,
            404);
  auto closed = a.call("POST", "/api/v1/theft-cases/" + id + "/close",
                       R"({"outcome":"confirmed","note":"bypass found at the meter board"})",
                       op.token, op.csrf);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(json::parse(closed.body)["state"], "confirmed");
  EXPECT_EQ(json::parse(closed.body)["closed_by"], "web:asha");
  EXPECT_EQ(a.call("POST", "/api/v1/theft-cases/" + id + "/close",
                   R"({"outcome":"dismissed","note":"again"})", op.token, op.csrf)
                .status,
            400)
      << "a closed case stays closed";

  auto shown = a.call("GET", "/api/v1/theft-cases/" + id, "", viewer.token);
  ASSERT_EQ(shown.status, 200);
  const json trail = json::parse(shown.body)["trail"];
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[0]["action"], "open");
  EXPECT_EQ(trail[1]["action"], "note");
  EXPECT_EQ(trail[2]["action"], "confirm");
  EXPECT_EQ(trail[2]["actor"], "web:asha");
  EXPECT_EQ(
      json::parse(a.call("GET", "/api/v1/theft-cases", "", viewer.token).body)["items"].size(), 0u)
      << "no case open any more";
  EXPECT_EQ(
      json::parse(
          a.call("GET", "/api/v1/theft-cases?state=confirmed", "", viewer.token).body)["items"]
          .size(),
      1u);
  EXPECT_EQ(a.call("GET", "/api/v1/theft-cases?state=lost", "", viewer.token).status, 400);
  EXPECT_EQ(a.call("GET", "/api/v1/theft-cases/12x", "", viewer.token).status, 404);

  std::set<std::string> audited;
  auto rows = a.rig.store->audit_after(0, 1000);
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    if (r.actor == "web:asha") audited.insert(r.action);
  }
  EXPECT_TRUE(audited.count("theft-case-open"));
  EXPECT_TRUE(audited.count("theft-case-note"));
  EXPECT_TRUE(audited.count("theft-case-confirm"));
}

// The day-scale analyses answer for a day (default yesterday) and refuse a bad period by name.
TEST(PlatformApi, TheAnalysesAnswerForADayAndRefuseABadPeriod) {
  ApiRig a;
  a.rig.consume(0, tariff::CivilDate{2026, 10, 31}, 50);
  const auto viewer = a.operator_session("vikram", "view-only-person");
  auto audit =
      a.call("GET", "/api/v1/energy-audit?from=2026-10-31&to=2026-10-31", "", viewer.token);
  ASSERT_EQ(audit.status, 200) << audit.body;
  const json j = json::parse(audit.body);
  ASSERT_EQ(j["dts"].size(), 1u);
  EXPECT_EQ(j["dts"][0]["consumers_wh"], 96 * 50);
  EXPECT_EQ(json::parse(a.call("GET", "/api/v1/energy-audit", "", viewer.token).body)["from"],
            j["from"])
      << "yesterday by default";
  for (const char* bad :
       {"/api/v1/energy-audit?from=2026-10-01&to=2026-11-30",
        "/api/v1/energy-audit?from=2026-10-31&to=2026-10-30", "/api/v1/loading?from=yesterday",
        "/api/v1/theft?day=2026-13-01", "/api/v1/reliability?from=2026-01-01&to=2026-10-31"}) {
    EXPECT_EQ(a.call("GET", bad, "", viewer.token).status, 400) << bad;
  }
  for (const char* good : {"/api/v1/loading", "/api/v1/theft", "/api/v1/reliability"}) {
    EXPECT_EQ(a.call("GET", good, "", viewer.token).status, 200) << good;
  }
}

// A consumer reads his monthly statement, as billing issued it, under a strict policy.
TEST(PlatformApi, AConsumerReadsHisMonthlyStatement) {
  ApiRig a;
  a.rig.recharge(0, 100'000, "UPI-1");
  for (int d = 1; d <= 30; ++d) {
    a.rig.consume(0, {2026, 11, d}, 30);
    a.rig.at(billing::ist(tariff::add_days({2026, 11, d}, 1), 0, 31));
  }
  a.rig.at(billing::ist({2026, 12, 3}, 0, 31));
  const auto me = a.consumer_session("C1000");
  auto list = a.call("GET", "/api/v1/portal/statements", "", me.token);
  ASSERT_EQ(list.status, 200) << list.body;
  const json items = json::parse(list.body)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["month"], "2026-11");
  EXPECT_EQ(items[0]["kind"], "prepaid-statement");
  EXPECT_GT(items[0]["bill_paise"].get<std::int64_t>(), 0);
  auto doc = a.call("GET", "/api/v1/portal/statements/2026-11/prepaid-statement", "", me.token);
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.content_type, "text/html; charset=utf-8");
  EXPECT_NE(doc.body.find("C1000"), std::string::npos);
  bool strict = false;
  for (const auto& [name, value] : doc.headers) {
    strict |= name == "Content-Security-Policy" && value.find("default-src 'none'") == 0;
  }
  EXPECT_TRUE(strict);
  EXPECT_EQ(
      a.call("GET", "/api/v1/portal/statements/2026-10/prepaid-statement", "", me.token).status,
      404);
  const auto viewer = a.operator_session("vikram", "view-only-person");
  EXPECT_EQ(a.call("GET", "/api/v1/consumers/C1000/statements", "", viewer.token).status, 200);
  EXPECT_EQ(a.call("GET", "/api/v1/consumers/C1000/statements", "", me.token).status, 401);
}

// A recharge from the portal with a hotspot token: the token comes back in groups of four, and a
// retried request gets the same one without paying twice.
TEST(PlatformApi, APortalRechargeCanCarryAHotspotToken) {
  ApiRig a;
  const auto me = a.consumer_session("C1000");
  auto plain = a.call("POST", "/api/v1/portal/recharges",
                      R"({"amount":"100.00","request_id":"0000aaaa"})", me.token, me.csrf);
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_FALSE(json::parse(plain.body).contains("token"));
  auto with = a.call("POST", "/api/v1/portal/recharges",
                     R"({"amount":"200.00","request_id":"0000bbbb","hotspot_token":true})",
                     me.token, me.csrf);
  ASSERT_EQ(with.status, 201) << with.body;
  const json j = json::parse(with.body);
  ASSERT_TRUE(j.contains("token"));
  const std::string token = j["token"];
  ASSERT_EQ(token.size(), 24u) << token;
  for (std::size_t i = 0; i < token.size(); ++i) {
    EXPECT_TRUE(i % 5 == 4 ? token[i] == ' ' : std::isdigit(static_cast<unsigned char>(token[i])))
        << token;
  }
  EXPECT_EQ(j["token_sequence"], 1);
  auto again = a.call("POST", "/api/v1/portal/recharges",
                      R"({"amount":"200.00","request_id":"0000bbbb","hotspot_token":true})",
                      me.token, me.csrf);
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(json::parse(again.body)["token"], token)
      << "a retried request (its answer lost) pays once and gets the same token";
  EXPECT_EQ(a.call("POST", "/api/v1/portal/recharges",
                   R"({"amount":"200.00","request_id":"0000cccc","hotspot_token":"yes"})", me.token,
                   me.csrf)
                .status,
            400);
}

// Area load control from the control room: an operator limits a DT for a while and restores it
// early; a viewer sees the actions but cannot act; a bad request is refused by name.
TEST(PlatformApi, AnOperatorLimitsAnAreaAndRestoresIt) {
  ApiRig a;
  const auto op = a.operator_session("asha", "grid-control-2026");
  const auto viewer = a.operator_session("vikram", "view-only-person");
  const std::string limit = R"({"target":"D1","limit_w":1000,"minutes":60,"reason":"DT at 130 %"})";
  EXPECT_EQ(a.call("POST", "/api/v1/load-actions", limit, viewer.token, viewer.csrf).status, 403);
  auto made = a.call("POST", "/api/v1/load-actions", limit, op.token, op.csrf);
  ASSERT_EQ(made.status, 201) << made.body;
  const json j = json::parse(made.body);
  EXPECT_EQ(j["target"], "D1");
  EXPECT_EQ(j["limit_w"], 1000);
  EXPECT_EQ(j["meters"], 2);
  EXPECT_EQ(j["requested_by"], "web:asha");
  EXPECT_EQ(a.call("POST", "/api/v1/load-actions", limit, op.token, op.csrf).status, 400)
      << "the DT has an active action";
  EXPECT_EQ(a.call("POST", "/api/v1/load-actions",
                   R"({"target":"NOWHERE","limit_w":1000,"minutes":60,"reason":"x y z"})", op.token,
                   op.csrf)
                .status,
            404);
  EXPECT_EQ(
      a.call("POST", "/api/v1/load-actions",
             R"({"target":"D1","limit_w":"1000","minutes":60,"reason":"x y z"})", op.token, op.csrf)
          .status,
      400);
  auto active = json::parse(a.call("GET", "/api/v1/load-actions", "", viewer.token).body);
  ASSERT_EQ(active["items"].size(), 1u);
  const std::string id = std::to_string(j["id"].get<std::int64_t>());
  EXPECT_EQ(a.call("POST", "/api/v1/load-actions/" + id + "/restore", "", viewer.token, viewer.csrf)
                .status,
            403);
  auto restored = a.call("POST", "/api/v1/load-actions/" + id + "/restore", "", op.token, op.csrf);
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(
      json::parse(a.call("GET", "/api/v1/load-actions", "", viewer.token).body)["items"].size(),
      0u);
  EXPECT_EQ(json::parse(
                a.call("GET", "/api/v1/load-actions?active=false", "", viewer.token).body)["items"]
                .size(),
            1u);
  EXPECT_EQ(a.call("POST", "/api/v1/load-actions/99/restore", "", op.token, op.csrf).status, 404);
}

// The body of a streamed answer, polled to its end.
std::string drain(const http::Response& r) {
  if (!r.stream) return r.body;
  std::string out;
  while (!r.stream->done()) out += r.stream->poll();
  return out;
}

TEST(PlatformApi, CimMeterReadingsCarryADaysValidatedIntervalsInKwh) {
  ApiRig a;
  a.rig.consume(0, {2026, 11, 1}, 24);  // 24 Wh in each of the day's 96 intervals
  a.rig.at(billing::ist({2026, 11, 2}, 9, 0));
  const auto viewer = a.operator_session("vikram", "view-only-person");
  const auto me = a.consumer_session("C1000");
  EXPECT_EQ(a.call("GET", "/api/v1/cim/meter-readings?day=2026-11-01", "", me.token).status, 401);
  EXPECT_EQ(a.call("GET", "/api/v1/cim/meter-readings?day=2026-13-01", "", viewer.token).status,
            400);
  EXPECT_EQ(a.call("GET", "/api/v1/cim/meter-readings?day=2026-11-01&meter=NOPE", "", viewer.token)
                .status,
            404);
  auto r = a.call("GET", "/api/v1/cim/meter-readings?day=2026-11-01", "", viewer.token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/xml; charset=utf-8");
  const std::string text = drain(r);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(text.c_str())) << text.substr(0, 2000);
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.name(), "ResponseMessage");
  EXPECT_STREQ(root.child("Reply").child_value("Result"), "OK");
  std::map<std::string, std::pair<int, std::int64_t>> per_meter;  // intervals, Wh
  for (pugi::xml_node m : root.child("Payload").child("MeterReadings").children("MeterReading")) {
    auto& [n, wh] = per_meter[m.child("Meter").child_value("mRID")];
    for (pugi::xml_node iv : m.child("IntervalBlocks").children("IntervalReadings")) {
      ++n;
      const std::string v = iv.child_value("value");
      const auto dot = v.find('.');
      wh += std::stoll(v.substr(0, dot)) * 1000 + std::stoll(v.substr(dot + 1));
    }
  }
  ASSERT_TRUE(per_meter.count("S1000"));
  EXPECT_EQ(per_meter["S1000"].first, 96);
  EXPECT_EQ(per_meter["S1000"].second, 96 * 24);
  EXPECT_FALSE(per_meter.count("S1001")) << "a meter without readings has no MeterReading";
  // The first interval ends 00:15 IST on the day, 18:45 UTC the day before.
  pugi::xml_node first = root.child("Payload")
                             .child("MeterReadings")
                             .child("MeterReading")
                             .child("IntervalBlocks")
                             .child("IntervalReadings");
  EXPECT_STREQ(first.child_value("timeStamp"), "2026-10-31T18:45:00Z");
}

TEST(PlatformApi, CimEndDeviceEventsFollowTheAlertsFromACursor) {
  ApiRig a;
  store::WriteBatch b;
  store::Alert tamper;
  tamper.meter_id = a.rig.meter_ids[1];
  tamper.at = a.rig.clock.now();
  tamper.received = a.rig.clock.now();
  tamper.kind = "tamper";
  tamper.name = "magnet";
  tamper.detail = "ESW bit 1 (magnet) set";
  b.alerts.push_back(tamper);
  store::Alert outage = tamper;
  outage.kind = "outage";
  outage.name = "last-gasp";
  b.alerts.push_back(outage);
  ASSERT_TRUE(a.rig.store->write(b).ok());
  const auto viewer = a.operator_session("vikram", "view-only-person");
  auto r = a.call("GET", "/api/v1/cim/end-device-events?after=0", "", viewer.token);
  ASSERT_EQ(r.status, 200) << r.body;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.body.c_str())) << r.body;
  std::vector<std::string> codes;
  for (pugi::xml_node e : doc.document_element()
                              .child("Payload")
                              .child("EndDeviceEvents")
                              .children("EndDeviceEvent")) {
    codes.push_back(e.child("EndDeviceEventType").attribute("ref").value());
    EXPECT_STREQ(e.child("Assets").child_value("mRID"), "S1001");
    EXPECT_STREQ(e.child("UsagePoint").child_value("mRID"), "C1001");
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"3.12.66.242", "3.26.38.85"}));
  std::string next;
  for (const auto& [name, value] : r.headers) {
    if (name == "X-Next-After") next = value;
  }
  ASSERT_FALSE(next.empty());
  auto after = a.call("GET", "/api/v1/cim/end-device-events?after=" + next, "", viewer.token);
  pugi::xml_document none;
  ASSERT_TRUE(none.load_string(after.body.c_str()));
  EXPECT_FALSE(
      none.document_element().child("Payload").child("EndDeviceEvents").child("EndDeviceEvent"));
  EXPECT_EQ(a.call("GET", "/api/v1/cim/end-device-events?limit=0", "", viewer.token).status, 400);
  EXPECT_EQ(a.call("GET", "/api/v1/cim/end-device-events?after=x", "", viewer.token).status, 400);
}

std::string controls_message(const std::string& id, const std::string& code,
                             const std::string& meters) {
  return "<?xml version=\"1.0\"?><RequestMessage "
         "xmlns=\"http://iec.ch/TC57/2011/schema/message\"><Header><Verb>create</Verb>"
         "<Noun>EndDeviceControls</Noun><Source>CIS</Source><MessageID>" +
         id +
         "</MessageID></Header><Payload><EndDeviceControls "
         "xmlns=\"http://iec.ch/TC57/2011/EndDeviceControls#\"><EndDeviceControl>"
         "<reason>non-payment</reason><EndDeviceControlType ref=\"" +
         code + "\"/>" + meters +
         "</EndDeviceControl></EndDeviceControls></Payload></RequestMessage>";
}

std::size_t queued_commands(ApiRig& a) { return a.rig.store->commands_after(0, 10'000)->size(); }

TEST(PlatformApi, CimEndDeviceControlsOpenAndCloseRelaysWithinRolesAndOnce) {
  ApiRig a;
  const auto viewer = a.operator_session("vikram", "view-only-person");
  const auto op = a.operator_session("asha", "grid-control-2026");
  const std::string xml = "application/xml";
  const std::string open = controls_message(
      "cis-1", "3.31.0.23",
      "<EndDevices><mRID>S1001</mRID></EndDevices><EndDevices><mRID>S9999</mRID></EndDevices>");
  EXPECT_EQ(a.call("POST", "/api/v1/cim/end-device-controls", open, viewer.token, viewer.csrf, xml)
                .status,
            403)
      << "a viewer cannot act";
  EXPECT_EQ(a.call("POST", "/api/v1/cim/end-device-controls", open, op.token, "", xml).status, 403)
      << "no CSRF token";
  EXPECT_EQ(a.call("POST", "/api/v1/cim/end-device-controls", open, op.token, op.csrf).status, 415)
      << "not XML";
  auto bad =
      a.call("POST", "/api/v1/cim/end-device-controls", "<RequestMessage>", op.token, op.csrf, xml);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("<Result>FAILED</Result>"), std::string::npos) << bad.body;
  EXPECT_EQ(queued_commands(a), 0u);

  auto r = a.call("POST", "/api/v1/cim/end-device-controls", open, op.token, op.csrf, xml);
  ASSERT_EQ(r.status, 200) << r.body;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.body.c_str())) << r.body;
  pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.child("Header").child_value("CorrelationID"), "cis-1");
  EXPECT_STREQ(root.child("Reply").child_value("Result"), "PARTIAL");
  EXPECT_STREQ(root.child("Reply").child("Error").child_value("code"), "2.4");
  EXPECT_STREQ(root.child("Reply").child("Error").child_value("ID"), "S9999");
  pugi::xml_node done = root.child("Payload").child("EndDeviceControls").child("EndDeviceControl");
  EXPECT_STREQ(done.child("EndDevices").child_value("mRID"), "S1001");
  const std::string command = done.child_value("mRID");
  ASSERT_FALSE(command.empty());
  auto followed = json::parse(a.call("GET", "/api/v1/commands/" + command, "", viewer.token).body);
  EXPECT_EQ(followed["kind"], "disconnect");
  EXPECT_EQ(followed["requested_by"], "web:asha");
  auto status = mdm::relay_status(*a.rig.store, a.rig.meter_ids[1]);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->holds.size(), 1u);
  EXPECT_EQ(status->holds[0].holder, "operator");

  // The same message again: the same reply, nothing queued twice.
  const std::size_t queued = queued_commands(a);
  EXPECT_EQ(queued, 1u);
  auto again = a.call("POST", "/api/v1/cim/end-device-controls", open, op.token, op.csrf, xml);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(queued_commands(a), queued);

  // Close: the relay is reconnected; an unknown control type is refused by name.
  auto closed =
      a.call("POST", "/api/v1/cim/end-device-controls",
             controls_message("cis-2", "3.31.0.18",
                              "<EndDevices><Names><name>S1001</name></Names></EndDevices>"),
             op.token, op.csrf, xml);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_NE(closed.body.find("<Result>OK</Result>"), std::string::npos) << closed.body;
  EXPECT_TRUE(mdm::relay_status(*a.rig.store, a.rig.meter_ids[1])->holds.empty());
  auto other =
      a.call("POST", "/api/v1/cim/end-device-controls",
             controls_message("cis-3", "3.15.0.1", "<EndDevices><mRID>S1001</mRID></EndDevices>"),
             op.token, op.csrf, xml);
  EXPECT_NE(other.body.find("<Result>FAILED</Result>"), std::string::npos) << other.body;

  // The audit trail names the operator for the message and for each relay step.
  auto audit = json::parse(a.call("GET", "/api/v1/audit?limit=1000", "", viewer.token).body);
  std::set<std::string> actions;
  for (const auto& x : audit["items"]) {
    actions.insert(x["actor"].get<std::string>() + " " + x["action"].get<std::string>());
  }
  EXPECT_TRUE(actions.count("web:asha cim-end-device-controls"));
  EXPECT_TRUE(actions.count("web:asha operator-disconnect"));
  EXPECT_TRUE(actions.count("web:asha operator-reconnect"));
}

TEST(PlatformApi, APortalRechargeGoesThroughTheGatewaysCheckoutAndItsSignedNotice) {
  ApiRig a(true);
  const auto me = a.consumer_session("C1000");
  const auto other = a.consumer_session("C1001");
  auto started = a.call("POST", "/api/v1/portal/recharges",
                        R"({"amount":"250.00","request_id":"0123abcd"})", me.token, me.csrf);
  ASSERT_EQ(started.status, 201) << started.body;
  const json s = json::parse(started.body);
  EXPECT_FALSE(s["completed"].get<bool>());
  const std::string ref = s["payment_ref"];
  ASSERT_EQ(s["pay_url"].get<std::string>().rfind("https://pay.example/checkout?", 0), 0u);
  auto mine = a.call("GET", "/api/v1/portal/checkout/" + ref, "", me.token);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(json::parse(mine.body)["state"], "pending");
  EXPECT_EQ(a.call("GET", "/api/v1/portal/checkout/" + ref, "", other.token).status, 404)
      << "another consumer's payment is not his to see";

  auto notice = [&](const std::string& status, const std::string& amount,
                    const std::string& secret) {
    checkout::Fields f{{"merchant", "KESCO01"},
                       {"order", ref},
                       {"status", status},
                       {"amount_paise", amount},
                       {"gateway_txn", "PAY-1"}};
    json j(f);
    j["signature"] = checkout::sign(secret, f);
    return a.call("POST", "/api/v1/payments/checkout/notify", j.dump());
  };
  const auto before = a.rig.balance(0);
  EXPECT_EQ(notice("paid", "25000", "a-forger-s-own-secret").status, 401);
  EXPECT_EQ(notice("paid", "2500000", kGatewaySecret).status, 409) << "another amount";
  EXPECT_EQ(a.rig.balance(0), before);
  auto paid = notice("paid", "25000", kGatewaySecret);
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(json::parse(paid.body)["state"], "paid");
  EXPECT_EQ(notice("paid", "25000", kGatewaySecret).status, 200) << "repeated: same answer";
  EXPECT_EQ(a.rig.balance(0), before + 25'000) << "credited once";
  auto back = json::parse(a.call("GET", "/api/v1/portal/checkout/" + ref, "", me.token).body);
  EXPECT_EQ(back["state"], "paid");
  EXPECT_EQ(back["balance_paise"], before + 25'000);

  // The trail has the payment and the forged notice with where it came from.
  const auto viewer = a.operator_session("vikram", "view-only-person");
  auto audit = json::parse(a.call("GET", "/api/v1/audit?limit=1000", "", viewer.token).body);
  std::set<std::string> actions;
  for (const auto& x : audit["items"]) {
    actions.insert(x["actor"].get<std::string>() + " " + x["action"].get<std::string>());
  }
  EXPECT_TRUE(actions.count("gateway:KESCO01 checkout-paid"));
  EXPECT_TRUE(actions.count("gateway@10.0.0.7 checkout-notice-refused"));
}

}  // namespace
}  // namespace vidyut::api
