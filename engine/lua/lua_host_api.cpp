#include "engine/lua/lua_host_api.hpp"

#include <lua.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "engine/lua/lua_convert.hpp"
#include "engine/util/error.hpp"

namespace upkeep::lua {

namespace {

char k_host_meta_key;

HostBinding& binding(lua_State* L) {
    auto** slot = static_cast<HostBinding**>(luaL_testudata(L, 1, "upkeep.host"));
    if (!slot) throw TaskError("host functions are called as methods: host:read_file(path), not host.read_file(path)");
    if (!*slot) throw TaskError("this host object belongs to a check() or apply() call that is over");
    return **slot;
}

std::string arg_string(lua_State* L, int idx, const char* what) {
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    if (!s || lua_type(L, idx) != LUA_TSTRING) throw TaskError(std::string(what) + " must be a string");
    return std::string(s, len);
}

// An option from the table at idx (absent table or key: nil on the stack top).
void get_opt(lua_State* L, int idx, const char* key) {
    if (lua_type(L, idx) == LUA_TTABLE || lua_type(L, idx) == LUA_TUSERDATA)
        lua_getfield(L, idx, key);
    else
        lua_pushnil(L);
}

std::string opt_string(lua_State* L, int idx, const char* key) {
    get_opt(L, idx, key);
    std::string out;
    if (!lua_isnil(L, -1)) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        if (!s) throw TaskError(std::string("option '") + key + "' must be a string");
        out.assign(s, len);
    }
    lua_pop(L, 1);
    return out;
}

bool opt_bool(lua_State* L, int idx, const char* key) {
    get_opt(L, idx, key);
    bool b = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return b;
}

// A mode: octal text ("0644", "755") or an integer holding the permission bits.
std::optional<uint32_t> mode_at(lua_State* L, int idx) {
    if (lua_isnoneornil(L, idx)) return std::nullopt;
    if (lua_type(L, idx) == LUA_TNUMBER && lua_isinteger(L, idx)) {
        lua_Integer m = lua_tointeger(L, idx);
        if (m < 0 || m > 07777) throw TaskError("mode out of range: " + std::to_string(m));
        return static_cast<uint32_t>(m);
    }
    std::string s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : "";
    if (s.empty() || s.size() > 5 || s.find_first_not_of("01234567") != std::string::npos)
        throw TaskError("mode must be octal text like \"0644\", got '" + s + "'");
    return static_cast<uint32_t>(std::stoul(s, nullptr, 8));
}

std::optional<uint32_t> opt_mode(lua_State* L, int idx, const char* key) {
    get_opt(L, idx, key);
    int top = lua_gettop(L);
    auto m = mode_at(L, top);
    lua_pop(L, 1);
    return m;
}

void refuse_in_check(const HostBinding& b, const char* what) {
    if (b.read_only)
        throw TaskError(std::string("check() is read-only: host:") + what +
                        " may only be called from apply() (check() returns the plan, apply() carries it out)");
}

void set_str(lua_State* L, const char* key, const std::string& v) {
    lua_pushlstring(L, v.data(), v.size());
    lua_setfield(L, -2, key);
}

void set_int(lua_State* L, const char* key, lua_Integer v) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

const char* kind_name(FileInfo::Kind k) {
    switch (k) {
        case FileInfo::Kind::Missing: return "missing";
        case FileInfo::Kind::File: return "file";
        case FileInfo::Kind::Dir: return "directory";
        case FileInfo::Kind::Link: return "link";
        case FileInfo::Kind::Other: return "other";
    }
    return "other";
}

// Runs one host call: the time spent waiting for the host does not count against
// the evaluation's wall-clock limit (only the module's own computing does), and
// C++ exceptions become Lua errors without crossing Lua's C frames.
template <class F>
int host_call(lua_State* L, F&& f) {
    {
        std::string err;
        auto start = std::chrono::steady_clock::now();
        HostBinding* b = nullptr;
        try {
            b = &binding(L);
            if (b->connection_failure) std::rethrow_exception(b->connection_failure);
            int n = f(*b);
            runtime(L).deadline += std::chrono::steady_clock::now() - start;
            return n;
        } catch (const ConnectionError& e) {
            if (b && !b->connection_failure) b->connection_failure = std::current_exception();
            err = e.what();
        } catch (const std::exception& e) {
            err = e.what();
        }
        runtime(L).deadline += std::chrono::steady_clock::now() - start;
        lua_pushlstring(L, err.data(), err.size());
    }
    return lua_error(L);
}

// host:pending_file(path): why a file that does not exist yet may appear in this dry
// run (a package install planned earlier), or nil (see Connection::pending_file).
int h_pending_file(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        auto why = b.conn->pending_file(arg_string(L, 2, "path"));
        if (!why) {
            lua_pushnil(L);
            return 1;
        }
        const std::string& text = *why;  // one dereference: clang's analyzer misreads two of std::optional
        lua_pushlstring(L, text.data(), text.size());
        return 1;
    });
}

int h_read_file(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        auto content = b.conn->read_file(arg_string(L, 2, "path"));
        if (!content) {
            lua_pushnil(L);
            return 1;
        }
        Runtime& rt = runtime(L);
        if (rt.enforce && rt.mem_used + content->size() > rt.mem_limit)
            throw TaskError("the file is larger than the Lua module's memory limit (" +
                            std::to_string(rt.mem_limit >> 20) + " MB)");
        const std::string& text = *content;  // as above
        lua_pushlstring(L, text.data(), text.size());
        return 1;
    });
}

int h_stat(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        bool follow = lua_isnoneornil(L, 3) ? true : lua_toboolean(L, 3);
        FileInfo fi = b.conn->stat(arg_string(L, 2, "path"), follow);
        lua_createtable(L, 0, 10);
        lua_pushboolean(L, fi.exists());
        lua_setfield(L, -2, "exists");
        lua_pushstring(L, kind_name(fi.kind));
        lua_setfield(L, -2, "kind");
        if (fi.exists()) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", fi.mode & 07777);
            set_str(L, "mode", mode);
            set_int(L, "uid", fi.uid);
            set_int(L, "gid", fi.gid);
            set_str(L, "owner", fi.owner);
            set_str(L, "group", fi.group);
            set_int(L, "size", static_cast<lua_Integer>(fi.size));
            if (fi.is_link()) set_str(L, "link_target", fi.link_target);
            if (!fi.special.empty()) set_str(L, "special", fi.special);
        }
        return 1;
    });
}

int h_list_dir(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        std::vector<std::string> names = b.conn->list_dir(arg_string(L, 2, "path"));
        lua_createtable(L, static_cast<int>(names.size()), 0);
        for (size_t i = 0; i < names.size(); ++i) {
            lua_pushlstring(L, names[i].data(), names[i].size());
            lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
        }
        return 1;
    });
}

// host:run(cmdline, {query=true, stdin=..., chdir=..., env={...}}): a query only
// reads state and runs in the dry run too; any other command is recorded as
// "would run" by the dry run's overlay, and refused in check().
int h_run(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        Command cmd;
        cmd.cmdline = arg_string(L, 2, "the command line");
        cmd.mutating = !opt_bool(L, 3, "query");
        if (cmd.mutating) refuse_in_check(b, "run() without query=true");
        cmd.stdin_data = opt_string(L, 3, "stdin");
        cmd.chdir = opt_string(L, 3, "chdir");
        get_opt(L, 3, "env");
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) != LUA_TSTRING || !lua_tostring(L, -1))
                    throw TaskError("env must map names to strings");
                cmd.env[lua_tostring(L, -2)] = lua_tostring(L, -1);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
        CommandResult r = b.conn->run(cmd);
        lua_createtable(L, 0, 4);
        set_int(L, "rc", r.rc);
        set_str(L, "stdout", r.out);
        set_str(L, "stderr", r.err);
        lua_pushboolean(L, r.executed);
        lua_setfield(L, -2, "executed");
        return 1;
    });
}

// host:write_file(path, content, {mode=, owner=, group=, backup=, follow=}): the
// connection's atomic replace (temp file, fsync, rename). Returns {backup_file=}.
int h_write_file(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        refuse_in_check(b, "write_file()");
        std::string path = arg_string(L, 2, "path");
        std::string content = arg_string(L, 3, "content");
        WriteOptions o;
        o.mode = opt_mode(L, 4, "mode");
        o.owner = opt_string(L, 4, "owner");
        o.group = opt_string(L, 4, "group");
        o.backup = opt_bool(L, 4, "backup");
        get_opt(L, 4, "follow");
        o.follow = lua_isnil(L, -1) ? true : lua_toboolean(L, -1);
        lua_pop(L, 1);
        WriteResult w = b.conn->write_file(path, content, o);
        lua_createtable(L, 0, 1);
        if (!w.backup_path.empty()) set_str(L, "backup_file", w.backup_path);
        return 1;
    });
}

int h_make_dirs(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        refuse_in_check(b, "make_dirs()");
        b.conn->make_dirs(arg_string(L, 2, "path"), mode_at(L, 3));
        return 0;
    });
}

int h_remove(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        refuse_in_check(b, "remove()");
        b.conn->remove(arg_string(L, 2, "path"), lua_toboolean(L, 3));
        return 0;
    });
}

int h_set_attributes(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        refuse_in_check(b, "set_attributes()");
        std::string path = arg_string(L, 2, "path");
        b.conn->set_attributes(path, opt_mode(L, 3, "mode"), opt_string(L, 3, "owner"), opt_string(L, 3, "group"));
        return 0;
    });
}

int h_name(lua_State* L) {
    return host_call(L, [&](HostBinding& b) {
        const std::string& n = b.conn->host_name();
        lua_pushlstring(L, n.data(), n.size());
        return 1;
    });
}

int h_tostring(lua_State* L) {
    lua_pushliteral(L, "host");
    return 1;
}

}  // namespace

HostBinding** push_host(lua_State* L, HostBinding* b) {
    auto** slot = static_cast<HostBinding**>(lua_newuserdatauv(L, sizeof(HostBinding*), 0));
    *slot = b;
    if (luaL_newmetatable(L, "upkeep.host")) {
        const luaL_Reg methods[] = {{"read_file", h_read_file},   {"stat", h_stat},
                                    {"list_dir", h_list_dir},     {"run", h_run},
                                    {"write_file", h_write_file}, {"make_dirs", h_make_dirs},
                                    {"remove", h_remove},         {"set_attributes", h_set_attributes},
                                    {"name", h_name},             {"pending_file", h_pending_file},
                                    {nullptr, nullptr}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, h_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "host");
        lua_setfield(L, -2, "__metatable");  // the methods table cannot be reached or changed
    }
    lua_setmetatable(L, -2);
    (void)k_host_meta_key;
    return slot;
}

}  // namespace upkeep::lua
