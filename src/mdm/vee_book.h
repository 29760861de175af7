// Validated data kept with its history (docs/mdm.md, "Validated data"): the VEE's results in the
// MDM's own mdm.db. A clean actual reading needs no record (the store's row is the validated
// value); every other interval of a validated day has one: an estimate, an operator's edit, or
// an actual reading or a gap with the flags the rules left. Every change to a record is kept in
// the history with its actor: estimate, re-estimate (a better basis), replace (the real reading
// arrived), flag and clear (rules), edit and withdraw (an operator, with a reason).
//
// What billing charges (`validated_summary`): per meter, the operator's edit where there is one,
// else the actual reading, else the estimate. An estimate whose reading has arrived is never
// charged twice, even before the VEE has run again: the reading wins at once.
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
#include "mdm/vee.h"
#include "store/store.h"

namespace vidyut::mdm {

inline constexpr std::size_t kMaxVeeText = 1000;       // actor, reason
inline constexpr std::size_t kMaxVeeHistory = 10'000;  // rows one history() call returns

struct VeeRecord {
  std::int64_t meter_id = 0;
  UtcTime start{};
  std::int64_t wh = 0;  // the validated value (0 for a gap that could not be estimated)
  std::uint32_t flags = 0;
  VeeMethod method = VeeMethod::kActual;
  std::optional<std::int64_t> raw_wh;  // the meter's reading, when there is one
  UtcTime updated{};
  std::string actor, reason;
};

struct VeeChange {
  std::int64_t id = 0;
  std::int64_t meter_id = 0;
  UtcTime start{};
  UtcTime at{};
  // "estimate", "re-estimate", "replace", "flag", "clear", "edit", "withdraw".
  std::string action;
  std::optional<std::int64_t> old_wh, new_wh;
  std::uint32_t flags = 0;
  VeeMethod method = VeeMethod::kActual;
  std::string actor, reason;
};

class VeeBook {
 public:
  // Opens (creating) dir/mdm.db.
  static Result<std::unique_ptr<VeeBook>> open(const std::filesystem::path& dir,
                                               const Clock& clock);
  ~VeeBook();

  // Brings the records of the day's intervals in line with a validation (`day` from
  // validate_day): one transaction, a history row per change, `actor` on each. Intervals carrying
  // an operator's edit are left alone.
  Result<VeeApplied> apply(const VeeDay& day, const std::string& actor = "mdm:vee");

  // An operator's value for one interval, with a reason (required): kept over readings and
  // estimates until withdrawn. `raw_wh` is the reading it overrides, if any.
  Result<VeeRecord> edit(std::int64_t meter_id, UtcTime start, std::int64_t wh,
                         std::optional<std::int64_t> raw_wh, const std::string& actor,
                         const std::string& reason);
  // Removes an edit (kNotFound without one); the next validation decides the interval again.
  Status withdraw_edit(std::int64_t meter_id, UtcTime start, const std::string& actor,
                       const std::string& reason);

  // Records with start in [from, to): of one meter, or of all (meter_id 0), by meter and start.
  Result<std::vector<VeeRecord>> records(std::int64_t meter_id, UtcTime from, UtcTime to);
  // Meters with an estimate or an edit in [from, to) (what changes the charged energy).
  Result<std::vector<std::int64_t>> meters_with_values(UtcTime from, UtcTime to);
  // Meters with any record other than a flagged actual reading (estimates, edits, gaps).
  Result<std::vector<std::int64_t>> meters_to_revisit(UtcTime from, UtcTime to);
  // History of intervals with start in [from, to), of one meter or all (0), oldest first, at
  // most `limit` (<= kMaxVeeHistory) after change id `after`.
  Result<std::vector<VeeChange>> history(std::int64_t meter_id, UtcTime from, UtcTime to,
                                         std::int64_t after = 0,
                                         std::size_t limit = kMaxVeeHistory);
  // Changes per action made at [from, to) of the clock.
  Result<std::map<std::string, std::uint64_t>> change_counts(UtcTime from, UtcTime to);

  // Whether the whole-day validation of the day starting at `day` has run, and marking it.
  Result<bool> day_validated(UtcTime day);
  Status mark_day_validated(UtcTime day);

  // Test seam: every write statement after the first n fails with kIo (-1: never).
  void fail_after_statements(std::int64_t n);

 private:
  VeeBook();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Per-meter validated totals over [from, to), as the store's interval_summary gives them for
// actual readings, with estimates and edits counted in (`estimated` = the estimates among them).
Result<std::vector<store::MeterIntervalSummary>> validated_summary(store::Store& store,
                                                                   VeeBook& book, UtcTime from,
                                                                   UtcTime to);

}  // namespace vidyut::mdm
