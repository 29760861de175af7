// Validated data kept with its history: an estimate made, revised and replaced when the reading
// arrives; flags recorded and cleared; an operator's edit kept over everything until withdrawn;
// what billing charges before and after the reading arrives; the continuous run over a store;
// a failed write that leaves nothing half done.
#include "mdm/vee_book.h"

#include <gtest/gtest.h>

#include "dlms/axdr/data.h"
#include "mdm/network.h"
#include "store/sqlite_store.h"
#include "tariff/calendar.h"

namespace vidyut::mdm {
namespace {

const UtcTime kDay = parse_iso8601("2026-12-04T18:30:00Z").value();  // 5 Dec 00:00 IST
UtcTime slot(int i) { return kDay + Millis(std::int64_t{i} * 900'000); }

struct Rig {
  std::filesystem::path dir;
  ManualClock clock{kDay};
  std::unique_ptr<VeeBook> book;
  explicit Rig(const char* name) : dir(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(dir);
    auto b = VeeBook::open(dir, clock);
    EXPECT_TRUE(b.ok()) << b.error().message;
    book = std::move(*b);
  }
  ~Rig() {
    book.reset();
    std::filesystem::remove_all(dir);
  }
};

store::IntervalReading reading(std::int64_t meter, int i, std::int64_t wh) {
  store::IntervalReading x;
  x.meter_id = meter;
  x.start = slot(i);
  x.import_wh = wh;
  return x;
}

VeeInput day_of(std::int64_t meter, std::initializer_list<int> missing) {
  VeeInput in;
  in.meter_id = meter;
  in.day = kDay;
  in.until = kDay + std::chrono::days(1);
  for (int i = 0; i < 96; ++i) {
    if (std::find(missing.begin(), missing.end(), i) == missing.end()) {
      in.rows.push_back(reading(meter, i, 100 + i));
    }
  }
  return in;
}

TEST(VeeBook, AnEstimateIsKeptRevisedAndReplacedWithItsHistory) {
  Rig rig("vidyut-vee-book-1");
  // Slots 10 and 11 missing: estimated.
  auto a = rig.book->apply(validate_day(day_of(7, {10, 11})));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->estimated, 2u);
  auto recs = rig.book->records(7, kDay, kDay + std::chrono::days(1));
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].method, VeeMethod::kLinear);
  EXPECT_EQ((*recs)[0].wh, 110);
  EXPECT_FALSE((*recs)[0].raw_wh);
  EXPECT_EQ((*recs)[0].flags, kVeeGap | kVeeEstimated);
  // The same validation again changes nothing.
  a = rig.book->apply(validate_day(day_of(7, {10, 11})));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->changes(), 0u);
  // Slot 12 goes missing too (its reading was withdrawn): 10 and 11 re-estimated on a new line.
  VeeInput in = day_of(7, {10, 11, 12});
  in.rows[10].import_wh = 200;  // slot 13 now 200
  a = rig.book->apply(validate_day(in));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->re_estimated, 2u);
  EXPECT_EQ(a->estimated, 1u);
  // The readings arrive: replaced, and the book is empty again.
  rig.clock.advance(Millis(3'600'000));
  a = rig.book->apply(validate_day(day_of(7, {})));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->replaced, 3u);
  EXPECT_TRUE(rig.book->records(7, kDay, kDay + std::chrono::days(1))->empty());
  auto h = rig.book->history(7, kDay, kDay + std::chrono::days(1));
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 8u);
  EXPECT_EQ((*h)[0].action, "estimate");
  EXPECT_EQ((*h)[0].actor, "mdm:vee");
  EXPECT_EQ((*h)[2].action, "re-estimate");
  EXPECT_EQ(h->back().action, "replace");
  EXPECT_EQ(h->back().old_wh, 177);  // the line from 109 (slot 9) to 200 (slot 13)
  EXPECT_EQ(h->back().new_wh, 112);
  EXPECT_EQ(h->back().at, rig.clock.now());
  auto counts = rig.book->change_counts(kDay, rig.clock.now() + Millis(1));
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["estimate"], 3u);
  EXPECT_EQ((*counts)["replace"], 3u);
}

TEST(VeeBook, FlagsAreRecordedAndClearedAndGapsInOutagesKept) {
  Rig rig("vidyut-vee-book-2");
  VeeInput in = day_of(7, {40});
  in.rows[20].import_wh = 0;                                      // zero while supplied
  in.no_supply.push_back({slot(39) + Millis(60'000), slot(41)});  // 40 missing: not estimated
  auto a = rig.book->apply(validate_day(in));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->flagged, 2u);  // 20 zero-supplied; 39 (an actual reading) in the outage
  auto recs = rig.book->records(0, kDay, kDay + std::chrono::days(1));
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].flags, kVeeZeroSupplied);
  EXPECT_EQ((*recs)[0].raw_wh, 0);
  EXPECT_EQ((*recs)[1].flags, kVeePowerFailure);
  // A gap left unestimated needs no record: the missing reading says it.
  EXPECT_TRUE(rig.book->meters_to_revisit(kDay, kDay + std::chrono::days(1))->empty());
  EXPECT_TRUE(rig.book->meters_with_values(kDay, kDay + std::chrono::days(1))->empty());
  a = rig.book->apply(validate_day(day_of(7, {})));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->cleared, 2u);
}

TEST(VeeBook, AnEditNeedsAReasonIsKeptOverValidationAndCanBeWithdrawn) {
  Rig rig("vidyut-vee-book-3");
  EXPECT_EQ(rig.book->edit(7, slot(5), 90, 105, "asha", "").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.book->edit(7, slot(5), -1, 105, "asha", "x").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(
      rig.book->edit(7, slot(5), 90, 105, std::string(kMaxVeeText + 1, 'a'), "x").error().code,
      Errc::kLimitExceeded);
  auto e = rig.book->edit(7, slot(5), 90, 105, "asha", "meter replaced; reading from the old one");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->method, VeeMethod::kEdited);
  // Validation leaves the edit alone.
  auto a = rig.book->apply(validate_day(day_of(7, {})));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->changes(), 0u);
  EXPECT_EQ(rig.book->records(7, slot(5), slot(6))->front().wh, 90);
  EXPECT_EQ(*rig.book->meters_with_values(kDay, slot(96)), std::vector<std::int64_t>{7});
  EXPECT_EQ(rig.book->withdraw_edit(7, slot(6), "asha", "x").error().code, Errc::kNotFound);
  ASSERT_TRUE(rig.book->withdraw_edit(7, slot(5), "ravi", "wrong meter").ok());
  auto h = rig.book->history(7, kDay, slot(96));
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].action, "edit");
  EXPECT_EQ((*h)[0].old_wh, 105);
  EXPECT_EQ((*h)[0].new_wh, 90);
  EXPECT_EQ((*h)[0].reason, "meter replaced; reading from the old one");
  EXPECT_EQ((*h)[1].action, "withdraw");
  EXPECT_EQ((*h)[1].actor, "ravi");
}

TEST(VeeBook, AFailedWriteLeavesNothingHalfDone) {
  Rig rig("vidyut-vee-book-4");
  rig.book->fail_after_statements(3);
  EXPECT_EQ(rig.book->apply(validate_day(day_of(7, {10, 11, 12}))).error().code, Errc::kIo);
  rig.book->fail_after_statements(-1);
  EXPECT_TRUE(rig.book->records(0, kDay, slot(96))->empty());
  EXPECT_TRUE(rig.book->history(0, kDay, slot(96))->empty());
  auto a = rig.book->apply(validate_day(day_of(7, {10, 11, 12})));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->estimated, 3u);
}

// A store with one DT, its meter and two consumers.
struct StoreRig : Rig {
  std::unique_ptr<store::Store> st;
  std::int64_t c1 = 0, c2 = 0;
  explicit StoreRig(const char* name) : Rig(name) {
    auto s = store::open_sqlite_store((dir / "store").string(), clock, {});
    EXPECT_TRUE(s.ok()) << s.error().message;
    st = std::move(*s);
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
    auto meter = [&](const char* serial, const char* consumer, std::uint8_t t) {
      store::MeterInfo m;
      m.serial = serial;
      m.kind = consumer[0] ? "single-phase" : "dt";
      m.manufacturer = "VDY";
      m.system_title = {1, 2, 3, 4, 5, 6, 7, t};
      m.feeder = "F1";
      m.dt = "D1";
      m.consumer_id = consumer;
      rows.emplace_back(m, store::MeterSecrets{});
    };
    meter("DT1", "", 1);
    meter("S1", "C1", 2);
    meter("S2", "C2", 3);
    EXPECT_TRUE(st->upsert_meters(rows).ok());
    c1 = (*st->meter_by_serial("S1"))->id;
    c2 = (*st->meter_by_serial("S2"))->id;
  }
  ~StoreRig() { st.reset(); }
  Network network() { return build_network(*all_meters(*st)); }
  void put(std::int64_t meter, int from, int to) {
    std::vector<store::IntervalReading> rows;
    for (int i = from; i < to; ++i) rows.push_back(reading(meter, i, 100 + i));
    ASSERT_TRUE(st->put_intervals(rows).ok());
  }
  void daily(std::int64_t meter, UtcTime at, std::int64_t wh) {
    store::WriteBatch b;
    store::ProfileRow p;
    p.meter_id = meter;
    p.profile = "daily";
    p.captured = at;
    dlms::Data row = dlms::Data::structure(
        {dlms::Data::octet_string({}),
         dlms::Data::double_long_unsigned(static_cast<std::uint32_t>(wh)),
         dlms::Data::double_long_unsigned(0), dlms::Data::double_long_unsigned(0),
         dlms::Data::double_long_unsigned(0)});
    p.data = dlms::axdr::encode(row);
    b.profile_rows.push_back(p);
    ASSERT_TRUE(st->write(b).ok());
  }
};

TEST(VeeRun, EstimatesGapsOnceTheirOtherEndArrivesAndReplacesThemWhenTheReadingsDo) {
  StoreRig rig("vidyut-vee-run-1");
  const Network n = rig.network();
  // 5 Dec, 06:00 IST: c1 has everything so far, c2 lacks 03:00-04:00 (slots 12..15).
  rig.put(rig.c1, 0, 24);
  rig.put(rig.c2, 0, 12);
  rig.put(rig.c2, 16, 22);  // and the last two not yet
  rig.clock.set(slot(24) + Millis(60'000));
  VeeRunOptions o;
  o.days_back = 0;  // today only (the days before have no data at all)
  auto r = run_vee(*rig.st, n, *rig.book, rig.clock.now(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // Settled up to 05:30 (slot 22): c2's 12..15 estimated; 22 and 23 not yet missing.
  EXPECT_EQ(r->applied.estimated, 4u);
  auto sum = validated_summary(*rig.st, *rig.book, kDay, slot(24));
  ASSERT_TRUE(sum.ok());
  for (const auto& s : *sum) {
    if (s.meter_id != rig.c2) continue;
    EXPECT_EQ(s.count, 22u);
    EXPECT_EQ(s.estimated, 4u);
    std::int64_t want = 0;
    for (int i = 0; i < 22; ++i) want += 100 + i;  // the line through 111 and 116 is exact
    EXPECT_EQ(s.import_wh, want);
  }
  // The readings arrive: charged as actual at once, before the VEE runs again ...
  rig.put(rig.c2, 12, 16);
  sum = validated_summary(*rig.st, *rig.book, kDay, slot(24));
  for (const auto& s : *sum) {
    if (s.meter_id == rig.c2) {
      EXPECT_EQ(s.estimated, 0u);
    }
  }
  // ... and replaced when it does.
  rig.clock.advance(Millis(900'000));
  r = run_vee(*rig.st, n, *rig.book, rig.clock.now(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->applied.replaced, 4u);
  EXPECT_EQ(r->meters, 1u);  // c1 complete, not revisited
}

TEST(VeeRun, AClosedDayIsValidatedForEveryMeterOnceWithItsDailyRegister) {
  StoreRig rig("vidyut-vee-run-2");
  const Network n = rig.network();
  rig.put(rig.c1, 0, 96);
  rig.put(rig.c2, 0, 96);
  std::int64_t day_wh = 0;
  for (int i = 0; i < 96; ++i) day_wh += 100 + i;
  rig.daily(rig.c1, kDay, 1'000'000);
  rig.daily(rig.c1, slot(96), 1'000'000 + day_wh);  // agrees
  rig.daily(rig.c2, kDay, 2'000'000);
  rig.daily(rig.c2, slot(96), 2'000'000 + day_wh + 5'000);  // 5 kWh the intervals lack
  rig.clock.set(slot(96) + std::chrono::minutes(10));
  VeeRunOptions o;
  o.days_back = 0;
  o.settle = Millis(0);
  auto r = run_vee(*rig.st, n, *rig.book, slot(96) - Millis(1), o);  // 5 Dec, before midnight
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->register_mismatches, 0u);  // the day has not closed: no register yet
  o.days_back = 1;
  r = run_vee(*rig.st, n, *rig.book, rig.clock.now(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->register_mismatches, 1u);
  EXPECT_EQ(r->applied.flagged, 96u);
  auto recs = rig.book->records(rig.c2, kDay, slot(96));
  ASSERT_EQ(recs->size(), 96u);
  EXPECT_EQ(recs->front().flags, kVeeRegisterSum);
  EXPECT_TRUE(*rig.book->day_validated(kDay));
  // Once is enough: the next run revisits only what is missing or on record.
  r = run_vee(*rig.st, n, *rig.book, rig.clock.now(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->applied.changes(), 0u);
  EXPECT_EQ(r->meters, 0u);  // flagged actual readings are not revisited
}

TEST(VeeRun, AReadingTheMeterSentTwiceWithDifferentValuesIsFlaggedConflicting) {
  StoreRig rig("vidyut-vee-run-3");
  const Network n = rig.network();
  rig.put(rig.c1, 0, 8);
  std::vector<store::IntervalReading> again{reading(rig.c1, 5, 999)};
  auto p = rig.st->put_intervals(again);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->conflicts, 1u);
  ASSERT_TRUE(rig.st->put_intervals(again).ok());  // the same conflict again: one alert
  auto alerts = rig.st->alerts_of_kind(store::kConflictAlertKind, kDay, slot(96), 0, 100);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().at, slot(5));
  EXPECT_NE(alerts->front().detail.find("kept import 105 Wh"), std::string::npos);
  // Validated (the continuous run flags it when the day closes and every meter is validated).
  auto r = vee_from_store(*rig.st, n, kDay, {}, rig.c1);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->meters.size(), 1u);
  EXPECT_EQ(r->meters[0].intervals[5].flags & kVeeConflict, kVeeConflict);
  EXPECT_EQ(r->meters[0].intervals[5].wh, 105);  // the first reading stays
}

}  // namespace
}  // namespace vidyut::mdm
