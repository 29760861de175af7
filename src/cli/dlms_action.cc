// `vidyut dlms action OBIS:METHOD [--value DATA]`: invokes a method and prints the result.
#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/reading.h"
#include "dlms/cosem/is15959.h"

namespace vidyut::cli {
namespace {

struct ActionOptions {
  ConnectionOptions conn;
  std::string target;
  std::string value;  // A-XDR hex, or an integer for "integer" (int8)
  std::int64_t class_id = -1;
};

// "--value 0" -> integer 0 (what class 70's methods take); "--value hex:0F00" -> A-XDR bytes.
Result<std::optional<dlms::Data>> parse_value(const std::string& text, std::uint16_t class_id) {
  if (text.empty()) {
    // Class 70 methods take integer 0; other methods get none unless given.
    if (class_id == 70) return std::optional<dlms::Data>(dlms::Data::integer(0));
    return std::optional<dlms::Data>();
  }
  if (text.rfind("hex:", 0) == 0) {
    VIDYUT_TRY(bytes, from_hex(text.substr(4)));
    auto d = dlms::axdr::decode_all(*bytes);
    if (!d.ok()) return Error(Errc::kInvalidArgument, "--value: " + d.error().describe());
    return std::optional<dlms::Data>(*d);
  }
  long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < -128 || v > 127) {
    return Error(Errc::kInvalidArgument,
                 "--value takes an integer -128..127 or hex:<A-XDR bytes>, got '" + text + "'");
  }
  return std::optional<dlms::Data>(dlms::Data::integer(static_cast<std::int8_t>(v)));
}

int run_action(const ActionOptions& o) {
  std::optional<std::uint16_t> class_override;
  if (o.class_id >= 0 && o.class_id <= 0xFFFF)
    class_override = static_cast<std::uint16_t>(o.class_id);
  auto t = parse_target(o.target, class_override);
  if (!t.ok()) return report_error("action", t.error());
  auto value = parse_value(o.value, t->class_id);
  if (!value.ok()) return report_error("action", value.error());
  auto session = open_session(o.conn);
  if (!session.ok()) return report_error("association", session.error());
  dlms::Client& client = *(*session)->client;
  auto reply = client.action(dlms::MethodDescriptor{t->class_id, t->obis, t->index}, *value);
  if (!reply.ok()) return report_error("action", reply.error());
  const bool ok = reply->result == dlms::ActionResult::kSuccess;
  std::string json = "{\"obis\":" + json_string(t->obis.to_string()) +
                     ",\"method\":" + std::to_string(t->index) +
                     ",\"result\":" + json_string(dlms::to_string(reply->result));
  if (!o.conn.json) {
    std::cout << "action " << t->obis.to_string() << ":" << int(t->index) << ": "
              << dlms::to_string(reply->result) << "\n";
    if (reply->return_value) {
      if (const auto* d = std::get_if<dlms::Data>(&*reply->return_value)) {
        std::cout << "  returned " << dlms::axdr::to_text(*d) << "\n";
      }
    }
  }
  // Disconnect control: read the state back so the operator sees what the relay did.
  if (t->class_id == 70) {
    for (std::int8_t attr : {std::int8_t{2}, std::int8_t{3}}) {
      auto r = read_and_format(client, Target{t->obis, attr, 70}, std::nullopt);
      if (!r.ok()) return report_error("read back", r.error());
      if (o.conn.json) {
        json +=
            std::string(",\"") + (attr == 2 ? "output_state" : "control_state") + "\":" + r->json;
      } else {
        std::cout << r->text;
      }
    }
  }
  if (o.conn.json) std::cout << json << "}\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

void register_dlms_action(CLI::App& dlms, Runner& run) {
  auto o = std::make_shared<ActionOptions>();
  auto* cmd = dlms.add_subcommand("action", "Invoke a method (e.g. remote disconnect)");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("target", o->target, "OBIS:METHOD, e.g. 0.0.96.3.10.255:1")->required();
  cmd->add_option("--value", o->value,
                  "Parameter: integer (int8) or hex:<A-XDR>; class 70 defaults to integer 0");
  cmd->add_option("--class-id", o->class_id, "Interface class, for objects not in the catalogue");
  cmd->callback([o, &run] { run = [o] { return run_action(*o); }; });
}

}  // namespace vidyut::cli
