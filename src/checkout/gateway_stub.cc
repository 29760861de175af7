#include "checkout/gateway_stub.h"

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>

#include "checkout/signature.h"
#include "tariff/bill_document.h"

namespace vidyut::checkout {
namespace {

// The order fields the platform signs.
constexpr const char* kOrderFields[] = {"merchant", "order", "amount_paise", "return_url", "ts"};

// name=value&... (application/x-www-form-urlencoded or a query), nullopt when malformed.
std::optional<Fields> decode_form(std::string_view text) {
  Fields out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = http::percent_decode(pair.substr(0, eq), true);
    auto value = http::percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value || out.count(*name)) return std::nullopt;
    out[*name] = *value;
  }
  return out;
}

http::Response page(int status, const std::string& title, const std::string& body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      tariff::html_escape(title) +
      "</title><style>body{font:16px sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}"
      "button{font:inherit;padding:.6rem 1.2rem;margin:.3rem}</style></head><body><h1>" +
      tariff::html_escape(title) + "</h1>" + body + "</body></html>";
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; form-action *");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// The order's fields and whether the platform signed them.
std::optional<Fields> signed_order(const StubConfig& c, const Fields& in) {
  Fields order;
  for (const char* name : kOrderFields) {
    auto it = in.find(name);
    if (it == in.end()) return std::nullopt;
    order[name] = it->second;
  }
  auto sig = in.find("signature");
  if (sig == in.end() || order["merchant"] != c.merchant || !verify(c.secret, order, sig->second)) {
    return std::nullopt;
  }
  return order;
}

std::string rupees(const std::string& paise) {
  const long long p = std::stoll(paise);
  return fmt::format("Rs {}.{:02}", p / 100, p % 100);
}

}  // namespace

http::Handler gateway_stub(StubConfig config) {
  auto next_txn = std::make_shared<std::atomic<long long>>(1);
  return [config, next_txn](const http::Request& r) -> http::Response {
    if (r.method == "GET" && r.path == "/checkout") {
      Fields in(r.params.begin(), r.params.end());
      auto order = signed_order(config, in);
      if (!order || (*order)["amount_paise"].find_first_not_of("0123456789") != std::string::npos ||
          (*order)["amount_paise"].empty() || (*order)["amount_paise"].size() > 12) {
        return page(400, "Payment refused",
                    "<p>This payment request is not signed by the merchant.</p>");
      }
      std::string hidden;
      for (const auto& [name, value] : in) {
        hidden += "<input type=\"hidden\" name=\"" + tariff::html_escape(name) + "\" value=\"" +
                  tariff::html_escape(value) + "\">";
      }
      return page(200, "Pay " + rupees((*order)["amount_paise"]),
                  "<p>To " + tariff::html_escape(config.merchant) + ", order " +
                      tariff::html_escape((*order)["order"]) +
                      ".</p><p>This is Vidyut's stand-in gateway: nobody is charged.</p>"
                      "<form method=\"post\" action=\"/checkout/complete\">" +
                      hidden +
                      "<button name=\"outcome\" value=\"paid\">Pay</button>"
                      "<button name=\"outcome\" value=\"failed\">Cancel</button></form>");
    }
    if (r.method == "POST" && r.path == "/checkout/complete") {
      auto form = decode_form(r.body);
      std::optional<Fields> order;
      if (form) order = signed_order(config, *form);
      const std::string outcome = form && form->count("outcome") ? form->at("outcome") : "";
      if (!order || (outcome != "paid" && outcome != "failed")) {
        return page(400, "Payment refused", "<p>This payment request is not signed.</p>");
      }
      Fields notice{{"merchant", config.merchant},
                    {"order", (*order)["order"]},
                    {"status", outcome},
                    {"amount_paise", (*order)["amount_paise"]},
                    {"gateway_txn", fmt::format("STUB-{:06}", next_txn->fetch_add(1))}};
      nlohmann::json j(notice);
      j["signature"] = sign(config.secret, notice);
      if (auto sent = config.notify(j.dump()); !sent.ok()) {
        return page(502, "Could not reach the utility",
                    "<p>The payment was not confirmed to the utility: " +
                        tariff::html_escape(sent.error().message) + "</p>");
      }
      const std::string& back = (*order)["return_url"];
      http::Response out;
      out.status = 303;
      out.headers.emplace_back(
          "Location", back + (back.find('?') == std::string::npos ? "?" : "&") +
                          query_string({{"order", (*order)["order"]}, {"status", outcome}}));
      return out;
    }
    return http::error_response(404, "not found");
  };
}

}  // namespace vidyut::checkout
