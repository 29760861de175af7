#include "api/payment_api.h"

#include <nlohmann/json.hpp>

#include "api/json_body.h"
#include "api/resources.h"
#include "token/token.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;
using billing::Paise;

int status_of(const Error& e) {
  switch (e.code) {
    case Errc::kNotFound:
      return 404;
    case Errc::kRefused:
      return 409;
    case Errc::kInvalidArgument:
    case Errc::kMalformed:
      return 400;
    case Errc::kLimitExceeded:
      return 413;
    default:
      return 500;
  }
}

http::Response error_of(const Error& e) { return http::error_response(status_of(e), e.message); }

// The account as payment channels read it: the resource's fields, without the portal's own.
json view_json(const billing::AccountView& v) {
  json j = account_json(v, std::nullopt);
  j.erase("disconnection_paused");
  j.erase("days_left");
  return j;
}

}  // namespace

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0 && !b.empty();
}

Result<Paise> parse_rupees(std::string_view t) {
  auto bad = [&] {
    return Error(Errc::kInvalidArgument, "amount \"" + std::string(t.substr(0, 32)) +
                                             "\" is not rupees with at most two decimals");
  };
  if (t.empty() || t.size() > 15) return bad();
  const auto dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || frac.size() > 2 ||
      (dot != std::string_view::npos && frac.empty())) {
    return bad();
  }
  Paise v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + (c - '0');
  }
  Paise f = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    const char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9') return bad();
    f = f * 10 + (c - '0');
  }
  return v * 100 + f;
}

Result<billing::RechargeRequest> parse_recharge(std::string_view text) {
  VIDYUT_TRY(parsed, parse_json_object(text, {"payment_ref", "consumer_id", "channel", "amount",
                                              "amount_paise", "token"}));
  const json& j = *parsed;
  if (j.contains("amount") && j.contains("amount_paise")) {
    return Error(Errc::kInvalidArgument, "send amount or amount_paise, not both");
  }
  billing::RechargeRequest q;
  auto str = [&](const char* name, std::string& out, bool required) -> Status {
    auto it = j.find(name);
    if (it == j.end()) {
      if (required) return Error(Errc::kInvalidArgument, std::string(name) + " is required");
      return ok_status();
    }
    if (!it->is_string())
      return Error(Errc::kInvalidArgument, std::string(name) + " must be a string");
    out = it->get<std::string>();
    if (out.empty() || out.size() > billing::kMaxRefLength) {
      return Error(Errc::kInvalidArgument, std::string(name) + " must have 1 to " +
                                               std::to_string(billing::kMaxRefLength) +
                                               " characters");
    }
    return ok_status();
  };
  VIDYUT_CHECK(str("payment_ref", q.payment_ref, true));
  VIDYUT_CHECK(str("consumer_id", q.consumer_id, true));
  VIDYUT_CHECK(str("channel", q.channel, false));
  if (auto it = j.find("amount_paise"); it != j.end()) {
    if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<Paise>() < 0)) {
      return Error(Errc::kInvalidArgument, "amount_paise must be an integer number of paise");
    }
    q.amount = it->get<Paise>();
  } else if (auto a = j.find("amount"); a != j.end()) {
    if (!a->is_string()) {
      return Error(Errc::kInvalidArgument,
                   "amount must be a string of rupees (\"250.50\"); or send amount_paise");
    }
    VIDYUT_TRY(p, parse_rupees(a->get<std::string>()));
    q.amount = *p;
  } else {
    return Error(Errc::kInvalidArgument, "amount_paise (or amount) is required");
  }
  if (auto it = j.find("token"); it != j.end()) {
    if (!it->is_boolean()) return Error(Errc::kInvalidArgument, "token must be true or false");
    q.issue_token = it->get<bool>();
  }
  if (q.channel.size() > 32) return Error(Errc::kInvalidArgument, "channel is longer than 32");
  q.actor = "payment-api:" + q.channel;
  return q;
}

PaymentApi::PaymentApi(billing::Engine& engine, std::string key)
    : engine_(engine), key_(std::move(key)) {
  add_routes(own_);
}

void PaymentApi::add_routes(http::Router& router) {
  router.add("GET", "/v1/health", [](const http::Request&, const http::Match&) {
    return http::json_response(200, R"({"status":"ok"})");
  });
  router.add("POST", "/v1/recharges", [this](const http::Request& r, const http::Match&) {
    return authorised(r) ? recharge(r) : http::error_response(401, "missing or wrong bearer key");
  });
  router.add("POST", "/v1/reversals", [this](const http::Request& r, const http::Match&) {
    return authorised(r) ? reversal(r) : http::error_response(401, "missing or wrong bearer key");
  });
  router.add("GET", "/v1/accounts/{consumer_id}",
             [this](const http::Request& r, const http::Match& m) {
               return authorised(r) ? account(r, m.var("consumer_id"))
                                    : http::error_response(401, "missing or wrong bearer key");
             });
}

http::Response PaymentApi::handle(const http::Request& request) {
  // The key is checked before the path is looked at: a caller without it learns nothing of
  // which paths exist.
  if (request.path != "/v1/health" && !authorised(request)) {
    return http::error_response(401, "missing or wrong bearer key");
  }
  return own_.dispatch(request);
}

bool PaymentApi::authorised(const http::Request& r) const {
  const std::string& auth = r.header("authorization");
  const std::string presented = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
  return same_secret(presented, key_);
}

http::Response PaymentApi::recharge(const http::Request& r) {
  auto q = parse_recharge(r.body);
  if (!q.ok()) return http::error_response(400, q.error().message);
  auto res = engine_.recharge(*q);
  if (!res.ok()) return error_of(res.error());
  json j{{"txn_id", res->txn_id},
         {"duplicate", res->duplicate},
         {"to_wallet_paise", res->to_wallet},
         {"to_arrears_paise", res->to_arrears},
         {"balance_paise", res->balance},
         {"reconnect_ordered", res->reconnect_ordered}};
  if (!res->token.empty()) {
    j["token"] = token::format_token(res->token);
    j["token_sequence"] = res->token_sequence;
  }
  return http::json_response(res->duplicate ? 200 : 201, dump(j));
}

http::Response PaymentApi::reversal(const http::Request& r) {
  auto parsed = parse_json_object(r.body, {"payment_ref", "reason"});
  if (!parsed.ok()) return http::error_response(400, parsed.error().message);
  json& j = *parsed;
  if (!j.contains("payment_ref") || !j["payment_ref"].is_string()) {
    return http::error_response(400, "body must be {\"payment_ref\": ..., \"reason\": ...}");
  }
  const std::string reason =
      j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : "";
  auto res = engine_.reverse(j["payment_ref"].get<std::string>(), reason, "payment-api");
  if (!res.ok()) return error_of(res.error());
  return http::json_response(200, dump(json{{"txn_id", res->txn_id},
                                            {"duplicate", res->duplicate},
                                            {"balance_paise", res->balance}}));
}

http::Response PaymentApi::account(const http::Request&, const std::string& consumer_id) {
  auto v = engine_.view(consumer_id);
  if (!v.ok()) return error_of(v.error());
  return http::json_response(200, dump(view_json(*v)));
}

}  // namespace vidyut::api
