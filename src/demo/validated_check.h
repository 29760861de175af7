// The demo's check of the MDM's validated data (docs/demo.md, "mdm.validated"): what the
// continuous VEE did during the run (from the history in mdm.db), how far its estimates were from
// the readings that replaced them, and that no estimate outlives its reading. The readings
// themselves equal the simulator's truth (the demo's interval check), so the estimates' error
// against the readings is their error against the truth.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/vee_book.h"
#include "store/store.h"

namespace vidyut::demo {

struct ValidatedCheck {
  std::map<std::string, std::uint64_t> changes;  // history rows by action
  std::size_t replaced = 0;                      // estimates replaced by their readings
  std::int64_t replaced_estimate_wh = 0;         // what those estimates said
  std::int64_t replaced_reading_wh = 0;          // what their readings said
  std::int64_t replaced_abs_error_wh = 0;        // sum of |estimate - reading|
  std::size_t stale = 0;                         // estimates on record whose interval has a reading
  std::size_t still_estimated = 0;               // estimates on record without a reading
  // Weighted absolute percentage error of the replaced estimates (0 without any).
  double wape() const;
  bool ok() const { return stale == 0; }
};

// Intervals with start in [from, to).
Result<ValidatedCheck> check_validated(store::Store& store, mdm::VeeBook& book, UtcTime from,
                                       UtcTime to);

}  // namespace vidyut::demo
