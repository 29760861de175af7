// IEC 61968-9 EndDeviceEvents (docs/cim.md, "End-device events"): the platform's alerts (a
// meter's tamper, power and relay events, the MDM's DT and feeder outages and overloads) as
// EndDeviceEvents with an EndDeviceEventType code of four parts, device type, domain, subdomain
// and event (IEC 61968-9 Annex E); the table of codes is in docs/cim.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace vidyut::cim {

struct EndDeviceEvent {
  std::string mrid;         // the event's own id ("alert-123")
  std::string type_code;    // event_type_code(...)
  UtcTime created{};        // when it happened
  std::string meter;        // the meter's serial (empty when no meter is involved)
  std::string usage_point;  // the consumer id, when the meter has one
  std::string reason;       // what it was, in words ("tamper magnet started")
  std::vector<std::pair<std::string, std::string>> details;  // EndDeviceEventDetails
};

// The EndDeviceEventType code of one of the platform's alerts (kind, name and whether the
// condition started or ended; docs/head-end.md and docs/mdm.md list them). "3.0.0.0" (an
// electric meter's other event) for an alert the table does not name.
std::string event_type_code(const std::string& kind, const std::string& name, bool active);

// The <EndDeviceEvents> payload element with `events`, indented for its place in the envelope.
std::string end_device_events(const std::vector<EndDeviceEvent>& events);

}  // namespace vidyut::cim
