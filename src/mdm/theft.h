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
//        exactly with what his meter still records);
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
  std::size_t suspects = 3;   // listed per flagged DT-day
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
  double correlation = 0;  // with the DT's unexplained loss, over the anomaly
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

// The DT's unexplained loss u(t) over the anomaly, explained by the fewest consumers' own series
// and a steady load: u ~ sum of beta_k x_k(t) + c, all non-negative. Consumers are chosen
// greedily on the interval-to-interval changes of u and x (where a steady or switched load
// leaves only a few jumps, which are set aside): each step adds the consumer that removes the
// most of what is left, while he removes at least 15 % of it and carries at least 5 % of
// the unexplained energy of the intervals his term covers (at most max_terms). c is what they
// leave, when it carries 5 % or more. A consumer who bypasses a share s of his load adds beta = (1
// + a) s / (1 - s) times his meter's own series to u. A consumer's bypass may start during the day
// (a hook-up in the afternoon): each consumer is tried with his whole series and with it from each
// hour's start on (zero before), and the one that explains most is kept with its start.
struct LossExplanation {
  double steady = 0;                                      // c, per interval
  std::vector<std::pair<std::size_t, double>> consumers;  // (index into x, beta), as chosen
  std::vector<std::size_t> starts;  // per chosen consumer: the interval his term starts (0: all)
  double explained = 0;             // share of sum u^2 explained
};
LossExplanation explain_loss(const std::vector<double>& u,
                             const std::vector<std::vector<double>>& x, std::size_t max_terms = 6);

// Pearson correlation of two series of equal length (0 when either is constant or short).
double correlation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace vidyut::mdm
