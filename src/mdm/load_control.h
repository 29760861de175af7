// Area load control (docs/mdm.md, "Area load control"): from the control room, for a window,
// either limit the load of every consumer meter of a DT or feeder to a threshold and then restore
// each meter's normal threshold (its sanctioned load), or disconnect a chosen set of its
// consumers and then reconnect them. Consumers the utility marks essential (a hospital, a water
// works) are never touched. Commands go through a CommandPort (the head end's queue), each
// idempotent; every action is recorded in mdm.db and audited with its actor.
//
// The meter's load limiter (IS 15959, 0.0.17.0.0.255 threshold_normal) opens the relay while the
// consumer draws more than the threshold and closes it again after its lockout; the relay
// decisions of the billing engine are not involved. A disconnection holds the relay open
// (store.h, RelayHold "load-control:<id>"); at the end of the window the hold is released and
// the meter reconnected only when no other hold remains: a consumer the billing engine has
// disconnected for his balance in the meantime stays disconnected, and the billing engine does
// not reconnect, for a recharge, a consumer held open by load control.
//
// Thread-safety: one caller at a time per LoadControl (a mutex guards its connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "store/store.h"

namespace vidyut::mdm {

// Where commands go: the head end's queue. The same shape as billing's RelayPort.
class CommandPort {
 public:
  virtual ~CommandPort() = default;
  // Queues a command; idempotent on its idempotency_key.
  virtual Result<store::Command> submit(store::Command command) = 0;
  virtual Result<std::optional<store::Command>> command(std::int64_t id) = 0;
};

// Commands through a store's queue (a process without a head end: the head end picks them up).
class StoreCommandPort final : public CommandPort {
 public:
  explicit StoreCommandPort(store::Store& store) : store_(store) {}
  Result<store::Command> submit(store::Command command) override;
  Result<std::optional<store::Command>> command(std::int64_t id) override;

 private:
  store::Store& store_;
};

// Named limits against a careless request.
inline constexpr std::uint32_t kMinLoadLimitW = 100;
inline constexpr std::uint32_t kMaxLoadLimitW = 100'000;
inline constexpr std::int64_t kMaxLoadControlMinutes = 7 * 24 * 60;

struct EssentialConsumer {
  std::int64_t meter_id = 0;
  std::string serial;
  std::string reason;
  UtcTime added{};
  std::string added_by;
};

// restore_command of a disconnected meter left open at the restore: another party (billing)
// still held its relay.
inline constexpr std::int64_t kRestoreHeldOpen = -1;
// Most meters one disconnect action names.
inline constexpr std::size_t kMaxChosenMeters = 10'000;

struct LoadActionMeter {
  std::int64_t meter_id = 0;
  std::string serial;
  std::uint32_t normal_w = 0;  // restored afterwards: the sanctioned load (limit actions)
  std::int64_t apply_command = 0;
  std::int64_t restore_command = 0;  // 0 until restored; kRestoreHeldOpen
};

enum class LoadActionState : std::uint8_t { kActive = 0, kRestored = 1 };
enum class LoadActionKind : std::uint8_t { kLimit = 0, kDisconnect = 1 };
const char* to_string(LoadActionKind k);  // "limit", "disconnect"

struct LoadAction {
  std::int64_t id = 0;
  LoadActionKind kind = LoadActionKind::kLimit;
  std::string target;  // a DT or a feeder name
  bool feeder = false;
  std::uint32_t limit_w = 0;  // limit actions
  UtcTime start{};
  UtcTime end{};
  LoadActionState state = LoadActionState::kActive;
  std::string requested_by;
  std::string reason;
  UtcTime restored{};
  std::vector<LoadActionMeter> meters;
  std::size_t essential_skipped = 0;
};

// How far an action's commands have got.
struct LoadActionProgress {
  std::size_t meters = 0;
  std::size_t applied = 0, apply_pending = 0, apply_failed = 0;
  std::size_t restored = 0, restore_pending = 0, restore_failed = 0;
  std::size_t held_open = 0;  // disconnections left in place: another party holds the relay
  std::vector<std::int64_t> apply_latency_ms;  // command created -> meter confirmed
  std::vector<std::int64_t> restore_latency_ms;
};

class LoadControl {
 public:
  // Opens (creating) dir/mdm.db. `store` (registry, audit) and `port` must outlive it.
  static Result<std::unique_ptr<LoadControl>> open(const std::filesystem::path& dir,
                                                   store::Store& store, CommandPort& port,
                                                   const Clock& clock);
  ~LoadControl();
  LoadControl(const LoadControl&) = delete;
  LoadControl& operator=(const LoadControl&) = delete;

  // Essential consumers: never limited. kInvalidArgument for a meter that is not a consumer's.
  Status mark_essential(const std::string& serial, const std::string& reason,
                        const std::string& actor);
  Status unmark_essential(const std::string& serial, const std::string& actor);
  Result<std::vector<EssentialConsumer>> essential();

  // Limits every non-essential consumer meter of the DT or feeder `target` to limit_w from now
  // for `minutes`. kNotFound: no such DT or feeder; kInvalidArgument: a limit or window out of
  // range, or an action on the target still active.
  Result<LoadAction> limit(const std::string& target, std::uint32_t limit_w, std::int64_t minutes,
                           const std::string& actor, const std::string& reason);
  // Disconnects the chosen consumer meters (serials) of the DT or feeder `target` from now for
  // `minutes` (all its non-essential consumers when `serials` is empty), each relay held open
  // for the action. kNotFound: no such DT, feeder or meter; kInvalidArgument: a meter not on the
  // target or marked essential, a window out of range, more than kMaxChosenMeters, or a meter
  // under another active action.
  Result<LoadAction> disconnect(const std::string& target, const std::vector<std::string>& serials,
                                std::int64_t minutes, const std::string& actor,
                                const std::string& reason);
  // Restores an active action now (before its end). kNotFound, or kInvalidArgument when it is
  // no longer active.
  Result<LoadAction> restore(std::int64_t id, const std::string& actor);
  // Restores every active action whose window has ended. Returns how many.
  Result<std::size_t> tick();

  Result<std::optional<LoadAction>> action(std::int64_t id);
  Result<std::vector<LoadAction>> actions(bool active_only);
  Result<LoadActionProgress> progress(const LoadAction& action);

 private:
  LoadControl();
  Result<LoadAction> start(LoadActionKind kind, const std::string& target, std::uint32_t limit_w,
                           const std::vector<std::string>& serials, std::int64_t minutes,
                           const std::string& actor, const std::string& reason);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* to_string(LoadActionState s);  // "active", "restored"

}  // namespace vidyut::mdm
