// command and shell: run a command on the host (Ansible's command/shell). The
// shared core lives here; command.cpp and shell.cpp only differ in how the
// command line reaches /bin/sh.
#pragma once

#include "engine/util/strings.hpp"

#include <string>
#include <vector>

#include "engine/module/module.hpp"

namespace upkeep {


// The ArgSpecs both modules share: cmd (the free form), creates, removes, chdir,
// stdin, stdin_add_newline.
std::vector<ArgSpec> command_args();

// check(): creates/removes decide whether to run; otherwise one unpredictable Change.
Plan plan_command(ModuleContext& ctx, const Args& args, const std::string& shown);

// apply(): runs `cmdline` (already a /bin/sh command line) and builds Ansible's
// result (rc, stdout, stderr, *_lines, cmd, start, end, delta; failed on rc != 0).
Value run_command(ModuleContext& ctx, const Args& args, const std::string& cmdline, const Value& cmd_field);

}  // namespace upkeep
