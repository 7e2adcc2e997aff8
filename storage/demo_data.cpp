#include "storage/demo_data.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "storage/soci_support.hpp"

namespace cws::storage {
namespace {

// splitmix64, with every distribution written out here: the standard
// library's distributions differ between implementations, and the same seed
// must give the same rows everywhere.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), without modulo bias.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t value = next();
      if (value >= threshold) return value % bound;
    }
  }
  std::int64_t between(std::int64_t low, std::int64_t high) {  // inclusive
    return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low) + 1));
  }
  bool percent(unsigned chance) { return below(100) < chance; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
  // An index drawn with the given weights.
  template <std::size_t N>
  std::size_t weighted(const unsigned (&weights)[N]) {
    unsigned total = 0;
    for (unsigned weight : weights) total += weight;
    auto roll = static_cast<unsigned>(below(total));
    for (std::size_t index = 0; index < N; ++index) {
      if (roll < weights[index]) return index;
      roll -= weights[index];
    }
    return N - 1;
  }

 private:
  std::uint64_t state_;
};

struct name {
  const char* native;
  const char* latin;  // for usernames and e-mail addresses
};

struct culture {
  std::vector<name> first_names;
  std::vector<name> last_names;
  const char* phone_prefix;
  const char* email_domain;
};

const std::vector<culture>& cultures() {
  static const std::vector<culture> all = {
      {{{"James", "james"}, {"Mary", "mary"}, {"John", "john"}, {"Patricia", "patricia"}, {"Robert", "robert"},
        {"Jennifer", "jennifer"}, {"Michael", "michael"}, {"Linda", "linda"}, {"Emily", "emily"}, {"Daniel", "daniel"},
        {"Olivia", "olivia"}, {"Sarah", "sarah"}},
       {{"Smith", "smith"}, {"Johnson", "johnson"}, {"Williams", "williams"}, {"Brown", "brown"}, {"Jones", "jones"},
        {"Miller", "miller"}, {"Davis", "davis"}, {"Wilson", "wilson"}, {"Taylor", "taylor"}, {"O'Connor", "oconnor"}},
       "+1", "gmail.com"},
      {{{"José", "jose"}, {"María", "maria"}, {"Lucía", "lucia"}, {"Javier", "javier"}, {"Carmen", "carmen"},
        {"Sofía", "sofia"}, {"Álvaro", "alvaro"}, {"Iñigo", "inigo"}},
       {{"García", "garcia"}, {"Martínez", "martinez"}, {"López", "lopez"}, {"Hernández", "hernandez"},
        {"Pérez", "perez"}, {"Núñez", "nunez"}, {"Sánchez", "sanchez"}},
       "+34", "hotmail.es"},
      {{{"Jürgen", "juergen"}, {"Zoë", "zoe"}, {"François", "francois"}, {"Chloé", "chloe"}, {"Björn", "bjorn"},
        {"Léa", "lea"}, {"Ayşe", "ayse"}, {"Mehmet", "mehmet"}},
       {{"Müller", "mueller"}, {"Schäfer", "schaefer"}, {"Dubois", "dubois"}, {"Lefèvre", "lefevre"},
        {"Weiß", "weiss"}, {"Yılmaz", "yilmaz"}, {"Çelik", "celik"}},
       "+49", "web.de"},
      {{{"Дмитрий", "dmitry"}, {"Анна", "anna"}, {"Сергей", "sergey"}, {"Елена", "elena"}, {"Иван", "ivan"},
        {"Ольга", "olga"}, {"Алексей", "alexey"}, {"Наталья", "natalia"}, {"Михаил", "mikhail"},
        {"Татьяна", "tatiana"}, {"Юлия", "yulia"}, {"Богдан", "bogdan"}},
       {{"Иванов", "ivanov"}, {"Смирнова", "smirnova"}, {"Кузнецов", "kuznetsov"}, {"Попова", "popova"},
        {"Соколов", "sokolov"}, {"Лебедева", "lebedeva"}, {"Шевченко", "shevchenko"}, {"Ёлкин", "yolkin"}},
       "+7", "yandex.ru"},
      {{{"Γιώργος", "giorgos"}, {"Μαρία", "maria"}, {"Νίκος", "nikos"}, {"Ελένη", "eleni"}, {"Δημήτρης", "dimitris"},
        {"Σοφία", "sofia"}},
       {{"Παπαδόπουλος", "papadopoulos"}, {"Νικολάου", "nikolaou"}, {"Γεωργίου", "georgiou"},
        {"Οικονόμου", "oikonomou"}},
       "+30", "gmail.com"},
      {{{"محمد", "mohammed"}, {"فاطمة", "fatima"}, {"أحمد", "ahmed"}, {"ليلى", "layla"}, {"علي", "ali"},
        {"نور", "noor"}},
       {{"العلي", "alali"}, {"الحسن", "alhassan"}, {"منصور", "mansour"}, {"حداد", "haddad"}},
       "+971", "outlook.com"},
      {{{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"磊", "lei"}},
       {{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"}},
       "+86", "qq.com"},
      {{{"翔太", "shota"}, {"美咲", "misaki"}, {"健", "ken"}, {"さくら", "sakura"}},
       {{"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"}},
       "+81", "docomo.ne.jp"},
  };
  return all;
}
constexpr unsigned culture_weights[] = {30, 12, 10, 20, 6, 8, 8, 6};

constexpr const char* tag_names[] = {"VIP",     "Premium",   "New",     "Returning",  "Wholesale",
                                     "Complaint", "Lead",    "Partner", "Newsletter", "Churn risk"};
constexpr const char* sources[] = {"telegram", "instagram", "whatsapp", "unknown"};
constexpr unsigned source_weights[] = {40, 30, 15, 15};
constexpr const char* statuses[] = {"active", "support_active", "marketing_active", "closed"};
constexpr unsigned status_weights[] = {35, 20, 15, 30};
constexpr const char* titles[] = {"Support Chat",    "Order question", "Delivery status", "Refund request",
                                  "Product inquiry", "Booking",        "Feedback",        "Promo campaign",
                                  "Payment issue",   "Account help"};
constexpr const char* customer_messages[] = {
    "Hello, I need help!",          "Where is my order?",
    "Can I change my address?",     "Do you ship abroad?",
    "The package arrived damaged.", "Is this still available?",
    "Здравствуйте, когда будет доставка?", "Спасибо, всё получил!",
    "¿Tienen envío gratis?",        "Γεια σας, έχετε διαθέσιμο;",
    "مرحبا، أريد المساعدة",          "你好，我想咨询一下价格",
    "注文の状況を教えてください",         "Ich möchte meine Bestellung stornieren."};
constexpr const char* agent_messages[] = {
    "Hi! How can I help you?",          "Your order has shipped and should arrive in 3 days.",
    "I have updated your address.",     "Sorry about that, a replacement is on its way.",
    "Yes, it is in stock.",             "Добрый день! Заказ уже в пути.",
    "Thanks for reaching out!",         "Here is your tracking number: 1Z999AA10123456784.",
    "We ship to 40 countries.",         "Our new collection is out: 20% off this week!"};

// A fixed reference date, not the wall clock, so that the data never depends
// on when it is written: 2026-01-01T00:00:00Z.
constexpr long long reference_ms = 1'767'225'600'000;
constexpr long long day_ms = 86'400'000;
constexpr long long spread_ms = 3 * 365 * day_ms;

std::string digits(random_source& random, int count) {
  std::string text;
  for (int index = 0; index < count; ++index) text += static_cast<char>('0' + random.below(10));
  return text;
}

long long max_id(soci::session& session, const char* table) {
  long long id = 0;
  session << "SELECT coalesce(max(id), 0) FROM " + std::string(table), soci::into(id);
  return id;
}

}  // namespace

demo_summary write_demo_data(database& db, std::int64_t count, std::uint64_t seed) {
  demo_summary summary;
  if (count <= 0) return summary;
  auto& session = db.session();
  try {
    detail::bulk_write_cache cache(session, db.kind());
    detail::write_transaction transaction(session, db.kind());
    detail::change_log_pause quiet_change_log(session, db.kind());
    random_source random(seed);

    // Tags by name, created when missing.
    std::vector<long long> tag_ids;
    {
      detail::prepared_statement find(session, "SELECT id FROM tags WHERE name = :name", "t", "i");
      detail::prepared_statement insert(session, "INSERT INTO tags(id, name) VALUES (:id, :name)", "it");
      long long next_tag = max_id(session, "tags");
      for (const char* tag : tag_names) {
        if (find.run(tag)) {
          tag_ids.push_back(find.integer(0));
        } else {
          insert.run(++next_tag, tag);
          tag_ids.push_back(next_tag);
        }
      }
    }
    const long long user_count = random.between(5, 8);

    long long customer_id = max_id(session, "customers");
    long long conversation_id = max_id(session, "conversations");
    long long message_id = max_id(session, "messages");

    detail::prepared_statement insert_customer(
        session,
        "INSERT INTO customers(id, first_name, last_name, username, email, phone_number, source, source_id,"
        " profile_picture, created_at, updated_at) VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, :p9, :p10, :p11)",
        "ittttttttii");
    detail::prepared_statement insert_tag(session,
                                          "INSERT INTO customer_tags(customer_id, tag_id) VALUES (:c, :t)", "ii");
    detail::prepared_statement insert_conversation(
        session,
        "INSERT INTO conversations(id, customer_id, user_id, title, status, source, created_at, updated_at)"
        " VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8)",
        "iiitttii");
    detail::prepared_statement insert_message(
        session,
        "INSERT INTO messages(id, conversation_id, content, type, is_ai_response, is_answered, created_at)"
        " VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7)",
        "iittiii");

    struct message_row {
      const char* content;
      bool from_customer;
      bool is_ai_response;
      long long created_at;
    };
    std::vector<message_row> messages;

    for (std::int64_t index = 0; index < count; ++index) {
      ++customer_id;
      const culture& people = cultures()[random.weighted(culture_weights)];
      const name& first = people.first_names[random.below(people.first_names.size())];
      const name& last = people.last_names[random.below(people.last_names.size())];
      const char* source = sources[random.weighted(source_weights)];
      const bool on_telegram = std::string_view(source) == "telegram";

      std::optional<std::string> first_name = std::string(first.native);
      std::optional<std::string> last_name = std::string(last.native);
      if (random.percent(2)) first_name = random.percent(50) ? std::optional<std::string>() : std::string();
      if (random.percent(on_telegram ? 20 : 5)) last_name = std::nullopt;  // Telegram makes it optional

      const std::string handle = std::string(first.latin) + (random.percent(50) ? "_" : ".") + last.latin;
      std::optional<std::string> username;
      if (!random.percent(15)) username = handle + (random.percent(60) ? std::to_string(random.below(1000)) : "");
      std::optional<std::string> email;
      if (const auto roll = random.below(100); roll < 65)
        email = handle + std::to_string(random.below(100)) + "@" + people.email_domain;
      else if (roll < 75)
        email = std::string();
      std::optional<std::string> phone;
      if (const auto roll = random.below(100); roll < 60)
        phone = std::string(people.phone_prefix) + digits(random, 9 + static_cast<int>(random.below(2)));
      else if (roll < 70)
        phone = std::string();
      std::optional<std::string> source_id;
      if (on_telegram)
        source_id = "telegram_user_" + digits(random, 9);
      else if (std::string_view(source) == "instagram")
        source_id = "ig_" + digits(random, 16);
      else if (std::string_view(source) == "whatsapp")
        source_id = "wa_" + (phone && !phone->empty() ? phone->substr(1) : digits(random, 11));
      else if (random.percent(50))
        source_id = "import_" + std::to_string(customer_id);
      std::optional<std::string> picture;
      if (random.percent(70)) picture = "/media/customer_img/" + std::to_string(customer_id) + ".jpg";

      const long long created_at = reference_ms - static_cast<long long>(random.below(spread_ms));
      const long long updated_at =
          created_at + static_cast<long long>(random.below(std::min<long long>(reference_ms - created_at, 90 * day_ms) + 1));
      insert_customer.run(customer_id, first_name, last_name, username, email, phone, std::string(source), source_id,
                          picture, created_at, updated_at);

      constexpr unsigned tag_count_weights[] = {40, 35, 18, 7};
      const auto tag_count = random.weighted(tag_count_weights);
      std::vector<long long> chosen;
      while (chosen.size() < tag_count) {
        const long long tag = tag_ids[random.below(tag_ids.size())];
        if (std::find(chosen.begin(), chosen.end(), tag) == chosen.end()) chosen.push_back(tag);
      }
      for (const long long tag : chosen) insert_tag.run(customer_id, tag);

      constexpr unsigned conversation_count_weights[] = {15, 45, 28, 12};
      const auto conversation_count = random.weighted(conversation_count_weights);
      for (std::size_t number = 0; number < conversation_count; ++number) {
        ++conversation_id;
        const long long user_id = random.between(1, user_count);
        const long long started = created_at + static_cast<long long>(random.below(reference_ms - created_at + 1));

        messages.clear();
        const auto message_count = random.below(7);
        bool from_customer = random.percent(85);  // otherwise a marketing message opens it
        long long at = started;
        for (std::uint64_t step = 0; step < message_count; ++step) {
          at = std::min(reference_ms, at + 60'000 + static_cast<long long>(random.below(2 * day_ms)));
          const bool ai = !from_customer && random.percent(30);
          messages.push_back({from_customer ? random.pick(customer_messages) : random.pick(agent_messages),
                              from_customer, ai, at});
          from_customer = !from_customer;
        }
        const long long last_at = messages.empty() ? started : messages.back().created_at;
        const char* status = statuses[random.weighted(status_weights)];
        std::optional<std::string> title;
        if (!random.percent(5)) title = random.pick(titles);
        insert_conversation.run(conversation_id, customer_id, user_id, title, std::string(status), std::string(source),
                                started, last_at);
        ++summary.conversations;

        // A customer message is answered once an agent (or AI) reply follows it.
        bool reply_follows = false;
        std::vector<bool> answered(messages.size());
        for (std::size_t position = messages.size(); position-- > 0;) {
          answered[position] = messages[position].from_customer && reply_follows;
          if (!messages[position].from_customer) reply_follows = true;
        }
        for (std::size_t position = 0; position < messages.size(); ++position) {
          const auto& message = messages[position];
          insert_message.run(++message_id, conversation_id, message.content,
                             message.from_customer ? "customer" : "agent", message.is_ai_response,
                             static_cast<bool>(answered[position]), message.created_at);
          ++summary.messages;
        }
      }
      ++summary.customers;
    }
    quiet_change_log.finish(summary.customers > 0);
    transaction.commit();
    detail::refresh_planner_statistics(session, db.kind());
  } catch (...) {
    detail::rethrow_as_storage_error("demo data");
  }
  return summary;
}

}  // namespace cws::storage
