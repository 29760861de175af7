// The portal's recharges through the utility's payment gateway (`serve --checkout-url ...`,
// docs/checkout.md): the consumer is sent to the gateway's hosted checkout page; the payment is
// credited when the gateway's signed notice reaches POST /api/v1/payments/checkout/notify.
#pragma once

#include "api/platform.h"
#include "checkout/checkout.h"

namespace vidyut::api {

class HostedGateway final : public PaymentGateway {
 public:
  explicit HostedGateway(checkout::Checkout& checkout) : checkout_(checkout) {}
  Result<Started> start(const std::string& consumer_id, std::int64_t amount_paise,
                        const std::string& payment_ref, bool hotspot_token) override {
    VIDYUT_TRY(s, checkout_.start(consumer_id, amount_paise, payment_ref, hotspot_token));
    Started out;
    out.payment_ref = payment_ref;
    if (s->order.state == checkout::OrderState::kPaid) {
      // Paid already (the same request again): its result, crediting nothing.
      VIDYUT_TRY(c, checkout_.credit_of(s->order));
      out.completed = true;
      out.balance_paise = c->balance;
      out.token = c->token;
      out.token_sequence = c->token_sequence;
      return out;
    }
    if (s->order.state == checkout::OrderState::kFailed) {
      return Error(Errc::kRefused, "this payment failed at the gateway; start a new one");
    }
    out.pay_url = s->pay_url;
    return out;
  }

 private:
  checkout::Checkout& checkout_;
};

}  // namespace vidyut::api
