#include "engine/lua/lua_pool.hpp"

#include <algorithm>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace upkeep {

namespace {

struct Pool {
    std::mutex mutex;
    std::condition_variable returned;
    std::vector<LuaEnv*> idle;
    std::atomic<size_t> created{0};
};

// Beyond this many states a lease first waits a moment for one to come back: on a
// busy controller 1,000 threads preempted mid-evaluation would otherwise make a
// state each. Never a hard limit (a Lua module holds its state across host I/O;
// waiting for ever could deadlock a run), only a brief preference for reuse.
size_t soft_cap() {
    static const size_t cap = std::max<size_t>(8, 4 * std::max(1u, std::thread::hardware_concurrency()));
    return cap;
}
constexpr auto k_reuse_wait = std::chrono::milliseconds(20);

// Never destroyed: states may be in use by detached work at exit, and a LuaEnv's
// destructor must not run after the globals it uses are gone.
Pool& pool() {
    static Pool* p = new Pool;
    return *p;
}

thread_local LuaEnv* t_current = nullptr;  // the state this thread holds, if any
thread_local int t_depth = 0;              // nested leases of it

}  // namespace

LuaLease::LuaLease() {
    if (t_current) {
        m_env = t_current;
        ++t_depth;
        return;
    }
    Pool& p = pool();
    {
        std::unique_lock<std::mutex> lock(p.mutex);
        if (p.idle.empty() && p.created.load() >= soft_cap())
            p.returned.wait_for(lock, k_reuse_wait, [&] { return !p.idle.empty(); });
        if (!p.idle.empty()) {
            m_env = p.idle.back();
            p.idle.pop_back();
        }
    }
    if (!m_env) {
        // Made outside the lock: loading the helpers takes milliseconds and may throw.
        m_env = new LuaEnv();
        ++p.created;
    }
    t_current = m_env;
    t_depth = 1;
}

LuaLease::~LuaLease() {
    if (--t_depth > 0) return;
    t_current = nullptr;
    Pool& p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.idle.push_back(m_env);
    }
    p.returned.notify_one();
}

size_t lua_states_created() { return pool().created.load(); }

}  // namespace upkeep
