// Operators, sign-in with its limits, consumers' codes and sessions, against access.db on a
// manual clock; what is kept at rest; the audit trail.
#include "access/book.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "access/password.h"
#include "store/sqlite_store.h"

namespace vidyut::access {
namespace {

class AccessBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vidyut-access-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::SqliteOptions so;
    so.master_key = std::array<std::uint8_t, 32>{3};
    so.synchronous_full = false;
    auto s = store::open_sqlite_store(dir_.string(), clock_, so);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    auto b = AccessBook::open(dir_, clock_, store_.get());
    ASSERT_TRUE(b.ok()) << b.error().message;
    book_ = std::move(*b);
  }
  void TearDown() override {
    book_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> audit_actions() {
    std::vector<std::string> out;
    auto a = store_->audit_after(0, 1000);
    EXPECT_TRUE(a.ok());
    for (const auto& r : *a) out.push_back(r.actor + " " + r.action);
    return out;
  }

  std::filesystem::path dir_;
  ManualClock clock_{UtcTime(Millis(1'796'149'800'000))};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AccessBook> book_;
};

TEST(Passwords, AreCheckedAndHashedWithArgon2id) {
  EXPECT_FALSE(check_password("short").ok());
  EXPECT_FALSE(check_password("aaaaaaaaaaaaaaaa").ok()) << "too few different characters";
  EXPECT_FALSE(check_password(std::string("\xff\xfe", 2) + "abcdefghijkl").ok());
  EXPECT_TRUE(check_password("correct horse battery").ok());
  auto h = hash_password("correct horse battery");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse battery"));
  EXPECT_FALSE(verify_password(*h, "correct horse batterz"));
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_NE(*hash_password("correct horse battery"), *h) << "salted";
}

TEST(Roles, GrantWhatTheTableSays) {
  const auto viewer = *parse_roles("viewer");
  const auto op = *parse_roles("operator");
  const auto bill = *parse_roles("billing");
  const auto admin = *parse_roles("administrator");
  EXPECT_TRUE(allows(viewer, Permission::kView));
  EXPECT_FALSE(allows(viewer, Permission::kCommand));
  EXPECT_TRUE(allows(op, Permission::kCommand));
  EXPECT_FALSE(allows(op, Permission::kBilling));
  EXPECT_TRUE(allows(bill, Permission::kBilling));
  EXPECT_FALSE(allows(bill, Permission::kCommand));
  EXPECT_TRUE(allows(admin, Permission::kUsers));
  EXPECT_FALSE(allows(admin, Permission::kCommand)) << "administrators manage users, not meters";
  EXPECT_FALSE(allows(Roles(), Permission::kView));
  EXPECT_EQ(to_string(*parse_roles("billing, operator")), "operator,billing");
  EXPECT_FALSE(parse_roles("root").has_value());
  EXPECT_FALSE(parse_roles("").has_value());
}

TEST_F(AccessBookTest, OperatorsSignInAndSessionsEnd) {
  ASSERT_TRUE(
      book_->add_operator("asha", "grid-control-2026", *parse_roles("operator"), "cli:root").ok());
  EXPECT_EQ(book_->add_operator("asha", "another-password-1", *parse_roles("viewer"), "cli:root")
                .error()
                .code,
            Errc::kRefused);
  EXPECT_FALSE(
      book_->add_operator("Bad Name", "grid-control-2026", *parse_roles("viewer"), "x").ok());
  EXPECT_FALSE(book_->add_operator("ravi", "weak", *parse_roles("viewer"), "x").ok());

  auto wrong = book_->sign_in("asha", "grid-control-2025", "10.0.0.5");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::kAuthFailed);
  auto unknown = book_->sign_in("nobody", "grid-control-2026", "10.0.0.5");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, wrong.error().message) << "one message for both";

  auto s = book_->sign_in("asha", "grid-control-2026", "10.0.0.5");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->token.size(), 64u);
  EXPECT_EQ(s->actor(), "web:asha");
  auto found = book_->session(s->token);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_TRUE((*found)->roles.has(Role::kOperator));
  EXPECT_EQ((*found)->csrf, s->csrf);
  EXPECT_FALSE(book_->session(std::string(64, 'a'))->has_value());

  // Idle for longer than the idle time: gone. Active: extended, up to the maximum age.
  clock_.advance(kOperatorIdle - Millis(60'000));
  ASSERT_TRUE(book_->session(s->token)->has_value());
  clock_.advance(kOperatorIdle - Millis(60'000));
  ASSERT_TRUE(book_->session(s->token)->has_value()) << "each use extends it";
  clock_.advance(kOperatorIdle + Millis(1));
  EXPECT_FALSE(book_->session(s->token)->has_value());

  auto again = book_->sign_in("asha", "grid-control-2026", "10.0.0.5");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(book_->set_disabled("asha", true, "cli:root").ok());
  EXPECT_FALSE(book_->session(again->token)->has_value()) << "disabling ends the sessions";
  EXPECT_EQ(book_->sign_in("asha", "grid-control-2026", "10.0.0.5").error().code, Errc::kRefused);
  ASSERT_TRUE(book_->set_disabled("asha", false, "cli:root").ok());
  auto third = book_->sign_in("asha", "grid-control-2026", "10.0.0.5");
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(book_->sign_out(third->token).ok());
  EXPECT_FALSE(book_->session(third->token)->has_value());

  const auto actions = audit_actions();
  for (const char* want :
       {"cli:root operator-add", "web:asha sign-in-failed", "web:nobody sign-in-failed",
        "web:asha sign-in", "cli:root operator-disable", "web:asha sign-in-refused",
        "web:asha sign-out"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), want), actions.end()) << want;
  }
}

TEST_F(AccessBookTest, GuessingIsThrottledPerNameAndPerAddress) {
  ASSERT_TRUE(book_->add_operator("asha", "grid-control-2026", *parse_roles("viewer"), "x").ok());
  for (int i = 0; i < kMaxFailuresPerName; ++i) {
    EXPECT_EQ(
        book_->sign_in("asha", "guess-number-" + std::to_string(i), "10.0.0." + std::to_string(i))
            .error()
            .code,
        Errc::kAuthFailed);
  }
  auto locked = book_->sign_in("asha", "grid-control-2026", "10.0.0.99");
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, Errc::kLimitExceeded) << "even the right password waits";
  clock_.advance(kFailureWindow + Millis(1));
  EXPECT_TRUE(book_->sign_in("asha", "grid-control-2026", "10.0.0.99").ok());

  // One address guessing many names.
  for (int i = 0; i < kMaxFailuresPerAddress; ++i) {
    (void)book_->sign_in("user" + std::to_string(i), "guess-password-x", "10.9.9.9");
  }
  EXPECT_EQ(book_->sign_in("asha", "grid-control-2026", "10.9.9.9").error().code,
            Errc::kLimitExceeded);
  EXPECT_TRUE(book_->sign_in("asha", "grid-control-2026", "10.0.0.1").ok());
}

TEST_F(AccessBookTest, ConsumerCodesAreSingleUseShortLivedAndLimited) {
  auto code = book_->issue_code("C1000", "10.1.1.1");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->size(), 6u);
  const std::string wrong = (*code)[0] == '0' ? "1" + code->substr(1) : "0" + code->substr(1);
  EXPECT_EQ(book_->redeem_code("C1000", wrong, "10.1.1.1").error().code, Errc::kAuthFailed);
  EXPECT_EQ(book_->redeem_code("C2000", *code, "10.1.1.1").error().code, Errc::kAuthFailed)
      << "a code is bound to its consumer";
  auto s = book_->redeem_code("C1000", *code, "10.1.1.1");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->audience, Audience::kConsumer);
  EXPECT_EQ(s->actor(), "consumer:C1000");
  EXPECT_EQ(book_->redeem_code("C1000", *code, "10.1.1.1").error().code, Errc::kAuthFailed)
      << "single use";

  auto late = book_->issue_code("C1000", "10.1.1.1");
  ASSERT_TRUE(late.ok());
  clock_.advance(kCodeLifetime + Millis(1));
  EXPECT_EQ(book_->redeem_code("C1000", *late, "10.1.1.1").error().code, Errc::kAuthFailed)
      << "expired";

  auto guessed = book_->issue_code("C1000", "10.1.1.2");
  ASSERT_TRUE(guessed.ok());
  for (int i = 0; i < kMaxCodeAttempts; ++i) {
    (void)book_->redeem_code("C1000", "99999" + std::to_string(i), "10.1.1.2");
  }
  EXPECT_EQ(book_->redeem_code("C1000", *guessed, "10.1.1.2").error().code, Errc::kLimitExceeded)
      << "after too many wrong tries the code is void, even when right";
  EXPECT_EQ(book_->issue_code("C1000", "10.1.1.3").error().code, Errc::kLimitExceeded)
      << "three codes in the window";
  clock_.advance(kFailureWindow);
  EXPECT_TRUE(book_->issue_code("C1000", "10.1.1.3").ok());
}

TEST_F(AccessBookTest, NothingUsableIsKeptAtRest) {
  ASSERT_TRUE(book_->add_operator("asha", "grid-control-2026", *parse_roles("viewer"), "x").ok());
  auto s = book_->sign_in("asha", "grid-control-2026", "10.0.0.5");
  ASSERT_TRUE(s.ok());
  auto code = book_->issue_code("C1000", "10.1.1.1");
  ASSERT_TRUE(code.ok());
  book_.reset();
  std::string all;
  for (const auto& f : std::filesystem::directory_iterator(dir_)) {
    if (f.path().filename().string().rfind("access.db", 0) != 0) continue;
    std::ifstream in(f.path(), std::ios::binary);
    all += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.find("grid-control-2026"), std::string::npos);
  EXPECT_EQ(all.find(s->token), std::string::npos);
  EXPECT_NE(all.find(sha256_hex(s->token)), std::string::npos) << "the token's hash is there";
  EXPECT_EQ(all.find("C1000\n" + *code), std::string::npos);
}

TEST_F(AccessBookTest, AFailedWriteChangesNothing) {
  book_->fail_after(0);
  EXPECT_FALSE(book_->add_operator("asha", "grid-control-2026", *parse_roles("viewer"), "x").ok());
  book_->fail_after(-1);
  EXPECT_FALSE(book_->find_operator("asha")->has_value());
  ASSERT_TRUE(book_->add_operator("asha", "grid-control-2026", *parse_roles("viewer"), "x").ok());
  book_->fail_after(0);
  EXPECT_FALSE(book_->sign_in("asha", "grid-control-2026", "10.0.0.5").ok());
  book_->fail_after(-1);
}

}  // namespace
}  // namespace vidyut::access
