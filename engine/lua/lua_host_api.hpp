// The `host` object a Lua module's check() and apply() receive: the one way a Lua
// module reaches the managed host. It wraps the task's Connection (local, sandbox,
// SSH, or the dry run's planned-state overlay), so a Lua module works over SSH and
// in --check exactly as a C++ module does. There is no io/os in the sandbox: the
// controller's files and processes are out of reach.
#pragma once

#include <exception>
#include <string>

#include "engine/connection/connection.hpp"

struct lua_State;

namespace upkeep::lua {

// One check() or apply() call's view of the host.
struct HostBinding {
    Connection* conn = nullptr;
    // check() is read-only (the module contract): writes and mutating commands
    // are refused there, queries and reads pass.
    bool read_only = false;
    // A broken connection inside a host call: rethrown once the Lua call returns,
    // so the host is reported UNREACHABLE even if the module caught the error.
    std::exception_ptr connection_failure;
};

// Pushes a new host object bound to `b`. Returns the userdata's slot: set it to
// nullptr (unbind_host) when the call is over, so a host object a module kept
// in an upvalue cannot reach a connection that is gone.
HostBinding** push_host(lua_State* L, HostBinding* b);
inline void unbind_host(HostBinding** slot) { *slot = nullptr; }

}  // namespace upkeep::lua
