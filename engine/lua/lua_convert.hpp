// Value <-> Lua conversion. Containers cross into Lua as read-only proxies that
// convert their elements only when indexed, so a large vars map costs nothing
// until an expression actually touches it; the proxies also note when a secret
// value is read, so the result of an expression can be masked.
#pragma once

#include <lua.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "engine/value/value.hpp"

namespace upkeep::lua {

// Per-state bookkeeping reached from C callbacks through lua_getextraspace().
struct Runtime {
    const Value* vars = nullptr;  // the variables of the evaluation under way
    bool read_secret = false;     // set when a secret value was handed to Lua
    bool read_untrusted = false;  // set when an untrusted value (a host's data) was handed to Lua
    bool enforce = false;         // limits apply only while user code runs
    size_t mem_used = 0;
    size_t mem_limit = size_t(256) << 20;
    uint64_t ticks = 0;            // instruction-count hook calls in this evaluation
    uint64_t tick_limit = 100000;  // times k_hook_every instructions
    bool hook_tight = false;       // the hook runs on every instruction after the limit
    uint64_t native_steps = 0;     // work done inside C helpers (pattern matching) in this evaluation
    bool exhausted = false;        // a C helper ran out of budget: everything fails from now on
    std::chrono::milliseconds time_limit{5000};       // wall time of one evaluation
    std::chrono::steady_clock::time_point deadline{};  // now + time_limit when an evaluation starts
};

// How many VM instructions run between two calls of the budget hook.
inline constexpr int k_hook_every = 1000;

Runtime& runtime(lua_State* L);

// Registers the proxy metatable and the null sentinel in the state; once per state.
void open_convert(lua_State* L);

// Pushes v: scalars as Lua values, lists and maps as lazy read-only proxies.
// A null pushes nil, or the `null` sentinel when `in_list` (so positions are kept).
// Pushing a secret value sets runtime(L).read_secret, an untrusted one read_untrusted.
void push_value(lua_State* L, const Value& v, bool in_list = false);
void push_null(lua_State* L);
bool is_null(lua_State* L, int idx);
// The Value behind a proxy at idx, or nullptr when idx is not a proxy.
const Value* proxy_value(lua_State* L, int idx);

// Converts the Lua value at idx. Tables with keys 1..n (or no keys) become lists,
// other tables maps; proxies give back their Value. Functions and other
// non-data values throw UserError. When note_secrets is set, converting a value
// that holds a secret sets runtime(L).read_secret. Never raises a Lua error,
// so it may be called from C++ outside a protected call.
Value to_value(lua_State* L, int idx, bool note_secrets = true);

// Runs f inside a lua_CFunction, turning a C++ exception into a Lua error
// without letting it cross Lua's C frames.
template <class F>
int guarded(lua_State* L, F&& f) {
    {
        std::string err;
        try {
            return f();
        } catch (const std::exception& e) {
            err = e.what();
        }
        lua_pushlstring(L, err.data(), err.size());
    }
    return lua_error(L);
}

}  // namespace upkeep::lua
