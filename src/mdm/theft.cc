#include "mdm/theft.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "tariff/calendar.h"

namespace vidyut::mdm {
namespace {

constexpr int kFitRounds = 20;
constexpr double kNoiseSigmas = 3.0;  // an unexplained loss must exceed this many sigmas
constexpr std::size_t kMinAnomalyIntervals = 8;
// A consumer joins the explanation when he removes at least this share of what is left.
constexpr double kMinGain = 0.15;
// Tamper alerts this far before the day are read, so that a tamper still on counts.
constexpr Millis kTamperLookback{7LL * 86'400'000};

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

namespace {

// Least squares of u on the columns (k <= 5) by the normal equations; nullopt when singular.
std::optional<std::vector<double>> least_squares(
    const std::vector<double>& u, const std::vector<const std::vector<double>*>& cols) {
  const std::size_t k = cols.size();
  std::vector<std::vector<double>> m(k, std::vector<double>(k + 1, 0));
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      for (std::size_t t = 0; t < u.size(); ++t) m[i][j] += (*cols[i])[t] * (*cols[j])[t];
    }
    for (std::size_t t = 0; t < u.size(); ++t) m[i][k] += (*cols[i])[t] * u[t];
  }
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r) {
      if (std::fabs(m[r][c]) > std::fabs(m[p][c])) p = r;
    }
    if (std::fabs(m[p][c]) < 1e-12) return std::nullopt;
    std::swap(m[c], m[p]);
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = m[r][c] / m[c][c];
      for (std::size_t j = c; j <= k; ++j) m[r][j] -= f * m[c][j];
    }
  }
  std::vector<double> beta(k);
  for (std::size_t i = 0; i < k; ++i) beta[i] = m[i][k] / m[i][i];
  return beta;
}

}  // namespace

LossExplanation explain_loss(const std::vector<double>& u,
                             const std::vector<std::vector<double>>& x, std::size_t max_terms) {
  LossExplanation e;
  const std::size_t n = u.size();
  double total_u = 0, total_ss = 0;
  for (double v : u) {
    total_u += v;
    total_ss += v * v;
  }
  if (n < 4 || total_ss <= 0) return e;
  // Consumers are chosen on the changes from one interval to the next: a steady load (a hook, a
  // magnet's fixed load) vanishes there, and the few large jumps where such a load starts or
  // stops are left out (beyond five robust deviations), so what remains is each interval's own
  // wobble, which only the bypassing consumers' series share.
  auto diff = [&](const std::vector<double>& v) {
    std::vector<double> d;
    for (std::size_t t = 1; t < n; ++t) d.push_back(v[t] - v[t - 1]);
    return d;
  };
  const std::vector<double> du_all = diff(u);
  std::vector<double> dev;
  for (double v : du_all) dev.push_back(std::fabs(v));
  const double scale = 1.4826 * median(dev);
  std::vector<std::size_t> rows;
  for (std::size_t t = 0; t < du_all.size(); ++t) {
    if (scale == 0 || std::fabs(du_all[t]) <= 5 * scale) rows.push_back(t);
  }
  auto pick = [&](const std::vector<double>& v) {
    std::vector<double> o;
    for (std::size_t t : rows) o.push_back(v[t]);
    return o;
  };
  const std::vector<double> du = pick(du_all);
  // Candidates: each consumer's series whole, and from each hour's start on (zero before), so
  // that a bypass starting during the day is matched where it runs.
  struct Candidate {
    std::size_t consumer, start;
    std::vector<double> dx;
    double energy = 0;  // sum of the series from `start`
  };
  constexpr std::size_t kStartStep = 4;  // an hour of 15-minute intervals
  constexpr std::size_t kMinTail = 8;    // a start leaves at least two hours
  std::vector<Candidate> cands;
  for (std::size_t c = 0; c < x.size(); ++c) {
    if (x[c].size() != n) continue;
    for (std::size_t start = 0; start == 0 || start + kMinTail <= n; start += kStartStep) {
      std::vector<double> v(n, 0);
      double energy = 0;
      for (std::size_t t = start; t < n; ++t) {
        v[t] = x[c][t];
        energy += x[c][t];
      }
      cands.push_back({c, start, pick(diff(v)), energy});
    }
  }
  // The unexplained energy from each interval on.
  std::vector<double> u_from(n + 1, 0);
  for (std::size_t t = n; t-- > 0;) u_from[t] = u_from[t + 1] + u[t];
  double ss = 0;
  for (double v : du) ss += v * v;
  std::vector<std::size_t> chosen;  // into cands
  std::vector<double> beta;
  auto taken = [&](std::size_t consumer) {
    return std::any_of(chosen.begin(), chosen.end(),
                       [&](std::size_t h) { return cands[h].consumer == consumer; });
  };
  while (chosen.size() < max_terms && ss > 0) {
    double best_ss = ss;
    std::size_t best = 0;
    std::vector<double> best_beta;
    for (std::size_t c = 0; c < cands.size(); ++c) {
      if (taken(cands[c].consumer)) continue;
      std::vector<const std::vector<double>*> cols;
      for (std::size_t h : chosen) cols.push_back(&cands[h].dx);
      cols.push_back(&cands[c].dx);
      auto b = least_squares(du, cols);
      if (!b || std::any_of(b->begin(), b->end(), [](double v) { return v <= 0; })) continue;
      // The new consumer must carry a real part of the unexplained energy while his term runs
      // (a bypass that starts in the evening is judged against the evening's loss).
      const double carried = b->back() * cands[c].energy;
      if (carried < 0.05 * u_from[cands[c].start]) continue;
      double r = 0;
      for (std::size_t t = 0; t < du.size(); ++t) {
        double fit = 0;
        for (std::size_t j = 0; j < cols.size(); ++j) fit += (*b)[j] * (*cols[j])[t];
        r += (du[t] - fit) * (du[t] - fit);
      }
      if (r < best_ss) {
        best_ss = r;
        best = c;
        best_beta = *b;
      }
    }
    if (best_beta.empty() || best_ss > (1.0 - kMinGain) * ss) break;
    chosen.push_back(best);
    beta = best_beta;
    ss = best_ss;
  }
  // What the chosen consumers leave is the steady part, when it carries a real share.
  std::vector<double> rest = u;
  for (std::size_t j = 0; j < chosen.size(); ++j) {
    const Candidate& c = cands[chosen[j]];
    e.consumers.emplace_back(c.consumer, beta[j]);
    e.starts.push_back(c.start);
    for (std::size_t t = c.start; t < n; ++t) rest[t] -= beta[j] * x[c.consumer][t];
  }
  double mean = 0;
  for (double v : rest) mean += v;
  mean /= static_cast<double>(n);
  if (mean * static_cast<double>(n) >= 0.05 * total_u) e.steady = mean;
  double left = 0;
  for (double v : rest) left += (v - e.steady) * (v - e.steady);
  e.explained = 1.0 - left / total_ss;
  return e;
}

TechnicalLossModel fit_technical_loss(const std::vector<LossSample>& samples) {
  TechnicalLossModel m;
  m.candidates = samples.size();
  if (samples.empty()) return m;
  const std::size_t n = samples.size();
  // Fitted on the lower half: theft only ever adds loss, so the DT-days with the lowest loss
  // against the model are the honest ones, even where most DT-days carry some theft. Start
  // from every DT-day, then refit on the half with the lowest residual (relative to the
  // energy carried) until that half no longer changes.
  const std::size_t half = std::max<std::size_t>(std::min<std::size_t>(n, 3), (n + 1) / 2);
  std::vector<bool> keep(n, true);
  double a = 0, b = 0;
  std::vector<double> r(n);
  for (int round = 0; round < kFitRounds; ++round) {
    std::tie(a, b) = solve(samples, keep);
    std::vector<std::pair<double, std::size_t>> rel(n);
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = samples[i].loss_wh - a * samples[i].consumers_wh - b * samples[i].kva_hours;
      rel[i] = {r[i] / std::max(1.0, std::fabs(samples[i].consumers_wh)), i};
    }
    std::sort(rel.begin(), rel.end());
    std::vector<bool> next(n, false);
    for (std::size_t k = 0; k < half; ++k) next[rel[k].second] = true;
    if (next == keep) break;
    keep = next;
  }
  std::tie(a, b) = solve(samples, keep);
  std::vector<double> kept_r;
  for (std::size_t i = 0; i < n; ++i) {
    r[i] = samples[i].loss_wh - a * samples[i].consumers_wh - b * samples[i].kva_hours;
    if (keep[i]) kept_r.push_back(r[i]);
  }
  const double med = median(kept_r);
  std::vector<double> dev;
  for (double x : kept_r) dev.push_back(std::fabs(x - med));
  // A floor: the fit's noise is never taken below a tenth of a percent of a typical loss.
  std::vector<double> losses;
  for (const auto& s : samples) losses.push_back(std::fabs(s.loss_wh));
  m.conductor_share = a;
  m.core_w_per_kva = b;
  m.residual_sigma_wh = std::max(1.4826 * median(dev), 0.001 * median(losses));
  m.fitted_on = kept_r.size();
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
  // Tamper conditions in force during the day, by meter: started before its end and not ended
  // before its start (read once, when some DT is flagged).
  struct Tamper {
    std::string name;
    UtcTime start;
    std::optional<UtcTime> end;
  };
  std::optional<std::unordered_map<std::int64_t, std::vector<Tamper>>> tampers;
  auto load_tampers = [&]() -> Status {
    std::unordered_map<std::int64_t, std::vector<Tamper>> all;
    for (std::int64_t after = 0;;) {
      VIDYUT_TRY(
          page, store.alerts_of_kind("tamper", day - kTamperLookback, end, after, store::kMaxPage));
      for (const auto& al : *page) {
        after = al.id;
        auto& v = all[al.meter_id];
        if (al.active) {
          v.push_back({al.name, al.at, std::nullopt});
        } else {
          for (auto it = v.rbegin(); it != v.rend(); ++it) {
            if (it->name == al.name && !it->end) {
              it->end = al.at;
              break;
            }
          }
        }
      }
      if (page->size() < store::kMaxPage) break;
    }
    tampers.emplace();
    for (auto& [m, v] : all) {
      for (auto& t : v) {
        if (!t.end || *t.end > day) (*tampers)[m].push_back(std::move(t));
      }
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
    f.technical_wh =
        a * static_cast<double>(b.consumers_wh) + bw * node.rating_va / 1000.0 * supplied_h[d];
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
          const auto i =
              static_cast<std::size_t>((x.start - (day - std::chrono::days(1))) / period);
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
        // Only where both days drew energy: an open relay (a disconnection) is not a fall.
        if (prev[i] > 0 && seen[i] && own[k][i] > 0) {
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

    // Which consumers' own series (and whether a steady load) the unexplained loss follows.
    std::vector<std::vector<double>> xw(node.consumers.size());
    for (std::size_t k = 0; k < node.consumers.size(); ++k) {
      for (std::size_t i : window) xw[k].push_back(own[k][i]);
    }
    const LossExplanation ex =
        window.size() >= kMinAnomalyIntervals ? explain_loss(uw, xw) : LossExplanation{};
    // Each category's typical change against the day before on this DT (3 consumers or more).
    auto category_of = [&](std::size_t k) {
      auto it = info.find(node.consumers[k]);
      return it == info.end() ? std::string() : it->second->category;
    };
    std::unordered_map<std::string, double> typical;
    {
      std::unordered_map<std::string, std::vector<double>> ratios;
      for (std::size_t k = 0; k < node.consumers.size(); ++k) {
        if (before[k] > 0) ratios[category_of(k)].push_back(today_total[k] / before[k]);
      }
      for (auto& [cat, v] : ratios) {
        if (v.size() >= 3) typical[cat] = median(v);
      }
    }
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
        for (const auto& t : it->second) {
          s.reasons.push_back(
              fmt::format("tamper: {} from {}{}", t.name, tariff::format_ist(t.start),
                          t.end ? " to " + tariff::format_ist(*t.end) : ", still on"));
        }
      }
      if (!xw[k].empty()) s.correlation = correlation(uw, xw[k]);
      for (std::size_t j = 0; j < ex.consumers.size(); ++j) {
        const auto& [idx, beta] = ex.consumers[j];
        if (idx != k) continue;
        // beta = (1 + a) s / (1 - s): the share of his load that bypasses the meter.
        const double q = beta / (1.0 + a);
        const double share = q / (1.0 + q);
        const std::size_t from = j < ex.starts.size() ? ex.starts[j] : 0;
        s.score += 3;
        s.reasons.push_back(fmt::format(
            "the DT's unexplained loss moves with his own consumption, interval by interval{}: "
            "about {:.0f} % of his load seems to bypass the meter",
            from > 0 && from < window.size()
                ? " from " +
                      tariff::format_ist(day + period * static_cast<std::int64_t>(window[from]))
                : std::string(),
            100 * share));
      }
      if (auto it = typical.find(category_of(k));
          before[k] > 0 && it != typical.end() && it->second > 0) {
        // Against his own day before, beyond what his neighbours of the same category did (a
        // shop shut on Sunday is not a theft).
        const double relative = today_total[k] / before[k] / it->second;
        if (relative < 0.8) {
          const double fall = 1.0 - relative;
          s.score += fall;
          s.reasons.push_back(fmt::format(
              "consumption {:.0f} % below the day before, beyond his neighbours' change",
              100 * fall));
        }
      }
      if (auto it = info.find(s.meter_id); it != info.end() && it->second->sanctioned_load_w > 0 &&
                                           peak_w[k] > it->second->sanctioned_load_w) {
        s.score += 0.5;
        s.reasons.push_back(fmt::format("demand {:.1f} kW above the sanctioned {:.1f} kW",
                                        peak_w[k] / 1000.0,
                                        it->second->sanctioned_load_w / 1000.0));
      }
      if (s.score > 0) suspects.push_back(std::move(s));
    }
    std::stable_sort(suspects.begin(), suspects.end(),
                     [](const Suspect& x, const Suspect& y) { return x.score > y.score; });
    if (suspects.size() > o.suspects) suspects.resize(o.suspects);
    f.suspects = std::move(suspects);
    // The pattern of the unexplained loss.
    if (!ex.consumers.empty() && ex.steady > 0) {
      f.pattern = "mixed: a steady load and consumers' own load";
    } else if (!ex.consumers.empty()) {
      f.pattern = "tracks a consumer's load";
    } else if (ex.steady > 0) {
      f.pattern = "steady load";
    } else {
      f.pattern = "unclear";
    }
    r.dts.push_back(std::move(f));
  }
  return r;
}

}  // namespace vidyut::mdm
