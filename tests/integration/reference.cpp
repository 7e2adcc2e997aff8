// The reference model: see reference.hpp.
#include "tests/integration/reference.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace cwsit {

// ---- time ------------------------------------------------------------------

namespace {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

constexpr Ms kDay = 86400000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool digits(const std::string& s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string iso_ms(Ms t) {
  const std::int64_t days = floor_div(t, kDay);
  Ms rest = t - days * kDay;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return buf;
}

std::string iso_date(Ms t) { return iso_ms(t).substr(0, 10); }

std::string iso_with_offset(Ms t, int offset_minutes, bool with_millis) {
  std::string local = iso_ms(t + static_cast<Ms>(offset_minutes) * 60000);
  local.pop_back();  // 'Z'
  if (!with_millis) local.resize(19);
  char buf[16];
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return local + buf;
}

std::optional<Ms> parse_iso(const std::string& s, bool* date_only) {
  int y, mo, d;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  const Ms day = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kDay;
  if (s.size() == 10) {
    if (date_only) *date_only = true;
    return day;
  }
  if (date_only) *date_only = false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int h, mi, sec = 0;
  if (!digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, mi)) return std::nullopt;
  size_t pos = 16;
  Ms millis = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int n = 0;
      Ms frac = 0;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (n < 3) frac = frac * 10 + (s[pos] - '0');
        ++n;
        ++pos;
      }
      if (n == 0) return std::nullopt;
      for (int i = n; i < 3; ++i) frac *= 10;
      millis = frac;
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  Ms offset = 0;
  if (pos < s.size()) {
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
      // UTC
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      int oh, om = 0;
      if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
      size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size()) {
        if (!digits(s, p, 2, om)) return std::nullopt;
        p += 2;
      }
      if (p != s.size()) return std::nullopt;
      offset = sign * (oh * 60 + om) * 60000LL;
    } else {
      return std::nullopt;
    }
  }
  return day + h * 3600000LL + mi * 60000LL + sec * 1000LL + millis - offset;
}

bool is_canonical_time(const std::string& s) {
  static const char* pattern = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (s.size() != 24) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (pattern[i] == 'd') {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    } else if (s[i] != pattern[i]) {
      return false;
    }
  }
  return parse_iso(s).has_value();
}

// ---- data generation -----------------------------------------------------------

namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::int64_t range(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return (next() >> 11) * (1.0 / 9007199254740992.0) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(range(0, static_cast<std::int64_t>(v.size()) - 1))];
  }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(range(0, i - 1))]);
  }
};

Ms at(const char* iso) { return *parse_iso(iso); }

const std::vector<std::string> kFirstLatin = {"John", "Jane", "Alice", "ALICE", "alice", "Bob",  "bob",
                                              "Mary-Jane", "Zoë", "Émile", "Zed", "Ann"};
const std::vector<std::string> kLastLatin = {"Doe", "DOE", "Smith", "smith", "O'Brien", "van der Berg",
                                             "Müller", "Johnson"};
const std::vector<std::string> kFirstCyr = {"Дмитрий", "ДМИТРИЙ", "дмитрий", "Анна", "АННА",
                                            "Пётр",    "ПЁТР",    "Ёжик",    "Ольга"};
const std::vector<std::string> kLastCyr = {"ИВАНОВ", "Иванов", "иванова", "Петров", "Сидоренко", "Ёлкин", "ЁЛКИН"};
const std::vector<std::string> kFirstGreek = {"Αλέξανδρος", "Σοφία", "Νίκος"};
const std::vector<std::string> kLastGreek = {"Παπαδόπουλος", "Γεωργίου"};
const std::vector<std::string> kOtherNames = {"😀Smile", "123", "Zed Jr.", "a", "~tilde"};

const std::vector<std::string> kContents = {"Hello, I need help!",
                                            "Здравствуйте! Где мой заказ?",
                                            "Γεια σας",
                                            "quote \" and backslash \\ here",
                                            "emoji 🎉 party",
                                            "line1\nline2",
                                            "needle in a haystack",
                                            "tab\there",
                                            "",
                                            "<b>html</b> & stuff"};
const std::vector<OptStr> kTitles = {std::string("Support Chat"), std::string("Заказ №42"),
                                     std::string("Order #7"), std::nullopt, std::string("")};

// Tag ids deliberately not in name order; "VIP" and "vip" are two tags.
const std::vector<Tag> kTags = {{7, "VIP"},  {3, "Premium"}, {12, "vip"},   {4, "Лояльный"}, {9, "спам"},
                                {2, "Ελλάδα"}, {15, "new"},   {5, "B2B"},    {11, "Zebra"},  {1, "a b"}};

OptStr pick_name(Rng& r, bool first, const std::string& kind) {
  if (kind == "latin") return r.pick(first ? kFirstLatin : kLastLatin);
  if (kind == "cyr") return r.pick(first ? kFirstCyr : kLastCyr);
  if (kind == "greek") return r.pick(first ? kFirstGreek : kLastGreek);
  return r.pick(kOtherNames);
}

std::string pick_kind(Rng& r) {
  const auto x = r.range(0, 99);
  if (x < 50) return "latin";
  if (x < 78) return "cyr";
  if (x < 90) return "greek";
  return "other";
}

OptStr maybe_name(Rng& r, bool first, const std::string& kind) {
  const auto x = r.range(0, 99);
  if (x < 8) return std::nullopt;
  if (x < 13) return std::string();
  return pick_name(r, first, kind);
}

}  // namespace

Dataset generate_dataset(std::uint64_t seed, int count) {
  Rng r{seed};
  Dataset d;
  for (const auto& t : kTags) d.tags[t.id] = t.name;

  std::int64_t next_customer_id = 1000;
  std::int64_t next_conv_id = 500;
  std::int64_t next_msg_id = 10000;
  const Ms base = at("2023-01-01T00:00:00.000Z");
  std::vector<Ms> created_so_far;

  for (int i = 0; i < count; ++i) {
    Customer c;
    next_customer_id += r.range(1, 4);
    c.id = next_customer_id;
    const std::string kind = pick_kind(r);
    c.first_name = maybe_name(r, true, kind);
    c.last_name = maybe_name(r, false, kind);

    // username
    switch (r.range(0, 9)) {
      case 0: c.username = std::nullopt; break;
      case 1: c.username = std::string(); break;
      case 2: c.username = "john_doe" + std::to_string(r.range(1, 99)); break;
      case 3: c.username = std::string("100%real"); break;
      case 4: c.username = "дима_" + std::to_string(c.id); break;
      case 5: c.username = std::string("Alice.W"); break;
      default: c.username = "user" + std::to_string(c.id); break;
    }
    // email
    switch (r.range(0, 19)) {
      case 0: case 1: case 2: c.email = std::nullopt; break;
      case 3: case 4: c.email = std::string(); break;
      case 5: case 6: c.email = "ANNA." + std::to_string(c.id) + "@MAIL.RU"; break;
      case 7: case 8: c.email = "ivanov" + std::to_string(c.id) + "@yandex.ru"; break;
      default: c.email = "person." + std::to_string(c.id) + "@example.com"; break;
    }
    // phone
    switch (r.range(0, 19)) {
      case 0: case 1: case 2: case 3: c.phone_number = std::nullopt; break;
      case 4: case 5: c.phone_number = std::string(); break;
      case 6: case 7: c.phone_number = "+1 555 01" + std::to_string(r.range(10, 99)); break;
      case 8: c.phone_number = std::string("8-800-555-35-35"); break;
      default: c.phone_number = "+7916" + std::to_string(r.range(1000000, 9999999)); break;
    }
    // source
    {
      const auto x = r.range(0, 99);
      if (x < 35) c.source = std::string("telegram");
      else if (x < 60) c.source = std::string("instagram");
      else if (x < 75) c.source = std::string("unknown");
      else if (x < 85) c.source = std::string("whatsapp");
    }
    if (c.source) c.source_id = *c.source + "_src_" + std::to_string(c.id);
    if (r.chance(0.5)) c.profile_picture = "/media/customer_img/" + std::to_string(c.id) + ".jpg";

    // created_at: random, sometimes equal to an earlier customer's
    if (!created_so_far.empty() && r.chance(0.1)) {
      c.created_at = r.pick(created_so_far);
    } else {
      c.created_at = base + r.range(0, 360LL * kDay);
      if (r.chance(0.1)) c.created_at -= c.created_at % 1000;  // whole seconds (".000")
    }
    c.updated_at = r.chance(0.05) ? c.created_at : c.created_at + r.range(0, 30LL * kDay);

    // tags
    {
      const auto x = r.range(0, 99);
      int n = x < 40 ? 0 : x < 75 ? 1 : x < 90 ? 2 : 3;
      std::vector<Tag> pool = kTags;
      r.shuffle(pool);
      c.tags.assign(pool.begin(), pool.begin() + n);
    }

    // conversations
    {
      const auto x = r.range(0, 99);
      int n = x < 15 ? 0 : x < 65 ? 1 : x < 90 ? 2 : 3;
      std::vector<std::int64_t> conv_ids;
      for (int k = 0; k < n; ++k) conv_ids.push_back(next_conv_id += r.range(1, 3));
      r.shuffle(conv_ids);
      for (int k = 0; k < n; ++k) {
        Conversation conv;
        conv.id = conv_ids[static_cast<size_t>(k)];
        const auto u = r.range(0, 99);
        conv.user_id = u < 35 ? 1 : u < 65 ? 2 : u < 90 ? 3 : 4;
        conv.title = r.pick(kTitles);
        const auto st = r.range(0, 99);
        conv.status = st < 35   ? "active"
                      : st < 50 ? "support_active"
                      : st < 65 ? "marketing_active"
                      : st < 95 ? "closed"
                                : "archived";
        conv.source = r.chance(0.1) ? OptStr() : (c.source ? c.source : OptStr("telegram"));
        conv.created_at = c.created_at + r.range(0, 5LL * kDay);
        conv.updated_at = conv.created_at + r.range(0, 10LL * kDay);
        if (k > 0 && r.chance(0.3)) conv.updated_at = c.conversations[0].updated_at;  // tie
        const int m = static_cast<int>(r.range(0, 5));
        std::vector<std::int64_t> msg_ids;
        for (int j = 0; j < m; ++j) msg_ids.push_back(next_msg_id += r.range(1, 3));
        r.shuffle(msg_ids);
        for (int j = 0; j < m; ++j) {
          Message msg;
          msg.id = msg_ids[static_cast<size_t>(j)];
          msg.content = r.pick(kContents);
          msg.type = r.chance(0.6) ? "customer" : "agent";
          msg.is_ai_response = msg.type == "agent" && r.chance(0.3);
          msg.is_answered = r.chance(0.5);
          if (j > 0 && r.chance(0.2)) {
            msg.created_at = conv.messages[static_cast<size_t>(r.range(0, j - 1))].created_at;  // tie
          } else {
            msg.created_at = conv.created_at + r.range(0, 20LL * kDay);
          }
          conv.messages.push_back(msg);
        }
        c.conversations.push_back(std::move(conv));
      }
    }
    created_so_far.push_back(c.created_at);
    d.customers.push_back(std::move(c));
  }

  // ---- planted edge cases (overwrite a few generated customers) ----
  auto& cs = d.customers;
  if (cs.size() < 100) {  // small data sets (CLI tests) stay purely random
    r.shuffle(cs);
    return d;
  }
  auto plant = [&](size_t i) -> Customer& { return cs[i % cs.size()]; };
  {
    Customer& c = plant(3);
    c.first_name = "John";
    c.last_name = "Doe";
    c.username = "johndoe";
    c.email = "john@example.com";
    c.phone_number = "+1234567890";
  }
  // Day boundaries around 2023-06-15 (date-only date_from/date_to).
  const char* day_edges[] = {"2023-06-14T23:59:59.999Z", "2023-06-15T00:00:00.000Z", "2023-06-15T23:59:59.999Z",
                             "2023-06-16T00:00:00.000Z"};
  for (size_t k = 0; k < 4; ++k) {
    Customer& c = plant(10 + k);
    c.created_at = at(day_edges[k]);
    c.updated_at = c.created_at + 1000;
  }
  // Sub-second boundary (date-time date_to without fraction).
  plant(20).created_at = at("2023-07-20T10:00:00.000Z");
  plant(21).created_at = at("2023-07-20T10:00:00.500Z");
  plant(22).created_at = at("2023-07-20T09:59:59.999Z");
  for (size_t k = 20; k < 23; ++k) plant(k).updated_at = plant(k).created_at;
  // Tie groups on created_at.
  for (size_t k = 30; k < 33; ++k) {
    plant(k).created_at = at("2023-03-05T10:20:30.456Z");
    plant(k).updated_at = at("2023-03-06T00:00:00.000Z");
  }
  for (size_t k = 40; k < 42; ++k) plant(k).created_at = plant(k).updated_at = at("2023-09-09T09:09:09.009Z");
  // A last_activity made by a message, later than updated_at.
  {
    Customer& c = plant(50);
    c.created_at = at("2023-08-01T00:00:00.000Z");
    c.updated_at = at("2023-08-01T01:00:00.000Z");
    Conversation conv;
    conv.id = 400;
    conv.user_id = 2;
    conv.title = "Support Chat";
    conv.status = "active";
    conv.source = "telegram";
    conv.created_at = c.created_at;
    conv.updated_at = c.updated_at;
    // Two messages at the same instant: the higher id (listed first) is last_message.
    conv.messages.push_back({9002, std::string("second (higher id)"), "customer", false, false,
                             at("2023-08-01T12:00:00.250Z")});
    conv.messages.push_back({9001, std::string("first (lower id)"), "agent", true, false,
                             at("2023-08-01T12:00:00.250Z")});
    conv.messages.push_back({9003, std::string("older"), "customer", false, true, at("2023-08-01T11:00:00.000Z")});
    c.conversations.push_back(conv);
  }
  // Names that only differ in case, to check binary order.
  plant(60).first_name = "alice";
  plant(61).first_name = "Alice";
  plant(62).first_name = std::string();
  plant(63).first_name = std::nullopt;
  plant(64).first_name = "Alice";

  // File order must not be id order.
  r.shuffle(cs);
  return d;
}

namespace {
json opt(const OptStr& s) { return s ? json(*s) : json(nullptr); }

// The customer's own fields, as both the import format and the answers
// name them; times are added by each caller in its own form.
json customer_fields(const Customer& c) {
  return {{"id", c.id},
          {"first_name", opt(c.first_name)},
          {"last_name", opt(c.last_name)},
          {"username", opt(c.username)},
          {"email", opt(c.email)},
          {"phone_number", opt(c.phone_number)},
          {"source", opt(c.source)},
          {"source_id", opt(c.source_id)},
          {"profile_picture", opt(c.profile_picture)}};
}
}  // namespace

json import_json(const Customer& c) {
  json j = customer_fields(c);
  j["created_at"] = iso_ms(c.created_at);
  j["updated_at"] = iso_ms(c.updated_at);
  j["tags"] = json::array();
  for (const auto& t : c.tags) j["tags"].push_back({{"id", t.id}, {"name", t.name}});
  j["conversations"] = json::array();
  for (const auto& conv : c.conversations) {
    json jc = {{"id", conv.id},
               {"user_id", conv.user_id},
               {"title", opt(conv.title)},
               {"status", conv.status},
               {"source", opt(conv.source)},
               {"created_at", iso_ms(conv.created_at)},
               {"updated_at", iso_ms(conv.updated_at)}};
    jc["messages"] = json::array();
    for (const auto& m : conv.messages)
      jc["messages"].push_back({{"id", m.id},
                                {"content", opt(m.content)},
                                {"type", m.type},
                                {"is_ai_response", m.is_ai_response},
                                {"is_answered", m.is_answered},
                                {"created_at", iso_ms(m.created_at)}});
    j["conversations"].push_back(std::move(jc));
  }
  return j;
}

std::string to_jsonl(const Dataset& d) {
  std::string out;
  for (const auto& c : d.customers) {
    out += import_json(c).dump();
    out += '\n';
  }
  return out;
}

// ---- the reference -----------------------------------------------------------

Ms Reference::last_activity(const Customer& c) {
  Ms t = c.updated_at;
  for (const auto& conv : c.conversations)
    for (const auto& m : conv.messages) t = std::max(t, m.created_at);
  return t;
}

int Reference::unread_count(const Conversation& conv) {
  int n = 0;
  for (const auto& m : conv.messages)
    if (m.type == "customer" && !m.is_answered) ++n;
  return n;
}

std::vector<const Conversation*> Reference::visible(const Customer& c, Scope scope) {
  std::vector<const Conversation*> out;
  for (const auto& conv : c.conversations)
    if (!scope || conv.user_id == *scope) out.push_back(&conv);
  return out;
}

bool Reference::visible_customer(const Customer& c, Scope scope) {
  return !scope || !visible(c, scope).empty();
}

const Customer* Reference::find(std::int64_t id) const {
  for (const auto& c : data_.customers)
    if (c.id == id) return &c;
  return nullptr;
}

namespace {

// Decodes UTF-8 into code points (input is valid UTF-8: we made it).
std::vector<char32_t> decode(const std::string& s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    char32_t cp;
    int n;
    if (b < 0x80) { cp = b; n = 1; }
    else if ((b >> 5) == 6) { cp = b & 0x1F; n = 2; }
    else if ((b >> 4) == 14) { cp = b & 0x0F; n = 3; }
    else { cp = b & 0x07; n = 4; }
    for (int k = 1; k < n && i + static_cast<size_t>(k) < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(n);
  }
  return out;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t fold_cp(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;  // А..Я
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;  // Ѐ..Џ (Ё)
  if (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) return c + 0x20;  // Α..Ω
  switch (c) {
    case 0x0386: return 0x03AC;
    case 0x0388: return 0x03AD;
    case 0x0389: return 0x03AE;
    case 0x038A: return 0x03AF;
    case 0x038C: return 0x03CC;
    case 0x038E: return 0x03CD;
    case 0x038F: return 0x03CE;
    default: return c;
  }
}

size_t code_points(const std::string& s) { return decode(s).size(); }

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_ws(s[b])) ++b;
  while (e > b && is_ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("reference: " + what); }

bool is_none(const json& v) {
  return v.is_null() || (v.is_string() && (v.get<std::string>().empty() || v.get<std::string>() == "all")) ||
         (v.is_array() && v.empty());
}

bool parse_bool(const std::string& key, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) {
    if (v.get<long long>() == 1) return true;
    if (v.get<long long>() == 0) return false;
  }
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  bad(key + " " + v.dump());
}

std::set<std::string> parse_strings(const std::string& key, const json& v) {
  std::set<std::string> out;
  if (v.is_string()) {
    out.insert(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_string()) bad(key + " " + v.dump());
      out.insert(e.get<std::string>());
    }
  } else {
    bad(key + " " + v.dump());
  }
  return out;
}

std::int64_t parse_int(const std::string& key, const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
      return std::stoll(s);
  }
  bad(key + " " + v.dump());
}

struct Query {
  std::optional<std::vector<std::string>> terms;
  std::optional<bool> has_email, has_phone, has_unread;
  std::optional<std::set<std::string>> sources, tags, statuses;
  std::optional<std::set<std::int64_t>> tag_ids;
  std::optional<Ms> date_from, date_to, la_from, la_to;
  std::string order = "created_at";
  bool desc = true;
  std::optional<std::int64_t> page, page_size, limit, offset;
};

Ms bound(const std::string& key, const json& v, bool upper) {
  if (!v.is_string()) bad(key);
  bool date_only = false;
  auto t = parse_iso(v.get<std::string>(), &date_only);
  if (!t) bad(key + " " + v.dump());
  if (date_only && upper) return *t + kDay - 1;
  return *t;
}

Query parse_query(const json& filters) {
  Query q;
  if (!filters.is_object()) bad("filters not an object");
  for (const auto& [key, v] : filters.items()) {
    if (is_none(v)) continue;
    if (key == "search") {
      if (!v.is_string()) bad("search");
      const auto t = trim(v.get<std::string>());
      if (t.empty()) continue;
      if (code_points(t) > 200) bad("search too long");
      q.terms = Reference::split_terms(t);
    } else if (key == "has_email") {
      q.has_email = parse_bool(key, v);
    } else if (key == "has_phone") {
      q.has_phone = parse_bool(key, v);
    } else if (key == "has_unread") {
      q.has_unread = parse_bool(key, v);
    } else if (key == "source") {
      q.sources = parse_strings(key, v);
    } else if (key == "tags") {
      q.tags = parse_strings(key, v);
    } else if (key == "conversation_status") {
      q.statuses = parse_strings(key, v);
    } else if (key == "tag_ids") {
      std::set<std::int64_t> ids;
      if (v.is_array()) {
        for (const auto& e : v) ids.insert(parse_int(key, e));
      } else {
        ids.insert(parse_int(key, v));
      }
      q.tag_ids = ids;
    } else if (key == "date_from") {
      q.date_from = bound(key, v, false);
    } else if (key == "date_to") {
      q.date_to = bound(key, v, true);
    } else if (key == "last_activity_from") {
      q.la_from = bound(key, v, false);
    } else if (key == "last_activity_to") {
      q.la_to = bound(key, v, true);
    } else if (key == "order_by") {
      if (!v.is_string()) bad("order_by");
      auto s = v.get<std::string>();
      q.desc = !s.empty() && s[0] == '-';
      if (q.desc) s = s.substr(1);
      static const std::set<std::string> ok = {"created_at", "updated_at", "last_activity",
                                               "first_name", "last_name",  "id"};
      if (!ok.count(s)) bad("order_by " + s);
      q.order = s;
    } else if (key == "page" || key == "page_size" || key == "limit" || key == "offset") {
      const auto n = parse_int(key, v);
      if (key == "page") q.page = n;
      if (key == "page_size") q.page_size = n;
      if (key == "limit") q.limit = n;
      if (key == "offset") q.offset = n;
    }
    // anything else: an unknown key, ignored
  }
  if (q.date_from && q.date_to && *q.date_from > *q.date_to) bad("date range");
  if (q.la_from && q.la_to && *q.la_from > *q.la_to) bad("last_activity range");
  return q;
}

bool contains_folded(const OptStr& field, const std::string& folded_term) {
  if (!field) return false;
  return Reference::fold(*field).find(folded_term) != std::string::npos;
}

bool nonempty(const OptStr& s) { return s && !s->empty(); }

}  // namespace

std::string Reference::fold(const std::string& utf8) {
  std::string out;
  for (char32_t c : decode(utf8)) encode(fold_cp(c), out);
  return out;
}

std::vector<std::string> Reference::split_terms(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (is_ws(ch)) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

ExpectedList Reference::list(const json& filters, Scope scope) const {
  const Query q = parse_query(filters);
  std::vector<const Customer*> hits;
  for (const auto& c : data_.customers) {
    if (!visible_customer(c, scope)) continue;
    const auto convs = visible(c, scope);
    if (q.terms) {
      bool all = true;
      for (const auto& term : *q.terms) {
        const auto t = fold(term);
        if (!(contains_folded(c.first_name, t) || contains_folded(c.last_name, t) ||
              contains_folded(c.username, t) || contains_folded(c.email, t) ||
              contains_folded(c.phone_number, t))) {
          all = false;
          break;
        }
      }
      if (!all) continue;
    }
    if (q.has_email && nonempty(c.email) != *q.has_email) continue;
    if (q.has_phone && nonempty(c.phone_number) != *q.has_phone) continue;
    if (q.sources && !(c.source && q.sources->count(*c.source))) continue;
    if (q.tags) {
      bool any = false;
      for (const auto& t : c.tags) any = any || q.tags->count(t.name) > 0;
      if (!any) continue;
    }
    if (q.tag_ids) {
      bool any = false;
      for (const auto& t : c.tags) any = any || q.tag_ids->count(t.id) > 0;
      if (!any) continue;
    }
    if (q.statuses) {
      bool any = false;
      for (const auto* conv : convs) any = any || q.statuses->count(conv->status) > 0;
      if (!any) continue;
    }
    if (q.has_unread) {
      bool any = false;
      for (const auto* conv : convs) any = any || unread_count(*conv) > 0;
      if (any != *q.has_unread) continue;
    }
    if (q.date_from && c.created_at < *q.date_from) continue;
    if (q.date_to && c.created_at > *q.date_to) continue;
    const Ms la = last_activity(c);
    if (q.la_from && la < *q.la_from) continue;
    if (q.la_to && la > *q.la_to) continue;
    hits.push_back(&c);
  }

  // Ascending order with the id tie-break; descending is its exact reverse.
  auto key_less = [&](const Customer* a, const Customer* b) -> int {  // -1, 0, 1
    auto cmp_ms = [](Ms x, Ms y) { return x < y ? -1 : x > y ? 1 : 0; };
    auto cmp_str = [](const OptStr& x, const OptStr& y) {
      if (!x && !y) return 0;
      if (!x) return -1;  // null first ascending
      if (!y) return 1;
      const int c = x->compare(*y);  // bytes: UTF-8 byte order == code point order
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    };
    if (q.order == "created_at") return cmp_ms(a->created_at, b->created_at);
    if (q.order == "updated_at") return cmp_ms(a->updated_at, b->updated_at);
    if (q.order == "last_activity") return cmp_ms(last_activity(*a), last_activity(*b));
    if (q.order == "first_name") return cmp_str(a->first_name, b->first_name);
    if (q.order == "last_name") return cmp_str(a->last_name, b->last_name);
    return 0;  // id
  };
  std::sort(hits.begin(), hits.end(), [&](const Customer* a, const Customer* b) {
    const int k = key_less(a, b);
    if (k != 0) return k < 0;
    return a->id < b->id;
  });
  if (q.desc) std::reverse(hits.begin(), hits.end());

  // Pagination.
  const std::int64_t count = static_cast<std::int64_t>(hits.size());
  std::int64_t page, page_size, offset, limit;
  bool has_previous;
  if (q.limit || q.offset) {
    limit = std::min<std::int64_t>(q.limit.value_or(q.page_size.value_or(20)), 100);
    offset = q.offset.value_or(0);
    page_size = limit;
    page = offset / limit + 1;
    has_previous = offset > 0;
  } else {
    page = q.page.value_or(1);
    page_size = std::min<std::int64_t>(q.page_size.value_or(20), 100);
    offset = (page - 1) * page_size;
    limit = page_size;
    has_previous = page > 1;
  }
  if (page < 1 || page_size < 1 || offset < 0) bad("pagination");
  ExpectedList out;
  out.all = hits;
  for (std::int64_t i = offset; i < std::min(count, offset + limit); ++i) out.page.push_back(hits[static_cast<size_t>(i)]);
  const std::int64_t total_pages = std::max<std::int64_t>(1, (count + page_size - 1) / page_size);
  out.pagination = {{"count", count},
                    {"page_count", static_cast<std::int64_t>(out.page.size())},
                    {"page_size", page_size},
                    {"page", page},
                    {"total_pages", total_pages},
                    {"has_next", offset + limit < count},
                    {"has_previous", has_previous},
                    {"offset", offset},
                    {"limit", limit}};
  return out;
}

json Reference::customer_json(const Customer& c, Scope scope) const {
  json j = customer_fields(c);
  j["created_at"] = c.created_at;
  j["updated_at"] = c.updated_at;
  j["last_activity"] = last_activity(c);
  std::vector<Tag> tags = c.tags;
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  j["tags"] = json::array();
  for (const auto& t : tags) j["tags"].push_back({{"id", t.id}, {"name", t.name}});
  auto convs = visible(c, scope);
  std::sort(convs.begin(), convs.end(), [](const Conversation* a, const Conversation* b) {
    return a->updated_at != b->updated_at ? a->updated_at > b->updated_at : a->id > b->id;
  });
  int unread = 0;
  j["conversations"] = json::array();
  for (const auto* conv : convs) {
    const int u = unread_count(*conv);
    unread += u;
    const Message* last = nullptr;
    for (const auto& m : conv->messages)
      if (!last || m.created_at > last->created_at || (m.created_at == last->created_at && m.id > last->id))
        last = &m;
    json lm = nullptr;
    if (last)
      lm = {{"id", last->id},
            {"content", opt(last->content)},
            {"type", last->type},
            {"is_ai_response", last->is_ai_response},
            {"created_at", last->created_at}};
    j["conversations"].push_back({{"id", conv->id},
                                  {"title", opt(conv->title)},
                                  {"status", conv->status},
                                  {"source", opt(conv->source)},
                                  {"unread_count", u},
                                  {"created_at", conv->created_at},
                                  {"updated_at", conv->updated_at},
                                  {"last_message", lm}});
  }
  j["unread_count"] = unread;
  return j;
}

json Reference::filter_options(Scope scope) const {
  std::map<std::string, int> sources, statuses;
  std::map<std::pair<std::string, std::int64_t>, int> tags;  // (name, id) -> customers
  std::optional<Ms> lo, hi;
  for (const auto& c : data_.customers) {
    if (!visible_customer(c, scope)) continue;
    if (c.source) ++sources[*c.source];
    for (const auto& t : c.tags) ++tags[{t.name, t.id}];
    std::set<std::string> st;
    for (const auto* conv : visible(c, scope)) st.insert(conv->status);
    for (const auto& s : st) ++statuses[s];
    lo = lo ? std::min(*lo, c.created_at) : c.created_at;
    hi = hi ? std::max(*hi, c.created_at) : c.created_at;
  }
  json o;
  o["sources"] = json::array();
  o["source_counts"] = json::object();
  for (const auto& [s, n] : sources) {
    o["sources"].push_back(s);
    o["source_counts"][s] = n;
  }
  o["tags"] = json::array();
  o["tag_details"] = json::array();
  for (const auto& [k, n] : tags) {
    o["tags"].push_back(k.first);
    o["tag_details"].push_back({{"id", k.second}, {"name", k.first}, {"count", n}});
  }
  o["conversation_statuses"] = json::array();
  o["conversation_status_counts"] = json::object();
  for (const auto& [s, n] : statuses) {
    o["conversation_statuses"].push_back(s);
    o["conversation_status_counts"][s] = n;
  }
  o["has_email_options"] = json::parse(
      R"([{"value": "true", "label": "Has Email"}, {"value": "false", "label": "No Email"}, {"value": "all", "label": "All"}])");
  o["has_phone_options"] = json::parse(
      R"([{"value": "true", "label": "Has Phone"}, {"value": "false", "label": "No Phone"}, {"value": "all", "label": "All"}])");
  o["has_unread_options"] = json::parse(
      R"([{"value": "true", "label": "Has Unread Messages"}, {"value": "false", "label": "No Unread Messages"}, {"value": "all", "label": "All"}])");
  o["order_options"] = json::parse(
      R"([{"value": "-updated_at", "label": "Recently Updated"}, {"value": "-created_at", "label": "Recently Created"}, {"value": "created_at", "label": "Oldest First"}, {"value": "first_name", "label": "Name A-Z"}, {"value": "-first_name", "label": "Name Z-A"}])");
  if (lo)
    o["created_at_range"] = {{"min", iso_ms(*lo)}, {"max", iso_ms(*hi)}};
  else
    o["created_at_range"] = nullptr;
  return o;
}

// ---- normalising actual answers ---------------------------------------------

namespace {

json time_value(const json& v) {
  if (v.is_string()) {
    if (auto t = parse_iso(v.get<std::string>())) return *t;
  }
  return v;
}

json pick(const json& obj, const std::vector<std::string>& keys, const std::set<std::string>& times) {
  json out = json::object();
  for (const auto& k : keys) {
    if (!obj.is_object() || !obj.contains(k)) {
      out[k] = "<missing>";
      continue;
    }
    out[k] = times.count(k) ? time_value(obj.at(k)) : obj.at(k);
  }
  return out;
}

}  // namespace

json normalise_customer(const json& a) {
  json out = pick(a,
                  {"id", "first_name", "last_name", "username", "email", "phone_number", "source", "source_id",
                   "profile_picture", "created_at", "updated_at", "last_activity", "unread_count"},
                  {"created_at", "updated_at", "last_activity"});
  if (a.is_object() && a.contains("tags") && a["tags"].is_array()) {
    out["tags"] = json::array();
    for (const auto& t : a["tags"]) out["tags"].push_back(pick(t, {"id", "name"}, {}));
  } else {
    out["tags"] = a.is_object() && a.contains("tags") ? a["tags"] : json("<missing>");
  }
  if (a.is_object() && a.contains("conversations") && a["conversations"].is_array()) {
    out["conversations"] = json::array();
    for (const auto& c : a["conversations"]) {
      json jc = pick(c, {"id", "title", "status", "source", "unread_count", "created_at", "updated_at"},
                     {"created_at", "updated_at"});
      if (c.is_object() && c.contains("last_message") && c["last_message"].is_object())
        jc["last_message"] =
            pick(c["last_message"], {"id", "content", "type", "is_ai_response", "created_at"}, {"created_at"});
      else
        jc["last_message"] = c.is_object() && c.contains("last_message") ? c["last_message"] : json("<missing>");
      out["conversations"].push_back(std::move(jc));
    }
  } else {
    out["conversations"] = a.is_object() && a.contains("conversations") ? a["conversations"] : json("<missing>");
  }
  return out;
}

void collect_times(const json& c, std::vector<std::string>& out) {
  auto add = [&](const json& obj, const char* k) {
    if (obj.is_object() && obj.contains(k)) out.push_back(obj[k].is_string() ? obj[k].get<std::string>() : obj[k].dump());
  };
  add(c, "created_at");
  add(c, "updated_at");
  add(c, "last_activity");
  if (c.contains("conversations") && c["conversations"].is_array())
    for (const auto& conv : c["conversations"]) {
      add(conv, "created_at");
      add(conv, "updated_at");
      if (conv.contains("last_message") && conv["last_message"].is_object()) add(conv["last_message"], "created_at");
    }
}

}  // namespace cwsit
