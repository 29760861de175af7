#include "tariff/tariff.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace vidyut::tariff {
namespace {

using i128 = Int128;
using u128 = UInt128;

constexpr int kMinutesPerDay = 1'440;
constexpr std::int64_t kWhPerKwh = 1'000;
constexpr std::int64_t kBpPerUnit = 10'000;  // basis points in 1 (100 %)

Error invalid(std::string message) { return Error(Errc::kInvalidArgument, std::move(message)); }

// "12,34,567": the last three digits, then groups of two (Indian numbering).
std::string group_indian(std::uint64_t v) {
  const std::string d = std::to_string(v);
  if (d.size() <= 3) return d;
  std::string out = d.substr(d.size() - 3);
  std::size_t end = d.size() - 3;
  while (end > 0) {
    const std::size_t start = end >= 2 ? end - 2 : 0;
    out = d.substr(start, end - start) + "," + out;
    end = start;
  }
  return out;
}

// An exact amount of milli-paise (1/1000 paise = 1/100,000 rupee) in rupees, with two decimals
// when the amount is whole paise and up to five otherwise: "Rs 1,375.00", "Rs 5.50055".
std::string format_rupees_exact(i128 milli_paise) {
  const bool neg = milli_paise < 0;
  const u128 a = neg ? u128(0) - static_cast<u128>(milli_paise) : static_cast<u128>(milli_paise);
  const auto rupees = static_cast<std::uint64_t>(a / 100'000);
  std::string frac = fmt::format("{:05d}", static_cast<unsigned>(a % 100'000));
  while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
  return fmt::format("{}Rs {}.{}", neg ? "-" : "", group_indian(rupees), frac);
}

// A slab bound in kWh for a label: "100" when whole, "100.500" otherwise.
std::string bound_kwh(std::int64_t wh) {
  return wh % kWhPerKwh == 0 ? std::to_string(wh / kWhPerKwh) : format_kwh(wh);
}

// "Energy 0-100 kWh", "Energy 101-150 kWh", "Energy above 300 kWh" ("Energy" for a single
// unbounded slab). Whole-kWh slabs after the first are labelled the way tariff orders print
// them (the slab above 100 kWh is "101-150"); other bounds are printed as they are.
std::string slab_label(std::int64_t lo_wh, std::int64_t hi_wh) {
  if (hi_wh == 0) return lo_wh == 0 ? "Energy" : "Energy above " + bound_kwh(lo_wh) + " kWh";
  if (lo_wh == 0) return "Energy 0-" + bound_kwh(hi_wh) + " kWh";
  if (lo_wh % kWhPerKwh == 0 && hi_wh % kWhPerKwh == 0) {
    return fmt::format("Energy {}-{} kWh", lo_wh / kWhPerKwh + 1, hi_wh / kWhPerKwh);
  }
  return fmt::format("Energy {}-{} kWh", format_kwh(lo_wh), format_kwh(hi_wh));
}

bool in_block(const TodBlock& b, int minute) {
  if (b.start_minute < b.end_minute) return minute >= b.start_minute && minute < b.end_minute;
  return minute >= b.start_minute || minute < b.end_minute;  // wraps past midnight
}

bool valid_date(CivilDate d) {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

Status validate_version_at(const TariffVersion& v, const std::string& where) {
  if (!valid_date(v.effective_from)) {
    return invalid(fmt::format("{}: effective_from is not a real date", where));
  }
  if (v.slabs.empty()) return invalid(fmt::format("{}: no slabs", where));
  std::int64_t prev_bound = 0;
  for (std::size_t j = 0; j < v.slabs.size(); ++j) {
    const Slab& s = v.slabs[j];
    const bool last = j + 1 == v.slabs.size();
    if (s.rate_paise_per_kwh < 0 || s.rate_paise_per_kwh > kMaxRatePaisePerKwh) {
      return invalid(fmt::format("{}: slab {}: rate {} paise/kWh outside 0..{}", where, j + 1,
                                 s.rate_paise_per_kwh, kMaxRatePaisePerKwh));
    }
    if (last) {
      if (s.upto_wh != 0) {
        return invalid(fmt::format("{}: the last slab must be unbounded (upto 0), not {} Wh", where,
                                   s.upto_wh));
      }
    } else {
      if (s.upto_wh == 0) {
        return invalid(fmt::format("{}: slab {} is unbounded but not the last slab", where, j + 1));
      }
      if (s.upto_wh <= prev_bound || s.upto_wh > kMaxUsageWh) {
        return invalid(fmt::format(
            "{}: slab {} bound {} Wh must be above the previous bound {} Wh (and at most {})",
            where, j + 1, s.upto_wh, prev_bound, kMaxUsageWh));
      }
      prev_bound = s.upto_wh;
    }
  }
  if (v.fixed_paise_per_kw_month < 0 || v.fixed_paise_per_kw_month > kMaxFixedPaisePerKwMonth) {
    return invalid(fmt::format("{}: fixed charge {} paise/kW-month outside 0..{}", where,
                               v.fixed_paise_per_kw_month, kMaxFixedPaisePerKwMonth));
  }
  if (v.duty_bp < 0 || v.duty_bp > kMaxPercentBp) {
    return invalid(fmt::format("{}: duty {} bp outside 0..{}", where, v.duty_bp, kMaxPercentBp));
  }
  if (v.prepaid_rebate_bp < 0 || v.prepaid_rebate_bp > kMaxPercentBp) {
    return invalid(fmt::format("{}: prepaid rebate {} bp outside 0..{}", where, v.prepaid_rebate_bp,
                               kMaxPercentBp));
  }
  if (v.excess_demand_paise_per_kw < 0 ||
      v.excess_demand_paise_per_kw > kMaxExcessDemandPaisePerKw) {
    return invalid(fmt::format("{}: excess-demand rate {} paise/kW outside 0..{}", where,
                               v.excess_demand_paise_per_kw, kMaxExcessDemandPaisePerKw));
  }
  std::array<int, 13> season_of_month{};  // 1-based month -> season index + 1 (0 = none)
  for (std::size_t si = 0; si < v.tod.size(); ++si) {
    const TodSeason& season = v.tod[si];
    const std::string sw = fmt::format("{}: ToD season {} (\"{}\")", where, si + 1, season.name);
    if (season.name.empty()) return invalid(sw + ": name is empty");
    if (season.months.empty()) return invalid(sw + ": no months");
    for (const int m : season.months) {
      if (m < 1 || m > 12) return invalid(fmt::format("{}: month {} outside 1-12", sw, m));
      if (season_of_month[m] != 0) {
        return invalid(fmt::format("{}: month {} is already in season \"{}\"", sw, m,
                                   v.tod[season_of_month[m] - 1].name));
      }
      season_of_month[m] = static_cast<int>(si) + 1;
    }
    std::array<int, kMinutesPerDay> owner{};  // minute -> block index + 1 (0 = normal time)
    for (std::size_t bi = 0; bi < season.blocks.size(); ++bi) {
      const TodBlock& b = season.blocks[bi];
      const std::string bw = fmt::format("{}: block {} (\"{}\")", sw, bi + 1, b.name);
      if (b.name.empty()) return invalid(bw + ": name is empty");
      if (b.start_minute < 0 || b.start_minute >= kMinutesPerDay) {
        return invalid(fmt::format("{}: start minute {} outside 0..1439", bw, b.start_minute));
      }
      if (b.end_minute < 0 || b.end_minute > kMinutesPerDay) {
        return invalid(fmt::format("{}: end minute {} outside 0..1440", bw, b.end_minute));
      }
      if (b.start_minute == b.end_minute) {
        return invalid(bw + ": start equals end (an empty or whole-day block)");
      }
      if (b.multiplier_bp < 0 || b.multiplier_bp > kMaxMultiplierBp) {
        return invalid(fmt::format("{}: multiplier {} bp outside 0..{}", bw, b.multiplier_bp,
                                   kMaxMultiplierBp));
      }
      for (int minute = 0; minute < kMinutesPerDay; ++minute) {
        if (!in_block(b, minute)) continue;
        if (owner[minute] != 0) {
          return invalid(fmt::format("{}: overlaps block \"{}\" at {}", bw,
                                     season.blocks[owner[minute] - 1].name, format_hhmm(minute)));
        }
        owner[minute] = static_cast<int>(bi) + 1;
      }
    }
  }
  return ok_status();
}

std::string version_where(const std::string& code, const TariffVersion& v) {
  return fmt::format("tariff {} version {}", code.empty() ? "?" : code,
                     to_string(v.effective_from));
}

}  // namespace

const TariffVersion* Tariff::version_at(CivilDate day) const {
  const TariffVersion* best = nullptr;
  for (const TariffVersion& v : versions) {
    if (v.effective_from <= day && (best == nullptr || best->effective_from < v.effective_from)) {
      best = &v;
    }
  }
  return best;
}

Status validate_version(const TariffVersion& version) {
  return validate_version_at(version, version_where("", version));
}

Status validate(const Tariff& tariff) {
  if (tariff.code.empty()) return invalid("tariff: code is empty");
  if (tariff.versions.empty()) {
    return invalid(fmt::format("tariff {}: has no versions", tariff.code));
  }
  for (std::size_t i = 0; i < tariff.versions.size(); ++i) {
    const TariffVersion& v = tariff.versions[i];
    VIDYUT_CHECK(validate_version_at(v, version_where(tariff.code, v)));
    if (i > 0 && !(tariff.versions[i - 1].effective_from < v.effective_from)) {
      return invalid(fmt::format(
          "tariff {}: versions must be in strictly increasing date order ({} follows {})",
          tariff.code, to_string(v.effective_from),
          to_string(tariff.versions[i - 1].effective_from)));
    }
  }
  return ok_status();
}

int tod_season(const TariffVersion& version, int month) {
  for (std::size_t s = 0; s < version.tod.size(); ++s) {
    const auto& months = version.tod[s].months;
    if (std::find(months.begin(), months.end(), month) != months.end()) {
      return static_cast<int>(s);
    }
  }
  return -1;
}

int tod_block(const TariffVersion& version, UtcTime start, int* season) {
  if (season != nullptr) *season = -1;
  if (version.tod.empty()) return -1;
  const int s = tod_season(version, ist_date(start).month);
  if (season != nullptr) *season = s;
  if (s < 0) return -1;
  const int minute = ist_minute_of_day(start);
  const auto& blocks = version.tod[static_cast<std::size_t>(s)].blocks;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (in_block(blocks[b], minute)) return static_cast<int>(b);
  }
  return -1;
}

const char* to_string(LineKind k) {
  switch (k) {
    case LineKind::kEnergy:
      return "energy";
    case LineKind::kTod:
      return "tod";
    case LineKind::kFixed:
      return "fixed";
    case LineKind::kPenalty:
      return "penalty";
    case LineKind::kRebate:
      return "rebate";
    case LineKind::kDuty:
      return "duty";
  }
  return "?";
}

const char* to_string(PaymentMode m) { return m == PaymentMode::kPrepaid ? "prepaid" : "postpaid"; }

Result<Bill> compute_bill(const TariffVersion& version, const Usage& usage, PaymentMode mode) {
  VIDYUT_CHECK(validate_version(version));
  if (usage.wh < 0) return invalid(fmt::format("usage: negative energy {} Wh", usage.wh));
  if (usage.wh > kMaxUsageWh) {
    return invalid(fmt::format("usage: {} Wh is above the limit {}", usage.wh, kMaxUsageWh));
  }
  if (usage.max_demand_w < 0 || usage.max_demand_w > kMaxDemandW) {
    return invalid(
        fmt::format("usage: max demand {} W outside 0..{}", usage.max_demand_w, kMaxDemandW));
  }
  if (usage.month < 1 || usage.month > 12) {
    return invalid(fmt::format("usage: month {} outside 1-12", usage.month));
  }
  if (usage.days_in_month < 28 || usage.days_in_month > 31) {
    return invalid(fmt::format("usage: days_in_month {} outside 28-31", usage.days_in_month));
  }
  if (usage.days_billed < 0 || usage.days_billed > usage.days_in_month) {
    return invalid(
        fmt::format("usage: days_billed {} outside 0..{}", usage.days_billed, usage.days_in_month));
  }
  const int season = tod_season(version, usage.month);
  static const std::vector<TodBlock> kNoBlocks;
  const std::vector<TodBlock>& blocks =
      season < 0 ? kNoBlocks : version.tod[static_cast<std::size_t>(season)].blocks;
  std::int64_t tod_wh = 0;
  for (std::size_t b = 0; b < usage.wh_by_block.size(); ++b) {
    const std::int64_t w = usage.wh_by_block[b];
    if (w < 0) return invalid(fmt::format("usage: negative energy {} Wh in ToD block {}", w, b));
    if (w > 0 && b >= blocks.size()) {
      return invalid(fmt::format(
          "usage: {} Wh in ToD block {} but month {} has {} ToD block(s) in this tariff", w, b,
          usage.month, blocks.size()));
    }
    tod_wh += w;  // cannot overflow: each term is checked against wh below before it grows
    if (tod_wh > usage.wh) {
      return invalid(fmt::format("usage: ToD blocks hold more than the month's {} Wh", usage.wh));
    }
  }

  Bill bill;
  auto add = [&bill](LineKind kind, std::string label, std::int64_t quantity, std::string basis,
                     Paise amount) {
    bill.lines.push_back(BillLine{kind, std::move(label), quantity, std::move(basis), amount});
  };

  // Energy: telescopic slabs. A slab's exact charge is Wh x paise/kWh milli-paise.
  i128 energy_mp = 0;
  std::int64_t lo = 0;
  for (const Slab& slab : version.slabs) {
    if (usage.wh <= lo) break;
    const std::int64_t top = slab.upto_wh == 0 ? usage.wh : std::min(usage.wh, slab.upto_wh);
    const std::int64_t in_slab = top - lo;
    const i128 mp = static_cast<i128>(in_slab) * slab.rate_paise_per_kwh;
    energy_mp += mp;
    add(LineKind::kEnergy, slab_label(lo, slab.upto_wh), in_slab,
        fmt::format("{} kWh x {}/kWh", format_kwh(in_slab), format_rupees(slab.rate_paise_per_kwh)),
        round_div(mp, kWhPerKwh));
    if (slab.upto_wh == 0) break;
    lo = slab.upto_wh;
  }

  // ToD: the block's share of the unrounded energy charge times (multiplier - 1).
  bool has_tod = false;
  for (std::size_t b = 0; b < usage.wh_by_block.size() && b < blocks.size(); ++b) {
    const std::int64_t wb = usage.wh_by_block[b];
    if (wb == 0) continue;
    const TodBlock& block = blocks[b];
    const i128 num = energy_mp * wb * (block.multiplier_bp - kBpPerUnit);
    const i128 den = static_cast<i128>(kWhPerKwh) * usage.wh * kBpPerUnit;
    add(LineKind::kTod,
        fmt::format("ToD {} ({})", block.name, format_multiplier_bp(block.multiplier_bp)), wb,
        fmt::format("energy {} x {}/{} kWh x {}", format_rupees_exact(energy_mp), format_kwh(wb),
                    format_kwh(usage.wh), format_multiplier_bp(block.multiplier_bp)),
        round_div(num, den));
    has_tod = true;
  }

  // Fixed: per kW of sanctioned load, prorated by the days billed.
  if (version.fixed_paise_per_kw_month > 0) {
    const i128 num = static_cast<i128>(version.fixed_paise_per_kw_month) * usage.sanctioned_load_w *
                     usage.days_billed;
    const i128 den = static_cast<i128>(kWhPerKwh) * usage.days_in_month;
    add(LineKind::kFixed, "Fixed charge", usage.sanctioned_load_w,
        fmt::format("{} kW x {}/kW x {}/{} days", format_kwh(usage.sanctioned_load_w),
                    format_rupees(version.fixed_paise_per_kw_month), usage.days_billed,
                    usage.days_in_month),
        round_div(num, den));
  }

  // Penalty: per kW of the highest demand above the sanctioned load.
  const std::int64_t excess_w =
      std::max<std::int64_t>(0, usage.max_demand_w - std::int64_t{usage.sanctioned_load_w});
  if (version.excess_demand_paise_per_kw > 0 && excess_w > 0) {
    add(LineKind::kPenalty, "Excess demand penalty", excess_w,
        fmt::format("({} - {}) kW x {}/kW", format_kwh(usage.max_demand_w),
                    format_kwh(usage.sanctioned_load_w),
                    format_rupees(version.excess_demand_paise_per_kw)),
        round_div(static_cast<i128>(version.excess_demand_paise_per_kw) * excess_w, kWhPerKwh));
  }

  // Rebate and duty are percentages of the rounded energy, ToD and fixed lines.
  Paise base = 0;
  for (const BillLine& l : bill.lines) {
    if (l.kind == LineKind::kEnergy || l.kind == LineKind::kTod || l.kind == LineKind::kFixed) {
      base += l.amount;
    }
  }
  const char* base_parts = has_tod ? "energy + ToD + fixed" : "energy + fixed";
  if (mode == PaymentMode::kPrepaid && version.prepaid_rebate_bp > 0) {
    add(LineKind::kRebate, "Prepaid rebate " + format_percent_bp(version.prepaid_rebate_bp), base,
        fmt::format("-{} of {} ({})", format_percent_bp(version.prepaid_rebate_bp),
                    format_rupees(base), base_parts),
        round_div(-static_cast<i128>(version.prepaid_rebate_bp) * base, kBpPerUnit));
  }
  if (version.duty_bp > 0) {
    add(LineKind::kDuty, "Electricity duty " + format_percent_bp(version.duty_bp), base,
        fmt::format("{} of {} ({})", format_percent_bp(version.duty_bp), format_rupees(base),
                    base_parts),
        round_div(static_cast<i128>(version.duty_bp) * base, kBpPerUnit));
  }

  for (const BillLine& l : bill.lines) {
    switch (l.kind) {
      case LineKind::kEnergy:
      case LineKind::kTod:
        bill.energy += l.amount;
        break;
      case LineKind::kFixed:
        bill.fixed += l.amount;
        break;
      case LineKind::kPenalty:
        bill.penalty += l.amount;
        break;
      case LineKind::kRebate:
        bill.rebate += l.amount;
        break;
      case LineKind::kDuty:
        bill.duty += l.amount;
        break;
    }
    bill.total += l.amount;
  }
  return bill;
}

std::int64_t round_div(Int128 value, Int128 divisor) {
  i128 q = value / divisor;
  i128 r = value % divisor;  // same sign as value
  if (r < 0) r = -r;
  if (r >= divisor - r) q += value < 0 ? -1 : 1;  // |r| >= divisor / 2, without overflow
  return static_cast<std::int64_t>(q);
}

std::string format_rupees(Paise amount) {
  const bool neg = amount < 0;
  const std::uint64_t a = neg ? std::uint64_t{0} - static_cast<std::uint64_t>(amount)
                              : static_cast<std::uint64_t>(amount);
  return fmt::format("{}Rs {}.{:02d}", neg ? "-" : "", group_indian(a / 100),
                     static_cast<unsigned>(a % 100));
}

std::string format_kwh(std::int64_t wh) {
  const bool neg = wh < 0;
  const std::uint64_t a =
      neg ? std::uint64_t{0} - static_cast<std::uint64_t>(wh) : static_cast<std::uint64_t>(wh);
  return fmt::format("{}{}.{:03d}", neg ? "-" : "", a / 1000, static_cast<unsigned>(a % 1000));
}

std::string format_percent_bp(std::int64_t bp, bool sign) {
  const bool neg = bp < 0;
  const std::uint64_t a =
      neg ? std::uint64_t{0} - static_cast<std::uint64_t>(bp) : static_cast<std::uint64_t>(bp);
  std::string out = neg ? "-" : (sign ? "+" : "");
  out += std::to_string(a / 100);
  const auto frac = static_cast<unsigned>(a % 100);
  if (frac != 0)
    out += frac % 10 == 0 ? fmt::format(".{}", frac / 10) : fmt::format(".{:02d}", frac);
  return out + "%";
}

std::string format_multiplier_bp(std::int32_t multiplier_bp) {
  return format_percent_bp(std::int64_t{multiplier_bp} - kBpPerUnit, true);
}

std::string format_hhmm(int minute) {
  return fmt::format("{:02d}:{:02d}", minute / 60, minute % 60);
}

}  // namespace vidyut::tariff
