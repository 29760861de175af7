#include "cim/end_device_controls.h"

#include "cim/xml_io.h"

namespace vidyut::cim {

Result<ControlsRequest> parse_end_device_controls(std::string_view text) {
  pugi::xml_document doc;
  VIDYUT_TRY(root, xml::parse_document(doc, text, "RequestMessage"));
  ControlsRequest out;
  VIDYUT_TRY(header, xml::parse_header(*root));
  out.header = std::move(*header);
  if (out.header.verb != "create" || out.header.noun != "EndDeviceControls") {
    return Error(Errc::kUnsupported,
                 "this route takes verb create with noun EndDeviceControls, not " +
                     out.header.verb + " " + out.header.noun);
  }
  pugi::xml_node controls = xml::child(xml::child(*root, "Payload"), "EndDeviceControls");
  if (!controls) return Error(Errc::kMalformed, "the Payload holds no EndDeviceControls");
  std::size_t meters = 0;
  for (pugi::xml_node c = controls.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element || xml::local_name(c.name()) != "EndDeviceControl") {
      continue;
    }
    if (out.controls.size() == kMaxControls) {
      return Error(Errc::kLimitExceeded,
                   "more than " + std::to_string(kMaxControls) + " EndDeviceControl elements");
    }
    ControlRequest r;
    VIDYUT_TRY(code, xml::child_ref(c, "EndDeviceControlType"));
    if (code->empty()) {
      return Error(Errc::kMalformed, "an EndDeviceControl has no EndDeviceControlType ref");
    }
    r.type_code = std::move(*code);
    if (r.type_code == kOpenSwitch) r.action = SwitchAction::kOpen;
    if (r.type_code == kCloseSwitch) r.action = SwitchAction::kClose;
    VIDYUT_TRY(reason, xml::child_text(c, "reason"));
    VIDYUT_TRY(tracking, xml::child_text(c, "issuerTrackingID"));
    r.reason = std::move(*reason);
    r.issuer_tracking_id = std::move(*tracking);
    for (pugi::xml_node d = c.first_child(); d; d = d.next_sibling()) {
      if (d.type() != pugi::node_element || xml::local_name(d.name()) != "EndDevices") continue;
      VIDYUT_TRY(mrid, xml::child_text(d, "mRID"));
      std::string id = std::move(*mrid);
      if (id.empty()) {
        VIDYUT_TRY(name, xml::child_text(xml::child(d, "Names"), "name"));
        id = std::move(*name);
      }
      if (id.empty()) return Error(Errc::kMalformed, "an EndDevices element has no mRID or name");
      if (++meters > kMaxControlledMeters) {
        return Error(Errc::kLimitExceeded,
                     "more than " + std::to_string(kMaxControlledMeters) + " meters in a message");
      }
      r.meters.push_back(std::move(id));
    }
    if (r.meters.empty()) return Error(Errc::kMalformed, "an EndDeviceControl names no EndDevices");
    out.controls.push_back(std::move(r));
  }
  if (out.controls.empty()) return Error(Errc::kMalformed, "the message holds no EndDeviceControl");
  return out;
}

std::string end_device_controls_reply(const std::vector<ControlReply>& controls) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("EndDeviceControls");
  root.append_attribute("xmlns").set_value(kEndDeviceControlsNamespace);
  for (const auto& c : controls) {
    for (const auto& o : c.outcomes) {
      pugi::xml_node n = root.append_child("EndDeviceControl");
      xml::add_text(n, "mRID", o.command_id);
      xml::add_text(n, "issuerTrackingID", c.issuer_tracking_id);
      xml::add_text(n, "reason", o.note);
      xml::add_ref(n, "EndDeviceControlType", c.type_code);
      pugi::xml_node d = n.append_child("EndDevices");
      xml::add_text(d, "mRID", o.meter, false);
    }
  }
  return xml::print(root, 2);
}

}  // namespace vidyut::cim
