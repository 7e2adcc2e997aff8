// Entry point of build/customer-ws: dispatches to the subcommands.
#include "app/commands.hpp"

int main(int argc, char** argv) { return cws::app::run_command_line(argc, argv); }
