#include "store/validation.h"

#include "core/text.h"

namespace vidyut::store {
namespace {

bool valid_kind(std::string_view k) {
  return k == "single-phase" || k == "three-phase" || k == "dt" || k == "feeder";
}

Status check_count(std::size_t n, std::string_view what) {
  if (n > kMaxBatch) {
    return Error(Errc::kLimitExceeded, "batch of " + std::to_string(n) + " " + std::string(what) +
                                           " exceeds " + std::to_string(kMaxBatch));
  }
  return ok_status();
}

// Length only: head-end state's free text (details, results) is bounded, not checked as text.
Status check_length(const std::string& value, std::size_t max, std::string_view what) {
  if (value.size() > max) {
    return Error(Errc::kInvalidArgument,
                 std::string(what) + " exceeds " + std::to_string(max) + " characters");
  }
  return ok_status();
}

bool valid_command_kind(CommandKind k) { return k <= CommandKind::kPing; }
bool valid_command_state(CommandState s) { return s <= CommandState::kCancelled; }

Status validate_profile_row(const ProfileRow& r) {
  if (r.profile.empty()) return Error(Errc::kInvalidArgument, "profile row: profile is empty");
  VIDYUT_CHECK(check_length(r.profile, kMaxFieldLength, "profile row profile"));
  if (r.data.empty()) {
    return Error(Errc::kInvalidArgument, "profile row of \"" + r.profile + "\": data is empty");
  }
  if (r.data.size() > kMaxProfileRowBytes) {
    return Error(Errc::kInvalidArgument, "profile row of \"" + r.profile + "\": data of " +
                                             std::to_string(r.data.size()) + " bytes exceeds " +
                                             std::to_string(kMaxProfileRowBytes));
  }
  return ok_status();
}

}  // namespace

Status validate_meter(const MeterInfo& m, const MeterSecrets& s) {
  auto bad = [&](const std::string& why) {
    const std::string serial =
        valid_utf8(m.serial) ? m.serial.substr(0, kMaxSerialLength) : std::string("(not UTF-8)");
    return Error(Errc::kInvalidArgument, "meter \"" + serial + "\": " + why);
  };
  if (m.serial.empty() || m.serial.size() > kMaxSerialLength) {
    return bad("serial must have 1 to " + std::to_string(kMaxSerialLength) + " characters");
  }
  if (!valid_kind(m.kind)) {
    return bad("kind \"" + m.kind.substr(0, kMaxFieldLength) +
               "\" is not single-phase, three-phase, dt or feeder");
  }
  if (auto st = check_text("serial", m.serial, kMaxSerialLength); !st.ok()) {
    return bad(st.error().message);
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"manufacturer", &m.manufacturer},
      {"category", &m.category},
      {"feeder", &m.feeder},
      {"dt", &m.dt},
      {"consumer id", &m.consumer_id},
      {"SIM operator 1", &m.sim_operator[0]},
      {"SIM operator 2", &m.sim_operator[1]},
      {"static IP", &m.static_ip}};
  for (const auto& [name, f] : fields) {
    // Valid UTF-8 without control characters: these fields reach logs, audit lines and JSON.
    if (auto st = check_text(name, *f, kMaxFieldLength); !st.ok()) return bad(st.error().message);
  }
  if (s.lls_password.size() > kMaxPasswordLength) {
    return bad("LLS password exceeds " + std::to_string(kMaxPasswordLength) + " characters");
  }
  return ok_status();
}

Status validate_import_size(std::size_t n) {
  if (n > kMaxImport) {
    return Error(Errc::kLimitExceeded, "import of " + std::to_string(n) + " meters exceeds " +
                                           std::to_string(kMaxImport));
  }
  return ok_status();
}

Status check_meta(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > 64) {
    return Error(Errc::kInvalidArgument, "store meta: a key has 1 to 64 characters");
  }
  VIDYUT_CHECK(check_text("store meta key", key, 64));
  return check_text("store meta value", value, kMaxMetaValue);
}

std::string meta_key(std::string_view key) { return "meta:" + std::string(key); }

Status check_range(UtcTime from, UtcTime to) {
  if (to - from > std::chrono::days(kMaxRangeDays)) {
    return Error(Errc::kLimitExceeded,
                 "query range exceeds " + std::to_string(kMaxRangeDays) + " days");
  }
  return ok_status();
}

Status check_page(std::size_t limit, std::string_view what) {
  if (limit > kMaxPage) {
    return Error(Errc::kLimitExceeded, "page of " + std::to_string(limit) + " " +
                                           std::string(what) + " exceeds " +
                                           std::to_string(kMaxPage));
  }
  return ok_status();
}

Status check_period(std::int32_t period_s) {
  if (period_s < kMinPeriodS || period_s > kMaxPeriodS) {
    return Error(Errc::kInvalidArgument,
                 "interval period " + std::to_string(period_s) + " s is out of range");
  }
  return ok_status();
}

Status validate_intervals(std::span<const IntervalReading> rows) {
  VIDYUT_CHECK(check_count(rows.size(), "intervals"));
  for (const auto& r : rows) {
    VIDYUT_CHECK(check_period(r.period_s));
    if (r.source != IntervalReading::Source::kPush && r.source != IntervalReading::Source::kRead)
      return Error(Errc::kInvalidArgument, "interval source is unknown");
  }
  return ok_status();
}

Status validate_batch(const WriteBatch& b) {
  VIDYUT_CHECK(validate_intervals(b.intervals));
  VIDYUT_CHECK(check_count(b.alerts.size(), "alerts"));
  VIDYUT_CHECK(check_count(b.comm.size(), "comm rows"));
  VIDYUT_CHECK(check_count(b.audit.size(), "audit records"));
  VIDYUT_CHECK(check_count(b.command_updates.size(), "command updates"));
  VIDYUT_CHECK(check_count(b.profile_rows.size(), "profile rows"));
  for (const ProfileRow& r : b.profile_rows) VIDYUT_CHECK(validate_profile_row(r));
  for (const Alert& a : b.alerts) {
    VIDYUT_CHECK(check_length(a.kind, kMaxFieldLength, "alert kind"));
    VIDYUT_CHECK(check_length(a.name, kMaxFieldLength, "alert name"));
    VIDYUT_CHECK(check_length(a.detail, kMaxDetailLength, "alert detail"));
  }
  for (const MeterComm& c : b.comm) {
    VIDYUT_CHECK(check_length(c.peer_address, kMaxFieldLength, "peer address"));
    VIDYUT_CHECK(check_length(c.sim_operator, kMaxFieldLength, "SIM operator"));
    if (c.active_sim > 2) {
      return Error(Errc::kInvalidArgument,
                   "active SIM " + std::to_string(c.active_sim) + " is not 0, 1 or 2");
    }
  }
  for (const AuditRecord& r : b.audit) {
    VIDYUT_CHECK(check_length(r.actor, kMaxFieldLength, "audit actor"));
    VIDYUT_CHECK(check_length(r.action, kMaxFieldLength, "audit action"));
    VIDYUT_CHECK(check_length(r.subject, kMaxFieldLength, "audit subject"));
    VIDYUT_CHECK(check_length(r.detail, kMaxDetailLength, "audit detail"));
  }
  for (const Command& c : b.command_updates) {
    if (!valid_command_state(c.state)) {
      return Error(Errc::kInvalidArgument, "command " + std::to_string(c.id) + ": state " +
                                               std::to_string(static_cast<int>(c.state)) +
                                               " is unknown");
    }
    VIDYUT_CHECK(check_length(c.result, kMaxDetailLength, "command result"));
  }
  return ok_status();
}

Status validate_new_command(const Command& c) {
  if (c.idempotency_key.empty()) {
    return Error(Errc::kInvalidArgument, "command idempotency key is empty");
  }
  VIDYUT_CHECK(check_length(c.idempotency_key, kMaxFieldLength, "command idempotency key"));
  if (!valid_command_kind(c.kind)) {
    return Error(Errc::kInvalidArgument,
                 "command kind " + std::to_string(static_cast<int>(c.kind)) + " is unknown");
  }
  VIDYUT_CHECK(check_length(c.argument, kMaxFieldLength, "command argument"));
  VIDYUT_CHECK(check_length(c.requested_by, kMaxFieldLength, "command requested_by"));
  VIDYUT_CHECK(check_length(c.reason, kMaxFieldLength, "command reason"));
  return ok_status();
}

Status validate_relay_hold(const RelayHold& h) {
  if (h.holder.empty() || h.holder.size() > kMaxFieldLength) {
    return Error(Errc::kInvalidArgument, "relay hold: the holder must be 1 to " +
                                             std::to_string(kMaxFieldLength) + " bytes");
  }
  if (h.reason.size() > kMaxDetailLength) {
    return Error(Errc::kLimitExceeded, "relay hold: the reason is longer than " +
                                           std::to_string(kMaxDetailLength) + " bytes");
  }
  return ok_status();
}

std::string conflict_detail(const IntervalReading& kept, const IntervalReading& refused) {
  return "kept import " + std::to_string(kept.import_wh) + " Wh export " +
         std::to_string(kept.export_wh) + " Wh; refused import " +
         std::to_string(refused.import_wh) + " Wh export " + std::to_string(refused.export_wh) +
         " Wh";
}

Alert conflict_alert(const IntervalReading& kept, const IntervalReading& refused, UtcTime now) {
  Alert a;
  a.meter_id = refused.meter_id;
  a.at = refused.start;
  a.received = now;
  a.kind = std::string(kConflictAlertKind);
  a.name = std::string(kConflictAlertName);
  a.active = true;
  a.detail = conflict_detail(kept, refused);
  return a;
}

AuditRecord enqueue_audit_record(const Command& c, std::int64_t id, const std::string& serial) {
  AuditRecord audit;
  audit.at = c.created;
  audit.actor = c.requested_by;
  audit.action = "command-enqueue";
  audit.subject = serial;
  audit.detail = std::string(to_string(c.kind)) + (c.argument.empty() ? "" : " " + c.argument) +
                 " id=" + std::to_string(id) + " reason=" + c.reason;
  return audit;
}

}  // namespace vidyut::store
