#include "mdm/vee.h"

#include <algorithm>
#include <cmath>

namespace vidyut::mdm {
namespace {

bool overlaps(const std::vector<OffSpan>& spans, UtcTime a, UtcTime b, UtcTime until) {
  return std::any_of(spans.begin(), spans.end(),
                     [&](const OffSpan& s) { return s.start < b && s.end_or(until) > a; });
}

}  // namespace

std::string vee_flag_names(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {kVeeGap, "gap"},
      {kVeeNegative, "negative"},
      {kVeeSpike, "spike"},
      {kVeeZeroSupplied, "zero-supplied"},
      {kVeePowerFailure, "power-failure"},
      {kVeeExport, "export"},
      {kVeeRegisterSum, "register-sum"},
      {kVeeClock, "clock"},
      {kVeeEstimated, "estimated"},
      {kVeeEdited, "edited"},
      {kVeeConflict, "conflicting"},
      {kVeeRegisterDecrease, "register-decrease"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out;
}

const char* to_string(VeeMethod m) {
  switch (m) {
    case VeeMethod::kActual:
      return "actual";
    case VeeMethod::kLinear:
      return "linear";
    case VeeMethod::kLikeDay:
      return "like-day";
    case VeeMethod::kNone:
      return "none";
    case VeeMethod::kEdited:
      return "edit";
  }
  return "unknown";
}

std::optional<VeeMethod> vee_method_of(std::string_view name) {
  for (auto m : {VeeMethod::kActual, VeeMethod::kLinear, VeeMethod::kLikeDay, VeeMethod::kNone,
                 VeeMethod::kEdited}) {
    if (name == to_string(m)) return m;
  }
  return std::nullopt;
}

std::int64_t VeeDay::wh() const {
  std::int64_t sum = 0;
  for (const auto& v : intervals) sum += v.wh;
  return sum;
}

std::size_t VeeDay::flagged(std::uint32_t flag) const {
  return static_cast<std::size_t>(std::count_if(
      intervals.begin(), intervals.end(), [&](const VeeInterval& i) { return i.flags & flag; }));
}

VeeDay validate_day(const VeeInput& in, const VeeRules& rules) {
  VeeDay d;
  d.meter_id = in.meter_id;
  const Millis period{std::int64_t{in.period_s} * 1000};
  const std::size_t n = in.intervals;
  d.intervals.resize(n);
  auto index_of = [&](UtcTime start, UtcTime day) -> std::optional<std::size_t> {
    if (start < day || (start - day) % period != Millis(0)) return std::nullopt;
    const auto i = static_cast<std::size_t>((start - day) / period);
    return i < n ? std::optional<std::size_t>(i) : std::nullopt;
  };
  std::vector<const store::IntervalReading*> row(n, nullptr);
  std::vector<bool> clock_bad(n, false);
  const Millis tolerance{rules.clock_tolerance_s * 1000};
  for (const auto& r : in.rows) {
    if (r.start < in.day) continue;
    // The nearest interval of the grid, and how far off it the reading is stamped.
    const Millis since = r.start - in.day;
    const auto i = static_cast<std::size_t>((since + period / 2) / period);
    if (i >= n) continue;
    const Millis off = since - period * static_cast<std::int64_t>(i);
    const bool future = in.now != UtcTime{} && r.start + period > in.now + tolerance;
    if (rules.clock && (off > tolerance || off < -tolerance || future)) {
      clock_bad[i] = true;
      continue;
    }
    if (off != Millis(0) && !rules.clock) continue;  // off the grid: not this interval's reading
    if (row[i] == nullptr || off == Millis(0)) row[i] = &r;
  }
  std::vector<bool> usable(n, false);  // an actual reading estimation may start from
  std::vector<bool> needs(n, false);   // missing or invalid: to estimate
  for (std::size_t i = 0; i < n; ++i) {
    VeeInterval& v = d.intervals[i];
    v.start = in.day + period * static_cast<std::int64_t>(i);
    const UtcTime end = v.start + period;
    const bool off = overlaps(in.no_supply, v.start, end, in.until);
    if (off && rules.power_failure) v.flags |= kVeePowerFailure;
    if (clock_bad[i]) v.flags |= kVeeClock;
    if (row[i] == nullptr) {
      if (rules.gap && !clock_bad[i]) v.flags |= kVeeGap;
      needs[i] = true;
      continue;
    }
    v.raw_wh = row[i]->import_wh;
    v.wh = row[i]->import_wh;
    if (row[i]->import_wh < 0 || row[i]->export_wh < 0) {
      if (rules.negative) {
        v.flags |= kVeeNegative;
        needs[i] = true;
        continue;
      }
    }
    if (row[i]->import_wh == 0 && !off && !overlaps(in.relay_open, v.start, end, in.until) &&
        rules.zero_supplied) {
      v.flags |= kVeeZeroSupplied;
    }
    if (row[i]->export_wh > 0 && !in.net_metered && rules.export_without_net_metering) {
      v.flags |= kVeeExport;
    }
    usable[i] = !off;
  }
  // Spike: the highest actual interval against the third-highest.
  if (rules.spike) {
    std::vector<std::pair<std::int64_t, std::size_t>> vals;
    for (std::size_t i = 0; i < n; ++i) {
      if (row[i] != nullptr && !needs[i]) vals.emplace_back(row[i]->import_wh, i);
    }
    if (vals.size() >= 3) {
      std::sort(vals.begin(), vals.end(), std::greater<>());
      const auto [top, at] = vals[0];
      if (top > rules.spike_floor_wh &&
          static_cast<double>(top) > rules.spike_ratio * static_cast<double>(vals[2].first)) {
        d.intervals[at].flags |= kVeeSpike;
      }
    }
  }
  // Like-day rows by interval.
  std::vector<std::vector<std::int64_t>> like(n);
  for (std::size_t k = 0; k < in.like_days.size() && k < rules.like_days; ++k) {
    for (const auto& r : in.like_days[k].rows) {
      if (auto i = index_of(r.start, in.like_days[k].day); i && r.import_wh >= 0) {
        like[*i].push_back(r.import_wh);
      }
    }
  }
  // Estimates, run by run.
  for (std::size_t i = 0; i < n;) {
    if (!needs[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && needs[j]) ++j;  // [i, j) to estimate
    const bool left = i > 0 && usable[i - 1];
    const bool right = j < n && usable[j];
    const bool linear = left && right && j - i <= rules.max_linear_intervals;
    for (std::size_t k = i; k < j; ++k) {
      VeeInterval& v = d.intervals[k];
      if (v.flags & kVeePowerFailure) {
        v.method = VeeMethod::kNone;  // no estimation where there was no supply
        v.wh = 0;
      } else if (linear) {
        const double a = static_cast<double>(d.intervals[i - 1].wh);
        const double b = static_cast<double>(d.intervals[j].wh);
        const double t = static_cast<double>(k - i + 1) / static_cast<double>(j - i + 1);
        v.wh = std::llround(a + (b - a) * t);
        v.method = VeeMethod::kLinear;
      } else if (!like[k].empty()) {
        double sum = 0;
        for (auto x : like[k]) sum += static_cast<double>(x);
        v.wh = std::llround(sum / static_cast<double>(like[k].size()));
        v.method = VeeMethod::kLikeDay;
      } else {
        v.method = VeeMethod::kNone;
        v.wh = 0;
      }
      if (v.method != VeeMethod::kNone) v.flags |= kVeeEstimated;
    }
    i = j;
  }
  // The daily register: scale the estimates to what it counted beyond the actual readings, or,
  // with nothing estimated and nothing missing, check the readings against it.
  d.register_wh = in.register_wh;
  if (in.register_wh && n * static_cast<std::size_t>(in.period_s) == 86'400) {
    std::int64_t actual_wh = 0, estimate_wh = 0;
    std::size_t estimates = 0, none = 0;
    for (const auto& v : d.intervals) {
      if (v.method == VeeMethod::kActual) actual_wh += v.wh;
      if (v.flags & kVeeEstimated) {
        estimate_wh += v.wh;
        ++estimates;
      }
      if (v.method == VeeMethod::kNone) ++none;
    }
    const std::int64_t rest = *in.register_wh - actual_wh;
    const std::int64_t tol = std::max<std::int64_t>(
        rules.register_tolerance_wh,
        std::llround(rules.register_tolerance_fraction * static_cast<double>(*in.register_wh)));
    if (estimates == 0 && none == 0) {
      if (rules.register_sum && std::llabs(rest) > tol) {
        d.register_mismatch = true;
        for (auto& v : d.intervals) v.flags |= kVeeRegisterSum;
      }
    } else if (estimates > 0 && none == 0 && rest >= 0) {
      // Shares of `rest` in proportion to each estimate (equal when they are all zero), the
      // rounding remainder to the largest fractions, so the day adds up exactly.
      std::vector<std::pair<double, std::size_t>> frac;
      std::int64_t given = 0;
      for (std::size_t i = 0; i < n; ++i) {
        VeeInterval& v = d.intervals[i];
        if (!(v.flags & kVeeEstimated)) continue;
        const double share = estimate_wh > 0
                                 ? static_cast<double>(v.wh) / static_cast<double>(estimate_wh)
                                 : 1.0 / static_cast<double>(estimates);
        const double exact = share * static_cast<double>(rest);
        v.wh = static_cast<std::int64_t>(std::floor(exact));
        given += v.wh;
        frac.emplace_back(exact - std::floor(exact), i);
      }
      std::sort(frac.begin(), frac.end(), std::greater<>());
      for (std::size_t k = 0; given < rest && k < frac.size(); ++k, ++given) {
        ++d.intervals[frac[k].second].wh;
      }
    }
  }
  if (rules.conflicting) {
    for (const UtcTime at : in.conflicts) {
      if (at < in.day || (at - in.day) % period != Millis(0)) continue;
      const auto i = static_cast<std::size_t>((at - in.day) / period);
      if (i < n) d.intervals[i].flags |= kVeeConflict;
    }
  }
  if (in.register_decreased && rules.register_decrease) {
    for (auto& v : d.intervals) v.flags |= kVeeRegisterDecrease;
  }
  // Operators' edits win.
  for (const auto& [at, wh] : in.edits) {
    if (at < in.day || (at - in.day) % period != Millis(0)) continue;
    const auto i = static_cast<std::size_t>((at - in.day) / period);
    if (i >= n) continue;
    d.intervals[i].wh = wh;
    d.intervals[i].method = VeeMethod::kEdited;
    d.intervals[i].flags = (d.intervals[i].flags & ~kVeeEstimated) | kVeeEdited;
  }
  for (const auto& v : d.intervals) {
    switch (v.method) {
      case VeeMethod::kActual:
        ++d.actual;
        break;
      case VeeMethod::kLinear:
        ++d.linear;
        break;
      case VeeMethod::kLikeDay:
        ++d.like_day;
        break;
      case VeeMethod::kNone:
        ++d.unestimated;
        break;
      case VeeMethod::kEdited:
        ++d.edited;
        break;
    }
  }
  return d;
}

}  // namespace vidyut::mdm
