#include "app/options.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

namespace cws::app {

namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string environment_name(const std::string& option) {
  std::string name = "CUSTOMER_WS_";
  for (char c : option) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

const option_spec* find_spec(const std::vector<option_spec>& specs, const std::string& name) {
  auto found = std::find_if(specs.begin(), specs.end(), [&](const option_spec& spec) { return spec.name == name; });
  return found == specs.end() ? nullptr : &*found;
}

struct file_value {
  std::string value;
  std::string origin;  // "FILE:LINE"
};

// Reads `key = value` lines; '#' starts a comment. Keys that no subcommand
// knows are mistakes; keys of other subcommands are skipped here, since one
// file serves every subcommand.
std::map<std::string, file_value> read_config_file(const std::string& path, const std::vector<option_spec>& specs,
                                                   const std::set<std::string>& known_keys) {
  std::ifstream file{path};
  if (!file) throw option_error("cannot read the configuration file " + path);
  std::map<std::string, file_value> values;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    auto where = path + ":" + std::to_string(number);
    auto content = trim(line.substr(0, line.find('#')));
    if (content.empty()) continue;
    auto equals = content.find('=');
    if (equals == std::string::npos) throw option_error(where + ": expected 'key = value'");
    auto key = trim(content.substr(0, equals));
    if (!known_keys.count(key) && !find_spec(specs, key)) throw option_error(where + ": unknown option '" + key + "'");
    if (find_spec(specs, key)) values[key] = {trim(content.substr(equals + 1)), where};
  }
  return values;
}

}  // namespace

std::string option_values::label(const std::string& name) const {
  auto found = origins.find(name);
  if (found == origins.end() || found->second.empty()) return "--" + name;
  return "--" + name + " (from " + found->second + ")";
}

std::string option_values::text(const std::string& name) const {
  auto found = values.find(name);
  return found == values.end() ? std::string{} : found->second;
}

bool option_values::has(const std::string& name) const {
  auto found = values.find(name);
  return found != values.end() && !found->second.empty();
}

std::int64_t option_values::integer(const std::string& name, std::int64_t minimum, std::int64_t maximum) const {
  auto value = text(name);
  std::int64_t number = 0;
  std::size_t used = 0;
  try {
    number = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size())
    throw option_error(label(name) + ": '" + value + "' is not a whole number");
  if (number < minimum || number > maximum)
    throw option_error(label(name) + ": " + value + " is outside " + std::to_string(minimum) + ".." +
                       std::to_string(maximum));
  return number;
}

bool option_values::boolean(const std::string& name) const {
  auto value = text(name);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  throw option_error(label(name) + ": '" + text(name) + "' is not true or false");
}

std::string option_values::choice(const std::string& name, const std::vector<std::string>& allowed) const {
  auto value = text(name);
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  std::string list;
  for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
  throw option_error(label(name) + ": '" + value + "' is not one of " + list);
}

option_values parse_options(const std::vector<std::string>& arguments, const std::vector<option_spec>& specs,
                            const std::string& config_file_default, const std::set<std::string>& known_keys) {
  option_values result;
  std::map<std::string, std::string> from_flags;
  std::string config_file;
  bool config_file_named = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const auto& argument = arguments[i];
    if (argument == "--help" || argument == "-h") {
      result.help_requested = true;
      continue;
    }
    if (argument.size() < 3 || argument.compare(0, 2, "--") != 0) {
      result.positional.push_back(argument);
      continue;
    }
    auto equals = argument.find('=');
    auto name = argument.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    std::string value;
    const option_spec* spec = find_spec(specs, name);
    if (name != "config" && !spec) throw option_error("unknown option --" + name + " (see --help)");
    if (equals != std::string::npos) {
      value = argument.substr(equals + 1);
    } else if (spec && spec->is_flag && (i + 1 >= arguments.size() || arguments[i + 1].compare(0, 2, "--") == 0)) {
      value = "true";
    } else {
      if (i + 1 >= arguments.size()) throw option_error("--" + name + " needs a value");
      value = arguments[++i];
    }
    if (name == "config") {
      config_file = value;
      config_file_named = true;
    } else {
      from_flags[name] = value;
    }
  }
  if (result.help_requested) return result;

  if (!config_file_named) {
    if (const char* from_environment = std::getenv("CUSTOMER_WS_CONFIG")) {
      config_file = from_environment;
      config_file_named = true;
    }
  }
  std::map<std::string, file_value> from_file;
  if (config_file_named)
    from_file = read_config_file(config_file, specs, known_keys);
  else if (std::ifstream{config_file_default})
    from_file = read_config_file(config_file_default, specs, known_keys);

  for (const auto& spec : specs) {
    if (auto flag = from_flags.find(spec.name); flag != from_flags.end()) {
      result.values[spec.name] = flag->second;
    } else if (const char* environment = std::getenv(environment_name(spec.name).c_str())) {
      result.values[spec.name] = environment;
      result.origins[spec.name] = environment_name(spec.name);
    } else if (auto file = from_file.find(spec.name); file != from_file.end()) {
      result.values[spec.name] = file->second.value;
      result.origins[spec.name] = file->second.origin;
    } else {
      result.values[spec.name] = spec.default_value;
    }
  }
  return result;
}

std::string usage(const std::string& synopsis, const std::string& summary, const std::vector<option_spec>& specs) {
  std::ostringstream out;
  out << "usage: " << synopsis << "\n\n" << summary << "\n\noptions (flag, or CUSTOMER_WS_<OPTION>, or the "
      << "configuration file; in that order):\n";
  std::size_t width = std::string_view{"config"}.size();  // the longest of the lines every command has
  for (const auto& spec : specs) width = std::max(width, spec.name.size());
  auto line = [&](const std::string& name, const std::string& help, const std::string& fallback) {
    out << "  --" << name << std::string(width + 2 - name.size(), ' ') << help;
    if (!fallback.empty()) out << " (default: " << fallback << ")";
    out << "\n";
  };
  for (const auto& spec : specs) line(spec.name, spec.help, spec.default_value);
  line("config", "configuration file", "conf/customer-ws.conf");
  line("help", "show this text", "");
  return out.str();
}

}  // namespace cws::app
