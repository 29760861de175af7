#include "mdm/theft.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "mdm/relay_spans.h"
#include "tariff/calendar.h"

namespace vidyut::mdm {
namespace {

constexpr int kFitRounds = 20;
constexpr double kNoiseSigmas = 3.0;  // an unexplained loss must exceed this many sigmas
constexpr std::size_t kMinAnomalyIntervals = 8;
// A suspect's score from a tamper or from the loss explanation; weaker evidence adds less.
constexpr double kStrong = 3.0;
// A consumer joins the explanation when he removes at least this share of what is left.
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

// A consumer's usual load per interval of the day: the mean of his net energy at that time of
// day over the kUsualDays days before `day`, where he had a reading and his relay was closed.
constexpr int kUsualDays = 7;
Result<std::vector<double>> usual_load(store::Store& store, std::int64_t meter, UtcTime day,
                                       const std::vector<OffSpan>& relay_open,
                                       std::int32_t period_s) {
  const Millis period{std::int64_t{period_s} * 1000};
  const std::size_t slots = intervals_in(day, day + std::chrono::days(1), period_s);
  std::vector<double> sum(slots, 0);
  std::vector<int> count(slots, 0);
  const UtcTime from = day - std::chrono::days(kUsualDays);
  VIDYUT_TRY(rows, store.intervals(meter, from, day));
  for (const auto& x : *rows) {
    const bool open = std::any_of(relay_open.begin(), relay_open.end(), [&](const OffSpan& s) {
      return s.start <= x.start && x.start < s.end_or(day);
    });
    if (open) continue;
    const auto i = static_cast<std::size_t>(((x.start - from) / period) % slots);
    sum[i] += static_cast<double>(x.import_wh - x.export_wh);
    ++count[i];
  }
  for (std::size_t i = 0; i < slots; ++i) sum[i] = count[i] > 0 ? sum[i] / count[i] : 0;
  return sum;
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

// One candidate term of the explanation, as its regression sees it.
struct Candidate {
  LossTerm term;               // column, span (beta unset)
  std::vector<double> v;       // the series in the stage's space (changes or levels)
  std::size_t lo = 0, hi = 0;  // the regression rows the term's span touches
  double energy = 0;           // the column's energy over the span (1 per interval: steady)
};

// Greedy forward selection of `target` ~ sum of beta_j v_j, every beta positive. A step adds the
// candidate that removes the most of what is left, among those that
//   - carry at least kMinCarried of the unexplained energy over their span (`u_cum`: its prefix
//     sums), and
//   - stand out where they run: the sum of squares they remove, against the mean square left
//     over their own rows, is at least kMinF. Thousands of terms are tried, and by chance some
//     fit part of another theft's wobble (a disconnected consumer's, which no series shows); a
//     real bypass leaves little beside it where it runs.
// Each column (by kind and index) is chosen at most once, except steady terms.
constexpr double kMinCarried = 0.05;
constexpr double kMinF = 80.0;
constexpr std::size_t kMinRows = 6;
// A consumer's term below this coefficient (a share of his load under about 9 %) is what a meter's
// accuracy class and an imperfect loss model leave, not a theft.
constexpr double kMinBeta = 0.1;
// `accept`, when given, may refuse a candidate at its fitted beta.
using Accept = std::function<bool(const Candidate&, double beta)>;
std::vector<LossTerm> select_terms(const std::vector<double>& target,
                                   const std::vector<Candidate>& cands,
                                   const std::vector<double>& u_cum, std::size_t max_terms,
                                   const Accept& accept = nullptr) {
  auto dot = [](const std::vector<double>& x, const std::vector<double>& y) {
    double d = 0;
    for (std::size_t t = 0; t < x.size(); ++t) d += x[t] * y[t];
    return d;
  };
  const double yy = dot(target, target);
  double ss = yy;
  // Per candidate: v.y, v.v, and v against each chosen term (filled as terms are chosen), so a
  // step solves a small system per candidate without touching the rows.
  std::vector<double> vy(cands.size()), vv(cands.size());
  for (std::size_t c = 0; c < cands.size(); ++c) {
    vy[c] = dot(cands[c].v, target);
    vv[c] = dot(cands[c].v, cands[c].v);
  }
  std::vector<std::vector<double>> with_chosen(cands.size());
  std::vector<std::size_t> chosen;
  std::vector<double> beta;
  auto taken = [&](const LossTerm& t) {
    if (t.kind == LossTerm::Kind::kSteady) return false;
    return std::any_of(chosen.begin(), chosen.end(), [&](std::size_t h) {
      return cands[h].term.kind == t.kind && cands[h].term.column == t.column;
    });
  };
  while (chosen.size() < max_terms && ss > 0) {
    const std::size_t k = chosen.size() + 1;
    std::vector<std::tuple<double, std::size_t, std::vector<double>>> ranked;  // (ss, c, beta)
    for (std::size_t c = 0; c < cands.size(); ++c) {
      const Candidate& cand = cands[c];
      if (vv[c] <= 0 || taken(cand.term)) continue;
      // Normal equations of the chosen terms and this one, solved by Gaussian elimination.
      std::vector<std::vector<double>> m(k, std::vector<double>(k + 1, 0));
      for (std::size_t i = 0; i + 1 < k; ++i) {
        for (std::size_t j = 0; j + 1 < k; ++j) m[i][j] = with_chosen[chosen[i]][j];
        m[i][k - 1] = m[k - 1][i] = with_chosen[c][i];
        m[i][k] = vy[chosen[i]];
      }
      m[k - 1][k - 1] = vv[c];
      m[k - 1][k] = vy[c];
      bool singular = false;
      for (std::size_t col = 0; col < k && !singular; ++col) {
        std::size_t p = col;
        for (std::size_t r = col + 1; r < k; ++r) {
          if (std::fabs(m[r][col]) > std::fabs(m[p][col])) p = r;
        }
        if (std::fabs(m[p][col]) < 1e-9 * std::max(1.0, vv[c])) {
          singular = true;
          break;
        }
        std::swap(m[col], m[p]);
        for (std::size_t r = 0; r < k; ++r) {
          if (r == col) continue;
          const double f = m[r][col] / m[col][col];
          for (std::size_t j = col; j <= k; ++j) m[r][j] -= f * m[col][j];
        }
      }
      if (singular) continue;
      std::vector<double> b(k);
      for (std::size_t i = 0; i < k; ++i) b[i] = m[i][k] / m[i][i];
      if (std::any_of(b.begin(), b.end(), [](double v) { return v <= 0; })) continue;
      if (cand.term.kind != LossTerm::Kind::kSteady && b.back() < kMinBeta) continue;
      if (b.back() * cand.energy < kMinCarried * (u_cum[cand.term.end] - u_cum[cand.term.start]))
        continue;
      // Sum of squares left: y.y - beta . (X'y) at the least-squares solution.
      double r = yy;
      for (std::size_t i = 0; i + 1 < k; ++i) r -= b[i] * vy[chosen[i]];
      r -= b.back() * vy[c];
      if (r < ss) ranked.emplace_back(r, c, std::move(b));
    }
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& x, const auto& y) { return std::get<0>(x) < std::get<0>(y); });
    bool found = false;
    for (auto& [r, c, b] : ranked) {
      const Candidate& cand = cands[c];
      double local = 0;
      for (std::size_t t = cand.lo; t < cand.hi; ++t) {
        double f = b.back() * cand.v[t];
        for (std::size_t j = 0; j < chosen.size(); ++j) f += b[j] * cands[chosen[j]].v[t];
        local += (target[t] - f) * (target[t] - f);
      }
      if (cand.hi - cand.lo < kMinRows) continue;  // too few to tell chance from a theft
      const double rows = static_cast<double>(cand.hi - cand.lo - 1);
      if ((ss - r) * rows < kMinF * local) continue;
      if (accept && !accept(cand, b.back())) continue;
      chosen.push_back(c);
      beta = b;
      ss = r;
      found = true;
      break;
    }
    if (!found) break;
    const std::vector<double>& v = cands[chosen.back()].v;
    for (std::size_t c = 0; c < cands.size(); ++c) with_chosen[c].push_back(dot(cands[c].v, v));
  }
  std::vector<LossTerm> out;
  for (std::size_t j = 0; j < chosen.size(); ++j) {
    out.push_back(cands[chosen[j]].term);
    out.back().beta = beta[j];
  }
  return out;
}

// Each span a term may have over n intervals: whole, from each interval on, and up to each
// interval. (A simulated or real bypass or hook lasts a day or more, so one that both starts
// and ends inside the day is not looked for.)
constexpr std::size_t kMinSpan = 8;  // a partial term covers two hours or more
template <typename Fn>
void for_each_span(std::size_t n, Fn&& fn) {
  fn(std::size_t{0}, n);
  for (std::size_t h = 1; h < n; ++h) {
    if (n - h >= kMinSpan) fn(h, n);
    if (h >= kMinSpan) fn(std::size_t{0}, h);
  }
}

}  // namespace

namespace {

// One round of both stages. Stage 1 looks at u less `levels` (what stage 2 of the round before
// found); stage 2 at u less what stage 1 found.
LossExplanation explain_round(const std::vector<double>& u_all, const std::vector<double>& levels,
                              const std::vector<std::vector<double>>& own,
                              const std::vector<std::vector<double>>& usual,
                              const std::vector<std::size_t>& usual_owner, std::size_t max_terms) {
  LossExplanation e;
  const std::size_t n = u_all.size();
  double total_ss = 0;
  for (double v : u_all) total_ss += v * v;
  std::vector<double> u(n);
  for (std::size_t t = 0; t < n; ++t) u[t] = u_all[t] - levels[t];
  std::vector<double> u_cum(n + 1, 0);
  for (std::size_t t = 0; t < n; ++t) u_cum[t + 1] = u_cum[t] + u[t];

  // Stage 1, on the changes from one interval to the next: a steady load (a hook, a magnet's
  // fixed load) vanishes there, and the few large jumps where such a load starts or stops are
  // left out (beyond five robust deviations), so what remains is each interval's own wobble,
  // which only the bypassing consumers' series share.
  std::vector<std::size_t> rows;  // change t: from interval t to t + 1
  std::vector<double> du;
  {
    std::vector<double> all, dev;
    for (std::size_t t = 1; t < n; ++t) {
      all.push_back(u[t] - u[t - 1]);
      dev.push_back(std::fabs(all.back()));
    }
    // Against the changes around it (a bypassing consumer's own wobble is large beside a
    // quiet night, and must not be taken for jumps).
    constexpr std::size_t kAround = 8;
    for (std::size_t t = 0; t < all.size(); ++t) {
      std::vector<double> near;
      for (std::size_t k = t > kAround ? t - kAround : 0; k < std::min(all.size(), t + kAround + 1);
           ++k) {
        if (k != t) near.push_back(dev[k]);
      }
      // At least the data's resolution (1 Wh), so that a jump in a flat stretch is one.
      const double scale = std::max(1.4826 * median(near), 1.0);
      if (std::fabs(all[t]) <= 5 * scale) {
        rows.push_back(t);
        du.push_back(all[t]);
      }
    }
  }
  std::vector<Candidate> cands;
  for (std::size_t c = 0; c < own.size(); ++c) {
    if (own[c].size() != n) continue;
    for_each_span(n, [&](std::size_t start, std::size_t end) {
      Candidate k;
      k.term = {LossTerm::Kind::kOwn, c, 0, start, end};
      auto at = [&](std::size_t t) { return t >= start && t < end ? own[c][t] : 0.0; };
      for (std::size_t t = start; t < end; ++t) k.energy += own[c][t];
      if (k.energy <= 0) return;
      for (std::size_t t : rows) k.v.push_back(at(t + 1) - at(t));
      // The changes the span touches: from start - 1 to end - 1.
      k.lo = static_cast<std::size_t>(
          std::lower_bound(rows.begin(), rows.end(), start == 0 ? 0 : start - 1) - rows.begin());
      k.hi =
          static_cast<std::size_t>(std::lower_bound(rows.begin(), rows.end(), end) - rows.begin());
      cands.push_back(std::move(k));
    });
  }
  e.terms = select_terms(du, cands, u_cum, max_terms);
  // Where a bypass starts or stops, the DT's loss jumps, and those changes were set aside above;
  // they tell the exact interval. Each term's start and end are moved by up to an hour either way
  // to where the chosen terms explain every change best.
  {
    std::vector<double> all;
    for (std::size_t t = 1; t < n; ++t) all.push_back(u[t] - u[t - 1]);
    auto left_over = [&]() {
      double r = 0;
      for (std::size_t t = 0; t + 1 < n; ++t) {
        double f = 0;
        for (const LossTerm& term : e.terms) {
          auto at = [&](std::size_t i) {
            return i >= term.start && i < term.end ? own[term.column][i] : 0.0;
          };
          f += term.beta * (at(t + 1) - at(t));
        }
        r += (all[t] - f) * (all[t] - f);
      }
      return r;
    };
    constexpr std::size_t kNudge = 4;
    for (LossTerm& term : e.terms) {
      for (std::size_t* edge : {&term.start, &term.end}) {
        if ((edge == &term.start && *edge == 0) || (edge == &term.end && *edge == n)) continue;
        const std::size_t was = *edge;
        std::size_t best = was;
        double best_r = left_over();
        for (std::size_t v = was > kNudge ? was - kNudge : 1; v <= std::min(n - 1, was + kNudge);
             ++v) {
          *edge = v;
          if (term.end < term.start + kMinSpan) continue;
          const double r = left_over();
          if (r < best_r) {
            best_r = r;
            best = v;
          }
        }
        *edge = best;
      }
    }
  }

  // Stage 2, on the levels of what the consumers' own series leave: steady loads over a span
  // (hooks) and the usual load of consumers whose relay is open. Their own wobble cannot be
  // seen, so only the level and the shape of the day tell them.
  std::vector<double> rest = u_all;
  for (const LossTerm& t : e.terms) {
    for (std::size_t i = t.start; i < t.end; ++i) rest[i] -= t.beta * own[t.column][i];
  }
  std::vector<double> rest_cum(n + 1, 0);
  for (std::size_t t = 0; t < n; ++t) rest_cum[t + 1] = rest_cum[t] + rest[t];
  cands.clear();
  auto add_level = [&](LossTerm::Kind kind, std::size_t column, const std::vector<double>* series) {
    for_each_span(n, [&](std::size_t start, std::size_t end) {
      Candidate k;
      k.term = {kind, column, 0, start, end};
      k.v.assign(n, 0);
      for (std::size_t t = start; t < end; ++t) {
        k.v[t] = series ? (*series)[t] : 1.0;
        k.energy += k.v[t];
      }
      if (k.energy <= 0) return;
      k.lo = start;
      k.hi = end;
      cands.push_back(std::move(k));
    });
  };
  add_level(LossTerm::Kind::kSteady, 0, nullptr);
  for (std::size_t c = 0; c < usual.size(); ++c) {
    if (usual[c].size() == n) add_level(LossTerm::Kind::kUsual, c, &usual[c]);
  }
  // A disconnected consumer who draws around his meter shows where his drawing starts (when his
  // relay opens, or later when he hooks up) and stops: the DT's loss steps there by about his
  // usual load. A usual load that only follows the shape of the day is not taken: it would
  // blame an honest disconnected consumer for what others take.
  const Accept steps = [&](const Candidate& c, double beta) {
    if (c.term.kind != LossTerm::Kind::kUsual) return true;
    const std::vector<double>& full = usual[c.term.column];
    // He stops drawing only when his relay closes: a term that ends while it is still open is
    // the shape of someone else's theft.
    for (std::size_t t = c.term.end; t < n; ++t) {
      if (full[t] > 0) return false;
    }
    std::size_t first = n;
    for (std::size_t t = c.term.start; t < c.term.end && first == n; ++t) {
      if (c.v[t] > 0) first = t;
    }
    if (first == n) return false;
    // The loss less the other consumers' terms (his own, before his relay opened, stays in: a
    // bypass that simply goes on through the disconnection shows no step, and he is named by
    // his own series already).
    std::vector<double> others = u_all;
    const std::size_t owner =
        c.term.column < usual_owner.size() ? usual_owner[c.term.column] : own.size();
    for (const LossTerm& t : e.terms) {
      if (t.column == owner) continue;
      for (std::size_t i = t.start; i < t.end; ++i) others[i] -= t.beta * own[t.column][i];
    }
    constexpr std::size_t kSide = 4;                            // intervals each side of the step
    if (first < kSide || first + kSide > n) return first == 0;  // a step cannot be seen there
    auto mean = [&](const std::vector<double>& v, std::size_t a, std::size_t b) {
      double m = 0;
      for (std::size_t t = a; t < b; ++t) m += v[t];
      return m / static_cast<double>(b - a);
    };
    // The level steps up where his drawing starts, by at least half what the term says.
    const double rise = mean(others, first, first + kSide) - mean(others, first - kSide, first);
    return rise >= 0.5 * beta * mean(c.v, first, first + kSide);
  };
  for (LossTerm& t : select_terms(rest, cands, rest_cum, max_terms, steps)) {
    if (t.kind == LossTerm::Kind::kSteady) {
      e.steady += t.beta * static_cast<double>(t.end - t.start) / static_cast<double>(n);
      for (std::size_t i = t.start; i < t.end; ++i) rest[i] -= t.beta;
      e.steady_terms.push_back(t);
    } else {
      for (std::size_t i = t.start; i < t.end; ++i) rest[i] -= t.beta * usual[t.column][i];
      e.terms.push_back(t);
    }
  }
  double left = 0;
  for (double v : rest) left += v * v;
  e.explained = 1.0 - left / total_ss;
  return e;
}

}  // namespace

LossExplanation explain_loss(const std::vector<double>& u,
                             const std::vector<std::vector<double>>& own,
                             const std::vector<std::vector<double>>& usual,
                             const std::vector<std::size_t>& usual_owner, std::size_t max_terms) {
  const std::size_t n = u.size();
  double total_ss = 0;
  for (double v : u) total_ss += v * v;
  if (n < 4 || total_ss <= 0) return {};
  // Two rounds: a theft that stage 1 cannot see (a disconnected consumer's) disturbs its view of
  // the others; the second round looks again with what stage 2 found taken out.
  std::vector<double> levels(n, 0);
  LossExplanation e = explain_round(u, levels, own, usual, usual_owner, max_terms);
  for (const LossTerm& t : e.steady_terms) {
    for (std::size_t i = t.start; i < t.end; ++i) levels[i] += t.beta;
  }
  for (const LossTerm& t : e.terms) {
    if (t.kind != LossTerm::Kind::kUsual) continue;
    for (std::size_t i = t.start; i < t.end; ++i) levels[i] += t.beta * usual[t.column][i];
  }
  if (std::all_of(levels.begin(), levels.end(), [](double v) { return v == 0; })) return e;
  LossExplanation second = explain_round(u, levels, own, usual, usual_owner, max_terms);
  return second.explained >= e.explained ? second : e;
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
  std::optional<RelaySpans> relay;  // read once, when some DT is flagged
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
    // The day's usable intervals: a theft that starts or ends during the day is matched by the
    // explanation's partial terms, so the whole day is looked at.
    std::vector<std::size_t> window;
    for (std::size_t i = 0; i < slots; ++i) {
      if (usable[i]) window.push_back(i);
    }
    std::vector<double> uw;
    for (std::size_t i : window) uw.push_back(u[i]);

    // Which series (and whether a steady load) the unexplained loss follows: each consumer's own,
    // and the usual load of each consumer whose relay was open during the anomaly.
    std::vector<std::vector<double>> xw(node.consumers.size());
    for (std::size_t k = 0; k < node.consumers.size(); ++k) {
      for (std::size_t i : window) xw[k].push_back(own[k][i]);
    }
    std::vector<std::vector<double>> usual_cols;
    std::vector<std::size_t> usual_of;  // per usual column: the consumer
    std::vector<UtcTime> open_since;    // per usual column: when his relay opened
    if (window.size() >= kMinAnomalyIntervals) {
      if (!relay) VIDYUT_CHECK(relay_open_spans(store, relay.emplace()));
      for (std::size_t k = 0; k < node.consumers.size(); ++k) {
        auto it = relay->find(node.consumers[k]);
        if (it == relay->end()) continue;
        auto open_at = [&](UtcTime t) -> const OffSpan* {
          for (const auto& sp : it->second) {
            if (sp.start <= t && t < sp.end_or(end)) return &sp;
          }
          return nullptr;
        };
        std::vector<bool> open(window.size());
        const OffSpan* first_open = nullptr;
        for (std::size_t j = 0; j < window.size(); ++j) {
          const UtcTime mid = day + period * static_cast<std::int64_t>(window[j]) + period / 2;
          const OffSpan* sp = open_at(mid);
          open[j] = sp != nullptr;
          if (sp != nullptr && first_open == nullptr) first_open = sp;
        }
        if (first_open == nullptr) continue;
        VIDYUT_TRY(usual, usual_load(store, node.consumers[k], day, it->second, o.period_s));
        std::vector<double> col(window.size(), 0);
        double energy = 0;
        for (std::size_t j = 0; j < window.size(); ++j) {
          if (open[j] && window[j] < usual->size()) col[j] = (*usual)[window[j]];
          energy += col[j];
        }
        if (energy <= 0) continue;
        usual_cols.push_back(std::move(col));
        usual_of.push_back(k);
        open_since.push_back(first_open->start);
      }
    }
    const LossExplanation ex = window.size() >= kMinAnomalyIntervals
                                   ? explain_loss(uw, xw, usual_cols, usual_of)
                                   : LossExplanation{};
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
        s.score += kStrong;
        for (const auto& t : it->second) {
          s.reasons.push_back(
              fmt::format("tamper: {} from {}{}", t.name, tariff::format_ist(t.start),
                          t.end ? " to " + tariff::format_ist(*t.end) : ", still on"));
        }
      }
      if (!xw[k].empty()) s.correlation = correlation(uw, xw[k]);
      for (const LossTerm& term : ex.terms) {
        const bool usual = term.kind == LossTerm::Kind::kUsual;
        const std::size_t owner = usual ? usual_of[term.column] : term.column;
        if (owner != k) continue;
        std::string span;
        if (term.start > 0 && term.start < window.size()) {
          span += " from " +
                  tariff::format_ist(day + period * static_cast<std::int64_t>(window[term.start]));
        }
        if (term.end < window.size()) {
          span += " until " +
                  tariff::format_ist(day + period * static_cast<std::int64_t>(window[term.end]));
        }
        // The energy his term carries: what it adds to the DT's loss, less that loss's own
        // conductor share, is what he took.
        const std::vector<double>& series = usual ? usual_cols[term.column] : xw[term.column];
        double carried = 0;
        for (std::size_t j = term.start; j < term.end && j < series.size(); ++j) {
          carried += term.beta * series[j];
        }
        const double taken_wh = carried / (1.0 + a);
        s.explained_wh += taken_wh;
        // Ranked above every other kind of evidence, and among themselves by what they took.
        s.score += kStrong + 2 * std::clamp(carried / std::max(1.0, f.unexplained_wh), 0.0, 1.0);
        if (usual) {
          // beta = (1 + a) s: the share of his usual load drawn around the open relay.
          s.reasons.push_back(fmt::format(
              "disconnected (relay open since {}), yet the DT's unexplained loss follows his "
              "usual load{}: about {:.0f} % of it seems to be drawn around the meter, {:.1f} kWh",
              tariff::format_ist(open_since[term.column]), span, 100 * term.beta / (1.0 + a),
              taken_wh / 1000.0));
        } else {
          // beta = (1 + a) s / (1 - s): the share of his load that bypasses the meter.
          const double q = term.beta / (1.0 + a);
          s.reasons.push_back(fmt::format(
              "the DT's unexplained loss moves with his own consumption, interval by "
              "interval{}: about {:.0f} % of his load seems to bypass the meter, {:.1f} kWh",
              span, 100 * q / (1.0 + q), taken_wh / 1000.0));
        }
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
    // Everyone with strong evidence (a tamper, or a term of the explanation) is listed, and the
    // others up to o.suspects.
    const auto strong = static_cast<std::size_t>(std::count_if(
        suspects.begin(), suspects.end(), [](const Suspect& x) { return x.score >= kStrong; }));
    if (suspects.size() > std::max(o.suspects, strong)) {
      suspects.resize(std::max(o.suspects, strong));
    }
    f.suspects = std::move(suspects);
    // The pattern of the unexplained loss.
    if (!ex.terms.empty() && ex.steady > 0) {
      f.pattern = "mixed: a steady load and consumers' own load";
    } else if (!ex.terms.empty()) {
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
