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
//
// Two kinds of lease. A brief one (templates, conditions) waits up to a second
// for an idle state once that many brief leases (4 per core, at least 8) are out: on a
// saturated controller a thread is often preempted while it holds a state, and
// making a new state whenever none came back within 20 ms once grew the pool to
// 586 states (200 MB) at 1,000 hosts. A held one (a Lua module's check/apply,
// which keeps its state across host I/O) never waits for a state another
// module may hold for seconds: it takes an idle one or makes one (and does
// not count against the brief leases' share). At most the share of states
// stays idle, the rest is freed when given back, so a Lua module run on 1,000
// hosts at once does not leave 1,000 states behind.
#pragma once

#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"

namespace upkeep {

enum class LeaseKind { Brief, Held };

class LuaLease {
public:
    explicit LuaLease(LeaseKind kind = LeaseKind::Brief);
    ~LuaLease();
    LuaLease(const LuaLease&) = delete;
    LuaLease& operator=(const LuaLease&) = delete;
    LuaEnv* operator->() const { return m_env; }
    LuaEnv& operator*() const { return *m_env; }

private:
    LuaEnv* m_env = nullptr;
    bool m_brief = false;  // counted against the pool's share (see above)
};

// Borrows a state for the rest of the full expression (see above).
inline LuaLease lua_lease() { return LuaLease(); }
// For a Lua module's check or apply, which holds the state across host I/O.
inline LuaLease lua_lease_held() { return LuaLease(LeaseKind::Held); }

// How many states the pool has made so far, and how many exist now (for tests
// and the run log).
size_t lua_states_created();
size_t lua_states_alive();
// The pool's share of states (4 per core, at least 8).
size_t lua_pool_share();

}  // namespace upkeep
