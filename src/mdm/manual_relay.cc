#include "mdm/manual_relay.h"

#include <fmt/format.h>

#include "core/text.h"

namespace vidyut::mdm {
namespace {

Status check_request(store::Store& store, std::int64_t meter_id, const std::string& actor,
                     const std::string& reason) {
  VIDYUT_CHECK(check_text("actor", actor, store::kMaxFieldLength));
  VIDYUT_CHECK(check_text("reason", reason, 512));
  if (actor.empty()) return Error(Errc::kInvalidArgument, "an actor is required");
  if (reason.empty()) return Error(Errc::kInvalidArgument, "a reason is required");
  VIDYUT_TRY(m, store.meter_by_id(meter_id));
  if (!*m) return Error(Errc::kNotFound, fmt::format("no meter with id {}", meter_id));
  return ok_status();
}

store::Command relay_command(const Clock& clock, std::int64_t meter_id, bool connect,
                             const std::string& actor, const std::string& reason) {
  store::Command c;
  c.meter_id = meter_id;
  c.kind = connect ? store::CommandKind::kConnect : store::CommandKind::kDisconnect;
  c.created = clock.now();
  c.next_attempt = c.created;
  c.deadline = c.created + Millis(86'400'000);  // a day of retries
  c.requested_by = actor;
  c.reason = reason;
  // One command per request: the key carries the request time, so repeating the same request
  // later is a new command, while a retried submit of this one is not.
  c.idempotency_key = fmt::format("operator-{}-{}-{}", connect ? "connect" : "disconnect", meter_id,
                                  c.created.time_since_epoch().count());
  return c;
}

Status audit(store::Store& store, const Clock& clock, const std::string& actor,
             const std::string& action, std::int64_t meter_id, const std::string& detail) {
  store::WriteBatch b;
  b.audit.push_back(
      store::AuditRecord{0, clock.now(), actor, action, fmt::format("meter {}", meter_id), detail});
  auto r = store.write(b);
  if (!r.ok()) return r.error();
  return ok_status();
}

}  // namespace

Result<RelayStatus> relay_status(store::Store& store, std::int64_t meter_id) {
  RelayStatus out;
  VIDYUT_TRY(holds, store.relay_holds(meter_id));
  out.holds = std::move(*holds);
  out.open = !out.holds.empty();
  VIDYUT_TRY(pending, store.pending_commands(meter_id));
  for (const auto& c : *pending) {
    if (c.kind == store::CommandKind::kConnect || c.kind == store::CommandKind::kDisconnect) {
      if (!out.pending || c.id > out.pending->id) out.pending = c;
    }
  }
  return out;
}

Result<ManualRelayResult> operator_disconnect(store::Store& store, CommandPort& port,
                                              const Clock& clock, std::int64_t meter_id,
                                              const std::string& actor, const std::string& reason) {
  VIDYUT_CHECK(check_request(store, meter_id, actor, reason));
  // The hold first: from now on neither billing nor a load-control restore reconnects it.
  VIDYUT_TRY(holds, store.hold_relay(store::RelayHold{meter_id, kOperatorHolder,
                                                      actor + ": " + reason, clock.now()}));
  VIDYUT_TRY(c, port.submit(relay_command(clock, meter_id, false, actor, reason)));
  VIDYUT_CHECK(audit(store, clock, actor, "operator-disconnect", meter_id,
                     fmt::format("command {}: {}", c->id, reason)));
  ManualRelayResult out;
  out.command = *c;
  out.holds = std::move(*holds);
  return out;
}

Result<ManualRelayResult> operator_reconnect(store::Store& store, CommandPort& port,
                                             const Clock& clock, std::int64_t meter_id,
                                             const std::string& actor, const std::string& reason) {
  VIDYUT_CHECK(check_request(store, meter_id, actor, reason));
  VIDYUT_TRY(left, store.release_relay(meter_id, kOperatorHolder));
  ManualRelayResult out;
  out.holds = std::move(*left);
  if (!out.holds.empty()) {
    std::string who;
    for (const auto& h : out.holds) who += (who.empty() ? "" : ", ") + h.holder;
    VIDYUT_CHECK(audit(store, clock, actor, "operator-reconnect", meter_id,
                       "relay stays open, held by " + who + ": " + reason));
    return out;
  }
  VIDYUT_TRY(c, port.submit(relay_command(clock, meter_id, true, actor, reason)));
  VIDYUT_CHECK(audit(store, clock, actor, "operator-reconnect", meter_id,
                     fmt::format("command {}: {}", c->id, reason)));
  out.command = *c;
  return out;
}

}  // namespace vidyut::mdm
