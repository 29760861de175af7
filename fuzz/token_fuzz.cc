// Fuzz target for the hotspot token codec (src/token, docs/hotspot-tokens.md): decode_token on
// arbitrary text under a fixed meter key. Nothing may crash; a token that decodes must re-encode
// to exactly its digits (separators dropped), decode with a reference day to the same fields
// with that day's low bits, and format into groups that decode again. The same input then goes
// through a TokenGuard, which must never accept a token twice nor outside a lockout's rules.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "token/token.h"

namespace {

using namespace vidyut;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_token: %s\n", what);
  __builtin_trap();
}

const token::TokenKey& key() {
  // The simulated meter's default AK (D0..DF) and system title "VDY" + serial 12345.
  static const token::TokenKey k = [] {
    std::array<std::uint8_t, 16> ak{};
    for (std::uint8_t i = 0; i < 16; ++i) ak[i] = static_cast<std::uint8_t>(0xD0 + i);
    return token::derive_token_key(ak, {'V', 'D', 'Y', 0, 0, 0, 0x30, 0x39});
  }();
  return k;
}

std::string digits_of(std::string_view text) {
  std::string d;
  for (char c : text) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = token::decode_token(key(), text);
  if (!f.ok()) {
    const Errc c = f.error().code;
    if (c != Errc::kMalformed && c != Errc::kAuthFailed) fail("unexpected error code");
    if (f.error().message.empty()) fail("an error without a message");
  } else {
    if (f->sequence > token::kMaxSequence || f->amount_rupees > token::kMaxAmountRupees ||
        f->issued_day >= token::kDayModulus) {
      fail("decoded fields out of range");
    }
    auto again = token::encode_token(key(), *f);
    if (!again.ok() || *again != digits_of(text)) fail("a decoded token does not re-encode");
    const std::uint32_t ref = 20'000u + static_cast<std::uint32_t>(size);
    auto dated = token::decode_token(key(), text, ref);
    if (!dated.ok() || dated->sequence != f->sequence ||
        dated->issued_day % token::kDayModulus != f->issued_day ||
        dated->issued_day > ref + token::kFutureDaySlack ||
        dated->issued_day + token::kDayModulus <= ref + token::kFutureDaySlack) {
      fail("day reconstruction broke the token");
    }
    if (!token::decode_token(key(), token::format_token(*again)).ok()) {
      fail("a formatted token does not decode");
    }
  }
  (void)token::format_token(text);

  // The guard: the same text twice is never accepted twice.
  ManualClock clock(UtcTime(Millis(1'789'929'000'000)));
  token::TokenGuard guard(clock);
  const auto first = guard.accept(key(), text);
  const auto second = guard.accept(key(), text);
  if (first.accepted() != f.ok()) fail("the guard disagrees with the codec");
  if (second.accepted()) fail("a token was accepted twice");
  if (first.accepted() && second.status != token::TokenStatus::kAlreadyUsed) {
    fail("a reused token was not reported as used");
  }
  return 0;
}
