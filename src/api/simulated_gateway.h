// A payment gateway for the demo, trials and tests (`serve --simulated-payments`): the consumer's
// payment from the portal is confirmed at once, as the utility's gateway would confirm it to
// the payment API, and credited by the billing engine under its reference (a repeated request
// credits once). Never for production: nobody pays.
#pragma once

#include "api/platform.h"
#include "billing/engine.h"

namespace vidyut::api {

class SimulatedGateway final : public PaymentGateway {
 public:
  explicit SimulatedGateway(billing::Engine& engine) : engine_(engine) {}
  Result<Started> start(const std::string& consumer_id, std::int64_t amount_paise,
                        const std::string& payment_ref, bool hotspot_token) override {
    billing::RechargeRequest q;
    q.payment_ref = payment_ref;
    q.consumer_id = consumer_id;
    q.amount = amount_paise;
    q.channel = "portal";
    q.actor = "simulated-gateway:consumer:" + consumer_id;
    q.issue_token = hotspot_token;
    VIDYUT_TRY(r, engine_.recharge(q));
    Started s;
    s.payment_ref = payment_ref;
    s.completed = true;
    s.balance_paise = r->balance;
    s.reconnect_ordered = r->reconnect_ordered;
    s.token = r->token;
    s.token_sequence = r->token_sequence;
    return s;
  }

 private:
  billing::Engine& engine_;
};

}  // namespace vidyut::api
