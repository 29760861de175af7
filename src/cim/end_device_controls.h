// IEC 61968-9 EndDeviceControls (docs/cim.md, "End-device controls"): another system asks the
// platform to open or close consumers' relays. A RequestMessage with verb "create" and noun
// "EndDeviceControls" carries EndDeviceControl elements, each with an EndDeviceControlType code
// (kOpenSwitch, kCloseSwitch) and the meters (EndDevices, by mRID or name). The reply names, per
// control and meter, the command the platform queued, and an Error for each it refused.
//
// The request is untrusted: parse_end_device_controls checks its size, shape and limits and
// turns it into plain values; nothing here acts on a meter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cim/message.h"
#include "core/result.h"

namespace vidyut::cim {

// EndDeviceControlType codes: open (disconnect) and close (connect) the meter's remote
// connect/disconnect switch.
inline constexpr const char* kOpenSwitch = "3.31.0.23";
inline constexpr const char* kCloseSwitch = "3.31.0.18";

// Most controls in one message, and most meters over all of its controls.
inline constexpr std::size_t kMaxControls = 100;
inline constexpr std::size_t kMaxControlledMeters = 1'000;

enum class SwitchAction { kOpen, kClose };

struct ControlRequest {
  std::string type_code;               // as sent
  std::optional<SwitchAction> action;  // nullopt: a code the platform does not carry out
  std::string reason;
  std::string issuer_tracking_id;
  std::vector<std::string> meters;  // serials (mRID, or Names/name when no mRID)
};

struct ControlsRequest {
  Header header;
  std::vector<ControlRequest> controls;
};

// kMalformed (not XML, not a RequestMessage, a Header without verb or noun, a control without a
// type or a meter), kUnsupported (another verb or noun), kLimitExceeded (kMaxMessageBytes,
// kMaxControls, kMaxControlledMeters, kMaxFieldBytes).
Result<ControlsRequest> parse_end_device_controls(std::string_view xml);

// What became of one meter of one control.
struct ControlOutcome {
  std::string meter;
  std::string command_id;  // the platform's command, "" when none was queued
  std::string note;        // e.g. "relay stays open, held by billing"
};

struct ControlReply {
  std::string type_code;
  std::string issuer_tracking_id;
  std::vector<ControlOutcome> outcomes;
};

// The <EndDeviceControls> payload of the reply, indented for its place in the envelope.
std::string end_device_controls_reply(const std::vector<ControlReply>& controls);

}  // namespace vidyut::cim
