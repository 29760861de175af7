#include "mdm/theft.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

namespace vidyut::mdm {
namespace {

constexpr double kRobustCut = 3.5;  // residuals beyond this many sigmas leave the fit
constexpr int kFitRounds = 10;
constexpr double kNoiseSigmas = 3.0;     // an unexplained loss must exceed this many sigmas
constexpr double kTracksCorrelation = 0.9;
constexpr double kSteadyCv = 0.25;       // coefficient of variation of a steady unexplained load
constexpr std::size_t kMinAnomalyIntervals = 8;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  return v[m];
}

// Least squares y = a x1 + b x2 over the kept samples.
std::pair<double, double> solve(const std::vector<LossSample>& s, const std::vector<bool>& keep) {
  double s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!keep[i]) continue;
    s11 += s[i].consumers_wh * s[i].consumers_wh;
    s12 += s[i].consumers_wh * s[i].kva_hours;
    s22 += s[i].kva_hours * s[i].kva_hours;
    s1y += s[i].consumers_wh * s[i].loss_wh;
    s2y += s[i].kva_hours * s[i].loss_wh;
  }
  const double det = s11 * s22 - s12 * s12;
  if (std::fabs(det) < 1e-9 * std::max(1.0, s11 * s22)) {
    return {s11 > 0 ? s1y / s11 : 0.0, 0.0};  // one regressor only
  }
  return {(s1y * s22 - s2y * s12) / det, (s11 * s2y - s12 * s1y) / det};
}

double overlap_ms(const std::vector<OffSpan>& spans, UtcTime a, UtcTime b, UtcTime until) {
  double ms = 0;
  for (const auto& s : spans) {
    const UtcTime lo = std::max(a, s.start);
    const UtcTime hi = std::min(b, s.end_or(until));
    if (hi > lo) ms += static_cast<double>((hi - lo).count());
  }
  return ms;
}

}  // namespace

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 3) return 0;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return sxy / std::sqrt(sxx * syy);
}

TechnicalLossModel fit_technical_loss(const std::vector<LossSample>& samples) {
  TechnicalLossModel m;
  m.candidates = samples.size();
  if (samples.empty()) return m;
  std::vector<bool> keep(samples.size(), true);
  double a = 0, b = 0, sigma = 0;
  for (int round = 0; round < kFitRounds; ++round) {
    std::tie(a, b) = solve(samples, keep);
    std::vector<double> r(samples.size());
    std::vector<double> kept_r;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      r[i] = samples[i].loss_wh - a * samples[i].consumers_wh - b * samples[i].kva_hours;
      if (keep[i]) kept_r.push_back(r[i]);
    }
    const double med = median(kept_r);
    std::vector<double> dev;
    for (double x : kept_r) dev.push_back(std::fabs(x - med));
    // A floor: the fit's noise is never taken below a tenth of a percent of a typical loss.
    std::vector<double> losses;
    for (const auto& s : samples) losses.push_back(std::fabs(s.loss_wh));
    sigma = std::max(1.4826 * median(dev), 0.001 * median(losses));
    bool changed = false;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const bool k = std::fabs(r[i] - med) <= kRobustCut * sigma;
      if (k != keep[i]) changed = true;
      keep[i] = k;
    }
    if (std::count(keep.begin(), keep.end(), true) < 2) {
      std::fill(keep.begin(), keep.end(), true);
      std::tie(a, b) = solve(samples, keep);
      break;
    }
    if (!changed) break;
  }
  m.conductor_share = a;
  m.core_w_per_kva = b;
  m.residual_sigma_wh = sigma;
  m.fitted_on = static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true));
  return m;
}

Result<TheftReport> detect_theft(store::Store& store, const Network& network,
                                 const std::vector<store::MeterInfo>& meters, UtcTime day,
                                 const TheftOptions& o) {
  const UtcTime end = day + std::chrono::days(1);
  const Millis period{std::int64_t{o.period_s} * 1000};
  TheftReport r;
  r.day = day;
  VIDYUT_TRY(audit, audit_from_store(store, network, day, end, o.period_s));
  VIDYUT_TRY(events, power_events(store, network, day, end));
  const OutageReport outages = detect_outages(network, *events, day, end, end);

  std::vector<double> supplied_h(network.dts.size(), 24.0);
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    supplied_h[d] -= overlap_ms(outages.dt_off[d], day, end, end) / 3'600'000.0;
  }
  std::vector<LossSample> samples;
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtBalance& b = audit->dts[d];
    if (!b.complete() || network.dts[d].rating_va == 0) continue;
    samples.push_back({static_cast<double>(b.loss_wh), static_cast<double>(b.consumers_wh),
                       network.dts[d].rating_va / 1000.0 * supplied_h[d]});
  }
  r.model = fit_technical_loss(samples);
  const double a = r.model.conductor_share;
  const double bw = r.model.core_w_per_kva;

  std::unordered_map<std::int64_t, const store::MeterInfo*> info;
  for (const auto& m : meters) info[m.id] = &m;
  // Tamper alerts of the day, by meter (read once, when some DT is flagged).
  std::optional<std::unordered_map<std::int64_t, std::vector<store::Alert>>> tampers;
  auto load_tampers = [&]() -> Status {
    tampers.emplace();
    for (std::int64_t after = 0;;) {
      VIDYUT_TRY(page, store.alerts_after(after, store::kMaxPage));
      for (const auto& al : *page) {
        after = al.id;
        if (al.kind == "tamper" && al.active && al.at >= day && al.at < end) {
          (*tampers)[al.meter_id].push_back(al);
        }
      }
      if (page->size() < store::kMaxPage) break;
    }
    return ok_status();
  };

  const std::size_t slots = intervals_in(day, end, o.period_s);
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtNode& node = network.dts[d];
    const DtBalance& b = audit->dts[d];
    TheftFinding f;
    f.dt = node.name;
    f.feeder = b.feeder;
    f.complete = b.complete() && node.rating_va > 0;
    f.dt_wh = static_cast<double>(b.dt_wh);
    f.loss_wh = static_cast<double>(b.loss_wh);
    f.technical_wh = a * static_cast<double>(b.consumers_wh) + bw * node.rating_va / 1000.0 * supplied_h[d];
    f.unexplained_wh = f.loss_wh - f.technical_wh;
    f.unexplained_percent = f.dt_wh > 0 ? 100.0 * f.unexplained_wh / f.dt_wh : 0;
    f.flagged = f.complete && f.unexplained_percent >= o.flag_percent &&
                f.unexplained_wh > kNoiseSigmas * r.model.residual_sigma_wh;
    if (!f.flagged) {
      r.dts.push_back(std::move(f));
      continue;
    }
    ++r.flagged;
    f.stolen_wh = f.unexplained_wh / (1.0 + a);
    if (!tampers) VIDYUT_CHECK(load_tampers());

    // Interval series: the DT's unexplained loss, and each consumer's net energy.
    auto index = [&](UtcTime t) { return static_cast<std::size_t>((t - day) / period); };
    std::vector<double> dt_series(slots, 0), sum(slots, 0);
    std::vector<bool> usable(slots, false);
    VIDYUT_TRY(dt_rows, store.intervals(node.meter_id, day, end));
    for (const auto& x : *dt_rows) {
      const std::size_t i = index(x.start);
      if (i >= slots) continue;
      dt_series[i] = static_cast<double>(x.import_wh);
      usable[i] = true;
    }
    std::vector<std::vector<double>> own(node.consumers.size(), std::vector<double>(slots, 0));
    std::vector<double> before(node.consumers.size(), 0), today_total(node.consumers.size(), 0);
    std::vector<double> peak_w(node.consumers.size(), 0);
    for (std::size_t k = 0; k < node.consumers.size(); ++k) {
      VIDYUT_TRY(rows, store.intervals(node.consumers[k], day - std::chrono::days(1), end));
      std::vector<bool> seen(slots, false);
      std::vector<double> prev(slots, -1);
      for (const auto& x : *rows) {
        const double net = static_cast<double>(x.import_wh - x.export_wh);
        if (x.start < day) {
          const auto i = static_cast<std::size_t>((x.start - (day - std::chrono::days(1))) / period);
          if (i < slots) prev[i] = net;
          continue;
        }
        const std::size_t i = index(x.start);
        if (i >= slots) continue;
        own[k][i] = net;
        sum[i] += net;
        seen[i] = true;
        peak_w[k] = std::max(peak_w[k], static_cast<double>(x.import_wh) * 3600.0 / o.period_s);
      }
      for (std::size_t i = 0; i < slots; ++i) {
        usable[i] = usable[i] && seen[i];
      }
      // The day before, over the same intervals (only where both days have data).
      for (std::size_t i = 0; i < slots; ++i) {
        if (prev[i] >= 0 && seen[i]) {
          before[k] += prev[i];
          today_total[k] += own[k][i];
        }
      }
    }
    std::vector<double> u(slots, 0);
    for (std::size_t i = 0; i < slots; ++i) {
      const UtcTime t0 = day + period * static_cast<std::int64_t>(i);
      const double off = overlap_ms(outages.dt_off[d], t0, t0 + period, end);
      if (off > 0) usable[i] = false;  // an interval touched by an outage says little
      u[i] = dt_series[i] - (1.0 + a) * sum[i] -
             bw * node.rating_va / 1000.0 * static_cast<double>(o.period_s) / 3600.0;
    }
    // The anomaly: from the first to the last usable interval where the unexplained loss is
    // well above zero.
    std::vector<double> pos;
    for (std::size_t i = 0; i < slots; ++i) {
      if (usable[i]) pos.push_back(u[i]);
    }
    std::sort(pos.begin(), pos.end());
    const double p90 = pos.empty() ? 0 : pos[pos.size() * 9 / 10];
    std::size_t first = slots, last = 0;
    for (std::size_t i = 0; i < slots; ++i) {
      if (usable[i] && u[i] > 0.3 * p90 && p90 > 0) {
        first = std::min(first, i);
        last = i;
      }
    }
    std::vector<std::size_t> window;
    for (std::size_t i = first; i <= last && i < slots; ++i) {
      if (usable[i]) window.push_back(i);
    }
    std::vector<double> uw;
    for (std::size_t i : window) uw.push_back(u[i]);

    double best_corr = 0;
    std::vector<Suspect> suspects;
    for (std::size_t k = 0; k < node.consumers.size(); ++k) {
      Suspect s;
      s.meter_id = node.consumers[k];
      if (auto it = info.find(s.meter_id); it != info.end()) {
        s.serial = it->second->serial;
        s.consumer_id = it->second->consumer_id;
      }
      if (auto it = tampers->find(s.meter_id); it != tampers->end()) {
        s.score += 3;
        for (const auto& al : it->second) {
          s.reasons.push_back(fmt::format("tamper alert: {} at {}", al.name, format_iso8601(al.at)));
        }
      }
      if (window.size() >= kMinAnomalyIntervals) {
        std::vector<double> xw;
        for (std::size_t i : window) xw.push_back(own[k][i]);
        s.correlation = correlation(uw, xw);
        best_corr = std::max(best_corr, s.correlation);
        if (s.correlation > 0.5) {
          s.score += 2 * s.correlation;
          s.reasons.push_back(fmt::format(
              "consumption follows the DT's unexplained loss interval by interval (r = {:.2f})",
              s.correlation));
        }
      }
      if (before[k] > 0 && today_total[k] < 0.8 * before[k]) {
        const double fall = 1.0 - today_total[k] / before[k];
        s.score += fall;
        s.reasons.push_back(fmt::format("consumption {:.0f} % below the day before", 100 * fall));
      }
      if (auto it = info.find(s.meter_id);
          it != info.end() && it->second->sanctioned_load_w > 0 &&
          peak_w[k] > it->second->sanctioned_load_w) {
        s.score += 0.5;
        s.reasons.push_back(fmt::format("demand {:.1f} kW above the sanctioned {:.1f} kW",
                                        peak_w[k] / 1000.0, it->second->sanctioned_load_w / 1000.0));
      }
      if (s.score > 0) suspects.push_back(std::move(s));
    }
    std::stable_sort(suspects.begin(), suspects.end(),
                     [](const Suspect& x, const Suspect& y) { return x.score > y.score; });
    if (suspects.size() > o.suspects) suspects.resize(o.suspects);
    f.suspects = std::move(suspects);
    // The pattern of the unexplained loss.
    double mean = 0, var = 0;
    for (double x : uw) mean += x;
    if (!uw.empty()) mean /= static_cast<double>(uw.size());
    for (double x : uw) var += (x - mean) * (x - mean);
    const double cv = uw.size() > 1 && mean > 0
                          ? std::sqrt(var / static_cast<double>(uw.size() - 1)) / mean
                          : 1.0;
    if (best_corr >= kTracksCorrelation) {
      f.pattern = "tracks a consumer's load";
    } else if (cv <= kSteadyCv) {
      f.pattern = "steady load";
    } else {
      f.pattern = "mixed";
    }
    r.dts.push_back(std::move(f));
  }
  return r;
}

}  // namespace vidyut::mdm
