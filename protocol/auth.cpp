#include "protocol/auth.hpp"

#include <jwt/jwt.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <cmath>
#include <exception>
#include <limits>

namespace cws::protocol {
namespace {

using json = nlohmann::json;

authentication_failure invalid(std::string message) { return {"INVALID_TOKEN", std::move(message)}; }

bool is_base64url(std::string_view part) {
  if (part.empty()) return false;
  for (const char character : part) {
    const bool allowed = (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
                         (character >= '0' && character <= '9') || character == '-' || character == '_';
    if (!allowed) return false;
  }
  return true;
}

// A NumericDate claim (seconds, integer or fraction) in milliseconds.
std::optional<std::int64_t> numeric_date_ms(const json& value) {
  constexpr auto largest = std::numeric_limits<std::int64_t>::max();
  constexpr auto smallest = std::numeric_limits<std::int64_t>::min();
  if (value.is_number_unsigned()) {
    const auto seconds = value.get<std::uint64_t>();
    return seconds > static_cast<std::uint64_t>(largest / 1000) ? largest : static_cast<std::int64_t>(seconds) * 1000;
  }
  if (value.is_number_integer()) {
    const auto seconds = value.get<std::int64_t>();
    if (seconds > largest / 1000) return largest;
    if (seconds < smallest / 1000) return smallest;
    return seconds * 1000;
  }
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds)) return std::nullopt;
    if (seconds >= 9e15) return largest;
    if (seconds <= -9e15) return smallest;
    return static_cast<std::int64_t>(std::floor(seconds * 1000));
  }
  return std::nullopt;
}

// simplejwt writes user_id as an integer, newer versions as a string of digits.
std::optional<std::int64_t> user_id_of(const json& value) {
  if (value.is_number_unsigned()) {
    const auto id = value.get<std::uint64_t>();
    if (id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(id);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > 18) return std::nullopt;  // 18 digits always fit in int64
  std::int64_t id = 0;
  for (const char character : text) {
    if (character < '0' || character > '9') return std::nullopt;
    id = id * 10 + (character - '0');
  }
  return id;
}

}  // namespace

std::variant<std::int64_t, authentication_failure> verify_token(std::string_view token, std::string_view secret,
                                                                timestamp_ms now) {
  if (token.empty()) return authentication_failure{"AUTH_REQUIRED", "authentication required: no token given"};

  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return invalid("malformed token: expected three dot-separated parts");
  }
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = token.substr(second_dot + 1);
  if (!is_base64url(header_part) || !is_base64url(payload_part) || !is_base64url(signature_part)) {
    return invalid("malformed token: parts must be non-empty base64url");
  }

  // cpp-jwt parses the parts; the checks below are done here because its own
  // verification reads the wall clock, accepts "hs256" and compares
  // signatures in variable time.
  json header;
  json claims;
  try {
    std::error_code error;
    jwt::jwt_header decoded_header;
    decoded_header.decode(jwt::string_view(header_part.data(), header_part.size()), error);
    if (error) return invalid("malformed token header: " + error.message());
    header = decoded_header.create_json_obj();
    jwt::jwt_payload decoded_payload;
    decoded_payload.decode(jwt::string_view(payload_part.data(), payload_part.size()), error);
    if (error) return invalid("malformed token payload: " + error.message());
    claims = decoded_payload.create_json_obj();
  } catch (const std::exception&) {
    return invalid("malformed token");
  }
  if (!header.is_object() || !claims.is_object()) return invalid("malformed token: header and payload must be objects");

  const auto algorithm = header.find("alg");
  if (algorithm == header.end() || !algorithm->is_string() || algorithm->get_ref<const std::string&>() != "HS256") {
    return invalid("token algorithm must be HS256");
  }

  const std::string_view signed_part = token.substr(0, second_dot);
  auto [digest, sign_error] = jwt::HMACSign<jwt::algo::HS256>::sign(
      jwt::string_view(secret.data(), secret.size()), jwt::string_view(signed_part.data(), signed_part.size()));
  if (sign_error || digest.empty()) return invalid("token signature could not be checked");
  std::string expected = jwt::base64_encode(digest.data(), digest.size());
  expected.resize(jwt::base64_uri_encode(&expected[0], expected.size()));
  if (expected.size() != signature_part.size() ||
      CRYPTO_memcmp(expected.data(), signature_part.data(), expected.size()) != 0) {
    return invalid("token signature is invalid");
  }

  const auto expiry = claims.find("exp");
  if (expiry == claims.end()) return invalid("token has no exp claim");
  const auto expiry_ms = numeric_date_ms(*expiry);
  if (!expiry_ms) return invalid("token exp claim is not a number");
  // As PyJWT: expired once now reaches exp.
  if (now >= *expiry_ms) return invalid("token has expired");

  if (const auto not_before = claims.find("nbf"); not_before != claims.end()) {
    const auto not_before_ms = numeric_date_ms(*not_before);
    if (!not_before_ms) return invalid("token nbf claim is not a number");
    if (now < *not_before_ms) return invalid("token is not yet valid");
  }
  if (const auto issued_at = claims.find("iat"); issued_at != claims.end() && !numeric_date_ms(*issued_at)) {
    return invalid("token iat claim is not a number");
  }

  if (const auto token_type = claims.find("token_type"); token_type != claims.end()) {
    if (!token_type->is_string() || token_type->get_ref<const std::string&>() != "access") {
      return invalid("token is not an access token");
    }
  }

  const auto user = claims.find("user_id");
  if (user == claims.end()) return invalid("token has no user_id claim");
  const auto user_id = user_id_of(*user);
  if (!user_id) return invalid("token user_id must be an integer or a string of digits");
  return *user_id;
}

}  // namespace cws::protocol
