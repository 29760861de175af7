// The demo's area disconnections (docs/demo.md, "mdm.load_disconnect"): the control room
// disconnects a chosen set of a DT's consumers for a window, some of them prepaid consumers the
// billing engine has already disconnected for their balance, and the relay holds must keep
// billing and load control from undoing each other's disconnections. Checked in the simulator's
// truth (the meters' relays):
//   - during the window every chosen relay is open (a recharge inside it does not reconnect);
//   - after the restore (once the head end has carried out its reconnections) every chosen
//     consumer with balance is reconnected (one whose DT was
//     without supply then, once it is back), and one billing still holds (no recharge yet) stays
//     open until his recharge reconnects him.
// Sans-I/O towards the fleet: the caller gives the truth as functions, and ticks it with the
// simulated time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/load_control.h"

namespace vidyut::demo {

struct DisconnectPlan {
  std::string name;  // "restore while billing holds", ...
  std::string dt;
  std::vector<std::uint32_t> without_balance;  // fleet indices: disconnected by billing
  std::vector<std::uint32_t> with_balance;
  UtcTime at{};
  std::int64_t minutes = 60;
  UtcTime recharge_at{};  // when the without-balance ones recharge
};

struct DisconnectCheck {
  std::string name, dt;
  std::int64_t action_id = 0;
  std::size_t chosen = 0;
  std::size_t open_during = 0;       // chosen relays open in the truth near the window's end
  std::size_t dark_during = 0;       // chosen meters without supply then (not counted)
  std::size_t recharged_inside = 0;  // without-balance ones who recharged inside the window
  std::size_t closed_after = 0;      // with-balance (and recharged) reconnected after the restore
  std::size_t dark_after = 0;        // of those, without supply then (a command cannot reach)
  std::size_t expected_closed_after = 0;
  std::size_t held_after = 0;  // without-balance, not yet recharged: still open after it
  std::size_t expected_held_after = 0;
  std::size_t closed_after_recharge = 0;  // those, after their recharge
  std::size_t dark_after_recharge = 0;
  // Those without supply after the window: reconnected once it came back (an hour later), or
  // still without supply then.
  std::size_t dark_after_closed_later = 0, dark_after_still_dark = 0;
  std::string error;
  bool ok() const;
};

class DisconnectScenario {
 public:
  struct Truth {
    std::function<bool(std::uint32_t)> relay_closed;
    std::function<bool(std::uint32_t)> supplied;
    std::function<std::string(std::uint32_t)> serial;
  };
  DisconnectScenario(mdm::LoadControl& lc, Truth truth);
  // A disconnection to make at plan.at (chosen when the time comes: who billing has
  // disconnected then).
  void add(DisconnectPlan plan);
  // Acts and checks what is due at `now`.
  void tick(UtcTime now);
  // The fleet indices whose reconnection after a recharge is left to load control (recharged
  // inside a window).
  std::vector<std::uint32_t> held_by_load_control() const;
  const std::vector<DisconnectCheck>& checks() const { return checks_; }
  bool ok() const;

 private:
  enum class Phase { kPending, kActive, kRestored, kLate, kDone };
  std::vector<DisconnectPlan> plans_;
  std::vector<std::vector<std::uint32_t>> dark_after_;  // per plan
  std::vector<DisconnectCheck> checks_;
  std::vector<Phase> phase_;
  mdm::LoadControl& lc_;
  Truth truth_;
};

}  // namespace vidyut::demo
