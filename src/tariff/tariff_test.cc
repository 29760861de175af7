// The bill engine against bills worked by hand. Every expected amount below is derived in the
// comment above it, the way a utility clerk would check the printed bill: exact arithmetic,
// each line rounded once to the paisa (half away from zero), the total the sum of the lines.
//
// UP-LMV1-URBAN (tariffs/up-lmv1-urban.json): energy 0-100 kWh Rs 5.50, 101-150 Rs 5.50,
// 151-300 Rs 6.00, above 300 Rs 6.50; fixed Rs 110/kW/month prorated by days; duty 5% and
// prepaid rebate 2%, both of (energy + ToD + fixed).
#include "tariff/tariff.h"

#include <gtest/gtest.h>

#include <limits>
#include <utility>
#include <vector>

#include "tariff/tariff_file.h"

namespace vidyut::tariff {
namespace {

const Tariff& builtin(std::string_view code) {
  static const Tariff kEmpty;
  for (const Tariff& t : builtin_tariffs()) {
    if (t.code == code) return t;
  }
  ADD_FAILURE() << "no built-in tariff " << code;
  return kEmpty;
}

const TariffVersion& up_urban() { return builtin("UP-LMV1-URBAN").versions.at(0); }

Usage usage(std::int64_t wh, std::uint32_t sanctioned_w, int days_billed = 30,
            int days_in_month = 30, int month = 6) {
  Usage u;
  u.wh = wh;
  u.sanctioned_load_w = sanctioned_w;
  u.days_billed = days_billed;
  u.days_in_month = days_in_month;
  u.month = month;
  return u;
}

Bill bill_of(const TariffVersion& v, const Usage& u, PaymentMode mode) {
  auto b = compute_bill(v, u, mode);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().describe());
  return b.ok() ? *b : Bill{};
}

using KindAmount = std::pair<LineKind, Paise>;
std::vector<KindAmount> lines_of(const Bill& b) {
  std::vector<KindAmount> out;
  for (const auto& l : b.lines) out.emplace_back(l.kind, l.amount);
  return out;
}

// Checks the bill's totals are the sums of its lines.
void expect_consistent(const Bill& b) {
  Paise energy = 0, fixed = 0, penalty = 0, rebate = 0, duty = 0, total = 0;
  for (const auto& l : b.lines) {
    total += l.amount;
    switch (l.kind) {
      case LineKind::kEnergy:
      case LineKind::kTod:
        energy += l.amount;
        break;
      case LineKind::kFixed:
        fixed += l.amount;
        break;
      case LineKind::kPenalty:
        penalty += l.amount;
        break;
      case LineKind::kRebate:
        rebate += l.amount;
        break;
      case LineKind::kDuty:
        duty += l.amount;
        break;
    }
  }
  EXPECT_EQ(b.energy, energy);
  EXPECT_EQ(b.fixed, fixed);
  EXPECT_EQ(b.penalty, penalty);
  EXPECT_EQ(b.rebate, rebate);
  EXPECT_EQ(b.duty, duty);
  EXPECT_EQ(b.total, total);
}

constexpr auto E = LineKind::kEnergy;
constexpr auto T = LineKind::kTod;
constexpr auto F = LineKind::kFixed;
constexpr auto P = LineKind::kPenalty;
constexpr auto R = LineKind::kRebate;
constexpr auto D = LineKind::kDuty;

// ---- rounding and formatting ----

TEST(RoundDiv, HalfAwayFromZero) {
  EXPECT_EQ(round_div(5, 10), 1);    // 0.5 -> 1
  EXPECT_EQ(round_div(-5, 10), -1);  // -0.5 -> -1
  EXPECT_EQ(round_div(15, 10), 2);   // 1.5 -> 2
  EXPECT_EQ(round_div(25, 10), 3);   // 2.5 -> 3 (not banker's 2)
  EXPECT_EQ(round_div(-25, 10), -3);
  EXPECT_EQ(round_div(4, 10), 0);
  EXPECT_EQ(round_div(-4, 10), 0);
  EXPECT_EQ(round_div(14, 10), 1);
  EXPECT_EQ(round_div(-16, 10), -2);
  EXPECT_EQ(round_div(30, 10), 3);
  EXPECT_EQ(round_div(0, 7), 0);
  EXPECT_EQ(round_div(1, 3), 0);
  EXPECT_EQ(round_div(2, 3), 1);
  EXPECT_EQ(round_div(-2, 3), -1);
  // Large intermediates: (10^33 + 5 x 10^14) / 10^15 = 10^18 + 0.5 -> 10^18 + 1.
  const Int128 e15 = 1'000'000'000'000'000;
  const Int128 big = static_cast<Int128>(1'000'000'000'000'000'000) * e15 + 500'000'000'000'000;
  EXPECT_EQ(round_div(big, e15), 1'000'000'000'000'000'001);
  EXPECT_EQ(round_div(-big, e15), -1'000'000'000'000'000'001);
  EXPECT_EQ(round_div(big - 1, e15), 1'000'000'000'000'000'000);
}

TEST(FormatRupees, IndianDigitGrouping) {
  EXPECT_EQ(format_rupees(0), "Rs 0.00");
  EXPECT_EQ(format_rupees(5), "Rs 0.05");
  EXPECT_EQ(format_rupees(550), "Rs 5.50");
  EXPECT_EQ(format_rupees(123'456), "Rs 1,234.56");
  EXPECT_EQ(format_rupees(99'999), "Rs 999.99");
  EXPECT_EQ(format_rupees(100'000), "Rs 1,000.00");
  EXPECT_EQ(format_rupees(12'345'678), "Rs 1,23,456.78");
  EXPECT_EQ(format_rupees(1'234'567'890), "Rs 1,23,45,678.90");
  EXPECT_EQ(format_rupees(-1'200), "-Rs 12.00");
  EXPECT_EQ(format_rupees(-12'345'678), "-Rs 1,23,456.78");
  EXPECT_EQ(format_rupees(std::numeric_limits<Paise>::min()), "-Rs 92,23,37,20,36,85,47,758.08");
}

TEST(Format, KwhPercentMultiplierAndTime) {
  EXPECT_EQ(format_kwh(100'001), "100.001");
  EXPECT_EQ(format_kwh(0), "0.000");
  EXPECT_EQ(format_kwh(3'500), "3.500");
  EXPECT_EQ(format_kwh(-1'500), "-1.500");
  EXPECT_EQ(format_percent_bp(500), "5%");
  EXPECT_EQ(format_percent_bp(250), "2.5%");
  EXPECT_EQ(format_percent_bp(1'234), "12.34%");
  EXPECT_EQ(format_percent_bp(5), "0.05%");
  EXPECT_EQ(format_multiplier_bp(13'000), "+30%");
  EXPECT_EQ(format_multiplier_bp(7'500), "-25%");
  EXPECT_EQ(format_multiplier_bp(11'250), "+12.5%");
  EXPECT_EQ(format_hhmm(0), "00:00");
  EXPECT_EQ(format_hhmm(1'080), "18:00");
  EXPECT_EQ(format_hhmm(1'440), "24:00");
}

// ---- UP urban: slab boundaries ----

TEST(UpUrbanBill, Exactly100KwhPostpaid) {
  // Energy 0-100: 100.000 kWh x Rs 5.50        = Rs 550.00
  // Fixed:        1 kW x Rs 110 x 30/30         = Rs 110.00
  // Duty 5% of (550.00 + 110.00) = 5% of 660.00 = Rs  33.00
  // Total                                       = Rs 693.00
  const Bill b = bill_of(up_urban(), usage(100'000, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{{E, 55'000}, {F, 11'000}, {D, 3'300}}));
  EXPECT_EQ(b.total, 69'300);
  expect_consistent(b);
  EXPECT_EQ(b.lines[0].label, "Energy 0-100 kWh");
  EXPECT_EQ(b.lines[0].basis, "100.000 kWh x Rs 5.50/kWh");
  EXPECT_EQ(b.lines[0].quantity, 100'000);
  EXPECT_EQ(b.lines[1].label, "Fixed charge");
  EXPECT_EQ(b.lines[1].basis, "1.000 kW x Rs 110.00/kW x 30/30 days");
  EXPECT_EQ(b.lines[1].quantity, 1'000);
  EXPECT_EQ(b.lines[2].label, "Electricity duty 5%");
  EXPECT_EQ(b.lines[2].basis, "5% of Rs 660.00 (energy + fixed)");
  EXPECT_EQ(b.lines[2].quantity, 66'000);
}

TEST(UpUrbanBill, Exactly100KwhPrepaidGetsTheRebate) {
  // As postpaid (energy 550.00, fixed 110.00, duty 33.00), plus
  // Prepaid rebate -2% of 660.00 = -Rs 13.20.  Total 693.00 - 13.20 = Rs 679.80.
  const Bill b = bill_of(up_urban(), usage(100'000, 1'000), PaymentMode::kPrepaid);
  EXPECT_EQ(lines_of(b),
            (std::vector<KindAmount>{{E, 55'000}, {F, 11'000}, {R, -1'320}, {D, 3'300}}));
  EXPECT_EQ(b.total, 67'980);
  EXPECT_EQ(b.rebate, -1'320);
  expect_consistent(b);
  EXPECT_EQ(b.lines[2].label, "Prepaid rebate 2%");
  EXPECT_EQ(b.lines[2].basis, "-2% of Rs 660.00 (energy + fixed)");
}

TEST(UpUrbanBill, OneWattHourPast100KwhOpensTheSecondSlab) {
  // 100001 Wh = 100.001 kWh.
  // Energy 0-100:   100.000 kWh x Rs 5.50 = 55000 paise
  // Energy 101-150:   0.001 kWh x Rs 5.50 = 0.55 paise -> 1 paisa
  // Fixed 1 kW x 30/30                    = 11000
  // Duty 5% of (55000 + 1 + 11000) = 5% of 66001 = 3300.05 -> 3300
  // Total 55000 + 1 + 11000 + 3300 = 69301
  const Bill b = bill_of(up_urban(), usage(100'001, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{{E, 55'000}, {E, 1}, {F, 11'000}, {D, 3'300}}));
  EXPECT_EQ(b.total, 69'301);
  EXPECT_EQ(b.lines[1].label, "Energy 101-150 kWh");
  EXPECT_EQ(b.lines[1].basis, "0.001 kWh x Rs 5.50/kWh");
  EXPECT_EQ(b.lines[1].quantity, 1);
  // Prepaid: rebate -2% of 66001 = -1320.02 -> -1320; total 69301 - 1320 = 67981.
  EXPECT_EQ(bill_of(up_urban(), usage(100'001, 1'000), PaymentMode::kPrepaid).total, 67'981);
}

TEST(UpUrbanBill, Exactly150Kwh) {
  // 0-100:   100 x 5.50 = 550.00
  // 101-150:  50 x 5.50 = 275.00
  // Fixed 1 kW          = 110.00
  // Duty 5% of 935.00   =  46.75
  // Total               = 981.75
  const Bill b = bill_of(up_urban(), usage(150'000, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b),
            (std::vector<KindAmount>{{E, 55'000}, {E, 27'500}, {F, 11'000}, {D, 4'675}}));
  EXPECT_EQ(b.total, 98'175);
  EXPECT_EQ(b.energy, 82'500);
  expect_consistent(b);
}

TEST(UpUrbanBill, Exactly300Kwh) {
  // 0-100 550.00 + 101-150 275.00 + 151-300 (150 x 6.00) 900.00 = 1725.00
  // Fixed 110.00; duty 5% of 1835.00 = 91.75; total 1926.75
  const Bill b = bill_of(up_urban(), usage(300'000, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{
                             {E, 55'000}, {E, 27'500}, {E, 90'000}, {F, 11'000}, {D, 9'175}}));
  EXPECT_EQ(b.total, 192'675);
  EXPECT_EQ(b.lines[2].label, "Energy 151-300 kWh");
  EXPECT_EQ(b.lines[2].basis, "150.000 kWh x Rs 6.00/kWh");
  expect_consistent(b);
}

TEST(UpUrbanBill, ZeroKwhPaysOnlyTheFixedChargeAndItsDuty) {
  // No energy lines; fixed 110.00; duty 5% of 110.00 = 5.50; total 115.50.
  const Bill b = bill_of(up_urban(), usage(0, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{{F, 11'000}, {D, 550}}));
  EXPECT_EQ(b.total, 11'550);
  // Prepaid: rebate -2% of 110.00 = -2.20; total 113.30.
  EXPECT_EQ(bill_of(up_urban(), usage(0, 1'000), PaymentMode::kPrepaid).total, 11'330);
}

TEST(UpUrbanBill, Thousand_KwhTwoKw) {
  // 0-100    100 x 5.50 =  550.00
  // 101-150   50 x 5.50 =  275.00
  // 151-300  150 x 6.00 =  900.00
  // >300     700 x 6.50 = 4550.00
  // Fixed 2 kW x 110.00 x 30/30 = 220.00
  // Base 550 + 275 + 900 + 4550 + 220 = 6495.00
  // Postpaid: duty 5% = 324.75, total 6819.75
  // Prepaid:  rebate -2% = -129.90, duty 324.75, total 6689.85
  const Bill post = bill_of(up_urban(), usage(1'000'000, 2'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(post),
            (std::vector<KindAmount>{
                {E, 55'000}, {E, 27'500}, {E, 90'000}, {E, 455'000}, {F, 22'000}, {D, 32'475}}));
  EXPECT_EQ(post.total, 681'975);
  EXPECT_EQ(post.lines[3].label, "Energy above 300 kWh");
  EXPECT_EQ(post.lines[3].basis, "700.000 kWh x Rs 6.50/kWh");
  const Bill pre = bill_of(up_urban(), usage(1'000'000, 2'000), PaymentMode::kPrepaid);
  EXPECT_EQ(pre.rebate, -12'990);
  EXPECT_EQ(pre.duty, 32'475);
  EXPECT_EQ(pre.total, 668'985);
  expect_consistent(pre);
}

TEST(UpUrbanBill, WorkedExampleOfTheDocs) {
  // docs/tariffs.md: 2 kW, 250 kWh, 30-day month.
  // 0-100 550.00; 101-150 275.00; 151-300 (100 x 6.00) 600.00; fixed 220.00; base 1645.00.
  // Postpaid: duty 82.25; total 1727.25.  Prepaid: rebate -32.90; total 1694.35.
  EXPECT_EQ(bill_of(up_urban(), usage(250'000, 2'000), PaymentMode::kPostpaid).total, 172'725);
  const Bill pre = bill_of(up_urban(), usage(250'000, 2'000), PaymentMode::kPrepaid);
  EXPECT_EQ(lines_of(pre),
            (std::vector<KindAmount>{
                {E, 55'000}, {E, 27'500}, {E, 60'000}, {F, 22'000}, {R, -3'290}, {D, 8'225}}));
  EXPECT_EQ(pre.total, 169'435);
}

// ---- fixed charge ----

TEST(UpUrbanBill, FixedChargeFullAndPartialMonths) {
  auto fixed = [](std::uint32_t w, int days, int dim) {
    return bill_of(up_urban(), usage(0, w, days, dim), PaymentMode::kPostpaid).fixed;
  };
  EXPECT_EQ(fixed(1'000, 30, 30), 11'000);  // 1 kW x 110.00
  EXPECT_EQ(fixed(2'000, 30, 30), 22'000);  // 2 kW x 110.00
  EXPECT_EQ(fixed(3'500, 30, 30), 38'500);  // 3.5 kW x 110.00 = 385.00
  EXPECT_EQ(fixed(3'500, 31, 31), 38'500);
  // 1 kW x 110.00 x 17/30 = 62.333... -> 62.33
  EXPECT_EQ(fixed(1'000, 17, 30), 6'233);
  // 2 kW x 110.00 x 17/30 = 124.666... -> 124.67
  EXPECT_EQ(fixed(2'000, 17, 30), 12'467);
  // 3.5 kW x 110.00 x 17/30 = 218.1666... -> 218.17
  EXPECT_EQ(fixed(3'500, 17, 30), 21'817);
  // 1 kW x 110.00 x 17/31 = 60.3225... -> 60.32
  EXPECT_EQ(fixed(1'000, 17, 31), 6'032);
  // 1 kW x 110.00 x 14/28 = 55.00 (February)
  EXPECT_EQ(fixed(1'000, 14, 28), 5'500);
  EXPECT_EQ(fixed(1'000, 0, 30), 0);
  const Bill b = bill_of(up_urban(), usage(0, 3'500, 17, 30), PaymentMode::kPostpaid);
  EXPECT_EQ(b.lines[0].basis, "3.500 kW x Rs 110.00/kW x 17/30 days");
  EXPECT_EQ(b.lines[0].quantity, 3'500);
}

// ---- lifeline ----

TEST(LifelineBill, CheapFirstHundredThenUrbanRates) {
  const TariffVersion& v = builtin("UP-LMV1-LIFELINE").versions.at(0);
  // 80 kWh x 3.00 = 240.00; fixed 1 kW x 50.00 = 50.00; duty 5% of 290.00 = 14.50; total 304.50
  const Bill small = bill_of(v, usage(80'000, 1'000), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(small), (std::vector<KindAmount>{{E, 24'000}, {F, 5'000}, {D, 1'450}}));
  EXPECT_EQ(small.total, 30'450);
  // 120 kWh: 100 x 3.00 = 300.00 and 20 x 5.50 = 110.00; fixed 50.00; duty 5% of 460.00 = 23.00
  // Prepaid rebate -2% of 460.00 = -9.20.  Total 460.00 - 9.20 + 23.00 = 473.80
  const Bill big = bill_of(v, usage(120'000, 1'000), PaymentMode::kPrepaid);
  EXPECT_EQ(lines_of(big),
            (std::vector<KindAmount>{{E, 30'000}, {E, 11'000}, {F, 5'000}, {R, -920}, {D, 2'300}}));
  EXPECT_EQ(big.total, 47'380);
}

// ---- rounding ----

TEST(Rounding, LinesThatLandOnHalfAPaisaRoundAwayFromZero) {
  // UP urban, 10 Wh: 0.010 kWh x Rs 5.50 = 5.5 paise -> 6 paise (not 5: half away from zero).
  const Bill b = bill_of(up_urban(), usage(10, 0), PaymentMode::kPostpaid);
  ASSERT_FALSE(b.lines.empty());
  EXPECT_EQ(b.lines[0].kind, E);
  EXPECT_EQ(b.lines[0].amount, 6);

  // A tariff of Re 1.00/kWh, 5% duty and a 5% prepaid rebate; 100 Wh = 10 paise of energy.
  // Rebate -5% of 10 paise = -0.5 -> -1 paisa; duty 5% of 10 paise = +0.5 -> +1 paisa.
  TariffVersion v;
  v.slabs = {Slab{0, 100}};
  v.duty_bp = 500;
  v.prepaid_rebate_bp = 500;
  const Bill half = bill_of(v, usage(100, 0), PaymentMode::kPrepaid);
  EXPECT_EQ(lines_of(half), (std::vector<KindAmount>{{E, 10}, {R, -1}, {D, 1}}));
  EXPECT_EQ(half.total, 10);
  EXPECT_EQ(half.lines[0].label, "Energy");
}

TEST(Rounding, EachLineIsRoundedOnceAndTheTotalIsTheirSum) {
  // 3 slabs each worth x.4 paise: rounding each gives 3 x 0 extra; rounding the sum would add 1.
  // Rates 1 paise/kWh; 400 Wh in each of slabs 1 and 2 (0.4 paise each) and 400 Wh in slab 3.
  TariffVersion v;
  v.slabs = {Slab{400, 1}, Slab{800, 1}, Slab{0, 1}};
  const Bill b = bill_of(v, usage(1'200, 0), PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{{E, 0}, {E, 0}, {E, 0}}));
  EXPECT_EQ(b.total, 0);
}

// ---- time of day ----

TEST(TodBill, WinterSplitWorkedByHand) {
  // EXAMPLE-TOD in January (winter: morning-peak +30%, solar -25%, evening-peak +30%).
  // 250 kWh, 2 kW, 31/31 days; 30 kWh morning peak, 80 kWh solar, 40 kWh evening peak.
  // Slab energy E = 550.00 + 275.00 + 600.00 = 1425.00
  // morning-peak: 1425.00 x 30/250 x 0.30 =  51.30
  // solar:        1425.00 x 80/250 x -0.25 = -114.00
  // evening-peak: 1425.00 x 40/250 x 0.30 =  68.40
  // Fixed 2 kW x 110.00 x 31/31 = 220.00
  // Base = 1425.00 + 51.30 - 114.00 + 68.40 + 220.00 = 1650.70
  // Duty 5% of 1650.70 = 82.535 -> 82.54 (half away from zero)
  // Prepaid rebate -2% of 1650.70 = -33.014 -> -33.01
  // Prepaid total 1650.70 - 33.01 + 82.54 = 1700.23; postpaid 1650.70 + 82.54 = 1733.24
  const TariffVersion& v = builtin("EXAMPLE-TOD").versions.at(0);
  Usage u = usage(250'000, 2'000, 31, 31, 1);
  u.wh_by_block = {30'000, 80'000, 40'000};
  const Bill b = bill_of(v, u, PaymentMode::kPrepaid);
  EXPECT_EQ(lines_of(b), (std::vector<KindAmount>{{E, 55'000},
                                                  {E, 27'500},
                                                  {E, 60'000},
                                                  {T, 5'130},
                                                  {T, -11'400},
                                                  {T, 6'840},
                                                  {F, 22'000},
                                                  {R, -3'301},
                                                  {D, 8'254}}));
  EXPECT_EQ(b.energy, 143'070);
  EXPECT_EQ(b.total, 170'023);
  expect_consistent(b);
  EXPECT_EQ(b.lines[3].label, "ToD morning-peak (+30%)");
  EXPECT_EQ(b.lines[3].basis, "energy Rs 1,425.00 x 30.000/250.000 kWh x +30%");
  EXPECT_EQ(b.lines[3].quantity, 30'000);
  EXPECT_EQ(b.lines[4].label, "ToD solar (-25%)");
  EXPECT_EQ(b.lines[8].basis, "5% of Rs 1,650.70 (energy + ToD + fixed)");
  EXPECT_EQ(bill_of(v, u, PaymentMode::kPostpaid).total, 173'324);
}

TEST(TodBill, ToDUsesTheUnroundedEnergyCharge) {
  // 250 kWh with 33.333 kWh in the morning peak:
  // 1425.00 x 33.333/250 x 0.30 = 56.99943 -> 57.00
  const TariffVersion& v = builtin("EXAMPLE-TOD").versions.at(0);
  Usage u = usage(250'000, 2'000, 31, 31, 12);
  u.wh_by_block = {33'333};
  const Bill b = bill_of(v, u, PaymentMode::kPostpaid);
  ASSERT_EQ(b.lines.size(), 6u);
  EXPECT_EQ(b.lines[3].kind, T);
  EXPECT_EQ(b.lines[3].amount, 5'700);
  // With 100.001 kWh the energy charge has a fraction of a paisa: E = 550.00 + 0.0055 =
  // 550.0055 and the basis shows it exactly. All of it in solar: 550.0055 x -0.25 = -137.501375
  // -> -137.50.
  Usage w = usage(100'001, 1'000, 31, 31, 1);
  w.wh_by_block = {0, 100'001, 0};
  const Bill c = bill_of(v, w, PaymentMode::kPostpaid);
  ASSERT_EQ(c.lines.size(), 5u);
  EXPECT_EQ(c.lines[2].kind, T);
  EXPECT_EQ(c.lines[2].amount, -13'750);
  EXPECT_EQ(c.lines[2].basis, "energy Rs 550.0055 x 100.001/100.001 kWh x -25%");
}

TEST(TodBill, SeasonComesFromTheMonth) {
  // July is summer: block 0 is solar -20%. 100 kWh all solar: 550.00 x -0.20 = -110.00.
  const TariffVersion& v = builtin("EXAMPLE-TOD").versions.at(0);
  Usage u = usage(100'000, 1'000, 31, 31, 7);
  u.wh_by_block = {100'000, 0};
  const Bill b = bill_of(v, u, PaymentMode::kPostpaid);
  ASSERT_GE(b.lines.size(), 2u);
  EXPECT_EQ(b.lines[1].label, "ToD solar (-20%)");
  EXPECT_EQ(b.lines[1].amount, -11'000);
  // July has two blocks, so energy in a third is refused.
  u.wh_by_block = {0, 0, 1};
  EXPECT_FALSE(compute_bill(v, u, PaymentMode::kPostpaid).ok());
}

TEST(TodBill, ZeroVectorIsAcceptedWithoutToD) {
  Usage u = usage(100'000, 1'000);
  u.wh_by_block = {0, 0, 0};
  const Bill b = bill_of(up_urban(), u, PaymentMode::kPostpaid);
  EXPECT_EQ(b.total, 69'300);
  u.wh_by_block = {1};
  auto r = compute_bill(up_urban(), u, PaymentMode::kPostpaid);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

// ---- excess demand ----

TEST(PenaltyBill, ExcessDemandAboveSanctionedLoad) {
  // UP urban with a Rs 100/kW excess-demand rate (the shipped file has 0).
  // 100 kWh, 2 kW sanctioned, max demand 2.750 kW: excess 0.750 kW x Rs 100.00 = 75.00.
  // Energy 550.00; fixed 220.00; duty 5% of 770.00 = 38.50 (the penalty carries no duty).
  // Postpaid total 550.00 + 220.00 + 75.00 + 38.50 = 883.50.
  TariffVersion v = up_urban();
  v.excess_demand_paise_per_kw = 10'000;
  Usage u = usage(100'000, 2'000);
  u.max_demand_w = 2'750;
  const Bill b = bill_of(v, u, PaymentMode::kPostpaid);
  EXPECT_EQ(lines_of(b),
            (std::vector<KindAmount>{{E, 55'000}, {F, 22'000}, {P, 7'500}, {D, 3'850}}));
  EXPECT_EQ(b.total, 88'350);
  EXPECT_EQ(b.penalty, 7'500);
  EXPECT_EQ(b.lines[2].label, "Excess demand penalty");
  EXPECT_EQ(b.lines[2].basis, "(2.750 - 2.000) kW x Rs 100.00/kW");
  EXPECT_EQ(b.lines[2].quantity, 750);
  // Prepaid: the rebate is on 770.00 as well (-15.40), not on the penalty.
  EXPECT_EQ(bill_of(v, u, PaymentMode::kPrepaid).rebate, -1'540);
  // At or below the sanctioned load: no penalty line.
  u.max_demand_w = 2'000;
  EXPECT_EQ(bill_of(v, u, PaymentMode::kPostpaid).penalty, 0);
  EXPECT_EQ(bill_of(v, u, PaymentMode::kPostpaid).lines.size(), 3u);
  // 1 W over at Rs 5.00/kW: 0.5 paise -> 1 paisa.
  v.excess_demand_paise_per_kw = 500;
  u.max_demand_w = 2'001;
  EXPECT_EQ(bill_of(v, u, PaymentMode::kPostpaid).penalty, 1);
  // The shipped UP figure is 0: no penalty at any demand.
  u.max_demand_w = 9'000;
  EXPECT_EQ(bill_of(up_urban(), u, PaymentMode::kPostpaid).penalty, 0);
}

// ---- versions ----

TEST(TariffVersions, NewVersionTakesEffectOnItsDate) {
  Tariff t;
  t.code = "TEST";
  TariffVersion a;
  a.effective_from = {2022, 4, 1};
  a.slabs = {Slab{0, 550}};
  TariffVersion b = a;
  b.effective_from = {2024, 4, 1};
  b.slabs = {Slab{0, 600}};
  t.versions = {a, b};
  ASSERT_TRUE(validate(t).ok());
  EXPECT_EQ(t.version_at({2022, 3, 31}), nullptr);
  EXPECT_EQ(t.version_at({2022, 4, 1}), &t.versions[0]);
  EXPECT_EQ(t.version_at({2024, 3, 31}), &t.versions[0]);
  EXPECT_EQ(t.version_at({2024, 4, 1}), &t.versions[1]);
  EXPECT_EQ(t.version_at({2030, 1, 1}), &t.versions[1]);
  // 100 kWh on the day before and the day of the change: Rs 550.00 then Rs 600.00.
  const Usage u = usage(100'000, 0);
  EXPECT_EQ(bill_of(*t.version_at({2024, 3, 31}), u, PaymentMode::kPostpaid).total, 55'000);
  EXPECT_EQ(bill_of(*t.version_at({2024, 4, 1}), u, PaymentMode::kPostpaid).total, 60'000);
}

// ---- tod_block ----

UtcTime ist(CivilDate d, int hour, int minute) {
  return ist_midnight(d) + std::chrono::minutes(hour * 60 + minute);
}

TEST(TodBlock, FindsTheBlockOfAnIntervalInIst) {
  const TariffVersion& v = builtin("EXAMPLE-TOD").versions.at(0);
  int season = 99;
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 5, 45), &season), -1);  // normal
  EXPECT_EQ(season, 0);                                             // winter
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 6, 0)), 0);             // morning-peak
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 8, 45)), 0);
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 9, 0)), 1);  // solar
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 16, 45)), 1);
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 17, 0)), -1);
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 18, 0)), 2);  // evening-peak
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 21, 45)), 2);
  EXPECT_EQ(tod_block(v, ist({2026, 1, 15}, 22, 0)), -1);
  // 06:00 IST is 00:30 UTC: the IST minute decides, not the UTC one.
  EXPECT_EQ(tod_block(v, UtcTime(parse_iso8601("2026-01-15T00:30:00Z").value_or(UtcTime{}))), 0);
  // July is summer: solar then peak 19:00-23:00.
  EXPECT_EQ(tod_block(v, ist({2026, 7, 1}, 19, 0), &season), 1);
  EXPECT_EQ(season, 1);
  EXPECT_EQ(tod_block(v, ist({2026, 7, 1}, 18, 0)), -1);
  // The season follows the IST date: 2026-02-28 18:30 UTC is 1 March IST (summer, 00:00 normal).
  EXPECT_EQ(tod_block(v, ist({2026, 3, 1}, 0, 0), &season), -1);
  EXPECT_EQ(season, 1);
  // No ToD at all.
  EXPECT_EQ(tod_block(up_urban(), ist({2026, 1, 15}, 7, 0), &season), -1);
  EXPECT_EQ(season, -1);
}

TEST(TodBlock, BlocksWrapPastMidnight) {
  TariffVersion v;
  v.slabs = {Slab{0, 500}};
  v.tod = {TodSeason{
      "all", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {TodBlock{"night", 22 * 60, 6 * 60, 8'000}}}};
  ASSERT_TRUE(validate_version(v).ok());
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 22, 0)), 0);
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 23, 59)), 0);
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 0, 0)), 0);
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 5, 59)), 0);
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 6, 0)), -1);
  EXPECT_EQ(tod_block(v, ist({2026, 5, 1}, 21, 59)), -1);
}

// ---- validation ----

TEST(Validate, ShippedTariffsAreValid) {
  ASSERT_EQ(builtin_tariffs().size(), builtin_tariff_files().size());
  for (const Tariff& t : builtin_tariffs()) EXPECT_TRUE(validate(t).ok()) << t.code;
}

Tariff valid_tariff() {
  Tariff t;
  t.code = "X";
  TariffVersion v;
  v.effective_from = {2025, 4, 1};
  v.slabs = {Slab{100'000, 300}, Slab{0, 500}};
  v.tod = {TodSeason{"winter", {11, 12, 1, 2}, {TodBlock{"peak", 18 * 60, 22 * 60, 13'000}}}};
  t.versions = {v};
  return t;
}

void expect_invalid(const Tariff& t, std::string_view fragment) {
  auto s = validate(t);
  ASSERT_FALSE(s.ok()) << "expected: " << fragment;
  EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
  EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
}

TEST(Validate, RejectsBrokenTariffs) {
  ASSERT_TRUE(validate(valid_tariff()).ok());
  Tariff t = valid_tariff();
  t.code.clear();
  expect_invalid(t, "code is empty");
  t = valid_tariff();
  t.versions.clear();
  expect_invalid(t, "no versions");
  t = valid_tariff();
  t.versions[0].slabs.clear();
  expect_invalid(t, "no slabs");
  t = valid_tariff();
  t.versions[0].slabs = {Slab{0, 300}, Slab{0, 500}};
  expect_invalid(t, "slab 1 is unbounded but not the last");
  t = valid_tariff();
  t.versions[0].slabs = {Slab{100'000, 300}, Slab{200'000, 500}};
  expect_invalid(t, "last slab must be unbounded");
  t = valid_tariff();
  t.versions[0].slabs = {Slab{100'000, 300}, Slab{100'000, 400}, Slab{0, 500}};
  expect_invalid(t, "must be above the previous bound");
  t = valid_tariff();
  t.versions[0].slabs[0].rate_paise_per_kwh = -1;
  expect_invalid(t, "rate -1");
  t = valid_tariff();
  t.versions[0].duty_bp = 10'001;
  expect_invalid(t, "duty");
  t = valid_tariff();
  t.versions[0].prepaid_rebate_bp = -5;
  expect_invalid(t, "rebate");
  t = valid_tariff();
  t.versions[0].fixed_paise_per_kw_month = -1;
  expect_invalid(t, "fixed charge");
  t = valid_tariff();
  t.versions[0].excess_demand_paise_per_kw = -1;
  expect_invalid(t, "excess-demand");
  t = valid_tariff();
  t.versions[0].effective_from = {2025, 2, 30};
  expect_invalid(t, "not a real date");
  t = valid_tariff();
  t.versions.push_back(t.versions[0]);
  expect_invalid(t, "strictly increasing");
  t = valid_tariff();
  t.versions[0].tod[0].blocks.push_back(TodBlock{"late", 21 * 60, 23 * 60, 12'000});
  expect_invalid(t, "overlaps block \"peak\" at 21:00");
  t = valid_tariff();
  t.versions[0].tod[0].blocks.push_back(TodBlock{"night", 23 * 60, 19 * 60, 9'000});  // wraps
  expect_invalid(t, "overlaps block \"peak\" at 18:00");
  t = valid_tariff();
  t.versions[0].tod.push_back(TodSeason{"spring", {2, 3}, {}});
  expect_invalid(t, "month 2 is already in season \"winter\"");
  t = valid_tariff();
  t.versions[0].tod[0].months.push_back(13);
  expect_invalid(t, "month 13 outside 1-12");
  t = valid_tariff();
  t.versions[0].tod[0].blocks[0].end_minute = 1'441;
  expect_invalid(t, "end minute 1441");
  t = valid_tariff();
  t.versions[0].tod[0].blocks[0].start_minute = 1'440;
  expect_invalid(t, "start minute 1440");
  t = valid_tariff();
  t.versions[0].tod[0].blocks[0].end_minute = 18 * 60;
  expect_invalid(t, "start equals end");
  t = valid_tariff();
  t.versions[0].tod[0].blocks[0].multiplier_bp = -1;
  expect_invalid(t, "multiplier -1");
  // Blocks that touch (one ends where the next starts) do not overlap; 24:00 is an end.
  t = valid_tariff();
  t.versions[0].tod[0].blocks.push_back(TodBlock{"late", 22 * 60, 24 * 60, 12'000});
  EXPECT_TRUE(validate(t).ok());
}

TEST(ComputeBill, RejectsImpossibleUsage) {
  const TariffVersion& v = builtin("EXAMPLE-TOD").versions.at(0);
  auto rejects = [&](const Usage& u, std::string_view fragment) {
    auto r = compute_bill(v, u, PaymentMode::kPrepaid);
    ASSERT_FALSE(r.ok()) << fragment;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  };
  Usage u = usage(-1, 1'000);
  rejects(u, "negative energy");
  u = usage(100, 1'000);
  u.max_demand_w = -1;
  rejects(u, "max demand");
  u = usage(1'000, 1'000, 31, 31, 1);
  u.wh_by_block = {600, 500};  // 1100 Wh in blocks of a 1000 Wh month
  rejects(u, "more than the month's");
  u.wh_by_block = {-1};
  rejects(u, "negative energy");
  u.wh_by_block = {0, 0, 0, 5};  // winter has three blocks
  rejects(u, "ToD block 3");
  u = usage(1'000, 1'000, 31, 30);
  rejects(u, "days_billed 31");
  u = usage(1'000, 1'000, -1, 30);
  rejects(u, "days_billed -1");
  u = usage(1'000, 1'000, 20, 27);
  rejects(u, "days_in_month 27");
  u = usage(1'000, 1'000, 30, 30, 13);
  rejects(u, "month 13");
  u = usage(1'000, 1'000, 30, 30, 0);
  rejects(u, "month 0");
  u = usage(kMaxUsageWh + 1, 1'000);
  rejects(u, "above the limit");
  TariffVersion broken = v;
  broken.slabs.clear();
  EXPECT_FALSE(compute_bill(broken, usage(1, 1), PaymentMode::kPrepaid).ok());
}

TEST(ComputeBill, LargestUsageStaysExact) {
  // 1 TWh at the highest rates: no overflow, and the ToD line is still exact.
  TariffVersion v;
  v.slabs = {Slab{0, kMaxRatePaisePerKwh}};
  v.fixed_paise_per_kw_month = kMaxFixedPaisePerKwMonth;
  v.tod = {TodSeason{"all", {6}, {TodBlock{"peak", 0, 720, kMaxMultiplierBp}}}};
  v.duty_bp = kMaxPercentBp;
  Usage u = usage(kMaxUsageWh, 4'000'000'000u);
  u.wh_by_block = {kMaxUsageWh};
  const Bill b = bill_of(v, u, PaymentMode::kPostpaid);
  // Energy 10^9 kWh x Rs 10,000 = 10^15 paise; ToD +900% = 9 x 10^15.
  ASSERT_EQ(b.lines.size(), 4u);
  EXPECT_EQ(b.lines[0].amount, 1'000'000'000'000'000);
  EXPECT_EQ(b.lines[1].amount, 9'000'000'000'000'000);
  expect_consistent(b);
}

TEST(LineKind, Names) {
  EXPECT_STREQ(to_string(LineKind::kEnergy), "energy");
  EXPECT_STREQ(to_string(LineKind::kTod), "tod");
  EXPECT_STREQ(to_string(LineKind::kFixed), "fixed");
  EXPECT_STREQ(to_string(LineKind::kPenalty), "penalty");
  EXPECT_STREQ(to_string(LineKind::kRebate), "rebate");
  EXPECT_STREQ(to_string(LineKind::kDuty), "duty");
  EXPECT_STREQ(to_string(PaymentMode::kPrepaid), "prepaid");
  EXPECT_STREQ(to_string(PaymentMode::kPostpaid), "postpaid");
}

}  // namespace
}  // namespace vidyut::tariff
