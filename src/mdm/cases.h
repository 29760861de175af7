// Theft cases (docs/mdm.md, "Theft cases"): a suspect the control room decides to inspect is
// opened as a case, and closed as confirmed or dismissed, each step with its actor, time and note
// in the case's trail. Kept in the MDM's own database, mdm.db in the data directory (SQLite WAL,
// synchronous=FULL: a call that returns has made its write durable; each call is one
// transaction).
//
// Rules: a meter has at most one open case per DT-day (opening it again returns the open case,
// unchanged); only an open case can be closed; closing needs a note; every text is bounded
// (kMaxCaseText) and every actor non-empty.
//
// Thread-safety: safe to call from several threads (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::mdm {

inline constexpr std::size_t kMaxCaseText = 4096;
// Cases per cases() answer.
inline constexpr std::size_t kMaxCasePage = 10'000;

enum class CaseState : std::uint8_t { kOpen = 0, kConfirmed = 1, kDismissed = 2 };
const char* to_string(CaseState s);  // "open", "confirmed", "dismissed"

struct TheftCase {
  std::int64_t id = 0;
  std::string dt;
  std::string day;  // IST date of the DT-day, YYYY-MM-DD
  std::int64_t meter_id = 0;
  std::string serial;
  std::string consumer_id;
  std::string evidence;  // what the MDM said when it was opened (suspect reasons, DT figures)
  CaseState state = CaseState::kOpen;
  UtcTime opened{};
  std::string opened_by;
  UtcTime closed{};  // epoch while open
  std::string closed_by;
};

struct CaseEvent {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  UtcTime at{};
  std::string actor;
  std::string action;  // "open", "confirm", "dismiss", "note"
  std::string note;
};

class CaseBook {
 public:
  // Opens (creating) dir/mdm.db.
  static Result<std::unique_ptr<CaseBook>> open(const std::filesystem::path& dir,
                                                const Clock& clock);
  ~CaseBook();
  CaseBook(const CaseBook&) = delete;
  CaseBook& operator=(const CaseBook&) = delete;

  // Opens a case (state, id, opened are set here). When the meter already has an open case for
  // that DT-day, returns it unchanged and `created` is false.
  struct Opened {
    TheftCase c;
    bool created = false;
  };
  Result<Opened> open_case(const TheftCase& c, const std::string& actor, const std::string& note);
  // Closes an open case as confirmed or dismissed. kNotFound for an unknown id; kInvalidArgument
  // when it is not open, when `to` is kOpen, or the note is empty.
  Result<TheftCase> close_case(std::int64_t id, CaseState to, const std::string& actor,
                               const std::string& note);
  // Adds a note to a case's trail (any state).
  Status add_note(std::int64_t id, const std::string& actor, const std::string& note);

  Result<std::optional<TheftCase>> get(std::int64_t id);
  // Cases by id; only those in `state` when given; at most kMaxCasePage.
  Result<std::vector<TheftCase>> cases(std::optional<CaseState> state = std::nullopt);
  Result<std::vector<CaseEvent>> trail(std::int64_t id);

  // Test seam: every write statement after the next n fails (kIo), as a full disk would.
  void fail_after_statements(std::int64_t n);

 private:
  CaseBook();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::mdm
