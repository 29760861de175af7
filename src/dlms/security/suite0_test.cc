#include "dlms/security/suite0.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace vidyut::dlms::security {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

// The Green Book's security example parameters (DLMS UA 1000-2 "Green Book" ed. 7, security
// examples for glo-get-request and the HLS-GMAC example; the same numbers recur in later
// editions).
SecurityKeys green_book_keys() {
  SecurityKeys k;
  k.block_key = parse_key("000102030405060708090A0B0C0D0E0F").value();
  k.auth_key = parse_key("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF").value();
  return k;
}
const SystemTitle kServerTitle = parse_system_title("4D4D4D0000BC614E").value();
const SystemTitle kClientTitle = parse_system_title("4D4D4D0000000001").value();
constexpr std::uint32_t kServerIc = 0x01234567;
constexpr std::uint32_t kClientIc = 0x00000001;
// GET.request-normal, clock 0.0.1.0.0.255 attribute 2.
constexpr const char* kGetRequest = "C0010000080000010000FF0200";

// --- Golden vectors ----------------------------------------------------------------------------
// Green Book ed. 7 glo-get-request examples (Table 40 in later editions), as reproduced in public
// test suites: u9n/dlms-cosem tests/test_security.py (authenticated+encrypted) and
// com.elster.dlms.security.DlmsSecurityProviderGcmTest (all three policies, "GB ed.7
// p.133-134"). Each value below is "what follows SC || IC".

TEST(Suite0Golden, AuthenticatedEncryptedGetRequest) {
  auto out = protect(0x30, kServerTitle, kServerIc, green_book_keys(), hex(kGetRequest));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(to_hex(*out), "411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
  auto back = unprotect(0x30, kServerTitle, kServerIc, green_book_keys(), *out);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(to_hex(*back), kGetRequest);
}

TEST(Suite0Golden, AuthenticatedOnlyGetRequest) {
  auto out = protect(0x10, kServerTitle, kServerIc, green_book_keys(), hex(kGetRequest));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(to_hex(*out), std::string(kGetRequest) + "06725D910F9221D263877516");
  auto back = unprotect(0x10, kServerTitle, kServerIc, green_book_keys(), *out);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(to_hex(*back), kGetRequest);
}

TEST(Suite0Golden, EncryptedOnlyGetRequest) {
  auto out = protect(0x20, kServerTitle, kServerIc, green_book_keys(), hex(kGetRequest));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(to_hex(*out), "411312FF935A47566827C467BC");
  auto back = unprotect(0x20, kServerTitle, kServerIc, green_book_keys(), *out);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(to_hex(*back), kGetRequest);
}

// Green Book ed. 7 glo-initiateRequest example: the full APDU 21 30 || SC || IC || C || T is
// reproduced in u9n/dlms-cosem tests/test_xdlms/test_initiate.py (TestGlobalCipherInitiateRequest)
// and the same Elster test ("GB ed.7 p.265"). seal() yields everything after the 0x21 0x30.
TEST(Suite0Golden, SealsInitiateRequest) {
  const Bytes initiate = hex("01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0");
  auto out = seal(0x30, kServerTitle, kServerIc, green_book_keys(), initiate);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(to_hex(*out),
            "3001234567"
            "801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68"
            "41DB204D39EE6FDB8E356855");
  auto opened = open(kServerTitle, green_book_keys(), *out);
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  EXPECT_EQ(opened->security_control, 0x30);
  EXPECT_EQ(opened->invocation_counter, kServerIc);
  EXPECT_EQ(opened->plaintext, initiate);
}

// Green Book HLS example with authentication-mechanism 5 (GMAC) (ed. 7 Amendment 2 Table 18,
// "Table 43" in ed. 8.1), reproduced in u9n/dlms-cosem tests/test_security.py (pass 3) and the
// Elster test above (both passes). CtoS = "K56iVagY", StoC = "P6wRJ21F".
TEST(Suite0Golden, HlsGmacPass3ClientAnswersServerChallenge) {
  const Bytes stoc = hex("503677524A323146");
  auto f = gmac_response(kClientTitle, kClientIc, green_book_keys(), stoc);
  ASSERT_TRUE(f.ok()) << f.error().describe();
  EXPECT_EQ(to_hex(*f), "10000000011A52FE7DD3E72748973C1E28");
  // The meter's side of pass 3: it verifies our answer with our title.
  auto ic = verify_gmac_response(kClientTitle, green_book_keys(), stoc, *f);
  ASSERT_TRUE(ic.ok()) << ic.error().describe();
  EXPECT_EQ(*ic, kClientIc);
}

TEST(Suite0Golden, HlsGmacPass4ClientVerifiesServerAnswer) {
  const Bytes ctos = hex("4B35366956616759");
  const Bytes f_ctos = hex("1001234567FE1466AFB3DBCD4F9389E2B7");
  auto ic = verify_gmac_response(kServerTitle, green_book_keys(), ctos, f_ctos);
  ASSERT_TRUE(ic.ok()) << ic.error().describe();
  EXPECT_EQ(*ic, kServerIc);
  auto f = gmac_response(kServerTitle, kServerIc, green_book_keys(), ctos);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, f_ctos);
}

// --- Round trips and failures ------------------------------------------------------------------

constexpr std::uint8_t kAllPolicies[] = {0x10, 0x20, 0x30};

TEST(Suite0, RoundTripsEveryPolicyAndLength) {
  const auto keys = green_book_keys();
  for (std::uint8_t sc : kAllPolicies) {
    for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 300u}) {
      SCOPED_TRACE(std::to_string(sc) + "/" + std::to_string(len));
      Bytes plain(len);
      for (std::size_t i = 0; i < len; ++i) plain[i] = static_cast<std::uint8_t>(i * 7 + 3);
      auto out = protect(sc, kClientTitle, 42, keys, plain);
      ASSERT_TRUE(out.ok()) << out.error().describe();
      const std::size_t expected = len + ((sc & kScAuthentication) ? kTagLength : 0);
      EXPECT_EQ(out->size(), expected);
      auto back = unprotect(sc, kClientTitle, 42, keys, *out);
      ASSERT_TRUE(back.ok()) << back.error().describe();
      EXPECT_EQ(*back, plain);
    }
  }
}

TEST(Suite0, WrongKeyTitleCounterOrScIsAuthFailed) {
  const auto keys = green_book_keys();
  for (std::uint8_t sc : {std::uint8_t{0x10}, std::uint8_t{0x30}}) {
    SCOPED_TRACE(static_cast<int>(sc));
    auto sealed = protect(sc, kServerTitle, kServerIc, keys, hex(kGetRequest));
    ASSERT_TRUE(sealed.ok());

    SecurityKeys wrong_ek = keys;
    wrong_ek.block_key[15] ^= 0x01;
    EXPECT_EQ(unprotect(sc, kServerTitle, kServerIc, wrong_ek, *sealed).error().code,
              Errc::kAuthFailed);
    SecurityKeys wrong_ak = keys;
    wrong_ak.auth_key[0] ^= 0x01;
    EXPECT_EQ(unprotect(sc, kServerTitle, kServerIc, wrong_ak, *sealed).error().code,
              Errc::kAuthFailed);
    EXPECT_EQ(unprotect(sc, kClientTitle, kServerIc, keys, *sealed).error().code,
              Errc::kAuthFailed);
    EXPECT_EQ(unprotect(sc, kServerTitle, kServerIc + 1, keys, *sealed).error().code,
              Errc::kAuthFailed);
  }
  // SC is in the AAD: relabelling an authenticated+encrypted payload as authenticated-only (or
  // the reverse) must not verify.
  auto ae = protect(0x30, kServerTitle, kServerIc, keys, hex(kGetRequest));
  ASSERT_TRUE(ae.ok());
  EXPECT_EQ(unprotect(0x10, kServerTitle, kServerIc, keys, *ae).error().code, Errc::kAuthFailed);
}

TEST(Suite0, AnyFlippedBitIsAuthFailed) {
  const auto keys = green_book_keys();
  for (std::uint8_t sc : {std::uint8_t{0x10}, std::uint8_t{0x30}}) {
    auto sealed = protect(sc, kServerTitle, kServerIc, keys, hex(kGetRequest));
    ASSERT_TRUE(sealed.ok());
    for (std::size_t i = 0; i < sealed->size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = *sealed;
        bad[i] ^= static_cast<std::uint8_t>(1u << bit);
        auto r = unprotect(sc, kServerTitle, kServerIc, keys, bad);
        ASSERT_FALSE(r.ok()) << "sc " << int{sc} << " byte " << i << " bit " << bit;
        EXPECT_EQ(r.error().code, Errc::kAuthFailed);
      }
    }
  }
}

TEST(Suite0, PayloadShorterThanTagIsMalformed) {
  const auto keys = green_book_keys();
  for (std::uint8_t sc : {std::uint8_t{0x10}, std::uint8_t{0x30}}) {
    for (std::size_t len = 0; len < kTagLength; ++len) {
      auto r = unprotect(sc, kServerTitle, kServerIc, keys, Bytes(len, 0xAA));
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, Errc::kMalformed) << int{sc} << "/" << len;
    }
  }
}

TEST(Suite0, OpenTruncatedAtEveryByteFailsCleanly) {
  const auto keys = green_book_keys();
  auto sealed = seal(0x30, kServerTitle, kServerIc, keys, hex(kGetRequest));
  ASSERT_TRUE(sealed.ok());
  for (std::size_t len = 0; len < sealed->size(); ++len) {
    auto r = open(kServerTitle, keys, ByteView(*sealed).first(len));
    ASSERT_FALSE(r.ok()) << len;
    // Too short for header or tag: malformed. Long enough but cut: the tag no longer verifies.
    const bool short_input = len < kSecurityHeaderLength + kTagLength;
    EXPECT_EQ(r.error().code, short_input ? Errc::kMalformed : Errc::kAuthFailed) << len;
  }
}

TEST(Suite0, RejectsUnsupportedSecurityControl) {
  const auto keys = green_book_keys();
  for (std::uint8_t sc : {std::uint8_t{0x00}, std::uint8_t{0x31}, std::uint8_t{0x70},
                          std::uint8_t{0xB0}, std::uint8_t{0x40}}) {
    EXPECT_EQ(check_security_control(sc).error().code, Errc::kUnsupported) << int{sc};
    EXPECT_EQ(protect(sc, kServerTitle, 1, keys, hex(kGetRequest)).error().code,
              Errc::kUnsupported);
    EXPECT_EQ(unprotect(sc, kServerTitle, 1, keys, Bytes(20, 0)).error().code, Errc::kUnsupported);
  }
  for (std::uint8_t sc : kAllPolicies) EXPECT_TRUE(check_security_control(sc).ok());
}

TEST(Suite0, SecurityControlHelpers) {
  EXPECT_EQ(security_control(SecurityPolicy::kAuthenticated), 0x10);
  EXPECT_EQ(security_control(SecurityPolicy::kEncrypted), 0x20);
  EXPECT_EQ(security_control(SecurityPolicy::kAuthenticatedEncrypted), 0x30);
  EXPECT_EQ(policy_of(0x30), SecurityPolicy::kAuthenticatedEncrypted);
  EXPECT_EQ(policy_of(0x1F), SecurityPolicy::kAuthenticated);
  EXPECT_TRUE(satisfies(0x30, SecurityPolicy::kAuthenticated));
  EXPECT_TRUE(satisfies(0x30, SecurityPolicy::kNone));
  EXPECT_FALSE(satisfies(0x20, SecurityPolicy::kAuthenticatedEncrypted));
  EXPECT_FALSE(satisfies(0x10, SecurityPolicy::kEncrypted));
  for (auto p : {SecurityPolicy::kNone, SecurityPolicy::kAuthenticated, SecurityPolicy::kEncrypted,
                 SecurityPolicy::kAuthenticatedEncrypted}) {
    auto parsed = parse_security_policy(to_string(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(parse_security_policy("AUTH").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(parse_security_policy("").error().code, Errc::kInvalidArgument);
}

TEST(Suite0, IvIsTitleThenBigEndianCounter) {
  EXPECT_EQ(to_hex(make_iv(kServerTitle, kServerIc)), "4D4D4D0000BC614E01234567");
  EXPECT_EQ(to_hex(make_iv(kClientTitle, 0xFFFFFFFE)), "4D4D4D0000000001FFFFFFFE");
}

TEST(Suite0, ParsesKeysAndTitles) {
  EXPECT_EQ(parse_key("00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f").value()[15], 0x0F);
  EXPECT_EQ(parse_key("0001").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(parse_key("000102030405060708090A0B0C0D0E0F00").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(parse_key("zz0102030405060708090A0B0C0D0E0F").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(parse_system_title("4D4D4D0000BC61").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(system_title_from_bytes(hex("4D4D4D0000BC614E")).value(), kServerTitle);
  EXPECT_EQ(system_title_from_bytes(hex("4D4D4D")).error().code, Errc::kMalformed);
}

TEST(Suite0, SecureWipeZeroesMemory) {
  Key128 k = parse_key("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF").value();
  secure_wipe(k.data(), k.size());
  EXPECT_EQ(k, Key128{});
  secure_wipe(nullptr, 0);  // allowed
}

// --- HLS-GMAC ----------------------------------------------------------------------------------

TEST(HlsGmac, ChallengesAreRandomAndBounded) {
  std::set<Bytes> seen;
  for (int i = 0; i < 32; ++i) {
    auto c = make_challenge();
    ASSERT_TRUE(c.ok()) << c.error().describe();
    EXPECT_EQ(c->size(), kDefaultChallengeLength);
    seen.insert(*c);
  }
  EXPECT_EQ(seen.size(), 32u);
  EXPECT_EQ(make_challenge(8)->size(), 8u);
  EXPECT_EQ(make_challenge(64)->size(), 64u);
  EXPECT_EQ(make_challenge(7).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(make_challenge(65).error().code, Errc::kInvalidArgument);
}

TEST(HlsGmac, BothDirectionsAcceptGenuineResponses) {
  const auto keys = green_book_keys();
  auto ctos = make_challenge();
  auto stoc = make_challenge(32);
  ASSERT_TRUE(ctos.ok() && stoc.ok());
  // Pass 3: client -> meter; the meter verifies with the client's title.
  auto f_stoc = gmac_response(kClientTitle, 7, keys, *stoc);
  ASSERT_TRUE(f_stoc.ok());
  EXPECT_EQ(f_stoc->size(), kGmacResponseLength);
  EXPECT_EQ(verify_gmac_response(kClientTitle, keys, *stoc, *f_stoc).value(), 7u);
  // Pass 4: meter -> client; the client verifies with the meter's title.
  auto f_ctos = gmac_response(kServerTitle, 1000, keys, *ctos);
  ASSERT_TRUE(f_ctos.ok());
  EXPECT_EQ(verify_gmac_response(kServerTitle, keys, *ctos, *f_ctos).value(), 1000u);
}

TEST(HlsGmac, RejectsForgedOrMismatchedResponses) {
  const auto keys = green_book_keys();
  const Bytes ctos = hex("4B35366956616759");
  const Bytes good = hex("1001234567FE1466AFB3DBCD4F9389E2B7");
  auto expect_auth_failed = [&](const SystemTitle& title, const SecurityKeys& k, ByteView chal,
                                ByteView resp, const char* what) {
    auto r = verify_gmac_response(title, k, chal, resp);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, Errc::kAuthFailed) << what;
  };
  // Every flipped byte: SC, IC (changes the IV) and tag.
  for (std::size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x04;
    expect_auth_failed(kServerTitle, keys, ctos, bad, "flipped byte");
  }
  expect_auth_failed(kClientTitle, keys, ctos, good, "wrong title");
  SecurityKeys wrong = keys;
  wrong.auth_key[3] ^= 0xFF;
  expect_auth_failed(kServerTitle, wrong, ctos, good, "wrong AK");
  wrong = keys;
  wrong.block_key[3] ^= 0xFF;
  expect_auth_failed(kServerTitle, wrong, ctos, good, "wrong EK");
  expect_auth_failed(kServerTitle, keys, hex("4B35366956616758"), good, "other challenge");
  expect_auth_failed(kServerTitle, keys, ctos, ByteView(good).first(16), "short");
  Bytes longer = good;
  longer.push_back(0);
  expect_auth_failed(kServerTitle, keys, ctos, longer, "long");
  expect_auth_failed(kServerTitle, keys, ctos, {}, "empty");
  // A response made under SC 0x30 (or any other SC) is refused even with a valid tag for it.
  expect_auth_failed(kServerTitle, keys, ctos, hex("3001234567FE1466AFB3DBCD4F9389E2B7"), "sc");
}

TEST(HlsGmac, BoundsPeerChallengeLength) {
  const auto keys = green_book_keys();
  EXPECT_EQ(gmac_response(kClientTitle, 1, keys, Bytes(7, 1)).error().code, Errc::kMalformed);
  EXPECT_EQ(gmac_response(kClientTitle, 1, keys, Bytes(65, 1)).error().code, Errc::kMalformed);
  EXPECT_TRUE(gmac_response(kClientTitle, 1, keys, Bytes(64, 1)).ok());
  EXPECT_EQ(verify_gmac_response(kServerTitle, keys, Bytes(4, 1), Bytes(17, 0)).error().code,
            Errc::kInvalidArgument);
}

// --- Invocation counters -----------------------------------------------------------------------

TEST(InvocationCounterGuard, RejectsReplayedInvocationCounter) {
  InvocationCounterGuard g;
  EXPECT_FALSE(g.last().has_value());
  EXPECT_TRUE(g.accept(0).ok());  // the first counter seen may be anything, even 0
  EXPECT_EQ(g.accept(0).error().code, Errc::kReplay);
  EXPECT_TRUE(g.accept(5).ok());
  EXPECT_EQ(g.accept(5).error().code, Errc::kReplay);
  EXPECT_EQ(g.accept(4).error().code, Errc::kReplay);
  EXPECT_EQ(g.last(), 5u);  // rejected counters do not move the guard
  EXPECT_TRUE(g.accept(6).ok());
  EXPECT_TRUE(g.accept(0xFFFFFFFF).ok());
  EXPECT_EQ(g.accept(0xFFFFFFFF).error().code, Errc::kReplay);
  EXPECT_EQ(g.accept(0).error().code, Errc::kReplay);  // no wrap-around
}

TEST(InvocationCounterGuard, ResumesFromPersistedValue) {
  InvocationCounterGuard g(100);
  EXPECT_EQ(g.accept(100).error().code, Errc::kReplay);
  EXPECT_EQ(g.accept(1).error().code, Errc::kReplay);
  EXPECT_TRUE(g.accept(101).ok());
  EXPECT_EQ(g.last(), 101u);
}

TEST(InvocationCounter, IssuesEachValueOnceAndRefusesToWrap) {
  InvocationCounter c(5);
  EXPECT_EQ(c.peek(), 5u);
  EXPECT_EQ(c.next().value(), 5u);
  EXPECT_EQ(c.next().value(), 6u);
  EXPECT_EQ(c.peek(), 7u);

  InvocationCounter end(0xFFFFFFFD);
  EXPECT_EQ(end.next().value(), 0xFFFFFFFDu);
  EXPECT_EQ(end.next().value(), 0xFFFFFFFEu);
  EXPECT_EQ(end.next().error().code, Errc::kLimitExceeded);
  EXPECT_EQ(end.next().error().code, Errc::kLimitExceeded);  // stays exhausted
  EXPECT_EQ(end.peek(), 0xFFFFFFFFu);
}

}  // namespace
}  // namespace vidyut::dlms::security
