// The fleet at a glance (docs/mdm.md, "Fleet status"): per feeder and per DT, how many meters
// talk to the head end, how many have gone silent, how many were never heard, and how many
// consumers' relays are open. What the control room's first page shows.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::mdm {

// A meter is silent when its last contact is older than this: two missed push cycles of 15
// minutes and some slack for a session that is still running.
inline constexpr Millis kSilentAfter{45 * 60 * 1000};

struct StatusCounts {
  std::string name;    // feeder or DT name ("" for the whole fleet)
  std::string feeder;  // the DT's feeder (DT rows only)
  std::size_t meters = 0;
  std::size_t communicating = 0;
  std::size_t silent = 0;
  std::size_t never_seen = 0;
  std::size_t relay_open = 0;  // consumers whose relay billing or an operator keeps open
};

struct FleetStatus {
  UtcTime at{};
  StatusCounts all;
  std::vector<StatusCounts> feeders;  // worst first: most silent, then name
  std::vector<StatusCounts> dts;
};

// `relay_open`: consumer id -> relay open, from whoever knows (billing's wanted states).
Result<FleetStatus> fleet_status(store::Store& store, UtcTime now,
                                 const std::map<std::string, bool>& relay_open);

}  // namespace vidyut::mdm
