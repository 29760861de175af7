// Theft cases: one open case per meter and DT-day, closing rules, the trail with actors, limits,
// durability across reopening, and a failed write that leaves nothing half done.
#include "mdm/cases.h"

#include <gtest/gtest.h>

namespace vidyut::mdm {
namespace {

const UtcTime kT0 = parse_iso8601("2026-12-07T06:00:00Z").value();

struct Rig {
  std::filesystem::path dir;
  ManualClock clock{kT0};
  std::unique_ptr<CaseBook> book;
  explicit Rig(const char* name) : dir(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(dir);
    reopen();
  }
  ~Rig() {
    book.reset();
    std::filesystem::remove_all(dir);
  }
  void reopen() {
    book.reset();
    auto b = CaseBook::open(dir, clock);
    EXPECT_TRUE(b.ok()) << b.error().message;
    book = std::move(*b);
  }
};

TheftCase suspect(std::int64_t meter = 42, std::string day = "2026-12-06") {
  TheftCase c;
  c.dt = "F0001-T005";
  c.day = std::move(day);
  c.meter_id = meter;
  c.serial = "00000042";
  c.consumer_id = "C0000042";
  c.evidence = "unexplained 3.5 %; follows his consumption (r = 0.97)";
  return c;
}

TEST(TheftCases, OneOpenCasePerMeterAndDtDayAndItsTrailWithActors) {
  Rig rig("vidyut-cases-test-1");
  auto a = rig.book->open_case(suspect(), "asha", "inspect tomorrow");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->created);
  EXPECT_EQ(a->c.state, CaseState::kOpen);
  EXPECT_EQ(a->c.opened_by, "asha");
  auto again = rig.book->open_case(suspect(), "ravi", "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->c.id, a->c.id);
  auto other_day = rig.book->open_case(suspect(42, "2026-12-07"), "ravi", "");
  ASSERT_TRUE(other_day.ok());
  EXPECT_TRUE(other_day->created);

  rig.clock.advance(Millis(3'600'000));
  ASSERT_TRUE(rig.book->add_note(a->c.id, "asha", "meter cover seal intact").ok());
  EXPECT_EQ(rig.book->close_case(a->c.id, CaseState::kConfirmed, "asha", "").error().code,
            Errc::kInvalidArgument);  // a closing note is required
  auto closed = rig.book->close_case(a->c.id, CaseState::kConfirmed, "asha", "bypass wire found");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state, CaseState::kConfirmed);
  EXPECT_EQ(closed->closed_by, "asha");
  EXPECT_EQ(closed->closed, kT0 + Millis(3'600'000));
  auto twice = rig.book->close_case(a->c.id, CaseState::kDismissed, "ravi", "no");
  EXPECT_EQ(twice.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.book->close_case(999, CaseState::kDismissed, "ravi", "no").error().code,
            Errc::kNotFound);

  // Closed, the same meter and DT-day can be opened again as a new case.
  auto reopened = rig.book->open_case(suspect(), "ravi", "theft again");
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE(reopened->created);
  EXPECT_NE(reopened->c.id, a->c.id);

  // All of it survives a restart.
  rig.reopen();
  auto trail = rig.book->trail(a->c.id);
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 3u);
  EXPECT_EQ((*trail)[0].action, "open");
  EXPECT_EQ((*trail)[0].actor, "asha");
  EXPECT_EQ((*trail)[1].action, "note");
  EXPECT_EQ((*trail)[2].action, "confirm");
  EXPECT_EQ((*trail)[2].note, "bypass wire found");
  auto open = rig.book->cases(CaseState::kOpen);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 2u);
  auto all = rig.book->cases();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST(TheftCases, BadInputIsRefusedAndAFailedWriteLeavesNothing) {
  Rig rig("vidyut-cases-test-2");
  EXPECT_EQ(rig.book->open_case(suspect(), "", "").error().code, Errc::kInvalidArgument);
  TheftCase big = suspect();
  big.evidence.assign(kMaxCaseText + 1, 'x');
  EXPECT_EQ(rig.book->open_case(big, "asha", "").error().code, Errc::kLimitExceeded);
  // The case row is written, its trail event fails: neither stays.
  rig.book->fail_after_statements(1);
  EXPECT_EQ(rig.book->open_case(suspect(), "asha", "").error().code, Errc::kIo);
  rig.book->fail_after_statements(-1);
  auto all = rig.book->cases();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  auto a = rig.book->open_case(suspect(), "asha", "");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->created);
}

}  // namespace
}  // namespace vidyut::mdm
