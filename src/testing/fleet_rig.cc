#include "testing/fleet_rig.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "meter/load_model.h"
#include "store/sqlite_store.h"

namespace vidyut::testing {

namespace fs = std::filesystem;

fleet::FleetConfig quiet_fleet() {
  fleet::FleetConfig c;
  c.rates = fleet::EventRates::none();
  c.limiter_trips = false;
  return c;
}

FleetRig::FleetRig(const std::string& name, FleetRigOptions o)
    : clock(o.start), fleet(fleet::generate(o.spec), o.config, clock, o.truth) {
  dir =
      (fs::temp_directory_path() / ("vidyut-" + name + "-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  store::SqliteOptions so;
  so.master_key = std::array<std::uint8_t, 32>{};
  so.master_key->fill(0x5A);
  auto s = store::open_sqlite_store(dir, clock, so);
  if (!s.ok()) {
    error_ = s.error().describe();
    return;
  }
  db = std::move(*s);
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
  for (const auto& r : fleet.topology().meters) rows.push_back(to_registry(r));
  if (o.edit_registry) o.edit_registry(rows);
  if (auto u = db->upsert_meters(rows); !u.ok()) {
    error_ = u.error().describe();
    return;
  }
  o.head_end.bind_address = "127.0.0.1";
  o.head_end.port = 0;
  o.head_end.gap_floor = o.start;
  he = std::make_unique<headend::HeadEnd>(*db, clock, o.head_end);
  if (auto st = he->start(); !st.ok()) {
    error_ = st.error().describe();
    return;
  }
  simulator::SimulatorOptions sim_o;
  sim_o.head_end_host = "127.0.0.1";
  sim_o.head_end_port = he->port();
  sim_o.linger = o.linger;
  sim_o.inbound = o.spec.static_ip_share > 0;
  sim_o.inbound_port = 0;
  sim = std::make_unique<simulator::Simulator>(fleet, clock, sim_o);
  if (auto st = sim->start(); !st.ok()) {
    error_ = st.error().describe();
    return;
  }
  if (sim_o.inbound) he->set_dial_port(sim->inbound_port());
}

FleetRig::~FleetRig() {
  if (sim) sim->stop();
  if (he) he->stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

bool FleetRig::eventually(const std::function<bool()>& cond, int tenths) {
  for (int i = 0; i < tenths * 10; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

void FleetRig::step(Millis total, Millis by) {
  for (Millis d{0}; d < total; d += by) {
    clock.advance(by);
    eventually([&] {
      return sim->with_fleet([&](fleet::Fleet& f) { return f.next_event_time() > clock.now(); });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
}

std::int64_t FleetRig::id_of(std::uint32_t m) {
  auto r = db->meter_by_serial(fleet.topology().meters[m].identity.serial);
  return r.ok() && *r ? (*r)->id : 0;
}

int FleetRig::index_of(std::string_view serial) const {
  const auto& ms = fleet.topology().meters;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (ms[i].identity.serial == serial) return static_cast<int>(i);
  }
  return -1;
}

bool FleetRig::relay_connected(std::uint32_t m) {
  return sim->with_fleet([&](fleet::Fleet& f) { return f.meter(m).relay_connected(); });
}

Result<std::string> FleetRig::control(const std::string& line) {
  return sim->with_fleet([&](fleet::Fleet& f) { return f.control(line); });
}

}  // namespace vidyut::testing
