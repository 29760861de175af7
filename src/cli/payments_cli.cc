// `vidyut payments gateway-stub`: a stand-in for the utility's payment gateway with a hosted
// checkout page (trials, the demo, the browser tests; docs/checkout.md). It shows the order the
// platform signed, and on Pay or Cancel notifies the platform with a signed notice and sends the
// browser back to the portal. Nobody is charged.
#include <csignal>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "checkout/gateway_stub.h"
#include "cli/commands.h"
#include "cli/http_service.h"
#include "http/client.h"
#include "http/server.h"

namespace vidyut::cli {
namespace {

struct PaymentsOptions {
  std::uint16_t port = 0;
  std::string merchant = "VIDYUT-DEMO";
  std::string secret_file;
  std::string notify_url;
  double run_for_s = 0;
};

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int gateway_stub(const PaymentsOptions& o) {
  auto secret = load_or_create_api_key(o.secret_file);
  if (!secret.ok()) return report_error("payments gateway-stub", secret.error());
  checkout::StubConfig c;
  c.merchant = o.merchant;
  c.secret = *secret;
  const std::string url = o.notify_url;
  c.notify = [url](const std::string& notice) -> Status {
    // As gateways do: a few attempts before giving up.
    Error last(Errc::kIo, "not sent");
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto r = http::post(url, "application/json", notice, {}, Millis(5'000));
      if (r.ok() && r->status == 200) return ok_status();
      last = r.ok() ? Error(Errc::kRefused, fmt::format("the platform answered {}: {}", r->status,
                                                        r->body.substr(0, 200)))
                    : r.error();
      if (r.ok() && r->status >= 400 && r->status < 500) break;  // refused: no point repeating
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return last;
  };
  http::ServerOptions so;
  so.port = o.port;
  auto server = http::Server::start(so, checkout::gateway_stub(std::move(c)));
  if (!server.ok()) return report_error("payments gateway-stub", server.error());
  std::cout << fmt::format(
                   "payment gateway stub on 127.0.0.1:{}: checkout page /checkout, "
                   "notices to {}\n",
                   (*server)->port(), o.notify_url)
            << std::flush;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<std::int64_t>(o.run_for_s * 1000));
  while (g_stop == 0 && (o.run_for_s <= 0 || std::chrono::steady_clock::now() < until)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*server)->stop();
  return kExitOk;
}

}  // namespace

void register_payments(CLI::App& app, Runner& run) {
  auto* p = app.add_subcommand("payments", "The portal's payment gateway");
  p->require_subcommand(1);
  auto o = std::make_shared<PaymentsOptions>();
  auto* stub = p->add_subcommand(
      "gateway-stub",
      "A local stand-in for the payment gateway's hosted checkout (trials, tests; nobody pays)");
  stub->add_option("--port", o->port, "Port on 127.0.0.1 (0: any free port)");
  stub->add_option("--merchant", o->merchant, "Merchant id the platform signs its orders with")
      ->capture_default_str();
  stub->add_option("--secret-file", o->secret_file,
                   "The secret shared with the platform (serve --checkout-secret-file)")
      ->required();
  stub->add_option(
          "--notify", o->notify_url,
          "Where the platform takes notices: http://HOST:PORT/api/v1/payments/checkout/notify")
      ->required();
  stub->add_option("--run-for", o->run_for_s, "Seconds to run (default: until Ctrl-C)");
  stub->callback([o, &run] { run = [o] { return gateway_stub(*o); }; });
}

}  // namespace vidyut::cli
