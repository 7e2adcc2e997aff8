// Options of the subcommands. Every option can come from a flag, from the
// environment (CUSTOMER_WS_<OPTION>, upper case, '-' as '_') or from the
// configuration file (`key = value` lines); a flag wins over the environment,
// which wins over the file, which wins over the default.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cws::app {

struct option_spec {
  std::string name;           // without the leading "--"
  std::string default_value;  // "" when there is none
  std::string help;
  bool is_flag = false;       // a boolean that may be given without a value
};

// A mistake in the options: reported in one line, exit code 2.
class option_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class option_values {
 public:
  std::string text(const std::string& name) const;
  bool has(const std::string& name) const;  // given somewhere, or has a default
  std::int64_t integer(const std::string& name, std::int64_t minimum, std::int64_t maximum) const;
  bool boolean(const std::string& name) const;
  std::string choice(const std::string& name, const std::vector<std::string>& allowed) const;

  // How errors name an option: "--port", or "--port (from CUSTOMER_WS_PORT)"
  // when the value came from the environment or the configuration file.
  std::string label(const std::string& name) const;

  std::map<std::string, std::string> values;
  std::map<std::string, std::string> origins;  // empty for flags and defaults
  std::vector<std::string> positional;
  bool help_requested = false;
};

// Parses `arguments` (after the subcommand name) against `specs`.
// `config_file_default` is read when present; --config names another file,
// which must then exist. `known_keys` are the options of every subcommand: a
// file key outside them is a mistake. Throws option_error.
option_values parse_options(const std::vector<std::string>& arguments, const std::vector<option_spec>& specs,
                            const std::string& config_file_default, const std::set<std::string>& known_keys);

// The --help text of one subcommand.
std::string usage(const std::string& synopsis, const std::string& summary, const std::vector<option_spec>& specs);

}  // namespace cws::app
