// string.find / match / gmatch / gsub with a budget. Lua's own matcher (lstrlib.c)
// backtracks inside one C call, where the instruction-count hook never runs:
// string.find(string.rep('a', 400), '.-.-.-.-b') ran for minutes. This matcher
// has the same pattern language and results (it follows lstrlib.c's algorithm),
// but counts its steps against the evaluation's budget and checks the wall-clock
// deadline, and fails with a clear error when either runs out.
//
// Errors are raised with luaL_error (a longjmp), as in lstrlib.c, so the frames
// below hold only trivially destructible data.
#include <lua.hpp>

#include <cctype>
#include <chrono>
#include <cstring>

#include "engine/lua/lua_convert.hpp"
#include "engine/lua/lua_native.hpp"

namespace upkeep::lua {

namespace {

constexpr char k_esc = '%';
constexpr const char* k_specials = "^$*+?.([%-";
constexpr int k_max_captures = 32;
constexpr ptrdiff_t k_cap_unfinished = -1;
constexpr ptrdiff_t k_cap_position = -2;
constexpr int k_max_depth = 200;           // recursion depth of match(), as in Lua
constexpr uint64_t k_check_every = 0x3FF;  // steps between two budget checks

struct MatchState {
    const char* src_init;
    const char* src_end;
    const char* p_end;
    lua_State* L;
    int matchdepth;
    int level;
    struct {
        const char* init;
        ptrdiff_t len;
    } capture[k_max_captures];
};

unsigned char uc(char c) { return static_cast<unsigned char>(c); }

// One step of matching: every k_check_every steps, the evaluation's budget
// (shared with the VM instruction limit) and its deadline are checked.
void step(MatchState* ms) {
    Runtime& rt = runtime(ms->L);
    if (!rt.enforce) return;
    if (!rt.exhausted) {
        if ((++rt.native_steps & k_check_every) != 0) return;
        if (rt.native_steps <= rt.tick_limit * k_hook_every && std::chrono::steady_clock::now() <= rt.deadline) return;
        // Out of budget: a pcall in the expression may catch this error, so every later
        // step and the next instruction-count hook fail too.
        rt.exhausted = true;
        rt.ticks = rt.tick_limit;
    }
    luaL_error(ms->L, "expression ran too long (a string pattern backtracked too much; "
                      "simplify the pattern or use a regex filter)");
}

int check_capture(MatchState* ms, int l) {
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == k_cap_unfinished)
        return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

int capture_to_close(MatchState* ms) {
    for (int level = ms->level - 1; level >= 0; level--)
        if (ms->capture[level].len == k_cap_unfinished) return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

const char* class_end(MatchState* ms, const char* p) {
    switch (*p++) {
        case k_esc:
            if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
            return p + 1;
        case '[':
            if (*p == '^') p++;
            do {  // look for a ']'
                if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
                if (*(p++) == k_esc && p < ms->p_end) p++;  // skip escapes (e.g. '%]')
            } while (*p != ']');
            return p + 1;
        default: return p;
    }
}

bool match_class(int c, int cl) {
    bool res;
    switch (std::tolower(cl)) {
        case 'a': res = std::isalpha(c); break;
        case 'c': res = std::iscntrl(c); break;
        case 'd': res = std::isdigit(c); break;
        case 'g': res = std::isgraph(c); break;
        case 'l': res = std::islower(c); break;
        case 'p': res = std::ispunct(c); break;
        case 's': res = std::isspace(c); break;
        case 'u': res = std::isupper(c); break;
        case 'w': res = std::isalnum(c); break;
        case 'x': res = std::isxdigit(c); break;
        default: return cl == c;
    }
    return std::isupper(cl) ? !res : res;
}

bool match_bracket_class(int c, const char* p, const char* ec) {
    bool sig = true;
    if (*(p + 1) == '^') {
        sig = false;
        p++;
    }
    while (++p < ec) {
        if (*p == k_esc) {
            p++;
            if (match_class(c, uc(*p))) return sig;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            p += 2;
            if (uc(*(p - 2)) <= c && c <= uc(*p)) return sig;
        } else if (uc(*p) == c) {
            return sig;
        }
    }
    return !sig;
}

bool single_match(MatchState* ms, const char* s, const char* p, const char* ep) {
    if (s >= ms->src_end) return false;
    int c = uc(*s);
    switch (*p) {
        case '.': return true;
        case k_esc: return match_class(c, uc(*(p + 1)));
        case '[': return match_bracket_class(c, p, ep - 1);
        default: return uc(*p) == c;
    }
}

const char* match(MatchState* ms, const char* s, const char* p);

const char* match_balance(MatchState* ms, const char* s, const char* p) {
    if (p >= ms->p_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p) return nullptr;
    char b = *p, e = *(p + 1);
    int cont = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == e) {
            if (--cont == 0) return s + 1;
        } else if (*s == b) {
            cont++;
        }
    }
    return nullptr;
}

const char* max_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep)) {
        step(ms);
        i++;
    }
    for (; i >= 0; i--)  // try with the longest run first, then shorter ones
        if (const char* res = match(ms, s + i, ep + 1)) return res;
    return nullptr;
}

const char* min_expand(MatchState* ms, const char* s, const char* p, const char* ep) {
    for (;;) {
        if (const char* res = match(ms, s, ep + 1)) return res;
        if (!single_match(ms, s, p, ep)) return nullptr;
        s++;
    }
}

const char* start_capture(MatchState* ms, const char* s, const char* p, ptrdiff_t what) {
    int level = ms->level;
    if (level >= k_max_captures) luaL_error(ms->L, "too many captures");
    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = level + 1;
    const char* res = match(ms, s, p);
    if (!res) ms->level--;
    return res;
}

const char* end_capture(MatchState* ms, const char* s, const char* p) {
    int l = capture_to_close(ms);
    ms->capture[l].len = s - ms->capture[l].init;
    const char* res = match(ms, s, p);
    if (!res) ms->capture[l].len = k_cap_unfinished;
    return res;
}

const char* match_capture(MatchState* ms, const char* s, int l) {
    l = check_capture(ms, l);
    size_t len = static_cast<size_t>(ms->capture[l].len);
    if (static_cast<size_t>(ms->src_end - s) >= len && std::memcmp(ms->capture[l].init, s, len) == 0) return s + len;
    return nullptr;
}

// %f[set]: matches the empty string at the transition from a character not in the
// set to one in it. Moves p past the set and returns true to go on matching there.
bool match_frontier(MatchState* ms, const char*& s, const char*& p) {
    p += 2;
    if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
    const char* ep = class_end(ms, p);
    char previous = s == ms->src_init ? '\0' : *(s - 1);
    char current = s < ms->src_end ? *s : '\0';
    if (!match_bracket_class(uc(previous), p, ep - 1) && match_bracket_class(uc(current), p, ep - 1)) {
        p = ep;
        return true;
    }
    s = nullptr;
    return false;
}

// One single-character class with its optional repetition (?, +, *, -). Returns true
// when matching goes on at the new p (in the same frame: Lua's own "goto init"),
// false when s holds the result (nullptr for no match).
bool match_repetition(MatchState* ms, const char*& s, const char*& p) {
    const char* ep = class_end(ms, p);
    if (!single_match(ms, s, p, ep)) {
        if (*ep == '*' || *ep == '?' || *ep == '-') {  // accept the empty match
            p = ep + 1;
            return true;
        }
        s = nullptr;
        return false;
    }
    switch (*ep) {
        case '?':
            if (const char* res = match(ms, s + 1, ep + 1)) {
                s = res;
                return false;
            }
            p = ep + 1;
            return true;
        case '+': s = max_expand(ms, s + 1, p, ep); return false;
        case '*': s = max_expand(ms, s, p, ep); return false;
        case '-': s = min_expand(ms, s, p, ep); return false;
        default:
            s++;
            p = ep;
            return true;
    }
}

// A %-escape: %b balance, %f frontier, %1-%9 back-reference, or an escaped class.
bool match_escape(MatchState* ms, const char*& s, const char*& p) {
    switch (*(p + 1)) {
        case 'b':
            s = match_balance(ms, s, p + 2);
            if (!s) return false;
            p += 4;
            return true;
        case 'f': return match_frontier(ms, s, p);
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            s = match_capture(ms, s, uc(*(p + 1)));
            if (!s) return false;
            p += 2;
            return true;
        default: return match_repetition(ms, s, p);
    }
}

const char* match(MatchState* ms, const char* s, const char* p) {
    if (ms->matchdepth-- == 0) luaL_error(ms->L, "pattern too complex");
    step(ms);
    for (;;) {
        if (p == ms->p_end) break;
        bool again = false;
        switch (*p) {
            case '(':
                s = *(p + 1) == ')' ? start_capture(ms, s, p + 2, k_cap_position)
                                    : start_capture(ms, s, p + 1, k_cap_unfinished);
                break;
            case ')': s = end_capture(ms, s, p + 1); break;
            case '$':
                if (p + 1 == ms->p_end) {
                    s = s == ms->src_end ? s : nullptr;
                    break;
                }
                again = match_repetition(ms, s, p);
                break;
            case k_esc: again = match_escape(ms, s, p); break;
            default: again = match_repetition(ms, s, p); break;
        }
        if (!again) break;
        step(ms);
    }
    ms->matchdepth++;
    return s;
}

// The i-th capture (or the whole match when there are none); pushes position captures.
ptrdiff_t get_onecapture(MatchState* ms, int i, const char* s, const char* e, const char** cap) {
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *cap = s;
        return e - s;
    }
    ptrdiff_t capl = ms->capture[i].len;
    *cap = ms->capture[i].init;
    if (capl == k_cap_unfinished) luaL_error(ms->L, "unfinished capture");
    if (capl == k_cap_position) lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
    return capl;
}

void push_onecapture(MatchState* ms, int i, const char* s, const char* e) {
    const char* cap;
    ptrdiff_t l = get_onecapture(ms, i, s, e, &cap);
    if (l != k_cap_position) lua_pushlstring(ms->L, cap, static_cast<size_t>(l));
}

int push_captures(MatchState* ms, const char* s, const char* e) {
    int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, nlevels, "too many captures");
    for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
    return nlevels;
}

bool no_specials(const char* p, size_t l) {
    size_t upto = 0;
    do {
        if (std::strpbrk(p + upto, k_specials)) return false;
        upto += std::strlen(p + upto) + 1;  // may have more after a \0
    } while (upto <= l);
    return true;
}

void prep_state(MatchState* ms, lua_State* L, const char* s, size_t ls, const char* p, size_t lp) {
    ms->L = L;
    ms->matchdepth = k_max_depth;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->level = 0;
}

void reprep_state(MatchState* ms) {
    ms->level = 0;
    ms->matchdepth = k_max_depth;
}

size_t start_index(lua_Integer pos, size_t len) {
    if (pos > 0) return static_cast<size_t>(pos);
    if (pos == 0) return 1;
    if (pos < -static_cast<lua_Integer>(len)) return 1;
    return len + static_cast<size_t>(pos) + 1;
}

int find_aux(lua_State* L, bool find) {
    size_t ls, lp;
    const char* s = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        // A plain search: memmem is linear, unlike a naive scan.
        const void* hit = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        if (hit) {
            const char* s2 = static_cast<const char*>(hit);
            lua_pushinteger(L, (s2 - s) + 1);
            lua_pushinteger(L, static_cast<lua_Integer>((s2 - s) + lp));
            return 2;
        }
    } else {
        MatchState ms;
        const char* s1 = s + init;
        bool anchor = *p == '^';
        if (anchor) {
            p++;
            lp--;
        }
        prep_state(&ms, L, s, ls, p, lp);
        do {
            reprep_state(&ms);
            if (const char* res = match(&ms, s1, p)) {
                if (find) {
                    lua_pushinteger(L, (s1 - s) + 1);
                    lua_pushinteger(L, res - s);
                    return push_captures(&ms, nullptr, nullptr) + 2;
                }
                return push_captures(&ms, s1, res);
            }
        } while (s1++ < ms.src_end && !anchor);
    }
    luaL_pushfail(L);
    return 1;
}

int str_find(lua_State* L) { return find_aux(L, true); }
int str_match(lua_State* L) { return find_aux(L, false); }

struct GMatchState {
    const char* src;
    const char* p;
    const char* lastmatch;
    MatchState ms;
};

int gmatch_aux(lua_State* L) {
    auto* gm = static_cast<GMatchState*>(lua_touserdata(L, lua_upvalueindex(3)));
    gm->ms.L = L;
    for (const char* src = gm->src; src <= gm->ms.src_end; src++) {
        reprep_state(&gm->ms);
        const char* e = match(&gm->ms, src, gm->p);
        if (e && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            return push_captures(&gm->ms, src, e);
        }
    }
    return 0;
}

int str_gmatch(lua_State* L) {
    size_t ls, lp;
    const char* s = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);  // the strings stay alive as upvalues of the iterator
    auto* gm = static_cast<GMatchState*>(lua_newuserdatauv(L, sizeof(GMatchState), 0));
    if (init > ls) init = ls + 1;
    prep_state(&gm->ms, L, s, ls, p, lp);
    gm->src = s + init;
    gm->p = p;
    gm->lastmatch = nullptr;
    lua_pushcclosure(L, gmatch_aux, 3);
    return 1;
}

void add_s(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
    size_t l;
    lua_State* L = ms->L;
    const char* news = lua_tolstring(L, 3, &l);
    const char* p;
    while ((p = static_cast<const char*>(std::memchr(news, k_esc, l))) != nullptr) {
        luaL_addlstring(b, news, static_cast<size_t>(p - news));
        p++;
        if (*p == k_esc) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, static_cast<size_t>(e - s));
        } else if (std::isdigit(uc(*p))) {
            const char* cap;
            ptrdiff_t resl = get_onecapture(ms, *p - '1', s, e, &cap);
            if (resl == k_cap_position)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, cap, static_cast<size_t>(resl));
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", k_esc);
        }
        l -= static_cast<size_t>(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

bool add_value(MatchState* ms, luaL_Buffer* b, const char* s, const char* e, int tr) {
    lua_State* L = ms->L;
    switch (tr) {
        case LUA_TFUNCTION: {
            lua_pushvalue(L, 3);
            int n = push_captures(ms, s, e);
            lua_call(L, n, 1);
            break;
        }
        case LUA_TTABLE:
            push_onecapture(ms, 0, s, e);
            lua_gettable(L, 3);
            break;
        default: add_s(ms, b, s, e); return true;
    }
    if (!lua_toboolean(L, -1)) {  // nil or false: keep the original text
        lua_pop(L, 1);
        luaL_addlstring(b, s, static_cast<size_t>(e - s));
        return false;
    }
    if (!lua_isstring(L, -1)) luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return true;
}

int str_gsub(lua_State* L) {
    size_t srcl, lp;
    const char* src = luaL_checklstring(L, 1, &srcl);
    const char* p = luaL_checklstring(L, 2, &lp);
    const char* lastmatch = nullptr;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, static_cast<lua_Integer>(srcl) + 1);
    bool anchor = *p == '^';
    lua_Integer n = 0;
    bool changed = false;
    MatchState ms;
    luaL_Buffer b;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    prep_state(&ms, L, src, srcl, p, lp);
    while (n < max_s) {
        reprep_state(&ms);
        const char* e = match(&ms, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = add_value(&ms, &b, src, e, tr) || changed;
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);  // NOLINT(clang-analyzer-core.NullDereference): luaL_checklstring raises, never returns null
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, static_cast<size_t>(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

}  // namespace

void open_bounded_patterns(lua_State* L) {
    const luaL_Reg funcs[] = {
        {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {nullptr, nullptr},
    };
    lua_getglobal(L, LUA_STRLIBNAME);
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}

}  // namespace upkeep::lua
