#include "api/account_answers.h"

#include <nlohmann/json.hpp>

#include "api/guard.h"
#include "api/json_body.h"
#include "api/resources.h"
#include "billing/account_history.h"
#include "billing/engine.h"
#include "mdm/usage.h"
#include "notify/notifier.h"

namespace vidyut::api {

http::Response usage_answer(const Platform& p, const http::Request& r,
                            const std::string& consumer_id) {
  if (p.engine == nullptr) return http::error_response(503, "billing does not run on this server");
  auto q = usage_query(r, p.clock->now());
  if (!q.ok()) return error_of(q.error());
  auto v = p.engine->view(consumer_id);
  if (!v.ok()) return error_of(v.error());
  auto series = mdm::usage_series(*p.store, p.vee, v->account.meter_id, q->from, q->to,
                                  q->resolution, p.clock->now());
  if (!series.ok()) return error_of(series.error());
  return http::json_response(200, usage_text(*series));
}

http::Response payments_answer(const Platform& p, const http::Request& r,
                               const std::string& consumer_id) {
  if (p.engine == nullptr || p.billing_db == nullptr) {
    return http::error_response(503, "billing does not run on this server");
  }
  auto limit = count_param(r, "limit", 50, billing::kMaxHistory);
  if (!limit.ok()) return error_of(limit.error());
  auto v = p.engine->view(consumer_id);
  if (!v.ok()) return error_of(v.error());
  auto h = billing::account_history(*p.billing_db, v->account, *limit);
  if (!h.ok()) return error_of(h.error());
  return http::json_response(200, dump(nlohmann::json{{"entries", history_json(*h)}}));
}

http::Response statements_answer(const Platform& p, const std::string& consumer_id) {
  if (p.engine == nullptr || p.billing_db == nullptr) {
    return http::error_response(503, "billing does not run on this server");
  }
  auto v = p.engine->view(consumer_id);
  if (!v.ok()) return error_of(v.error());
  auto sts = p.billing_db->statements(v->account.id);
  if (!sts.ok()) return error_of(sts.error());
  nlohmann::json items = nlohmann::json::array();
  for (auto it = sts->rbegin(); it != sts->rend(); ++it) {
    items.push_back({{"month", it->month},
                     {"kind", it->kind},
                     {"bill_paise", it->bill_total},
                     {"posted_paise", it->posted},
                     {"adjustment_paise", it->adjustment},
                     {"issued", format_iso8601(it->issued)}});
  }
  return http::json_response(200, dump(nlohmann::json{{"items", items}}));
}

http::Response statement_document(const Platform& p, const std::string& consumer_id,
                                  const std::string& month, const std::string& kind) {
  if (p.engine == nullptr || p.billing_db == nullptr) {
    return http::error_response(503, "billing does not run on this server");
  }
  auto v = p.engine->view(consumer_id);
  if (!v.ok()) return error_of(v.error());
  auto st = p.billing_db->statement(v->account.id, month, kind);
  if (!st.ok()) return error_of(st.error());
  if (!*st || (*st)->html.empty()) return http::error_response(404, "no such statement");
  http::Response out;
  out.content_type = "text/html; charset=utf-8";
  out.body = (*st)->html;
  out.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  return out;
}

http::Response notifications_answer(const Platform& p, const http::Request& r,
                                    const std::string& consumer_id) {
  if (p.notifier == nullptr) return http::error_response(503, "no messages on this server");
  auto limit = count_param(r, "limit", 50, 200);
  if (!limit.ok()) return error_of(limit.error());
  auto ms = p.notifier->messages_of(consumer_id, *limit);
  if (!ms.ok()) return error_of(ms.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& m : *ms) {
    items.push_back({{"id", m.id},
                     {"kind", m.kind},
                     {"text", m.text},
                     {"created", format_iso8601(m.created)},
                     {"state", m.state},
                     {"attempts", m.attempts},
                     {"sent", m.state == "sent" ? nlohmann::json(format_iso8601(m.sent))
                                                : nlohmann::json(nullptr)}});
  }
  return http::json_response(200, dump(nlohmann::json{{"items", items}}));
}

}  // namespace vidyut::api
