// `vidyut registry`: the head end's meter registry in a data directory (docs/storage.md).
//
//   registry import --data DIR FLEET.csv   imports a fleet file (docs/fleet-file.md): meters by
//                                          serial, with their network place; secrets encrypted
//   registry show --data DIR SERIAL        one meter's registry entry (never its secrets)
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_options.h"
#include "cli/registry.h"
#include "core/bytes.h"
#include "fleet/fleet_file.h"
#include "store/pg_store.h"

namespace vidyut::cli {
namespace {

struct RegistryOptions {
  DataOptions data;
  std::string fleet_file;
  std::string serial;
};

int run_import(const RegistryOptions& o) {
  auto t = fleet::read_fleet_file(o.fleet_file);
  if (!t.ok()) return report_error("registry import", t.error());
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("registry import", db.error());
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
  rows.reserve(t->meters.size());
  for (const auto& r : t->meters) rows.push_back(to_registry(r));
  auto summary = (*db)->upsert_meters(rows);
  if (!summary.ok()) return report_error("registry import", summary.error());
  std::cout << fmt::format(
      "imported {} meters from {} into {}: {} new, {} updated, {} unchanged ({} feeders, {} "
      "DTs)\n",
      rows.size(), o.fleet_file,
      o.data.store_url.empty() ? o.data.data_dir : store::redact_url(o.data.store_url),
      summary->inserted, summary->updated, summary->unchanged, t->feeders.size(), t->dts.size());
  return kExitOk;
}

int run_show(const RegistryOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("registry show", db.error());
  auto m = (*db)->meter_by_serial(o.serial);
  if (!m.ok()) return report_error("registry show", m.error());
  if (!*m) {
    return report_error("registry show",
                        Error(Errc::kNotFound, fmt::format("no meter with serial {}", o.serial)));
  }
  const store::MeterInfo& x = **m;
  std::cout << fmt::format(
      "meter {} (id {})\n  kind {}, manufacturer {}, system title {}\n  category {}, sanctioned "
      "load {} W\n  feeder {}, DT {}, consumer {}\n  SIMs {} / {}, static address {}\n",
      x.serial, x.id, x.kind, x.manufacturer, to_hex(x.system_title), x.category,
      x.sanctioned_load_w, x.feeder, x.dt.empty() ? "-" : x.dt,
      x.consumer_id.empty() ? "-" : x.consumer_id, x.sim_operator[0],
      x.sim_operator[1].empty() ? "-" : x.sim_operator[1], x.static_ip.empty() ? "-" : x.static_ip);
  // Prove the secrets decrypt under this master key without printing them.
  auto s = (*db)->secrets(x.id);
  std::cout << (s.ok() ? "  secrets: stored encrypted, decrypt with this master key\n"
                       : "  secrets: " + s.error().describe() + "\n");
  return s.ok() ? kExitOk : kExitAuth;
}

}  // namespace

void register_registry(CLI::App& app, Runner& run) {
  auto* reg = app.add_subcommand("registry", "The head end's meter registry (a data directory)");
  reg->require_subcommand(1);
  auto o = std::make_shared<RegistryOptions>();
  auto common = [o](CLI::App* c) { add_data_options(c, o->data); };
  auto* imp = reg->add_subcommand("import", "Import a fleet file (meters, network, keys)");
  common(imp);
  imp->add_option("fleet", o->fleet_file, "Fleet file (docs/fleet-file.md)")->required();
  imp->callback([o, &run] { run = [o] { return run_import(*o); }; });
  auto* show = reg->add_subcommand("show", "Show one meter's registry entry");
  common(show);
  show->add_option("serial", o->serial, "Meter serial number")->required();
  show->callback([o, &run] { run = [o] { return run_show(*o); }; });
}

}  // namespace vidyut::cli
