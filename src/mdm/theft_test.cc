// Theft: the technical loss model is recovered exactly from honest DT-days even when a fifth of
// the DT-days carry theft, whose unexplained loss then equals the theft; correlation basics.
#include "mdm/theft.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vidyut::mdm {
namespace {

TEST(TechnicalLoss, TheRobustFitIgnoresThievingDtDaysAndTheirResidualIsTheTheft) {
  constexpr double kA = 0.045, kB = 2.0;
  std::vector<LossSample> s;
  std::vector<double> theft;
  for (int i = 0; i < 60; ++i) {
    const double consumers = 150'000 + 7'919.0 * (i % 13) + 1'000.0 * i;
    const double kva_h = (i % 3 == 0 ? 63 : i % 3 == 1 ? 100 : 160) * (24.0 - (i % 5) * 0.5);
    const double stolen = i % 5 == 0 ? 0.04 * consumers + 1'000.0 * i : 0;  // every fifth
    theft.push_back(stolen);
    s.push_back({kA * (consumers + stolen) + stolen + kB * kva_h, consumers, kva_h});
  }
  const TechnicalLossModel m = fit_technical_loss(s);
  EXPECT_NEAR(m.conductor_share, kA, 1e-6);
  EXPECT_NEAR(m.core_w_per_kva, kB, 1e-3);
  EXPECT_EQ(m.fitted_on, 30u);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double residual =
        s[i].loss_wh - m.conductor_share * s[i].consumers_wh - m.core_w_per_kva * s[i].kva_hours;
    EXPECT_NEAR(residual / (1 + m.conductor_share), theft[i], 1.0) << i;
  }
  EXPECT_GT(m.residual_sigma_wh, 0.0);
}

TEST(TechnicalLoss, NoSamplesNoModel) {
  const TechnicalLossModel m = fit_technical_loss({});
  EXPECT_EQ(m.fitted_on, 0u);
  EXPECT_EQ(m.conductor_share, 0.0);
}

// Forty consumers sharing an evening shape, each with his own appliance switching.
std::vector<std::vector<double>> consumers() {
  std::vector<std::vector<double>> x(40, std::vector<double>(64));
  std::uint64_t h = 12345;
  for (auto& c : x) {
    for (std::size_t t = 0; t < c.size(); ++t) {
      h = h * 6364136223846793005ULL + 1442695040888963407ULL;
      const double noise = static_cast<double>(h >> 40) / static_cast<double>(1ULL << 24);
      const double shape = 100 + 80 * std::sin(static_cast<double>(t) / 10.0);
      c[t] = shape * (0.7 + 0.6 * noise) + ((h >> 20) % 3 == 0 ? 60 : 0);
    }
  }
  return x;
}

TEST(ExplainLoss, FindsTheBypassingConsumersAndTheSteadyHookAndNobodyElse) {
  const auto x = consumers();
  std::vector<double> u(64);
  // Consumer 7 bypasses half his load (beta = 1.045 x 1), a 400 Wh-per-interval hook.
  for (std::size_t t = 0; t < u.size(); ++t) u[t] = 1.045 * x[7][t] + 400;
  LossExplanation e = explain_loss(u, x);
  ASSERT_EQ(e.terms.size(), 1u);
  EXPECT_EQ(e.terms[0].column, 7u);
  EXPECT_NEAR(e.terms[0].beta, 1.045, 1e-6);
  EXPECT_EQ(e.terms[0].start, 0u);
  EXPECT_EQ(e.terms[0].end, 64u);
  EXPECT_NEAR(e.steady, 400, 1e-6);
  EXPECT_NEAR(e.explained, 1.0, 1e-9);
  // Two bypassers, no hook.
  for (std::size_t t = 0; t < u.size(); ++t) u[t] = 0.5 * x[3][t] + 1.5 * x[31][t];
  e = explain_loss(u, x);
  ASSERT_EQ(e.terms.size(), 2u);
  EXPECT_EQ(e.terms[0].column + e.terms[1].column, 34u);
  EXPECT_EQ(e.steady, 0.0);
  // A hook alone: no consumer is blamed.
  for (auto& v : u) v = 700;
  e = explain_loss(u, x);
  EXPECT_TRUE(e.terms.empty());
  EXPECT_NEAR(e.steady, 700, 1e-9);
}

TEST(ExplainLoss, FindsABypassThatStartsDuringTheDayBesideAHook) {
  const auto x = consumers();
  std::vector<double> u(64);
  // A 400 Wh-per-interval hook all day; consumer 12 bypasses half his load from interval 40.
  for (std::size_t t = 0; t < u.size(); ++t) u[t] = 400 + (t >= 40 ? 1.045 * x[12][t] : 0.0);
  const LossExplanation e = explain_loss(u, x);
  ASSERT_EQ(e.terms.size(), 1u);
  EXPECT_EQ(e.terms[0].column, 12u);
  EXPECT_NEAR(e.terms[0].beta, 1.045, 0.05);
  EXPECT_EQ(e.terms[0].start, 40u);
  EXPECT_EQ(e.terms[0].end, 64u);
  EXPECT_NEAR(e.steady, 400, 20);
}

TEST(ExplainLoss, FindsABypassThatEndsDuringTheDayAndAnotherThatStartsLater) {
  const auto x = consumers();
  std::vector<double> u(64);
  // Consumer 5 bypasses until interval 24, consumer 30 from interval 44, beside a hook.
  for (std::size_t t = 0; t < u.size(); ++t) {
    u[t] = 300 + (t < 24 ? 1.5 * x[5][t] : 0.0) + (t >= 44 ? 0.8 * x[30][t] : 0.0);
  }
  const LossExplanation e = explain_loss(u, x);
  ASSERT_EQ(e.terms.size(), 2u);
  const LossTerm& a = e.terms[0].column == 5 ? e.terms[0] : e.terms[1];
  const LossTerm& b = e.terms[0].column == 5 ? e.terms[1] : e.terms[0];
  EXPECT_EQ(a.column, 5u);
  EXPECT_EQ(a.start, 0u);
  EXPECT_EQ(a.end, 24u);
  EXPECT_NEAR(a.beta, 1.5, 0.05);
  EXPECT_EQ(b.column, 30u);
  EXPECT_EQ(b.start, 44u);
  EXPECT_EQ(b.end, 64u);
  EXPECT_NEAR(b.beta, 0.8, 0.05);
}

TEST(ExplainLoss, FindsADisconnectedConsumerByHisUsualLoadAndNotHisNeighbours) {
  auto x = consumers();
  // Consumer 9 is disconnected from interval 20: his meter records nothing, but from interval 36
  // he draws 60 % of his load around it. His usual load (what his history shows) is the
  // evening shape without today's switching; what he really draws wobbles around it.
  std::vector<double> usual(64, 0);
  std::vector<double> u(64);
  for (std::size_t t = 0; t < u.size(); ++t) {
    const double shape = 100 + 80 * std::sin(static_cast<double>(t) / 10.0);
    const double drawn = shape * (1.0 + 0.1 * std::sin(static_cast<double>(t) * 2.7));
    if (t >= 20) {
      x[9][t] = 0;
      usual[t] = shape;
    }
    u[t] = 250 + (t >= 36 ? 1.045 * 0.6 * drawn : 0.0);
  }
  const LossExplanation e = explain_loss(u, x, {usual}, {9});
  ASSERT_EQ(e.terms.size(), 1u);
  EXPECT_EQ(e.terms[0].kind, LossTerm::Kind::kUsual);
  EXPECT_EQ(e.terms[0].column, 0u);
  EXPECT_EQ(e.terms[0].start, 36u);
  EXPECT_EQ(e.terms[0].end, 64u);
  EXPECT_NEAR(e.terms[0].beta, 1.045 * 0.6, 0.1);
  EXPECT_NEAR(e.steady, 250, 25);
}

TEST(ExplainLoss, AnHonestDisconnectedConsumerIsNotBlamedForTheShapeOfTheDay) {
  auto x = consumers();
  // Consumer 9 is disconnected from interval 20 and draws nothing. Consumer 4 bypasses 60 % of
  // his load all day, beside a hook: the loss has the evening shape, and so has consumer 9's
  // usual load, but the loss does not step up when consumer 9's relay opens.
  std::vector<double> usual(64, 0);
  std::vector<double> u(64);
  for (std::size_t t = 0; t < u.size(); ++t) {
    if (t >= 20) {
      x[9][t] = 0;
      usual[t] = 100 + 80 * std::sin(static_cast<double>(t) / 10.0);
    }
    u[t] = 300 + 1.5 * x[4][t];
  }
  const LossExplanation e = explain_loss(u, x, {usual}, {9});
  ASSERT_EQ(e.terms.size(), 1u);
  EXPECT_EQ(e.terms[0].kind, LossTerm::Kind::kOwn);
  EXPECT_EQ(e.terms[0].column, 4u);
}

TEST(Correlation, PerfectProportionalUnrelatedAndConstant) {
  const std::vector<double> x{1, 5, 2, 8, 3, 9, 4};
  std::vector<double> y;
  for (double v : x) y.push_back(0.7 * v);
  EXPECT_NEAR(correlation(x, y), 1.0, 1e-12);
  EXPECT_NEAR(correlation(x, {9, 5, 8, 1, 7, 0, 6}), -0.98, 0.02);
  EXPECT_EQ(correlation(x, {2, 2, 2, 2, 2, 2, 2}), 0.0);
  EXPECT_EQ(correlation({1, 2}, {1, 2}), 0.0);  // too short
}

}  // namespace
}  // namespace vidyut::mdm
