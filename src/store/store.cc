#include "store/store.h"

namespace vidyut::store {

namespace {
constexpr std::pair<CommandKind, const char*> kKinds[] = {
    {CommandKind::kConnect, "connect"},
    {CommandKind::kDisconnect, "disconnect"},
    {CommandKind::kRead, "read"},
    {CommandKind::kClockSet, "clock-set"},
    {CommandKind::kLoadLimit, "load-limit"},
    {CommandKind::kPaymentMode, "payment-mode"},
    {CommandKind::kPing, "ping"},
};
}  // namespace

const char* to_string(CommandKind k) {
  for (const auto& [kind, name] : kKinds) {
    if (kind == k) return name;
  }
  return "?";
}

std::optional<CommandKind> command_kind_from_string(std::string_view name) {
  for (const auto& [kind, n] : kKinds) {
    if (name == n) return kind;
  }
  return std::nullopt;
}

const char* to_string(CommandState s) {
  switch (s) {
    case CommandState::kPending:
      return "pending";
    case CommandState::kSucceeded:
      return "succeeded";
    case CommandState::kFailed:
      return "failed";
    case CommandState::kExpired:
      return "expired";
    case CommandState::kCancelled:
      return "cancelled";
  }
  return "?";
}

}  // namespace vidyut::store
