// `vidyut dlms read OBIS:ATTR...`: reads attributes and prints them named and scaled.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/reading.h"

namespace vidyut::cli {
namespace {

struct ReadOptions {
  ConnectionOptions conn;
  std::vector<std::string> targets;
  std::string from;
  std::string to;
  std::int64_t class_id = -1;
};

int run_read(const ReadOptions& o) {
  std::optional<std::uint16_t> class_override;
  if (o.class_id >= 0) {
    if (o.class_id > 0xFFFF)
      return report_error("read", Error(Errc::kInvalidArgument, "--class-id"));
    class_override = static_cast<std::uint16_t>(o.class_id);
  }
  std::vector<Target> targets;
  for (const auto& text : o.targets) {
    auto t = parse_target(text, class_override);
    if (!t.ok()) return report_error("read", t.error());
    targets.push_back(*t);
  }
  std::optional<dlms::SelectiveAccess> access;
  if (!o.from.empty() || !o.to.empty()) {
    if (o.from.empty() || o.to.empty()) {
      return report_error("read", Error(Errc::kInvalidArgument, "--from and --to go together"));
    }
    auto range = make_range(o.from, o.to);
    if (!range.ok()) return report_error("read", range.error());
    access = *range;
  }
  auto session = open_session(o.conn);
  if (!session.ok()) return report_error("association", session.error());
  int code = kExitOk;
  std::vector<std::string> json;
  for (const Target& t : targets) {
    auto r = read_and_format(*(*session)->client, t,
                             t.class_id == 7 && t.index == 2 ? access : std::nullopt);
    if (!r.ok()) return report_error("read " + t.obis.to_string(), r.error());
    if (!r->success) code = kExitFailure;
    if (o.conn.json) {
      json.push_back(r->json);
    } else {
      std::cout << r->text;
    }
  }
  if (o.conn.json) {
    std::cout << "[";
    for (std::size_t i = 0; i < json.size(); ++i) std::cout << (i ? ",\n" : "") << json[i];
    std::cout << "]\n";
  }
  return code;
}

}  // namespace

void register_dlms_read(CLI::App& dlms, Runner& run) {
  auto o = std::make_shared<ReadOptions>();
  auto* cmd = dlms.add_subcommand("read", "Read attributes, named and scaled");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("targets", o->targets, "OBIS:ATTR, e.g. 0.0.1.0.0.255:2")->required();
  cmd->add_option("--from", o->from, "Profile range start, ISO 8601 (e.g. 2026-11-22T00:00+05:30)");
  cmd->add_option("--to", o->to, "Profile range end, ISO 8601");
  cmd->add_option("--class-id", o->class_id, "Interface class, for objects not in the catalogue");
  cmd->callback([o, &run] { run = [o] { return run_read(*o); }; });
}

}  // namespace vidyut::cli
