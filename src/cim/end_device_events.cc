#include "cim/end_device_events.h"

#include <array>
#include <string_view>

#include "cim/message.h"
#include "cim/xml_io.h"

namespace vidyut::cim {
namespace {

struct EventCode {
  std::string_view kind;
  std::string_view name;  // "" matches any name of the kind
  const char* started;    // the condition started (or a one-off event)
  const char* ended;      // the condition ended
};

// Device type 3 is an electric meter. Domains: 12 security (tamper), 15 load control, 21
// metrology, 26 power, 31 the remote connect/disconnect switch, 36 the clock.
constexpr std::array<EventCode, 13> kCodes{{
    {"outage", "last-gasp", "3.26.38.85", "3.26.38.49"},
    {"restore", "first-breath", "3.26.38.49", "3.26.38.49"},
    {"supply", "", "3.26.38.85", "3.26.38.49"},
    {"relay", "", "3.31.0.24", "3.31.0.24"},
    {"tamper", "magnet", "3.12.66.242", "3.12.66.243"},
    {"tamper", "cover-open", "3.12.141.212", "3.12.141.16"},
    {"tamper", "current-reverse", "3.12.6.219", "3.12.43.291"},
    {"tamper", "", "3.12.43.257", "3.12.43.291"},
    {"overload", "", "3.15.261.139", "3.15.261.216"},
    {"data", "conflicting-reading", "3.21.67.79", "3.21.67.79"},
    {"security", "", "3.12.24.85", "3.12.24.85"},
    {"clock", "drift", "3.36.114.35", "3.36.116.24"},
    {"event", "", "3.0.0.0", "3.0.0.0"},
}};

}  // namespace

std::string event_type_code(const std::string& kind, const std::string& name, bool active) {
  for (const auto& c : kCodes) {
    if (c.kind == kind && (c.name.empty() || c.name == name)) {
      return active ? c.started : c.ended;
    }
  }
  return "3.0.0.0";
}

std::string end_device_events(const std::vector<EndDeviceEvent>& events) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("EndDeviceEvents");
  root.append_attribute("xmlns").set_value(kEndDeviceEventsNamespace);
  for (const auto& e : events) {
    pugi::xml_node n = root.append_child("EndDeviceEvent");
    xml::add_text(n, "mRID", e.mrid, false);
    xml::add_text(n, "createdDateTime", format_iso8601(e.created), false);
    xml::add_text(n, "reason", e.reason);
    for (const auto& [name, value] : e.details) {
      pugi::xml_node d = n.append_child("EndDeviceEventDetails");
      xml::add_text(d, "name", name, false);
      xml::add_text(d, "value", value, false);
    }
    xml::add_ref(n, "EndDeviceEventType", e.type_code);
    if (!e.meter.empty()) {
      pugi::xml_node a = n.append_child("Assets");
      xml::add_text(a, "mRID", e.meter, false);
      xml::add_text(a.append_child("Names"), "name", e.meter, false);
    }
    if (!e.usage_point.empty()) xml::add_text(n.append_child("UsagePoint"), "mRID", e.usage_point);
  }
  return xml::print(root, 2);
}

}  // namespace vidyut::cim
