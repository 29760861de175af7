// One consumer's relay from the control room (docs/mdm.md, "Disconnect and reconnect one
// consumer"): an operator's disconnection holds the relay open (RelayHold "operator", with the
// operator and his reason) and queues the disconnect command; his reconnection lets go of that
// hold and queues the connect command only when no other party holds the relay open (a consumer
// without balance stays disconnected, as does one inside an area load shedding). Each step is
// audited with its actor. Commands go through the same CommandPort as area load control.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/load_control.h"
#include "store/store.h"

namespace vidyut::mdm {

inline constexpr const char* kOperatorHolder = "operator";

struct ManualRelayResult {
  std::optional<store::Command> command;  // none when the relay stays open for another holder
  std::vector<store::RelayHold> holds;    // the holds on the relay afterwards
};

// A meter's relay as the platform keeps it: open while any party holds it open (billing for the
// balance, area load control, an operator), with the relay command still on its way, if any.
struct RelayStatus {
  bool open = false;
  std::vector<store::RelayHold> holds;
  std::optional<store::Command> pending;  // a connect or disconnect not yet done
};
Result<RelayStatus> relay_status(store::Store& store, std::int64_t meter_id);

// kInvalidArgument for an empty actor or reason, kNotFound for an unknown meter.
Result<ManualRelayResult> operator_disconnect(store::Store& store, CommandPort& port,
                                              const Clock& clock, std::int64_t meter_id,
                                              const std::string& actor, const std::string& reason);
Result<ManualRelayResult> operator_reconnect(store::Store& store, CommandPort& port,
                                             const Clock& clock, std::int64_t meter_id,
                                             const std::string& actor, const std::string& reason);

}  // namespace vidyut::mdm
