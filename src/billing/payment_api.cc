#include "billing/payment_api.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/calendar.h"
#include "token/token.h"

namespace vidyut::billing {
namespace {

using json = nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return std::string(s.substr(a, b - a));
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    default:
      return "Internal Server Error";
  }
}

HttpResponse error(int status, const std::string& message) {
  return HttpResponse{
      status, json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace)};
}

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

bool same_key(std::string_view a, std::string_view b) {
  // Constant time in the length of the presented key.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0 && !b.empty();
}

json view_json(const AccountView& v) {
  return json{{"consumer_id", v.account.consumer_id},
              {"meter_serial", v.account.meter_serial},
              {"mode", v.account.mode == PaymentMode::kPrepaid ? "prepaid" : "postpaid"},
              {"tariff", v.tariff},
              {"balance_paise", v.balance},
              {"wallet_paise", v.wallet},
              {"accrued_paise", v.accrued},
              {"arrears_paise", v.arrears},
              {"dues_paise", v.receivable},
              {"month_wh", v.month_wh},
              {"relay", v.account.relay_closed ? "closed" : "open"},
              {"relay_confirmed", v.account.relay_confirmed},
              {"last_recharge_paise", v.account.last_recharge}};
}

}  // namespace

std::string serialize(const HttpResponse& r, bool keep_alive) {
  std::string out =
      "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
      "\r\nConnection: " + (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  out += r.body;
  return out;
}

void HttpRequestParser::feed(ByteView data) {
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
}

Result<std::optional<HttpRequest>> HttpRequestParser::next() {
  const auto end = buf_.find("\r\n\r\n");
  // Lines end in CRLF; a bare LF in the head is refused at once (it would otherwise wait for a
  // CRLF CRLF that never comes, and proxies read such heads differently).
  const std::size_t head_len = end == std::string::npos ? buf_.size() : end;
  for (std::size_t i = 0; i < head_len; ++i) {
    if (buf_[i] == '\n' && (i == 0 || buf_[i - 1] != '\r')) {
      return Error(Errc::kMalformed, "a line of the request head ends without CR");
    }
  }
  if (end == std::string::npos) {
    if (buf_.size() > kMaxHttpHead + 3) {  // + 3: part of a terminator may be here already
      return Error(Errc::kLimitExceeded, "request head exceeds " + std::to_string(kMaxHttpHead));
    }
    return std::optional<HttpRequest>();
  }
  if (end > kMaxHttpHead) {
    return Error(Errc::kLimitExceeded, "request head exceeds " + std::to_string(kMaxHttpHead));
  }
  HttpRequest r;
  const std::string_view head(buf_.data(), end);
  std::size_t line_end = head.find("\r\n");
  const std::string_view first = head.substr(0, line_end);
  const auto sp1 = first.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    return Error(Errc::kMalformed, "not an HTTP request line");
  }
  r.method = std::string(first.substr(0, sp1));
  r.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
  const std::string_view version = first.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Error(Errc::kMalformed, "not HTTP/1.x");
  }
  if (r.method.empty() || r.target.empty() || r.target.front() != '/') {
    return Error(Errc::kMalformed, "bad request line");
  }
  r.keep_alive = version == "HTTP/1.1";
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error(Errc::kMalformed, "bad header line");
    }
    // A field name is a token: no space before the colon ("Transfer-Encoding : chunked" would
    // hide the header from this parser while a proxy honours it).
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                 c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
                 c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
        })) {
      return Error(Errc::kMalformed, "bad header name");
    }
    if (r.headers.size() >= kMaxHttpHeaders) {
      return Error(Errc::kLimitExceeded,
                   "more than " + std::to_string(kMaxHttpHeaders) + " headers");
    }
    // A repeated header is ambiguous (which Content-Length, which Authorization?): refused.
    const std::string key = lower(name);
    if (r.headers.count(key) != 0) {
      return Error(Errc::kMalformed, "header " + key + " appears twice");
    }
    r.headers[key] = trim(line.substr(colon + 1));
  }
  if (auto te = r.headers.find("transfer-encoding"); te != r.headers.end()) {
    return Error(Errc::kUnsupported, "chunked bodies are not accepted; send Content-Length");
  }
  std::size_t length = 0;
  if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) {
    const std::string& v = cl->second;
    if (v.empty() || v.size() > 9 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Error(Errc::kMalformed, "bad Content-Length");
    }
    length = std::stoul(v);
    if (length > kMaxHttpBody) {
      return Error(Errc::kLimitExceeded, "body exceeds " + std::to_string(kMaxHttpBody) + " bytes");
    }
  }
  if (auto c = r.headers.find("connection"); c != r.headers.end()) {
    const auto v = lower(c->second);
    if (v == "close") r.keep_alive = false;
    if (v == "keep-alive") r.keep_alive = true;
  }
  const std::size_t total = end + 4 + length;
  if (buf_.size() < total) return std::optional<HttpRequest>();
  r.body = buf_.substr(end + 4, length);
  buf_.erase(0, total);
  return std::optional<HttpRequest>(std::move(r));
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

// Parses a request body: a JSON object with no key twice at any level (the last would win in
// one reader and the first in another) and no key outside `allowed`.
Result<json> parse_body(std::string_view text, std::initializer_list<std::string_view> allowed) {
  std::vector<std::vector<std::string>> seen;  // keys of each open object
  bool duplicate = false;
  std::string dup_key;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    (void)depth;
    if (event == json::parse_event_t::object_start) seen.emplace_back();
    if (event == json::parse_event_t::object_end && !seen.empty()) seen.pop_back();
    if (event == json::parse_event_t::key && !seen.empty()) {
      const std::string k = parsed.get<std::string>();
      if (std::find(seen.back().begin(), seen.back().end(), k) != seen.back().end()) {
        duplicate = true;
        dup_key = k;
      }
      seen.back().push_back(k);
    }
    return true;
  };
  json j = json::parse(text, cb, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(Errc::kInvalidArgument, "body must be a JSON object");
  }
  if (duplicate) {
    return Error(Errc::kInvalidArgument, "key \"" + dup_key.substr(0, 32) + "\" appears twice");
  }
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return Error(Errc::kInvalidArgument, "unknown field \"" + k.substr(0, 32) + "\"");
    }
  }
  return j;
}

Result<RechargeRequest> parse_recharge(std::string_view text) {
  VIDYUT_TRY(parsed, parse_body(text, {"payment_ref", "consumer_id", "channel", "amount",
                                       "amount_paise", "token"}));
  const json& j = *parsed;
  if (j.contains("amount") && j.contains("amount_paise")) {
    return Error(Errc::kInvalidArgument, "send amount or amount_paise, not both");
  }
  RechargeRequest q;
  auto str = [&](const char* name, std::string& out, bool required) -> Status {
    auto it = j.find(name);
    if (it == j.end()) {
      if (required) return Error(Errc::kInvalidArgument, std::string(name) + " is required");
      return ok_status();
    }
    if (!it->is_string())
      return Error(Errc::kInvalidArgument, std::string(name) + " must be a string");
    out = it->get<std::string>();
    if (out.empty() || out.size() > kMaxRefLength) {
      return Error(Errc::kInvalidArgument, std::string(name) + " must have 1 to " +
                                               std::to_string(kMaxRefLength) + " characters");
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

HttpResponse PaymentApi::handle(const HttpRequest& req) {
  // Routes go by the path; no route takes query parameters, so a query is refused by name
  // rather than making a valid path look unknown.
  HttpRequest r = req;
  if (const auto q = r.target.find('?'); q != std::string::npos) {
    const std::string query = r.target.substr(q + 1);
    r.target.resize(q);
    if (!query.empty()) {
      return error(400, "this API takes no query parameters (got \"" + query.substr(0, 32) + "\")");
    }
  }
  if (r.target == "/v1/health")
    return HttpResponse{
        200, json{{"status", "ok"}}.dump(-1, ' ', false, json::error_handler_t::replace)};
  auto auth = r.headers.find("authorization");
  const std::string presented = auth != r.headers.end() && auth->second.rfind("Bearer ", 0) == 0
                                    ? auth->second.substr(7)
                                    : "";
  if (!same_key(presented, key_)) return error(401, "missing or wrong bearer key");
  if (r.target == "/v1/recharges") {
    if (r.method != "POST") return error(405, "use POST");
    auto q = parse_recharge(r.body);
    if (!q.ok()) return error(400, q.error().message);
    auto res = engine_.recharge(*q);
    if (!res.ok()) return error(status_of(res.error()), res.error().message);
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
    return HttpResponse{res->duplicate ? 200 : 201,
                        j.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  if (r.target == "/v1/reversals") {
    if (r.method != "POST") return error(405, "use POST");
    auto parsed = parse_body(r.body, {"payment_ref", "reason"});
    if (!parsed.ok()) return error(400, parsed.error().message);
    json& j = *parsed;
    if (!j.contains("payment_ref") || !j["payment_ref"].is_string()) {
      return error(400, "body must be {\"payment_ref\": ..., \"reason\": ...}");
    }
    const std::string reason =
        j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : "";
    auto res = engine_.reverse(j["payment_ref"].get<std::string>(), reason, "payment-api");
    if (!res.ok()) return error(status_of(res.error()), res.error().message);
    return HttpResponse{200, json{{"txn_id", res->txn_id},
                                  {"duplicate", res->duplicate},
                                  {"balance_paise", res->balance}}
                                 .dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  const std::string prefix = "/v1/accounts/";
  if (r.target.rfind(prefix, 0) == 0) {
    if (r.method != "GET") return error(405, "use GET");
    auto v = engine_.view(r.target.substr(prefix.size()));
    if (!v.ok()) return error(status_of(v.error()), v.error().message);
    return HttpResponse{200, view_json(*v).dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  return error(404, "no such path: " + r.target.substr(0, 64));
}

}  // namespace vidyut::billing
