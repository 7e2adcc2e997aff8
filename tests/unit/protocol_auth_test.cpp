#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "protocol/auth.hpp"

namespace cws::protocol {
namespace {

using json = nlohmann::json;

const std::string secret = "django-insecure-test-secret-key";
constexpr timestamp_ms now = 1795608000123;  // 2026-11-25T12:00:00.123Z
constexpr std::int64_t now_seconds = now / 1000;

// Tokens are built here with OpenSSL alone, independently of the code under test.
std::string base64url(const std::string& bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  for (char& character : encoded) {
    if (character == '+') character = '-';
    if (character == '/') character = '_';
  }
  return encoded;
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string make_token(const std::string& header, const std::string& payload, const std::string& key = secret) {
  const std::string signing_input = base64url(header) + "." + base64url(payload);
  return signing_input + "." + base64url(hmac_sha256(key, signing_input));
}

json access_claims(const json& user_id) {
  return json{{"token_type", "access"}, {"exp", now_seconds + 300}, {"iat", now_seconds - 10},
              {"jti", "8f1f3c1e0b6a4d8e9f2a7b3c4d5e6f70"}, {"user_id", user_id}};
}

const std::string hs256_header = R"({"alg":"HS256","typ":"JWT"})";

std::string token_for(const json& claims) { return make_token(hs256_header, claims.dump()); }

std::int64_t accepted(const std::string& token, timestamp_ms at = now) {
  const auto result = verify_token(token, secret, at);
  if (const auto* failure = std::get_if<authentication_failure>(&result)) {
    ADD_FAILURE() << failure->error_code << ": " << failure->message;
    return -1;
  }
  return std::get<std::int64_t>(result);
}

authentication_failure refused(const std::string& token, timestamp_ms at = now, const std::string& key = secret) {
  const auto result = verify_token(token, key, at);
  if (!std::holds_alternative<authentication_failure>(result)) {
    ADD_FAILURE() << "token accepted: " << token;
    return {};
  }
  return std::get<authentication_failure>(result);
}

TEST(VerifyToken, IntegerUserId) { EXPECT_EQ(accepted(token_for(access_claims(42))), 42); }

TEST(VerifyToken, StringUserId) { EXPECT_EQ(accepted(token_for(access_claims("1234567"))), 1234567); }

TEST(VerifyToken, SimplejwtShapedToken) {
  // Header key order and spacing as PyJWT writes them.
  const std::string token = make_token(R"({"alg":"HS256","typ":"JWT"})",
                                       R"({"token_type":"access","exp":)" + std::to_string(now_seconds + 300) +
                                           R"(,"iat":)" + std::to_string(now_seconds) +
                                           R"(,"jti":"abc","user_id":3})");
  EXPECT_EQ(accepted(token), 3);
}

TEST(VerifyToken, EmptyTokenIsAuthRequired) {
  const authentication_failure failure = refused("");
  EXPECT_EQ(failure.error_code, "AUTH_REQUIRED");
  EXPECT_FALSE(failure.message.empty());
}

TEST(VerifyToken, WrongSecret) {
  const authentication_failure failure = refused(token_for(access_claims(1)), now, "another-secret");
  EXPECT_EQ(failure.error_code, "INVALID_TOKEN");
  EXPECT_EQ(failure.message, "token signature is invalid");
}

TEST(VerifyToken, TamperedPayload) {
  const std::string token = token_for(access_claims(1));
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string forged =
      token.substr(0, first_dot + 1) + base64url(access_claims(2).dump()) + token.substr(second_dot);
  EXPECT_EQ(refused(forged).message, "token signature is invalid");
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(refused(flipped).error_code, "INVALID_TOKEN");
  EXPECT_EQ(refused(token + "A").error_code, "INVALID_TOKEN");
}

TEST(VerifyToken, ExpiryIsCheckedAgainstTheGivenTime) {
  json claims = access_claims(9);
  claims["exp"] = now_seconds;  // now is 123 ms past exp
  EXPECT_EQ(refused(token_for(claims)).message, "token has expired");
  claims["exp"] = now_seconds - 1;
  EXPECT_EQ(refused(token_for(claims)).error_code, "INVALID_TOKEN");
  claims["exp"] = now_seconds + 1;
  EXPECT_EQ(accepted(token_for(claims)), 9);
  // Exactly at exp it is expired; one millisecond before it is not.
  EXPECT_EQ(refused(token_for(claims), (now_seconds + 1) * 1000).message, "token has expired");
  EXPECT_EQ(accepted(token_for(claims), (now_seconds + 1) * 1000 - 1), 9);
  // A token long expired by the wall clock is valid at a `now` before its exp.
  claims["exp"] = 1'000'000'000;  // 2001
  EXPECT_EQ(accepted(token_for(claims), 999'999'999'000), 9);
}

TEST(VerifyToken, ExpIsRequiredAndNumeric) {
  json claims = access_claims(1);
  claims.erase("exp");
  EXPECT_EQ(refused(token_for(claims)).message, "token has no exp claim");
  for (const json& bad : {json("9999999999"), json(true), json(nullptr), json::array()}) {
    claims["exp"] = bad;
    EXPECT_EQ(refused(token_for(claims)).message, "token exp claim is not a number") << bad.dump();
  }
  claims["exp"] = static_cast<double>(now_seconds) + 0.5;  // fractions are allowed
  EXPECT_EQ(accepted(token_for(claims)), 1);
}

TEST(VerifyToken, OnlyHs256) {
  const std::string claims = access_claims(1).dump();
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"None"})", R"({"alg":"HS512","typ":"JWT"})",
                             R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})", R"({"typ":"JWT"})",
                             R"({"alg":5,"typ":"JWT"})"}) {
    EXPECT_EQ(refused(make_token(header, claims)).error_code, "INVALID_TOKEN") << header;
  }
  EXPECT_EQ(refused(make_token(R"({"alg":"HS512","typ":"JWT"})", claims)).message, "token algorithm must be HS256");
  // An unsigned token: "alg":"none" with an empty signature part.
  const std::string unsigned_token = base64url(R"({"alg":"none"})") + "." + base64url(claims) + ".";
  EXPECT_EQ(refused(unsigned_token).error_code, "INVALID_TOKEN");
}

TEST(VerifyToken, TokenTypeMustBeAccessWhenPresent) {
  json claims = access_claims(5);
  claims["token_type"] = "refresh";
  EXPECT_EQ(refused(token_for(claims)).message, "token is not an access token");
  claims["token_type"] = 1;
  EXPECT_EQ(refused(token_for(claims)).error_code, "INVALID_TOKEN");
  claims.erase("token_type");
  EXPECT_EQ(accepted(token_for(claims)), 5);
}

TEST(VerifyToken, UserIdMustBeUsable) {
  json claims = access_claims(1);
  claims.erase("user_id");
  EXPECT_EQ(refused(token_for(claims)).message, "token has no user_id claim");
  for (const json& bad : {json("abc"), json(""), json("12a"), json("-3"), json(1.5), json(true), json(nullptr),
                          json::object(), json("99999999999999999999")}) {
    claims["user_id"] = bad;
    EXPECT_EQ(refused(token_for(claims)).message, "token user_id must be an integer or a string of digits")
        << bad.dump();
  }
}

TEST(VerifyToken, NotBeforeAndIssuedAt) {
  json claims = access_claims(1);
  claims["nbf"] = now_seconds + 60;
  EXPECT_EQ(refused(token_for(claims)).message, "token is not yet valid");
  claims["nbf"] = now_seconds - 60;
  EXPECT_EQ(accepted(token_for(claims)), 1);
  claims["iat"] = "yesterday";
  EXPECT_EQ(refused(token_for(claims)).message, "token iat claim is not a number");
}

TEST(VerifyToken, Malformed) {
  for (const std::string& token : std::vector<std::string>{"abc", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b.", "!!!.x.y", "a b.c.d", "eyJ.eyJ.sig=",
        base64url("not json") + "." + base64url("{}") + ".abc",
        make_token(hs256_header, "[1,2]"), make_token(hs256_header, "not json"),
        make_token(R"({"alg":"HS256","typ":"JWS"})", access_claims(1).dump()),
        make_token(R"(["HS256"])", access_claims(1).dump())}) {
    const authentication_failure failure = refused(token);
    EXPECT_EQ(failure.error_code, "INVALID_TOKEN") << token;
    EXPECT_FALSE(failure.message.empty());
  }
  EXPECT_EQ(refused("a.b").message, "malformed token: expected three dot-separated parts");
}

}  // namespace
}  // namespace cws::protocol
