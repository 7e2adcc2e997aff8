// The integration tests' own model of the data and of PROTOCOL.md: a seeded
// data generator, the JSON Lines writer for `customer-ws import`, and a
// brute-force reference that computes the expected answer of a list request
// or of get_filter_options straight from the contract's rules. It shares no
// code with the service on purpose.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cwsit {

using json = nlohmann::json;
using Ms = std::int64_t;  // milliseconds since the Unix epoch, UTC
using OptStr = std::optional<std::string>;

// ---- time ------------------------------------------------------------------

// "2023-01-01T00:00:00.000Z"
std::string iso_ms(Ms t);
// "2023-01-01"
std::string iso_date(Ms t);
// Parses "YYYY-MM-DD" or "YYYY-MM-DD[T ]HH:MM[:SS[.fff...]][Z|±HH:MM|±HHMM]"
// (no zone = UTC). `date_only` tells which form it was.
std::optional<Ms> parse_iso(const std::string& s, bool* date_only = nullptr);
// True when `s` is exactly "YYYY-MM-DDTHH:MM:SS.mmmZ".
bool is_canonical_time(const std::string& s);
// `t` written in the local time of `offset_minutes`, e.g. "...T13:00:00.500+03:00".
std::string iso_with_offset(Ms t, int offset_minutes, bool with_millis = true);

// ---- data ------------------------------------------------------------------

struct Tag {
  std::int64_t id = 0;
  std::string name;
};

struct Message {
  std::int64_t id = 0;
  OptStr content;
  std::string type;  // "customer" | "agent"
  bool is_ai_response = false;
  bool is_answered = false;
  Ms created_at = 0;
};

struct Conversation {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  OptStr title;
  std::string status;
  OptStr source;
  Ms created_at = 0;
  Ms updated_at = 0;
  std::vector<Message> messages;  // in file order (not sorted)
};

struct Customer {
  std::int64_t id = 0;
  OptStr first_name, last_name, username, email, phone_number, source, source_id, profile_picture;
  Ms created_at = 0;
  Ms updated_at = 0;
  std::vector<Tag> tags;                    // in file order
  std::vector<Conversation> conversations;  // in file order
};

struct Dataset {
  std::vector<Customer> customers;
  std::map<std::int64_t, std::string> tags;  // every tag id -> name
};

// About 300 customers from a seeded generator, with the edge cases the tests
// rely on planted deterministically (see reference.cpp).
Dataset generate_dataset(std::uint64_t seed, int customers);

// One customer as an import line (DATA.md), times written canonically.
json import_json(const Customer& c);
// The whole data set as JSON Lines.
std::string to_jsonl(const Dataset& d);

// ---- the reference -----------------------------------------------------------

// Which conversations a connection sees: all (auth none) or one user's.
using Scope = std::optional<std::int64_t>;

// The expected answer of one list request.
struct ExpectedList {
  std::vector<const Customer*> all;  // every match, in order
  std::vector<const Customer*> page;  // the requested slice
  json pagination;                    // the full pagination object
};

class Reference {
 public:
  explicit Reference(const Dataset& d) : data_(d) {}

  const Dataset& data() const { return data_; }

  // `filters` must be valid (the reference is only fed inputs the server must
  // accept); throws std::invalid_argument otherwise, which is a test bug.
  ExpectedList list(const json& filters, Scope scope = std::nullopt) const;

  // The CUSTOMER object as the protocol shows it to `scope`, with every time
  // as integer milliseconds (compare with normalise_customer()).
  json customer_json(const Customer& c, Scope scope = std::nullopt) const;

  // The `options` of a filter_options answer, times as canonical strings.
  json filter_options(Scope scope = std::nullopt) const;

  static Ms last_activity(const Customer& c);
  static int unread_count(const Conversation& conv);
  static std::vector<const Conversation*> visible(const Customer& c, Scope scope);
  static bool visible_customer(const Customer& c, Scope scope);

  // Case-insensitive substring, folding ASCII, Cyrillic and Greek letters.
  static std::string fold(const std::string& utf8);
  static std::vector<std::string> split_terms(const std::string& s);

  const Customer* find(std::int64_t id) const;

 private:
  const Dataset& data_;
};

// An actual CUSTOMER from the server, reduced to the documented keys (a
// missing key becomes the string "<missing>") and with its times converted to
// integer milliseconds (an unparsable time stays a string), so that it can be
// compared with Reference::customer_json.
json normalise_customer(const json& actual);

// Every time string of a customers_list's customers (for format checks).
void collect_times(const json& customer, std::vector<std::string>& out);

}  // namespace cwsit
