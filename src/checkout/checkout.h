// The portal's recharges through the utility's payment gateway (docs/checkout.md): the consumer
// is sent to the gateway's hosted checkout page with a signed order (so that the amount cannot
// be changed in his browser), pays there, and the gateway notifies the platform, server to
// server, with a signed notice; the billing engine credits the payment under the order's
// reference, once however often the notice comes. The consumer's browser comes back to the
// portal, which reads the order's state from the platform, never from the browser's address.
//
// Orders live in <data>/checkout.db (SQLite) so that a notice after a restart finds its order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "billing/engine.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::checkout {

// Orders one consumer may have waiting for the gateway at once (the rest are refused until
// they are paid or failed, or a day old).
inline constexpr std::size_t kMaxPendingPerConsumer = 5;
// Longest text of a field the gateway sends (order, status, transaction id).
inline constexpr std::size_t kMaxNoticeField = 128;

struct GatewayConfig {
  std::string pay_url;     // the gateway's hosted checkout page ("https://pay.example/checkout")
  std::string merchant;    // the utility's merchant id at the gateway
  std::string secret;      // the shared key's bytes (never logged)
  std::string return_url;  // where the gateway sends the browser back (the portal)
};

enum class OrderState { kPending, kPaid, kFailed };
const char* to_string(OrderState s);

struct Order {
  std::string ref;  // the payment reference, unique per recharge request
  std::string consumer_id;
  std::int64_t amount_paise = 0;
  bool hotspot_token = false;
  OrderState state = OrderState::kPending;
  UtcTime created{};
  UtcTime updated{};
  std::string gateway_txn;  // the gateway's id of the payment, once notified
  std::string detail;       // why it failed, as the gateway said
};

// The gateway's notification of one payment. `amount_paise` as the decimal text it sent.
struct Notice {
  std::string merchant;
  std::string order;
  std::string status;  // "paid" or "failed"
  std::string amount_paise;
  std::string gateway_txn;
  std::string signature;
};

class Checkout {
 public:
  static Result<std::unique_ptr<Checkout>> open(const std::filesystem::path& dir,
                                                GatewayConfig config, billing::Engine& engine,
                                                const Clock& clock);
  ~Checkout();

  struct Started {
    Order order;
    std::string pay_url;  // the signed redirect; empty when the order is paid already
  };
  // Records the order (a repeated request with the same reference, consumer and amount gets the
  // same order; kRefused for another consumer or amount) and signs the redirect to the gateway.
  // kLimitExceeded beyond kMaxPendingPerConsumer waiting orders.
  Result<Started> start(const std::string& consumer_id, std::int64_t amount_paise,
                        const std::string& ref, bool hotspot_token);

  struct Confirmed {
    Order order;
    bool repeated = false;                          // the order was settled already
    std::optional<billing::RechargeResult> credit;  // when paid
  };
  // The gateway's notice. kAuthFailed: a bad signature or another merchant (nothing recorded);
  // kNotFound: no such order; kRefused: an amount other than the order's (recorded as the
  // order's detail, nothing credited); kInvalidArgument: a malformed notice. "paid" credits the
  // order through the engine (once: the engine keys the recharge by the order's reference) and
  // then marks it paid; a paid order stays paid whatever comes after. "failed" marks a waiting
  // order failed; a later "paid" for it still credits (the gateway took the money).
  Result<Confirmed> confirm(const Notice& notice);

  Result<std::optional<Order>> order(const std::string& ref);

  // The hotspot token of a paid order that asked for one (computed afresh by the engine, never
  // kept): empty when there is none.
  Result<billing::RechargeResult> credit_of(const Order& paid);

  // Write-failure seam for tests: the n-th next write of checkout.db fails.
  void fail_after_writes(std::int64_t n);

 private:
  Checkout();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::checkout
