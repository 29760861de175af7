#include "token/token.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace vidyut::token {
namespace {

// The simulated meter's default AK (D0..DF) and a Vidyut system title ("VDY" + serial 12345).
constexpr std::array<std::uint8_t, 16> kAk = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                                              0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
constexpr std::array<std::uint8_t, 8> kTitle = {'V', 'D', 'Y', 0x00, 0x00, 0x00, 0x30, 0x39};
// 2026-09-21 00:00 IST.
const UtcTime kStart = UtcTime(Millis(1'789'929'000'000));

TokenKey key() { return derive_token_key(kAk, kTitle); }

std::string token(const TokenKey& k, std::uint32_t seq, std::uint32_t amount = 500,
                  std::uint32_t day = 20'717) {
  auto t = encode_token(k, {seq, amount, day});
  EXPECT_TRUE(t.ok()) << t.error().describe();
  return t.ok() ? *t : std::string();
}

TEST(TokenKey, IsHmacSha256OfTheLabelAndSystemTitleUnderTheAk) {
  // Computed independently: HMAC-SHA256(AK, "vidyut/hotspot-token/v1" 00 || title)[0:16].
  const TokenKey want = {0x67, 0x9d, 0x97, 0x0b, 0x6c, 0xaa, 0x31, 0x04,
                         0xeb, 0x9e, 0x2a, 0xab, 0x0d, 0x16, 0x0c, 0x9f};
  EXPECT_EQ(key(), want);
  auto other_title = kTitle;
  other_title[7] ^= 1;
  EXPECT_NE(derive_token_key(kAk, other_title), key());
}

TEST(TokenCodec, EncodesAGoldenVector) {
  // Pins the layout (docs/hotspot-tokens.md); computed by an independent implementation.
  auto t = encode_token(key(), {1, 500, 20'717});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "31511519680685256455");
}

TEST(TokenCodec, RoundTripsEveryFieldToItsLimits) {
  const TokenKey k = key();
  const TokenFields cases[] = {{0, 0, 0},
                               {1, 500, 20'717},
                               {kMaxSequence, kMaxAmountRupees, kDayModulus - 1},
                               {12'345, 50'000, 20'800},
                               {255, 1, 256}};
  for (const auto& f : cases) {
    auto t = encode_token(k, f);
    ASSERT_TRUE(t.ok()) << t.error().describe();
    ASSERT_EQ(t->size(), kTokenDigits);
    for (char c : *t) EXPECT_TRUE(c >= '0' && c <= '9') << *t;
    auto d = decode_token(k, *t);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d->sequence, f.sequence);
    EXPECT_EQ(d->amount_rupees, f.amount_rupees);
    EXPECT_EQ(d->issued_day, f.issued_day % kDayModulus);
  }
  EXPECT_GE(kMaxAmountRupees, 50'000u);
}

TEST(TokenCodec, RejectsFieldsBeyondTheirLimits) {
  EXPECT_EQ(encode_token(key(), {kMaxSequence + 1, 1, 0}).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(encode_token(key(), {1, kMaxAmountRupees + 1, 0}).error().code, Errc::kInvalidArgument);
}

TEST(TokenCodec, ReconstructsTheIssuedDayFromAReferenceDay) {
  const TokenKey k = key();
  const std::string t = token(k, 7, 100, 20'717);
  for (std::uint32_t ref : {20'717u, 20'715u, 20'716u, 20'800u, 20'717u + 250}) {
    auto d = decode_token(k, t, ref);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->issued_day, 20'717u) << "reference " << ref;
  }
  // A meter clock more than kFutureDaySlack days behind reads it as 256 days earlier.
  EXPECT_EQ(decode_token(k, t, 20'714).value().issued_day, 20'717u - kDayModulus);
  EXPECT_EQ(reconstruct_day(3, 0), 3u);
  EXPECT_EQ(reconstruct_day(200, 10), 200u);  // near the epoch: the low bits as they are
}

TEST(TokenCodec, AnotherMetersKeyFailsAuthentication) {
  const std::string t = token(key(), 42);
  auto other_ak = kAk;
  other_ak[0] ^= 0x01;
  auto r = decode_token(derive_token_key(other_ak, kTitle), t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kAuthFailed);
  // Same AK (a fleet with shared keys), another meter: still refused.
  auto other_title = kTitle;
  other_title[7] = 0x3A;
  auto r2 = decode_token(derive_token_key(kAk, other_title), t);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::kAuthFailed);
}

TEST(TokenCodec, EverySingleDigitMistypingIsRejected) {
  // 20 positions x 9 wrong digits, for several tokens. A variant is rejected by the tag
  // (kAuthFailed, each passing with probability 2^-26) or, when the number reaches 2^66, as
  // out of range (kMalformed); none may be accepted.
  const TokenKey k = key();
  std::size_t auth = 0, range = 0;
  for (std::uint32_t seq = 1; seq <= 40; ++seq) {
    const std::string t = token(k, seq, 100 * seq, 20'717 + seq);
    ASSERT_TRUE(decode_token(k, t).ok());
    for (std::size_t pos = 0; pos < kTokenDigits; ++pos) {
      for (char c = '0'; c <= '9'; ++c) {
        if (c == t[pos]) continue;
        std::string typo = t;
        typo[pos] = c;
        auto r = decode_token(k, typo);
        ASSERT_FALSE(r.ok()) << "accepted " << typo << " for " << t;
        if (r.error().code == Errc::kAuthFailed) {
          ++auth;
        } else {
          ASSERT_EQ(r.error().code, Errc::kMalformed) << typo;
          ++range;
        }
      }
    }
  }
  EXPECT_EQ(auth + range, 40u * 20 * 9);
  EXPECT_GT(auth, range);  // most are caught by the tag
}

TEST(TokenCodec, AdjacentTranspositionsAreRejected) {
  const TokenKey k = key();
  const std::string t = token(k, 9);
  for (std::size_t i = 0; i + 1 < kTokenDigits; ++i) {
    if (t[i] == t[i + 1]) continue;
    std::string s = t;
    std::swap(s[i], s[i + 1]);
    EXPECT_FALSE(decode_token(k, s).ok()) << s;
  }
}

TEST(TokenCodec, ConsecutiveTokensLookUnrelated) {
  const TokenKey k = key();
  const std::string a = token(k, 100, 500, 20'717);
  const std::string b = token(k, 101, 500, 20'717);
  std::size_t same = 0;
  for (std::size_t i = 0; i < kTokenDigits; ++i) same += a[i] == b[i];
  EXPECT_LE(same, 8u) << a << " " << b;
}

TEST(TokenCodec, MalformedInputIsRefusedBeforeAnyCheck) {
  const TokenKey k = key();
  const std::string t = token(k, 3);
  const std::vector<std::string> bad_inputs = {
      t.substr(1),
      t + "0",
      std::string(),
      t.substr(0, 10) + "x" + t.substr(11),
      t.substr(0, 4) + "_" + t.substr(4),
      std::string(200, ' ') + t,
      "99999999999999999999",
      "73786976294838206464",  // 2^66
  };
  for (const std::string& bad : bad_inputs) {
    auto r = decode_token(k, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::kMalformed) << bad;
  }
  // 2^66 - 1 is in range: it fails the tag instead.
  EXPECT_EQ(decode_token(k, "73786976294838206463").error().code, Errc::kAuthFailed);
}

TEST(TokenCodec, AcceptsSpacesAndDashesAndFormatsInGroupsOfFour) {
  const TokenKey k = key();
  const std::string t = token(k, 77, 1'000);
  const std::string spaced = format_token(t);
  ASSERT_EQ(spaced.size(), 24u);
  EXPECT_EQ(spaced, t.substr(0, 4) + " " + t.substr(4, 4) + " " + t.substr(8, 4) + " " +
                        t.substr(12, 4) + " " + t.substr(16, 4));
  std::string dashed = spaced;
  for (char& c : dashed) c = c == ' ' ? '-' : c;
  for (const std::string& in : {t, spaced, dashed, " " + spaced + " "}) {
    auto r = decode_token(k, in);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_EQ(r->sequence, 77u);
    EXPECT_EQ(r->amount_rupees, 1'000u);
  }
  EXPECT_EQ(format_token("1234-5678-9012-3456-7890"), "1234 5678 9012 3456 7890");
  EXPECT_EQ(format_token("12345"), "12345");  // not a token: unchanged
}

TEST(TokenCodec, IstDayCountsFromIstMidnight) {
  EXPECT_EQ(ist_day(kStart), 20'717u);  // 2026-09-21
  EXPECT_EQ(ist_day(kStart - Millis(1)), 20'716u);
  EXPECT_EQ(ist_day(UtcTime(Millis(0))), 0u);
}

// ---- guard --------------------------------------------------------------------------------------

TEST(TokenGuard, AcceptsEachTokenOnce) {
  ManualClock clock(kStart);
  TokenGuard g(clock);
  const TokenKey k = key();
  const std::string t = token(k, 5, 300, 20'717);
  auto d = g.accept(k, t);
  ASSERT_TRUE(d.accepted()) << d.detail;
  ASSERT_TRUE(d.fields);
  EXPECT_EQ(d.fields->sequence, 5u);
  EXPECT_EQ(d.fields->amount_rupees, 300u);
  EXPECT_EQ(d.fields->issued_day, 20'717u);  // reconstructed from the clock
  auto again = g.accept(k, format_token(t));
  EXPECT_EQ(again.status, TokenStatus::kAlreadyUsed) << again.detail;
  EXPECT_EQ(g.bad_tokens(), 0u);  // a reused token is not a wrong one
}

TEST(TokenGuard, AcceptsOutOfOrderWithinTheWindowAndRefusesOlder) {
  ManualClock clock(kStart);
  TokenGuard g(clock);
  const TokenKey k = key();
  ASSERT_TRUE(g.accept(k, token(k, 100)).accepted());
  ASSERT_TRUE(g.accept(k, token(k, 103)).accepted());
  ASSERT_TRUE(g.accept(k, token(k, 101)).accepted());  // bought earlier, typed later
  EXPECT_EQ(g.accept(k, token(k, 101)).status, TokenStatus::kAlreadyUsed);
  EXPECT_EQ(g.highest(), 103u);
  ASSERT_TRUE(g.accept(k, token(k, 103 + 63 - 1)).accepted());
  // 103 + 62 is now the highest: 102 is 63 behind (the window's last slot); 99 is 66 behind.
  EXPECT_TRUE(g.fresh(102));
  ASSERT_TRUE(g.accept(k, token(k, 102)).accepted());
  EXPECT_EQ(g.accept(k, token(k, 99)).status, TokenStatus::kTooOld);
  // A jump far ahead empties the window.
  ASSERT_TRUE(g.accept(k, token(k, 1'000)).accepted());
  EXPECT_EQ(g.accept(k, token(k, 1'000)).status, TokenStatus::kAlreadyUsed);
  EXPECT_EQ(g.accept(k, token(k, 936)).status, TokenStatus::kTooOld);
  ASSERT_TRUE(g.accept(k, token(k, 937)).accepted());
  ASSERT_TRUE(g.accept(k, token(k, kMaxSequence)).accepted());
  EXPECT_EQ(g.accept(k, token(k, kMaxSequence)).status, TokenStatus::kAlreadyUsed);
}

TEST(TokenGuard, LocksOutForAnHourAfterFiveWrongTokens) {
  ManualClock clock(kStart);
  TokenGuard g(clock);
  const TokenKey k = key();
  auto other_ak = kAk;
  other_ak[15] ^= 0x80;
  const TokenKey wrong = derive_token_key(other_ak, kTitle);
  // Malformed input costs nothing.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(g.accept(k, "1234").status, TokenStatus::kMalformed);
  EXPECT_EQ(g.bad_tokens(), 0u);
  for (std::uint32_t i = 0; i < kMaxBadTokens - 1; ++i) {
    auto d = g.accept(k, token(wrong, 10 + i));
    EXPECT_EQ(d.status, TokenStatus::kWrongToken);
    EXPECT_FALSE(d.locked_until);
  }
  EXPECT_EQ(g.bad_tokens(), kMaxBadTokens - 1);
  auto fifth = g.accept(k, token(wrong, 20));
  EXPECT_EQ(fifth.status, TokenStatus::kWrongToken);
  ASSERT_TRUE(fifth.locked_until);
  EXPECT_EQ(*fifth.locked_until, kStart + kLockout);
  // Locked: even a good token is refused unchecked (and stays unused).
  const std::string good = token(k, 1);
  auto locked = g.accept(k, good);
  EXPECT_EQ(locked.status, TokenStatus::kLockedOut);
  EXPECT_EQ(locked.locked_until, kStart + kLockout);
  clock.advance(kLockout - Millis(1));
  EXPECT_EQ(g.accept(k, good).status, TokenStatus::kLockedOut);
  clock.advance(Millis(1));
  EXPECT_FALSE(g.locked_until());
  EXPECT_TRUE(g.accept(k, good).accepted());
}

TEST(TokenGuard, AnAcceptedTokenClearsTheWrongTokenCount) {
  ManualClock clock(kStart);
  TokenGuard g(clock);
  const TokenKey k = key();
  std::string t = token(k, 1);
  t[19] = t[19] == '0' ? '1' : '0';  // a typo
  for (int i = 0; i < 3; ++i) EXPECT_EQ(g.accept(k, t).status, TokenStatus::kWrongToken);
  EXPECT_TRUE(g.accept(k, token(k, 1)).accepted());
  EXPECT_EQ(g.bad_tokens(), 0u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.accept(k, t).status, TokenStatus::kWrongToken);
  EXPECT_FALSE(g.locked_until());
}

}  // namespace
}  // namespace vidyut::token
