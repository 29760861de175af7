// A stand-in for the utility's payment gateway, for trials, the demo and the browser tests
// (`vidyut payments gateway-stub`, docs/checkout.md): its hosted checkout page, where the person
// paying presses Pay or Cancel, and its signed notice of the outcome to the platform, after which
// it sends the browser back to the portal. It checks the platform's signature on every order, as
// a real gateway does, so a changed amount is refused. Nobody pays: never for production.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::checkout {

struct StubConfig {
  std::string merchant;
  std::string secret;  // the shared key's bytes
  // Delivers a notice (JSON text) to the platform; an error is shown to the person paying.
  std::function<Status(const std::string& notice_json)> notify;
};

// GET /checkout?... (the page), POST /checkout/complete (Pay or Cancel). Everything else 404.
http::Handler gateway_stub(StubConfig config);

}  // namespace vidyut::checkout
