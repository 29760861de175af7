// What the platform API (api/v1, docs/api.md) reads and acts through: the store, the billing
// database and engine, the MDM's validated data and command port, who may sign in, and how a
// consumer's sign-in code reaches his mobile. Components a process does not run are null; their
// routes then answer 503.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "access/book.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::billing {
class BillingDb;
class Engine;
}  // namespace vidyut::billing
namespace vidyut::checkout {
class Checkout;
}  // namespace vidyut::checkout
namespace vidyut::mdm {
class CaseBook;
class CommandPort;
class LoadControl;
class VeeBook;
}  // namespace vidyut::mdm
namespace vidyut::notify {
class Notifier;
}  // namespace vidyut::notify

namespace vidyut::api {

// A consumer's registered mobile number ("+919812345678"), nullopt when none is registered.
class ConsumerDirectory {
 public:
  virtual ~ConsumerDirectory() = default;
  virtual Result<std::optional<std::string>> mobile_of(const std::string& consumer_id) = 0;
};

// Sends a consumer his sign-in code (an SMS through the notification outbox).
class CodeSender {
 public:
  virtual ~CodeSender() = default;
  virtual Status send_code(const std::string& consumer_id, const std::string& mobile,
                           const std::string& code) = 0;
};

// Where a consumer's recharge from the portal is paid: the utility's payment gateway, which
// confirms the payment to the payment API (/v1/recharges) like any other channel. A simulated
// gateway (the demo, trials, the tests) confirms it at once.
class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  struct Started {
    std::string payment_ref;
    bool completed = false;          // confirmed already (a simulated gateway)
    std::string pay_url;             // where the consumer pays, when not completed
    std::int64_t balance_paise = 0;  // after the payment, when completed
    bool reconnect_ordered = false;  // the payment restored supply: the connect is on its way
    // With `hotspot_token`, once the payment is confirmed: the 20-digit token for the meter
    // (docs/hotspot-tokens.md) and its sequence; a repeated request gets the same token.
    std::string token;
    std::uint32_t token_sequence = 0;
  };
  // `payment_ref` is unique per request (a repeated request pays once). `hotspot_token`: issue a
  // hotspot token with the recharge, for a meter the network does not reach.
  virtual Result<Started> start(const std::string& consumer_id, std::int64_t amount_paise,
                                const std::string& payment_ref, bool hotspot_token) = 0;
};

struct Platform {
  store::Store* store = nullptr;
  access::AccessBook* access = nullptr;
  const Clock* clock = nullptr;
  billing::BillingDb* billing_db = nullptr;
  billing::Engine* engine = nullptr;
  mdm::VeeBook* vee = nullptr;
  mdm::CaseBook* cases = nullptr;            // theft cases (mdm.db)
  notify::Notifier* notifier = nullptr;      // consumers' messages (notify.db)
  mdm::LoadControl* load_control = nullptr;  // area load control (the serve loop restores)
  mdm::CommandPort* commands = nullptr;
  ConsumerDirectory* directory = nullptr;
  CodeSender* codes = nullptr;
  PaymentGateway* payments = nullptr;
  checkout::Checkout* checkout = nullptr;  // the gateway's orders (hosted checkout), if any
};

}  // namespace vidyut::api
