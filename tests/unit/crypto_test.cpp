#include "security/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rihla {
namespace {

bool IsLowerHex(const std::string& s) { return s.find_first_not_of("0123456789abcdef") == std::string::npos; }

TEST(Crypto, Sha256MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha256MatchesRfc4231TestCase1) {
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Crypto, HmacDependsOnKeyAndData) {
  EXPECT_NE(HmacSha256Hex("k1", "data"), HmacSha256Hex("k2", "data"));
  EXPECT_NE(HmacSha256Hex("k1", "data"), HmacSha256Hex("k1", "date"));
}

TEST(Crypto, HexEncodesLowerCase) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes, 4), "000fabff");
  EXPECT_EQ(HexEncode(bytes, 0), "");
}

TEST(Crypto, Base64UrlEncodesWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  // Bytes that use '+' and '/' in standard base64 use '-' and '_' here.
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
}

TEST(Crypto, Base64UrlRoundTripsEveryLengthAndByte) {
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= 40; ++len) {
    std::string in = data.substr(256 - len * 6 % 256, len);
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(in), out)) << len;
    EXPECT_EQ(out, in) << len;
  }
  std::string out;
  ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(data), out));
  EXPECT_EQ(out, data);
}

TEST(Crypto, Base64UrlDecodeRejectsStandardAlphabetAndPadding) {
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("ab+c", out));
  EXPECT_FALSE(Base64UrlDecode("ab/c", out));
  EXPECT_FALSE(Base64UrlDecode("Zg==", out));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v", out));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", out));  // a single leftover character carries no byte
  EXPECT_TRUE(Base64UrlDecode("Zm9v", out));
  EXPECT_EQ(out, "foo");
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Crypto, VerifiesTheRightPasswordAndRejectsAWrongOne) {
  std::string hash = HashPassword("correct horse battery staple");
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(Crypto, SaltsPasswordHashes) {
  EXPECT_NE(HashPassword("same password"), HashPassword("same password"));
}

TEST(Crypto, RejectsAGarbageHash) { EXPECT_FALSE(VerifyPassword("not a hash", "password")); }

TEST(Crypto, RandomHexHasTwoCharsPerByteAndDiffers) {
  std::string a = RandomHex(16);
  std::string b = RandomHex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(IsLowerHex(a)) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(RandomHex(0), "");
  EXPECT_EQ(RandomHex(1).size(), 2u);
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) seen.insert(RandomHex(8));
  EXPECT_EQ(seen.size(), 500u);
}

TEST(Crypto, RandomTokenIsBase64UrlAndDiffers) {
  std::string a = RandomToken(32);
  EXPECT_EQ(a.size(), 43u);  // 32 bytes -> 43 chars without padding
  std::string decoded;
  ASSERT_TRUE(Base64UrlDecode(a, decoded));
  EXPECT_EQ(decoded.size(), 32u);
  EXPECT_NE(a, RandomToken(32));
}

}  // namespace
}  // namespace rihla
