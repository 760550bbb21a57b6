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
    size_t alive = 0;          // states that exist (under mutex)
    size_t brief_in_use = 0;   // states lent to brief leases (under mutex)
};

// The pool's share of states (see lua_pool.hpp): beyond it a brief lease waits
// for one to come back, and a state given back is freed. Never a hard limit: a
// brief lease that waited k_reuse_wait makes a state anyway, so no pattern of
// holders can deadlock a run.
size_t soft_cap() {
    static const size_t cap = std::max<size_t>(8, 4 * std::max(1u, std::thread::hardware_concurrency()));
    return cap;
}
constexpr auto k_reuse_wait = std::chrono::seconds(1);

// Never destroyed: states may be in use by detached work at exit, and a LuaEnv's
// destructor must not run after the globals it uses are gone.
Pool& pool() {
    static Pool* p = new Pool;
    return *p;
}

thread_local LuaEnv* t_current = nullptr;  // the state this thread holds, if any
thread_local int t_depth = 0;              // nested leases of it

}  // namespace

LuaLease::LuaLease(LeaseKind kind) {
    if (t_current) {
        m_env = t_current;
        ++t_depth;
        return;
    }
    m_brief = kind == LeaseKind::Brief;
    Pool& p = pool();
    {
        std::unique_lock<std::mutex> lock(p.mutex);
        // Only brief leases count against the share: states held by Lua modules
        // for seconds must not make every template wait.
        if (m_brief && p.idle.empty() && p.brief_in_use >= soft_cap())
            p.returned.wait_for(lock, k_reuse_wait, [&] { return !p.idle.empty(); });
        if (!p.idle.empty()) {
            m_env = p.idle.back();
            p.idle.pop_back();
        } else {
            ++p.alive;  // counted now, so that concurrent leases see it
        }
        if (m_brief) ++p.brief_in_use;
    }
    if (!m_env) {
        // Made outside the lock: loading the helpers takes milliseconds and may throw.
        try {
            m_env = new LuaEnv();
        } catch (...) {
            std::lock_guard<std::mutex> lock(p.mutex);
            --p.alive;
            if (m_brief) --p.brief_in_use;
            throw;
        }
        ++p.created;
    }
    t_current = m_env;
    t_depth = 1;
}

LuaLease::~LuaLease() {
    if (--t_depth > 0) return;
    t_current = nullptr;
    Pool& p = pool();
    LuaEnv* surplus = nullptr;
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        if (m_brief) --p.brief_in_use;
        // At most the share stays idle; the rest (made for Lua modules held
        // at once, or after a wait ran out) is freed.
        if (p.idle.size() >= soft_cap()) {
            surplus = m_env;
            --p.alive;
        } else {
            p.idle.push_back(m_env);
        }
    }
    if (surplus) {
        delete surplus;
    } else {
        p.returned.notify_one();
    }
}

size_t lua_states_created() { return pool().created.load(); }

size_t lua_pool_share() { return soft_cap(); }

size_t lua_states_alive() {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    return p.alive;
}

}  // namespace upkeep
