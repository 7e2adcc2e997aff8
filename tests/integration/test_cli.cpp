// CLI.md and DATA.md: import (all or nothing, line numbers, idempotence,
// stdin, time formats), migrate, demo determinism, --help, bad options.
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/harness.hpp"

namespace cwsit {
namespace {

class Cli : public ::testing::Test {};

std::string lines(const std::vector<std::string>& ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

// The output names line `n`: "line 7", "line: 7", "Line #7", or the
// compiler style "FILE:7:".
bool names_line(const std::string& output, int n) {
  const std::string num = std::to_string(n);
  const std::regex re("(line[^0-9\\n]{0,4}" + num + "([^0-9]|$))|(:" + num + ":)", std::regex::icase);
  return std::regex_search(output, re);
}

std::string describe(const ProcessResult& r) {
  return (r.timed_out ? std::string("timed out") : "exit " + std::to_string(r.exit_code)) + ", output:\n" +
         shorten(r.output, 3000);
}

TEST_F(Cli, ImportOfBadLinesFailsNamesThemAndWritesNothing) {
  const std::string dir = make_temp_dir("import-bad");
  const std::string db = "sqlite:" + dir + "/test.db";
  const Dataset d = generate_dataset(7, 12);
  const Reference model(d);
  write_file(dir + "/good.jsonl", to_jsonl(d));
  const auto good = run_binary({"import", "--db", db, dir + "/good.jsonl"}, 60000ms, "", dir);
  ASSERT_EQ(good.exit_code, 0) << describe(good);

  Customer changed = d.customers[0];
  changed.first_name = "CHANGED";
  auto fresh = [&](std::int64_t id) {
    Customer c = d.customers[1];
    c.id = id;
    c.tags.clear();
    c.conversations.clear();
    return import_json(c).dump();
  };
  write_file(dir + "/bad.jsonl", lines({import_json(changed).dump(), fresh(999001), "{not json", fresh(999002),
                                        R"({"first_name": "no id", "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z"})",
                                        fresh(999003)}));
  const auto bad = run_binary({"import", "--db", db, dir + "/bad.jsonl"}, 60000ms, "", dir);
  EXPECT_FALSE(bad.timed_out);
  EXPECT_NE(bad.exit_code, 0) << describe(bad);
  EXPECT_TRUE(names_line(bad.output, 3)) << "line 3 (not JSON) is not named: " << describe(bad);
  EXPECT_TRUE(names_line(bad.output, 5)) << "line 5 (no id) is not named: " << describe(bad);

  // Nothing of bad.jsonl was written: the data is exactly good.jsonl.
  Server server("import-bad-serve", "", {}, db);
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  Session s = open_session(server.port());
  ASSERT_TRUE(s.error.empty());
  EXPECT_TRUE(ListMatchesFilters(s.initial, json::object(), std::nullopt, &model));
  EXPECT_TRUE(WalkMatches(*s.ws, {{"order_by", "id"}}, std::nullopt, &model));
}

TEST_F(Cli, ImportRuleViolationsNameTheLine) {
  const json tag_a = {{"id", 1}, {"name", "A"}};
  const json tag_b = {{"id", 1}, {"name", "B"}};
  auto customer = [](int id, json tags, json conversations) {
    return json{{"id", id},
                {"first_name", "N" + std::to_string(id)},
                {"created_at", "2023-01-01T00:00:00Z"},
                {"updated_at", "2023-01-01T00:00:00Z"},
                {"tags", std::move(tags)},
                {"conversations", std::move(conversations)}}
        .dump();
  };
  auto conversation = [](int id, int message_id) {
    return json{{"id", id},
                {"user_id", 1},
                {"title", "t"},
                {"status", "active"},
                {"source", "telegram"},
                {"created_at", "2023-01-01T00:00:00Z"},
                {"updated_at", "2023-01-01T00:00:00Z"},
                {"messages",
                 {{{"id", message_id},
                   {"content", "hi"},
                   {"type", "customer"},
                   {"is_ai_response", false},
                   {"is_answered", false},
                   {"created_at", "2023-01-01T00:00:00Z"}}}}};
  };
  struct Case {
    std::string what;
    std::vector<std::string> file;
    int bad_line;
  };
  const std::vector<Case> cases = {
      {"tag id bound to two names",
       {customer(1, {tag_a}, json::array()), customer(2, json::array(), json::array()), customer(3, {tag_b}, json::array())},
       3},
      {"message in two conversations",
       {customer(1, json::array(), {conversation(10, 77)}), customer(2, json::array(), {conversation(11, 77)})},
       2},
      {"missing id",
       {customer(1, json::array(), json::array()), customer(2, json::array(), json::array()),
        customer(3, json::array(), json::array()), R"({"first_name": "x", "tags": [], "conversations": []})"},
       4},
      {"not JSON", {customer(1, json::array(), json::array()), "{\"id\": 2,"}, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string dir = make_temp_dir("import-rule");
    write_file(dir + "/in.jsonl", lines(c.file));
    const auto r = run_binary({"import", "--db", "sqlite:" + dir + "/test.db", dir + "/in.jsonl"}, 60000ms, "", dir);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(names_line(r.output, c.bad_line)) << "line " << c.bad_line << " not named: " << describe(r);
  }
}

TEST_F(Cli, ImportIsAnIdempotentUpsertAndReadsStdin) {
  const std::string dir = make_temp_dir("import-twice");
  const std::string db = "sqlite:" + dir + "/test.db";
  const Dataset d = generate_dataset(11, 20);
  const Reference model(d);
  write_file(dir + "/data.jsonl", to_jsonl(d));
  for (int i = 0; i < 2; ++i) {
    const auto r = run_binary({"import", "--db", db, dir + "/data.jsonl"}, 60000ms, "", dir);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  const auto r = run_binary({"import", "--db", db, "-"}, 60000ms, dir + "/data.jsonl", dir);
  ASSERT_EQ(r.exit_code, 0) << "import from stdin: " << describe(r);

  Server server("import-twice-serve", "", {}, db);
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  Session s = open_session(server.port());
  ASSERT_TRUE(s.error.empty());
  EXPECT_EQ(s.initial.value("count", -1), 20);
  for (const char* order : {"id", "-last_activity", "first_name"}) {
    SCOPED_TRACE(order);
    EXPECT_TRUE(WalkMatches(*s.ws, {{"order_by", order}}, std::nullopt, &model));
  }
  const json o = s.request({{"type", "get_filter_options"}});
  EXPECT_EQ(o.value("options", json()).value("tag_details", json()), model.filter_options()["tag_details"]);
}

// Times with offsets, without zone, without or with other fractions are
// stored as UTC to the millisecond and answered canonically.
TEST_F(Cli, ImportTimeFormats) {
  const std::string dir = make_temp_dir("import-times");
  const std::string db = "sqlite:" + dir + "/test.db";
  Dataset d = generate_dataset(5, 6);
  d.customers[2].created_at = d.customers[0].created_at;  // one instant, two spellings
  // Customer 3: whole seconds (written without fraction); 4: tenths (".5").
  auto round_all = [](Customer& c, Ms unit) {
    auto r = [unit](Ms& t) { t -= t % unit; };
    r(c.created_at);
    r(c.updated_at);
    for (auto& conv : c.conversations) {
      r(conv.created_at);
      r(conv.updated_at);
      for (auto& m : conv.messages) r(m.created_at);
    }
  };
  round_all(d.customers[3], 1000);
  round_all(d.customers[4], 100);
  const Reference model(d);

  auto spell = [](size_t k, Ms t) -> std::string {
    const std::string c = iso_ms(t);  // YYYY-MM-DDTHH:MM:SS.mmmZ
    switch (k) {
      case 0: return iso_with_offset(t, 180);
      case 1: return iso_with_offset(t, -330);
      case 2: return c.substr(0, 23);                  // no zone: UTC
      case 3: return c.substr(0, 19) + "Z";            // no fraction
      case 4: return c.substr(0, 21) + "Z";            // one digit
      default: return c.substr(0, 23) + "456+00:00";   // microseconds, +00:00
    }
  };
  std::string file;
  for (size_t k = 0; k < d.customers.size(); ++k) {
    const Customer& c = d.customers[k];
    json j = import_json(c);
    j["created_at"] = spell(k, c.created_at);
    j["updated_at"] = spell(k, c.updated_at);
    for (size_t i = 0; i < c.conversations.size(); ++i) {
      auto& jc = j["conversations"][i];
      jc["created_at"] = spell(k, c.conversations[i].created_at);
      jc["updated_at"] = spell(k, c.conversations[i].updated_at);
      for (size_t m = 0; m < c.conversations[i].messages.size(); ++m)
        jc["messages"][m]["created_at"] = spell(k, c.conversations[i].messages[m].created_at);
    }
    file += j.dump() + "\n";
  }
  write_file(dir + "/times.jsonl", file);
  const auto r = run_binary({"import", "--db", db, dir + "/times.jsonl"}, 60000ms, "", dir);
  ASSERT_EQ(r.exit_code, 0) << describe(r) << "\nfile:\n" << shorten(file, 3000);

  Server server("import-times-serve", "", {}, db);
  LogOnFailure log{server};
  const std::string err = server.start();
  ASSERT_TRUE(err.empty()) << err;
  Session s = open_session(server.port());
  ASSERT_TRUE(s.error.empty());
  for (const char* order : {"created_at", "-created_at", "-last_activity", "updated_at"}) {
    SCOPED_TRACE(order);
    EXPECT_TRUE(WalkMatches(*s.ws, {{"order_by", order}}, std::nullopt, &model));
  }
  std::vector<std::string> bad;
  for (const auto& c : s.initial.value("customers", json::array())) {
    std::vector<std::string> times;
    collect_times(c, times);
    for (const auto& t : times)
      if (!is_canonical_time(t)) bad.push_back(t);
  }
  EXPECT_TRUE(bad.empty()) << "not canonical: " << json(bad).dump();
  const json f = {{"date_from", iso_ms(d.customers[0].created_at)}, {"date_to", iso_with_offset(d.customers[0].created_at, 60)}};
  EXPECT_TRUE(ListMatchesFilters(s.request({{"type", "get_customers"}, {"filters", f}}), f, std::nullopt, &model));
  EXPECT_GE(model.list(f).all.size(), 2u);
}

TEST_F(Cli, MigrateTwiceSucceeds) {
  const std::string dir = make_temp_dir("migrate");
  for (int i = 0; i < 2; ++i) {
    const auto r = run_binary({"migrate", "--db", "sqlite:" + dir + "/m.db"}, 30000ms, "", dir);
    EXPECT_EQ(r.exit_code, 0) << "migrate #" << i + 1 << ": " << describe(r);
  }
}

TEST_F(Cli, DemoWithASeedIsDeterministic) {
  std::vector<std::unique_ptr<Server>> servers;
  std::vector<json> initial, by_id, options;
  for (int i = 0; i < 2; ++i) {
    const std::string dir = make_temp_dir("demo");
    const std::string db = "sqlite:" + dir + "/demo.db";
    const auto r = run_binary({"demo", "--db", db, "--seed", "42", "25"}, 60000ms, "", dir);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    servers.push_back(std::make_unique<Server>("demo-" + std::to_string(i), "", std::vector<std::string>{}, db));
    LogOnFailure log{*servers.back()};
    const std::string err = servers.back()->start();
    ASSERT_TRUE(err.empty()) << err;
    Session s = open_session(servers.back()->port());
    ASSERT_TRUE(s.error.empty());
    EXPECT_EQ(s.initial.value("count", -1), 25) << "demo 25 writes 25 customers";
    json a = s.initial;
    a.erase("timestamp");
    initial.push_back(a);
    json b = s.request({{"type", "get_customers"}, {"filters", {{"order_by", "id"}, {"page_size", 100}}}});
    b.erase("timestamp");
    by_id.push_back(b);
    json o = s.request({{"type", "get_filter_options"}});
    o.erase("timestamp");
    options.push_back(o);
  }
  EXPECT_EQ(initial[0], initial[1]) << "patch: " << shorten(json::diff(initial[0], initial[1]).dump());
  EXPECT_EQ(by_id[0], by_id[1]) << "patch: " << shorten(json::diff(by_id[0], by_id[1]).dump());
  EXPECT_EQ(options[0], options[1]) << "patch: " << shorten(json::diff(options[0], options[1]).dump());
  EXPECT_EQ(by_id[0].value("customers", json::array()).size(), 25u);
}

TEST_F(Cli, ServeHelpListsPort) {
  const auto r = run_binary({"serve", "--help"}, 10000ms);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.output.find("--port"), std::string::npos) << describe(r);
}

TEST_F(Cli, EverySubcommandHasHelpListingItsOptions) {
  for (const char* command : {"serve", "import", "demo", "migrate"}) {
    SCOPED_TRACE(command);
    const auto r = run_binary({command, "--help"}, 10000ms);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.output.find("--db"), std::string::npos) << describe(r);
    EXPECT_NE(r.output.find("(default: sqlite:data/customers.db)"), std::string::npos) << describe(r);
  }
}

TEST_F(Cli, AnUnknownKeyInTheConfigurationFileIsNamedWithItsLine) {
  const std::string dir = make_temp_dir("bad-config");
  {
    std::ofstream config(dir + "/customer-ws.conf");
    config << "# comment\nport = 0\nprot = 9000\n";
  }
  const auto r = run_binary({"serve", "--config", dir + "/customer-ws.conf"}, 10000ms);
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.output.find("customer-ws.conf:3"), std::string::npos) << describe(r);
  EXPECT_NE(r.output.find("prot"), std::string::npos) << describe(r);
}

TEST_F(Cli, UnknownOptionOrCommandFails) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"serve", "--no-such-option"},
                                               std::vector<std::string>{"serve", "--port", "80x"},
                                               std::vector<std::string>{"frobnicate"}}) {
    SCOPED_TRACE(json(args).dump());
    const auto r = run_binary(args, 10000ms);
    EXPECT_FALSE(r.timed_out) << "still running after 10 s";
    EXPECT_NE(r.exit_code, 0) << describe(r);
    EXPECT_FALSE(r.output.empty()) << "no message";
  }
}

// CLI.md lists --admin-token and --live-min-interval-ms among the options
// every deployment needs: a deployment that passes them must start.
TEST_F(Cli, ServeAcceptsEveryOptionOfTheContract) {
  Server server("contract-options", "", {"--admin-token", "secret-token", "--live-min-interval-ms", "100",
                                         "--initial-list", "false", "--query-timeout-ms", "5000",
                                         "--max-frame-bytes", "65536"});
  ASSERT_EQ(server.start(), "");
  EXPECT_EQ(server.stop(), 0);
  const auto bad = run_binary({"serve", "--live-min-interval-ms", "soon"}, 10000ms);
  EXPECT_NE(bad.exit_code, 0) << describe(bad);
  EXPECT_NE(bad.output.find("live-min-interval-ms"), std::string::npos) << describe(bad);
}

// "an unreachable database at start [is] reported in one clear line and
// exit non-zero".
TEST_F(Cli, ServeWithAnUnusableDatabaseFailsInOneLine) {
  const std::string dir = make_temp_dir("unusable-db");
  {
    std::ofstream not_a_database(dir + "/garbage.db");
    not_a_database << "this is not an SQLite file, it is plain text long enough to have a header\n";
  }
  for (const std::string& url : {"sqlite:" + dir + "/garbage.db", std::string{"sqlite:/proc/no-such-folder/x.db"},
                                 "sqlite:" + dir + "/mistyped/folder/x.db",
                                 std::string{"postgresql://nobody:nothing@127.0.0.1:1/none"}}) {
    SCOPED_TRACE(url);
    const auto r = run_binary({"serve", "--db", url, "--port", "0"}, 20000ms);
    EXPECT_FALSE(r.timed_out) << "still running after 20 s";
    EXPECT_NE(r.exit_code, 0) << describe(r);
    std::size_t error_lines = 0;
    std::istringstream output(r.output);
    for (std::string line; std::getline(output, line);)
      if (line.find("error") != std::string::npos) ++error_lines;
    EXPECT_EQ(error_lines, 1u) << describe(r);
    EXPECT_EQ(r.output.find("system_error"), std::string::npos) << "the reason, not CAF's wrapping: " << describe(r);
  }
}

}  // namespace
}  // namespace cwsit
