#include "checkout/checkout.h"

#include <mutex>

#include "checkout/signature.h"
#include "core/log.h"
#include "core/text.h"
#include "store/sqlite_db.h"

namespace vidyut::checkout {
namespace {

using store::sql::Database;
using store::sql::from_ms;
using store::sql::to_ms;
using store::sql::Use;

constexpr int kSchemaVersion = 1;
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS orders (
  ref TEXT PRIMARY KEY, consumer_id TEXT NOT NULL, amount_paise INTEGER NOT NULL,
  hotspot_token INTEGER NOT NULL, state INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, gateway_txn TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_consumer ON orders (consumer_id, state, created_ms);
)";
constexpr const char* kCols =
    "ref, consumer_id, amount_paise, hotspot_token, state, created_ms, updated_ms, gateway_txn, "
    "detail";

Order read_order(const Use& u) {
  Order o;
  o.ref = u.text(0);
  o.consumer_id = u.text(1);
  o.amount_paise = u.i64(2);
  o.hotspot_token = u.i64(3) != 0;
  o.state = static_cast<OrderState>(u.i64(4));
  o.created = from_ms(u.i64(5));
  o.updated = from_ms(u.i64(6));
  o.gateway_txn = u.text(7);
  o.detail = u.text(8);
  return o;
}

Status check_field(const char* what, const std::string& v, bool required) {
  if (required && v.empty()) return Error(Errc::kInvalidArgument, std::string(what) + " missing");
  return check_text(what, v, kMaxNoticeField);
}

}  // namespace

const char* to_string(OrderState s) {
  switch (s) {
    case OrderState::kPending:
      return "pending";
    case OrderState::kPaid:
      return "paid";
    case OrderState::kFailed:
      return "failed";
  }
  return "unknown";
}

struct Checkout::Impl {
  Impl(GatewayConfig c, billing::Engine& e, const Clock& k)
      : config(std::move(c)), engine(e), clock(k) {}
  GatewayConfig config;
  billing::Engine& engine;
  const Clock& clock;
  std::mutex mu;
  Database db;

  Result<std::optional<Order>> find(const std::string& ref) {
    VIDYUT_TRY(s, db.stmt(std::string("SELECT ") + kCols + " FROM orders WHERE ref = ?"));
    Use u(**s);
    u.bind(ref);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<Order>();
    return std::optional<Order>(read_order(u));
  }
  Status settle(const Order& o) {
    VIDYUT_CHECK(db.fault());
    VIDYUT_TRY(s, db.stmt("UPDATE orders SET state = ?, updated_ms = ?, gateway_txn = ?, "
                          "detail = ? WHERE ref = ?"));
    Use u(**s);
    u.bind(static_cast<std::int64_t>(o.state))
        .bind(to_ms(o.updated))
        .bind(o.gateway_txn)
        .bind(o.detail)
        .bind(o.ref);
    VIDYUT_TRY(row, u.step());
    return ok_status();
  }
  std::string pay_url(const Order& o) const {
    Fields f{{"merchant", config.merchant},
             {"order", o.ref},
             {"amount_paise", std::to_string(o.amount_paise)},
             {"return_url", config.return_url},
             {"ts", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                       clock.now().time_since_epoch())
                                       .count())}};
    f["signature"] = sign(config.secret, f);
    return config.pay_url + (config.pay_url.find('?') == std::string::npos ? "?" : "&") +
           query_string(f);
  }
};

Checkout::Checkout() = default;
Checkout::~Checkout() = default;

Result<std::unique_ptr<Checkout>> Checkout::open(const std::filesystem::path& dir,
                                                 GatewayConfig config, billing::Engine& engine,
                                                 const Clock& clock) {
  if (config.pay_url.empty() || config.merchant.empty() || config.return_url.empty()) {
    return Error(Errc::kInvalidArgument,
                 "checkout: the gateway's URL, merchant id and the "
                 "portal's return URL are needed");
  }
  if (config.secret.size() < 16) {
    return Error(Errc::kInvalidArgument, "checkout: the shared secret must be 16 bytes or more");
  }
  std::unique_ptr<Checkout> c(new Checkout());
  c->impl_ = std::make_unique<Impl>(std::move(config), engine, clock);
  VIDYUT_CHECK(c->impl_->db.open(dir, "checkout.db", "checkout", kSchemaVersion, kSchema));
  return c;
}

Result<Checkout::Started> Checkout::start(const std::string& consumer_id, std::int64_t amount_paise,
                                          const std::string& ref, bool hotspot_token) {
  VIDYUT_CHECK(check_field("consumer", consumer_id, true));
  VIDYUT_CHECK(check_field("order", ref, true));
  if (amount_paise <= 0) return Error(Errc::kInvalidArgument, "checkout: amount must be positive");
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  VIDYUT_TRY(known, m.find(ref));
  if (*known) {
    const Order& o = **known;
    if (o.consumer_id != consumer_id || o.amount_paise != amount_paise ||
        o.hotspot_token != hotspot_token) {
      return Error(Errc::kRefused, "checkout: order " + ref + " was made for another payment");
    }
    return Started{o, o.state == OrderState::kPending ? m.pay_url(o) : std::string()};
  }
  const UtcTime now = m.clock.now();
  {
    VIDYUT_TRY(s, m.db.stmt("SELECT COUNT(*) FROM orders WHERE consumer_id = ? AND state = 0 "
                            "AND created_ms > ?"));
    Use u(**s);
    u.bind(consumer_id).bind(to_ms(now - std::chrono::hours(24)));
    VIDYUT_TRY(row, u.step());
    if (*row && u.i64(0) >= static_cast<std::int64_t>(kMaxPendingPerConsumer)) {
      return Error(Errc::kLimitExceeded,
                   "checkout: " + std::to_string(kMaxPendingPerConsumer) +
                       " payments are already waiting for the gateway; finish or cancel one");
    }
  }
  Order o;
  o.ref = ref;
  o.consumer_id = consumer_id;
  o.amount_paise = amount_paise;
  o.hotspot_token = hotspot_token;
  o.created = o.updated = now;
  VIDYUT_CHECK(m.db.fault());
  VIDYUT_TRY(s, m.db.stmt(std::string("INSERT INTO orders (") + kCols +
                          ") VALUES (?, ?, ?, ?, 0, ?, ?, '', '')"));
  Use u(**s);
  u.bind(o.ref)
      .bind(o.consumer_id)
      .bind(o.amount_paise)
      .bind(std::int64_t{o.hotspot_token ? 1 : 0})
      .bind(to_ms(o.created))
      .bind(to_ms(o.updated));
  VIDYUT_TRY(row, u.step());
  return Started{o, m.pay_url(o)};
}

Result<Checkout::Confirmed> Checkout::confirm(const Notice& n) {
  Impl& m = *impl_;
  for (const auto& [what, v] : {std::pair<const char*, const std::string*>{"merchant", &n.merchant},
                                {"order", &n.order},
                                {"status", &n.status},
                                {"amount_paise", &n.amount_paise},
                                {"gateway_txn", &n.gateway_txn},
                                {"signature", &n.signature}}) {
    VIDYUT_CHECK(check_field(what, *v, true));
  }
  const Fields signed_fields{{"merchant", n.merchant},
                             {"order", n.order},
                             {"status", n.status},
                             {"amount_paise", n.amount_paise},
                             {"gateway_txn", n.gateway_txn}};
  if (!verify(m.config.secret, signed_fields, n.signature) || n.merchant != m.config.merchant) {
    return Error(Errc::kAuthFailed, "checkout: the notice's signature does not verify");
  }
  if (n.status != "paid" && n.status != "failed") {
    return Error(Errc::kInvalidArgument, "checkout: status must be paid or failed");
  }
  std::int64_t amount = 0;
  if (n.amount_paise.size() > 12 ||
      n.amount_paise.find_first_not_of("0123456789") != std::string::npos) {
    return Error(Errc::kInvalidArgument, "checkout: amount_paise must be a whole number");
  }
  amount = std::stoll(n.amount_paise);
  std::lock_guard lock(m.mu);
  VIDYUT_TRY(known, m.find(n.order));
  if (!*known) return Error(Errc::kNotFound, "checkout: no order " + n.order);
  Order o = **known;
  Confirmed out;
  if (o.state == OrderState::kPaid) {
    out.order = o;
    out.repeated = true;
    return out;
  }
  if (amount != o.amount_paise) {
    o.detail = "the gateway notified " + n.amount_paise + " paise for an order of " +
               std::to_string(o.amount_paise) + " (" + n.status + ", " + n.gateway_txn + ")";
    o.updated = m.clock.now();
    VIDYUT_CHECK(m.settle(o));
    logger("checkout")->warn("order {}: {}", o.ref, o.detail);
    return Error(Errc::kRefused, "checkout: " + o.detail);
  }
  if (n.status == "failed") {
    out.repeated = o.state == OrderState::kFailed;
    o.state = OrderState::kFailed;
    o.gateway_txn = n.gateway_txn;
    o.detail = "the gateway reported the payment failed";
    o.updated = m.clock.now();
    if (!out.repeated) VIDYUT_CHECK(m.settle(o));
    out.order = o;
    return out;
  }
  // Paid: credit first (idempotent on the reference), then mark the order. A crash between the
  // two leaves the order waiting; the gateway's next notice finds the credit and marks it.
  billing::RechargeRequest q;
  q.payment_ref = o.ref;
  q.consumer_id = o.consumer_id;
  q.amount = o.amount_paise;
  q.channel = "portal";
  q.actor = "gateway:" + m.config.merchant + ":" + n.gateway_txn;
  q.issue_token = o.hotspot_token;
  VIDYUT_TRY(credit, m.engine.recharge(q));
  o.state = OrderState::kPaid;
  o.gateway_txn = n.gateway_txn;
  o.detail.clear();
  o.updated = m.clock.now();
  VIDYUT_CHECK(m.settle(o));
  out.order = o;
  out.credit = std::move(*credit);
  return out;
}

Result<std::optional<Order>> Checkout::order(const std::string& ref) {
  std::lock_guard lock(impl_->mu);
  return impl_->find(ref);
}

Result<billing::RechargeResult> Checkout::credit_of(const Order& paid) {
  if (paid.state != OrderState::kPaid) {
    return Error(Errc::kInvalidArgument, "checkout: order " + paid.ref + " is not paid");
  }
  // The engine answers a known reference with its result again, crediting nothing.
  billing::RechargeRequest q;
  q.payment_ref = paid.ref;
  q.consumer_id = paid.consumer_id;
  q.amount = paid.amount_paise;
  q.channel = "portal";
  q.actor = "checkout";
  q.issue_token = paid.hotspot_token;
  return impl_->engine.recharge(q);
}

void Checkout::fail_after_writes(std::int64_t n) { impl_->db.fail_after(n); }

}  // namespace vidyut::checkout
