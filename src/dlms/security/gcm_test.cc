#include "dlms/security/gcm.h"

#include <gtest/gtest.h>

#include <string>

namespace vidyut::dlms::security {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }
Key128 key(std::string_view s) { return parse_key(s).value(); }
Iv iv(std::string_view s) {
  Bytes b = hex(s);
  Iv out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}
Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Test cases 1-4 (AES-128, 96-bit IV, 128-bit tag) from D. McGrew and J. Viega, "The
// Galois/Counter Mode of Operation (GCM)", revised 2005, Appendix B (the vectors NIST publishes
// with the GCM specification).
struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

constexpr GcmVector kMcGrewViega[] = {
    {"TestCase1", "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"TestCase2", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"TestCase3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"TestCase4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
};

TEST(AesGcm, MatchesMcGrewViegaVectorsWithFullTag) {
  for (const auto& v : kMcGrewViega) {
    SCOPED_TRACE(v.name);
    auto out = aes128_gcm_encrypt(key(v.key), iv(v.iv), hex(v.aad), hex(v.plaintext), 16);
    ASSERT_TRUE(out.ok()) << out.error().describe();
    EXPECT_EQ(to_hex(*out), to_hex(cat(hex(v.ciphertext), hex(v.tag))));

    auto back = aes128_gcm_decrypt(key(v.key), iv(v.iv), hex(v.aad), *out, 16);
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(to_hex(*back), to_hex(hex(v.plaintext)));
  }
}

TEST(AesGcm, TruncatedTagIsLeadingTwelveBytesOfFullTag) {
  for (const auto& v : kMcGrewViega) {
    SCOPED_TRACE(v.name);
    auto out = aes128_gcm_encrypt(key(v.key), iv(v.iv), hex(v.aad), hex(v.plaintext), 12);
    ASSERT_TRUE(out.ok());
    Bytes tag = hex(v.tag);
    tag.resize(12);
    EXPECT_EQ(to_hex(*out), to_hex(cat(hex(v.ciphertext), tag)));
    auto back = aes128_gcm_decrypt(key(v.key), iv(v.iv), hex(v.aad), *out, 12);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, hex(v.plaintext));
  }
}

TEST(AesGcm, RejectsAlteredCiphertextTagAndAad) {
  const auto& v = kMcGrewViega[3];
  const Bytes aad = hex(v.aad);
  auto sealed = aes128_gcm_encrypt(key(v.key), iv(v.iv), aad, hex(v.plaintext), 12);
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes bad = *sealed;
    bad[i] ^= 0x01;
    auto r = aes128_gcm_decrypt(key(v.key), iv(v.iv), aad, bad, 12);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.error().code, Errc::kAuthFailed);
  }
  for (std::size_t i = 0; i < aad.size(); ++i) {
    Bytes bad = aad;
    bad[i] ^= 0x80;
    auto r = aes128_gcm_decrypt(key(v.key), iv(v.iv), bad, *sealed, 12);
    ASSERT_FALSE(r.ok()) << "aad byte " << i;
    EXPECT_EQ(r.error().code, Errc::kAuthFailed);
  }
}

TEST(AesGcm, InputShorterThanTagIsMalformed) {
  const Key128 k{};
  const Iv n{};
  for (std::size_t len = 0; len < 12; ++len) {
    auto r = aes128_gcm_decrypt(k, n, {}, Bytes(len, 0), 12);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kMalformed) << len;
  }
}

TEST(AesGcm, RejectsTagLengthsOutsideTwelveToSixteen) {
  const Key128 k{};
  const Iv n{};
  EXPECT_EQ(aes128_gcm_encrypt(k, n, {}, {}, 8).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(aes128_gcm_encrypt(k, n, {}, {}, 17).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(aes128_gcm_decrypt(k, n, {}, Bytes(20, 0), 4).error().code, Errc::kInvalidArgument);
}

// RFC 3394 section 4.1: wrap 128 bits of key data with a 128-bit KEK.
TEST(AesKeyWrap, MatchesRfc3394Section4_1) {
  const Key128 kek = key("000102030405060708090A0B0C0D0E0F");
  const Bytes data = hex("00112233445566778899AABBCCDDEEFF");
  auto wrapped = aes_key_wrap(kek, data);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().describe();
  EXPECT_EQ(to_hex(*wrapped), "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
  auto unwrapped = aes_key_unwrap(kek, *wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.error().describe();
  EXPECT_EQ(*unwrapped, data);
}

TEST(AesKeyWrap, WrongKekOrAlteredDataFailsIntegrityCheck) {
  const Key128 kek = key("000102030405060708090A0B0C0D0E0F");
  const Bytes wrapped = hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
  Key128 other = kek;
  other[0] ^= 1;
  EXPECT_EQ(aes_key_unwrap(other, wrapped).error().code, Errc::kAuthFailed);
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Bytes bad = wrapped;
    bad[i] ^= 0x10;
    auto r = aes_key_unwrap(kek, bad);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.error().code, Errc::kAuthFailed) << i;
  }
}

TEST(AesKeyWrap, RejectsBadLengths) {
  const Key128 kek{};
  EXPECT_EQ(aes_key_wrap(kek, Bytes(8, 0)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(aes_key_wrap(kek, Bytes(17, 0)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(aes_key_unwrap(kek, Bytes(16, 0)).error().code, Errc::kMalformed);
  EXPECT_EQ(aes_key_unwrap(kek, Bytes(25, 0)).error().code, Errc::kMalformed);
}

}  // namespace
}  // namespace vidyut::dlms::security
