#include "demo/validated_check.h"

#include <cstdlib>
#include <unordered_map>

namespace vidyut::demo {

double ValidatedCheck::wape() const {
  if (replaced_reading_wh <= 0) return 0;
  return static_cast<double>(replaced_abs_error_wh) / static_cast<double>(replaced_reading_wh);
}

Result<ValidatedCheck> check_validated(store::Store& store, mdm::VeeBook& book, UtcTime from,
                                       UtcTime to) {
  ValidatedCheck c;
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(h, book.history(0, from, to, after, mdm::kMaxVeeHistory));
    for (const auto& x : *h) {
      after = x.id;
      ++c.changes[x.action];
      if (x.action != "replace" || !x.old_wh || !x.new_wh) continue;
      ++c.replaced;
      c.replaced_estimate_wh += *x.old_wh;
      c.replaced_reading_wh += *x.new_wh;
      c.replaced_abs_error_wh += std::llabs(*x.old_wh - *x.new_wh);
    }
    if (h->size() < mdm::kMaxVeeHistory) break;
  }
  VIDYUT_TRY(recs, book.records(0, from, to));
  std::int64_t meter = 0;
  std::unordered_map<std::int64_t, bool> has_reading;  // of `meter`, by start (ms)
  for (const auto& r : *recs) {
    if (r.method != mdm::VeeMethod::kLinear && r.method != mdm::VeeMethod::kLikeDay) continue;
    if (r.meter_id != meter) {
      meter = r.meter_id;
      has_reading.clear();
      VIDYUT_TRY(rows, store.intervals(meter, from, to));
      for (const auto& row : *rows) has_reading[row.start.time_since_epoch().count()] = true;
    }
    if (has_reading.count(r.start.time_since_epoch().count()) != 0) {
      ++c.stale;
    } else {
      ++c.still_estimated;
    }
  }
  return c;
}

}  // namespace vidyut::demo
