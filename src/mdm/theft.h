// Theft (docs/mdm.md, "Theft"): which DTs lose more than their technical loss explains on a day,
// how much energy that is, and which of their consumers to inspect first.
//
// 1. Technical loss model, fitted each day over every DT-day with complete data:
//        LT loss (Wh) = a x consumers' energy (Wh) + b x rating (kVA) x hours with supply
//    (conductor loss grows with the energy carried; core loss with the hours the DT is
//    energised). Theft only ever adds loss, so the model is fitted on the half of the DT-days
//    with the lowest loss against it (refitted until that half is stable): it follows the honest
//    DT-days even where most DT-days carry some theft.
// 2. Unexplained loss of a DT-day = LT loss - the model's technical loss. A complete DT-day is
//    flagged when the unexplained loss is at least `flag_percent` of the DT's energy and beyond
//    the model's noise. Stolen energy estimate = unexplained / (1 + a): stolen energy also
//    carries its share of conductor loss.
// 3. Suspects of a flagged DT-day, per consumer, scored from:
//      - tamper alerts of his meter that day (magnet, neutral, reverse, bypass, cover);
//      - how closely his consumption, interval by interval, follows the DT's unexplained loss
//        (a consumer who routes part of his load around the meter makes the DT's loss move
//        exactly with what his meter still records); for a consumer disconnected (relay open),
//        how closely it follows his usual load (his last 7 days, relay closed): a disconnected
//        consumer who draws around his meter;
//      - his consumption falling against the day before, beyond what his neighbours of the same
//        category did;
//      - demand above his sanctioned load.
//    The DT's pattern is named too: "tracks a consumer's load" or "steady load" (a hook on
//    the line that no meter sees draws steadily, day and night).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/audit.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "store/store.h"

namespace vidyut::mdm {

struct TheftOptions {
  double flag_percent = 2.0;  // unexplained loss as a share of the DT's energy
  // Listed per flagged DT-day: everyone with a tamper or named by the loss explanation, and the
  // others by score up to this many.
  std::size_t suspects = 3;
  std::int32_t period_s = 900;
};

struct TechnicalLossModel {
  double conductor_share = 0;    // a
  double core_w_per_kva = 0;     // b (Wh per kVA-hour = W per kVA)
  double residual_sigma_wh = 0;  // robust spread of the honest residuals
  std::size_t fitted_on = 0;     // DT-days the model is fitted on (the lower half)
  std::size_t candidates = 0;    // complete DT-days offered
};

// One DT-day as the fit sees it.
struct LossSample {
  double loss_wh = 0;
  double consumers_wh = 0;
  double kva_hours = 0;  // rating x hours with supply
};
TechnicalLossModel fit_technical_loss(const std::vector<LossSample>& samples);

struct Suspect {
  std::int64_t meter_id = 0;
  std::string serial;
  std::string consumer_id;
  double score = 0;
  double correlation = 0;   // with the DT's unexplained loss, over the day
  double explained_wh = 0;  // energy the loss explanation attributes to him (0: not named)
  std::vector<std::string> reasons;
};

struct TheftFinding {
  std::string dt;
  std::string feeder;
  bool complete = false;
  double dt_wh = 0;
  double loss_wh = 0;
  double technical_wh = 0;
  double unexplained_wh = 0;
  double unexplained_percent = 0;  // of dt_wh
  double stolen_wh = 0;            // estimate (flagged DT-days)
  bool flagged = false;
  std::string pattern;  // flagged: "tracks a consumer's load", "steady load", "mixed"
  std::vector<Suspect> suspects;
};

struct TheftReport {
  UtcTime day;  // IST midnight
  TechnicalLossModel model;
  std::vector<TheftFinding> dts;  // Network::dts order
  std::size_t flagged = 0;
};

// One day [day, day + 24 h): audit, outages, the model, findings; interval series and alerts
// are read for flagged DTs only.
Result<TheftReport> detect_theft(store::Store& store, const Network& network,
                                 const std::vector<store::MeterInfo>& meters, UtcTime day,
                                 const TheftOptions& options = {});

// The DT's unexplained loss u(t) over the day, explained by the fewest terms, all non-negative:
//   - a consumer's own metered series over a span: a consumer who bypasses a share s of his load
//     adds beta = (1 + a) s / (1 - s) times it to u;
//   - the usual load of a consumer whose relay is open (zero where it is closed): a disconnected
//     consumer who draws around his meter adds beta = (1 + a) s times his load, which only his
//     history shows (usual_owner: the own column of the same consumer). Taken only where the
//     loss, less the other consumers' terms, steps up where his drawing starts, and never ending
//     while his relay is still open;
//   - a steady load over a span (a hook on the line).
// Stage 1 chooses consumers' own series on the interval-to-interval changes of u and x (where a
// steady or switched load leaves only a few jumps, which are set aside): a bypass makes the DT's
// loss carry the consumer's own wobble, which nobody else's series shares. Stage 2 fits what they
// leave, in levels, with steady loads and the usual loads of disconnected consumers.
// Stage 1 is then run again with what stage 2 found taken out, and stage 2 after it.
// In each stage a greedy step adds the term that removes the most of what is left, while it
// removes at least 15 % of it, stands out where it runs (against the thousands of terms tried,
// most by chance), and carries at least 5 % of the unexplained energy of the intervals it covers
// (at most max_terms per stage, each column at most once). A theft may start or end during the
// day: each column is tried whole, from each hour's start on, and up to each hour's start.
struct LossTerm {
  enum class Kind : std::uint8_t { kOwn, kUsual, kSteady };
  Kind kind = Kind::kOwn;
  std::size_t column = 0;  // into own or usual
  double beta = 0;
  std::size_t start = 0, end = 0;  // the term's span [start, end) of the series
};
struct LossExplanation {
  double steady = 0;                   // the steady terms, per interval on average over the day
  std::vector<LossTerm> terms;         // consumers' terms (own and usual), as chosen
  std::vector<LossTerm> steady_terms;  // steady loads (column unused; beta per interval)
  double explained = 0;                // share of sum u^2 explained
};
LossExplanation explain_loss(const std::vector<double>& u,
                             const std::vector<std::vector<double>>& own,
                             const std::vector<std::vector<double>>& usual = {},
                             const std::vector<std::size_t>& usual_owner = {},
                             std::size_t max_terms = 6);

// Pearson correlation of two series of equal length (0 when either is constant or short).
double correlation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace vidyut::mdm
