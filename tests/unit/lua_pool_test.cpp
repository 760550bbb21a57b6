// engine/lua/lua_pool: how many Lua states a loaded controller makes. At 1,000
// hosts on a saturated machine, threads preempted while holding a state made
// the pool grow to 586 states (~200 MB): a brief lease now waits for one to
// come back, a Lua module's held lease never waits, and states beyond the
// pool's share are freed when given back.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/lua/lua_pool.hpp"

using namespace upkeep;
using Clock = std::chrono::steady_clock;

namespace {

// `n` threads each take one lease of `kind` at the same moment and hold it
// `hold` (a thread preempted mid-evaluation, or a module waiting on its host).
void hold_at_once(size_t n, LeaseKind kind, std::chrono::milliseconds hold) {
    std::atomic<size_t> ready{0};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i)
        threads.emplace_back([&] {
            ++ready;
            while (ready.load() < n) std::this_thread::yield();
            LuaLease lease(kind);
            std::this_thread::sleep_for(hold);
        });
    for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("lua pool: brief leases held long by many threads stay within the pool's share", "[lua][lua_pool]") {
    size_t share = lua_pool_share();
    size_t made_before = lua_states_created();
    // Three times the share, each holding its state 30 ms: longer than the
    // old 20 ms wait, so the old pool made a state for nearly every thread.
    hold_at_once(3 * share, LeaseKind::Brief, std::chrono::milliseconds(30));
    CHECK(lua_states_created() - made_before <= share);
    CHECK(lua_states_alive() <= share);
}

TEST_CASE("lua pool: held leases never wait for each other, and the surplus is freed", "[lua][lua_pool]") {
    size_t share = lua_pool_share();
    size_t made_before = lua_states_created();
    auto t0 = Clock::now();
    // Twice the share of Lua modules, each 300 ms on its host: all at once.
    hold_at_once(2 * share, LeaseKind::Held, std::chrono::milliseconds(300));
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    CHECK(secs < 0.9);  // one hold, not several in a row or a 1 s wait
    CHECK(lua_states_created() > made_before);  // made what they needed
    CHECK(lua_states_alive() <= share);          // and the surplus is gone
    // What is left still works.
    CHECK(lua_lease()->eval("1 + 1", Value()).as_int() == 2);
}

TEST_CASE("lua pool: templates do not wait while Lua modules hold many states", "[lua][lua_pool]") {
    size_t share = lua_pool_share();
    std::thread modules([&] { hold_at_once(2 * share, LeaseKind::Held, std::chrono::milliseconds(1500)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the modules hold theirs now
    auto t0 = Clock::now();
    CHECK(lua_lease()->eval("2 * 3", Value()).as_int() == 6);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    modules.join();
    CHECK(secs < 0.5);  // not the brief lease's 1 s wait
    CHECK(lua_states_alive() <= share);
}
