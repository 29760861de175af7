// FleetRig: the fleet simulator pushing over real loopback sockets to a head end with an
// embedded SQLite store, on a ManualClock that tests move in steps. Used by the head-end and
// billing tests; to_registry is also how `vidyut registry import` and the demo fill a registry.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "fleet/fleet.h"
#include "headend/head_end.h"
#include "simulator/simulator.h"
#include "store/store.h"
#include "testing/registry.h"

namespace vidyut::testing {

// A fleet config without random episodes or limiter trips (tests add what they need).
fleet::FleetConfig quiet_fleet();

struct FleetRigOptions {
  fleet::FleetSpec spec;  // the generated network
  fleet::FleetConfig config = quiet_fleet();
  headend::HeadEndOptions head_end;  // bind address, port and gap floor are set by the rig
  UtcTime start{};                   // also the gap floor
  Millis linger{10'000};             // how long meters keep a session open after a push
  // Receives the fleet's ground truth (borrowed; must outlive the rig). nullptr: none.
  fleet::TruthSink* truth = nullptr;
  // Edits the registry before it is stored (a test's wrong key, a missing meter).
  std::function<void(std::vector<std::pair<store::MeterInfo, store::MeterSecrets>>&)> edit_registry;
};

class FleetRig {
 public:
  // Creates <temp>/vidyut-<name>-<pid> (removed again by the destructor). Check ok() after.
  FleetRig(const std::string& name, FleetRigOptions options);
  ~FleetRig();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Advances simulated time by `total` in steps of `by`, letting the simulator and the head end
  // catch up after each step.
  void step(Millis total, Millis by = Millis(60'000));
  // Waits (real time, up to `tenths` tenths of a second) until cond() holds.
  static bool eventually(const std::function<bool()>& cond, int tenths = 100);
  // The registry id of fleet meter m.
  std::int64_t id_of(std::uint32_t m);
  // The fleet index of the meter with this serial, or -1.
  int index_of(std::string_view serial) const;
  bool relay_connected(std::uint32_t m);
  Result<std::string> control(const std::string& line);

  ManualClock clock;
  fleet::Fleet fleet;
  std::string dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<headend::HeadEnd> he;
  std::unique_ptr<simulator::Simulator> sim;

 private:
  std::string error_;
};

}  // namespace vidyut::testing
