// The subcommands of the executable (serve, import, demo, migrate).
#pragma once

namespace cws::app {

// Parses the command line and runs the chosen subcommand; returns the exit code.
int run_command_line(int argc, char** argv);

}  // namespace cws::app
