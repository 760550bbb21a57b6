// Lua states borrowed per evaluation from one process-wide pool.
//
// A LuaEnv with the helpers loaded costs ~350 KB. One per worker thread (the old
// thread_local) meant 1,000 forks held 1,000 states — a third of the controller's
// memory at 1,000 hosts (issue 12.4) — although an evaluation is a few
// microseconds of CPU between network waits. A lease takes an idle state (or
// makes one) and gives it back at the end of the full expression:
//
//     Value v = lua_lease()->render(task.args, vars);
//
// so the number of states is the number of evaluations running at once, about
// the number of cores. A lease taken while the thread already holds one (a Lua
// module calling back into a template) gets the same state, as before. States
// carry no host's data between leases: every evaluation receives its variables.
#pragma once

#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"

namespace upkeep {

class LuaLease {
public:
    LuaLease();
    ~LuaLease();
    LuaLease(const LuaLease&) = delete;
    LuaLease& operator=(const LuaLease&) = delete;
    LuaEnv* operator->() const { return m_env; }
    LuaEnv& operator*() const { return *m_env; }

private:
    LuaEnv* m_env = nullptr;
};

// Borrows a state for the rest of the full expression (see above).
inline LuaLease lua_lease() { return LuaLease(); }

// How many states the pool has made so far (for tests and the run log).
size_t lua_states_created();

}  // namespace upkeep
