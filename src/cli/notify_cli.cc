// `vidyut notify contacts-import/messages/gateway-stub`: consumers' registered mobiles, the
// messages sent to them, and a local SMS gateway that records what it receives (for trials,
// the demo and the tests; docs/notify.md).
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/data_options.h"
#include "core/clock.h"
#include "http/server.h"
#include "notify/notifier.h"

namespace vidyut::cli {
namespace {

struct NotifyOptions {
  DataOptions data;
  std::string file;
  std::int64_t after = 0;
  std::uint16_t port = 0;
  std::string out;
  double run_for_s = 0;
};

volatile std::sig_atomic_t g_stub_stop = 0;
void on_stub_signal(int) { g_stub_stop = 1; }

int contacts_import(const NotifyOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return report_error("notify contacts-import", Error(Errc::kIo, "cannot read " + o.file));
  const std::string text(std::istreambuf_iterator<char>(in), {});
  auto contacts = notify::parse_contacts_csv(text);
  if (!contacts.ok()) return report_error("notify contacts-import", contacts.error());
  auto store = open_store(o.data);
  if (!store.ok()) return report_error("notify contacts-import", store.error());
  const auto clock = business_clock(**store);
  auto n = notify::Notifier::open(o.data.data_dir, *clock, nullptr);
  if (!n.ok()) return report_error("notify contacts-import", n.error());
  auto count = (*n)->import_contacts(*contacts);
  if (!count.ok()) return report_error("notify contacts-import", count.error());
  std::cout << fmt::format("{} contacts imported\n", *count);
  return kExitOk;
}

int messages(const NotifyOptions& o) {
  auto store = open_store(o.data);
  if (!store.ok()) return report_error("notify messages", store.error());
  const auto clock = business_clock(**store);
  auto n = notify::Notifier::open(o.data.data_dir, *clock, nullptr);
  if (!n.ok()) return report_error("notify messages", n.error());
  auto all = (*n)->messages_after(o.after, 10'000);
  if (!all.ok()) return report_error("notify messages", all.error());
  for (const auto& m : *all) {
    std::cout << fmt::format("{} {} {} {} {} {} [{}] {}\n", m.id, format_iso8601(m.created),
                             m.consumer_id, m.mobile, m.kind, m.state, m.result, m.text);
  }
  return kExitOk;
}

int gateway_stub(const NotifyOptions& o) {
  std::mutex mu;
  std::ofstream out(o.out, std::ios::app);
  if (!out) return report_error("notify gateway-stub", Error(Errc::kIo, "cannot write " + o.out));
  std::int64_t next = 1;
  http::ServerOptions so;
  so.port = o.port;
  auto server = http::Server::start(so, [&](const http::Request& r) {
    if (r.method != "POST") return http::error_response(405, "POST messages here");
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("to") || !j.contains("text")) {
      return http::error_response(400, "body must be {\"to\": ..., \"text\": ...}");
    }
    std::lock_guard l(mu);
    const std::int64_t id = next++;
    out << nlohmann::json{{"id", id}, {"to", j["to"]}, {"text", j["text"]}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n"
        << std::flush;
    return http::json_response(202, nlohmann::json{{"id", std::to_string(id)}}.dump());
  });
  if (!server.ok()) return report_error("notify gateway-stub", server.error());
  std::cout << fmt::format("SMS gateway stub on 127.0.0.1:{}, messages to {}\n", (*server)->port(),
                           o.out)
            << std::flush;
  std::signal(SIGINT, on_stub_signal);
  std::signal(SIGTERM, on_stub_signal);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<std::int64_t>(o.run_for_s * 1000));
  while (g_stub_stop == 0 && (o.run_for_s <= 0 || std::chrono::steady_clock::now() < until)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*server)->stop();
  return kExitOk;
}

}  // namespace

void register_notify(CLI::App& app, Runner& run) {
  auto* n = app.add_subcommand("notify", "Consumers' mobiles and the messages sent to them");
  n->require_subcommand(1);
  auto o = std::make_shared<NotifyOptions>();
  auto* imp = n->add_subcommand("contacts-import",
                                "Import registered mobiles: consumer_id,mobile[,language] (en|hi)");
  add_data_options(imp, o->data);
  imp->add_option("file", o->file, "CSV file")->required()->check(CLI::ExistingFile);
  imp->callback([o, &run] { run = [o] { return contacts_import(*o); }; });
  auto* msgs = n->add_subcommand("messages", "Messages sent, with their delivery status");
  add_data_options(msgs, o->data);
  msgs->add_option("--after", o->after, "Only messages after this id");
  msgs->callback([o, &run] { run = [o] { return messages(*o); }; });
  auto* stub = n->add_subcommand(
      "gateway-stub", "A local SMS gateway that records every message it receives (JSON lines)");
  stub->add_option("--port", o->port, "Port on 127.0.0.1 (0: any free port)");
  stub->add_option("--out", o->out, "File the messages are appended to")->required();
  stub->add_option("--run-for", o->run_for_s, "Seconds to run (default: until Ctrl-C)");
  stub->callback([o, &run] { run = [o] { return gateway_stub(*o); }; });
}

}  // namespace vidyut::cli
