// Interface class 70 (Disconnect control), version 0: the load relay (IS 15959 0.0.96.3.10.255).
//
// Attributes: 2 output_state boolean (true = relay closed, supply on), 3 control_state enum
// (0 disconnected, 1 connected, 2 ready_for_reconnection), 4 control_mode enum 0..6.
// Methods: 1 remote_disconnect(integer 0), 2 remote_reconnect(integer 0).
//
// State transitions (Blue Book, class 70 state diagram):
//   a remote_reconnect   disconnected -> ready_for_reconnection
//   b remote_disconnect  ready_for_reconnection -> disconnected
//   c remote_disconnect  connected -> disconnected
//   d remote_reconnect   disconnected -> connected
//   e manual_reconnect   ready_for_reconnection -> connected
//   f manual_disconnect  connected -> ready_for_reconnection
//   g local_disconnect   connected -> ready_for_reconnection
//   h local_reconnect    ready_for_reconnection -> connected
// Transitions allowed per control_mode:
//   0  none: always connected, no transition
//   1  b c d e f g        (remote reconnect goes straight to connected)
//   2  a b c e f g        (remote reconnect only arms; the customer presses the button)
//   3  like 1 without manual disconnect:          b c d e g
//   4  like 2 without manual disconnect:          a b c e g
//   5  like 1 plus local reconnect:               b c d e f g h
//   6  like 4 plus local reconnect:               a b c e g h
// (b and c are "remote disconnect", a or d "remote reconnect", f "manual disconnect" with the
// button, g "local disconnect" by the meter itself, e.g. the limiter or prepaid credit, and e/h
// reconnect by button / by the meter.)
//
// A method whose transition is not allowed from the current state in the current mode answers
// kTemporaryFailure and changes nothing; a method asking for the state the relay is already in
// (remote_disconnect when disconnected) succeeds without a transition. Setting control_mode to
// 0 while not connected connects the relay (mode 0 means always connected).
#pragma once

#include <cstdint>
#include <functional>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

enum class ControlState : std::uint8_t {
  kDisconnected = 0,
  kConnected = 1,
  kReadyForReconnection = 2
};
enum class DisconnectTransition : char {
  kRemoteReconnectArm = 'a',
  kRemoteDisconnectFromReady = 'b',
  kRemoteDisconnect = 'c',
  kRemoteReconnect = 'd',
  kManualReconnect = 'e',
  kManualDisconnect = 'f',
  kLocalDisconnect = 'g',
  kLocalReconnect = 'h',
  kModeChange = 'm',  // not in the Blue Book: setting control_mode 0 forces "connected"
};
inline constexpr std::uint8_t kMaxControlMode = 6;

class DisconnectControl : public CosemObject {
 public:
  // Called after every state change: (object, transition, state before, state after).
  using Observer = std::function<void(const DisconnectControl&, DisconnectTransition, ControlState,
                                      ControlState)>;

  explicit DisconnectControl(std::uint8_t control_mode = 4,
                             ControlState initial = ControlState::kConnected,
                             const Obis& ln = Obis{0, 0, 96, 3, 10, 255});

  std::int8_t attribute_count() const override { return 4; }
  std::int8_t method_count() const override { return 2; }

  ControlState control_state() const { return state_; }
  bool output_state() const { return state_ == ControlState::kConnected; }
  std::uint8_t control_mode() const { return mode_; }
  // REQUIRES: mode <= kMaxControlMode.
  void set_control_mode(std::uint8_t mode);
  void set_observer(Observer o) { observer_ = std::move(o); }

  // Whether transition `t` is allowed in control mode `mode` (table above).
  static bool allowed(std::uint8_t mode, DisconnectTransition t);

  // What methods 1 and 2 do: true when the relay is now in the requested state (moved there,
  // or already there; for remote_reconnect in modes 2/4/6 "armed" counts), false when the mode
  // does not allow it from the current state (nothing changes).
  bool remote_disconnect();
  bool remote_reconnect();
  // Triggers from the meter itself (relay button, limiter, prepaid credit): true when the
  // transition happened, false when not allowed now (state unchanged).
  bool manual_disconnect();
  bool manual_reconnect();
  bool local_disconnect();
  bool local_reconnect();

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  bool apply(DisconnectTransition t, ControlState from, ControlState to);

  std::uint8_t mode_;
  ControlState state_;
  Observer observer_;
};

}  // namespace vidyut::dlms::cosem
