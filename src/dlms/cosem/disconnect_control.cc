#include "dlms/cosem/disconnect_control.h"

namespace vidyut::dlms::cosem {

namespace {

struct Edge {
  DisconnectTransition t;
  ControlState from;
  ControlState to;
};
constexpr Edge kEdges[] = {
    {DisconnectTransition::kRemoteReconnectArm, ControlState::kDisconnected,
     ControlState::kReadyForReconnection},
    {DisconnectTransition::kRemoteDisconnectFromReady, ControlState::kReadyForReconnection,
     ControlState::kDisconnected},
    {DisconnectTransition::kRemoteDisconnect, ControlState::kConnected,
     ControlState::kDisconnected},
    {DisconnectTransition::kRemoteReconnect, ControlState::kDisconnected, ControlState::kConnected},
    {DisconnectTransition::kManualReconnect, ControlState::kReadyForReconnection,
     ControlState::kConnected},
    {DisconnectTransition::kManualDisconnect, ControlState::kConnected,
     ControlState::kReadyForReconnection},
    {DisconnectTransition::kLocalDisconnect, ControlState::kConnected,
     ControlState::kReadyForReconnection},
    {DisconnectTransition::kLocalReconnect, ControlState::kReadyForReconnection,
     ControlState::kConnected},
};

}  // namespace

DisconnectControl::DisconnectControl(std::uint8_t control_mode, ControlState initial,
                                     const Obis& ln)
    : CosemObject(70, 0, ln),
      mode_(control_mode > kMaxControlMode ? std::uint8_t{0} : control_mode),
      state_(mode_ == 0 ? ControlState::kConnected : initial) {}

bool DisconnectControl::allowed(std::uint8_t mode, DisconnectTransition t) {
  // Rows: the Blue Book's control_mode table (see the header).
  const char* letters = "";
  switch (mode) {
    case 1:
      letters = "bcdefg";
      break;
    case 2:
      letters = "abcefg";
      break;
    case 3:
      letters = "bcdeg";
      break;
    case 4:
      letters = "abceg";
      break;
    case 5:
      letters = "bcdefgh";
      break;
    case 6:
      letters = "abcegh";
      break;
    default:
      return false;
  }
  for (const char* p = letters; *p != '\0'; ++p) {
    if (*p == static_cast<char>(t)) return true;
  }
  return false;
}

bool DisconnectControl::apply(DisconnectTransition t, ControlState from, ControlState to) {
  if (state_ != from || !allowed(mode_, t)) return false;
  state_ = to;
  if (observer_) observer_(*this, t, from, to);
  return true;
}

bool DisconnectControl::remote_disconnect() {
  if (state_ == ControlState::kDisconnected) return true;
  for (const Edge& e : kEdges) {
    if ((e.t == DisconnectTransition::kRemoteDisconnect ||
         e.t == DisconnectTransition::kRemoteDisconnectFromReady) &&
        apply(e.t, e.from, e.to)) {
      return true;
    }
  }
  return false;
}

bool DisconnectControl::remote_reconnect() {
  if (state_ == ControlState::kConnected) return true;
  if (state_ == ControlState::kReadyForReconnection) {
    // Already armed, waiting for the customer, in the modes that arm.
    return allowed(mode_, DisconnectTransition::kRemoteReconnectArm);
  }
  return apply(DisconnectTransition::kRemoteReconnect, ControlState::kDisconnected,
               ControlState::kConnected) ||
         apply(DisconnectTransition::kRemoteReconnectArm, ControlState::kDisconnected,
               ControlState::kReadyForReconnection);
}

bool DisconnectControl::manual_disconnect() {
  return apply(DisconnectTransition::kManualDisconnect, ControlState::kConnected,
               ControlState::kReadyForReconnection);
}
bool DisconnectControl::manual_reconnect() {
  return apply(DisconnectTransition::kManualReconnect, ControlState::kReadyForReconnection,
               ControlState::kConnected);
}
bool DisconnectControl::local_disconnect() {
  return apply(DisconnectTransition::kLocalDisconnect, ControlState::kConnected,
               ControlState::kReadyForReconnection);
}
bool DisconnectControl::local_reconnect() {
  return apply(DisconnectTransition::kLocalReconnect, ControlState::kReadyForReconnection,
               ControlState::kConnected);
}

void DisconnectControl::set_control_mode(std::uint8_t mode) {
  if (mode > kMaxControlMode) return;
  mode_ = mode;
  if (mode_ == 0 && state_ != ControlState::kConnected) {
    ControlState from = state_;
    state_ = ControlState::kConnected;
    if (observer_) observer_(*this, DisconnectTransition::kModeChange, from, state_);
  }
}

GetDataResult DisconnectControl::get_attribute(std::int8_t attribute,
                                               const std::optional<SelectiveAccess>& access,
                                               const AccessContext&) {
  if (access) return DataAccessResult::kOtherReason;
  switch (attribute) {
    case 2:
      return Data::boolean(output_state());
    case 3:
      return Data::enumerated(static_cast<std::uint8_t>(state_));
    case 4:
      return Data::enumerated(mode_);
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult DisconnectControl::set_attribute(std::int8_t attribute, const Data& value,
                                                  const AccessContext&) {
  if (attribute != 4) return DataAccessResult::kReadWriteDenied;  // states follow transitions
  if (value.tag() != DataTag::kEnum) return DataAccessResult::kTypeUnmatched;
  auto mode = *value.as_uint();
  if (mode > kMaxControlMode) return DataAccessResult::kOtherReason;
  set_control_mode(static_cast<std::uint8_t>(mode));
  return DataAccessResult::kSuccess;
}

ActionOutcome DisconnectControl::invoke_method(std::int8_t method,
                                               const std::optional<Data>& params,
                                               const AccessContext&) {
  // The parameter is integer 0; absent or null is tolerated, other types are not.
  if (params && !params->is_null() && params->tag() != DataTag::kInteger) {
    return ActionOutcome::fail(ActionResult::kTypeUnmatched);
  }
  bool ok = method == 1 ? remote_disconnect() : remote_reconnect();
  return ok ? ActionOutcome::ok() : ActionOutcome::fail(ActionResult::kTemporaryFailure);
}

}  // namespace vidyut::dlms::cosem
