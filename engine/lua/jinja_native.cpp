// The C side of the Jinja runtime (`__jn` in Lua): variable lookup that tells a
// missing name from a None, Python regexes (engine/util/py_regex), hashes,
// crypt(3) password hashes, YAML/JSON parsing, controller-side lookups and
// loading of included templates.
#include <crypt.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_convert.hpp"
#include "engine/util/digest.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

thread_local std::vector<std::string> t_search_path;

std::string arg_string(lua_State* L, int idx) {
    size_t len = 0;
    const char* s = luaL_checklstring(L, idx, &len);
    return std::string(s, len);
}

void push_string(lua_State* L, const std::string& s) { lua_pushlstring(L, s.data(), s.size()); }

// var(name) -> the variable's value (None as the null sentinel), or nothing.
int l_var(lua_State* L) {
    lua::Runtime& rt = lua::runtime(L);
    std::string name = arg_string(L, 1);
    if (!rt.vars || !rt.vars->is_map()) return 0;
    const Value* v = rt.vars->find(name);
    if (!v) return 0;
    lua::push_value(L, *v, true);
    return 1;
}

// item(map, key) -> the value under key (None as the null sentinel), or nothing.
int l_item(lua_State* L) {
    const Value* m = lua::proxy_value(L, 1);
    if (!m || !m->is_map()) return 0;
    int t = lua_type(L, 2);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) return 0;
    lua_pushvalue(L, 2);
    std::string key = lua_tostring(L, -1);
    lua_pop(L, 1);
    const Value* v = m->find(key);
    if (!v) return 0;
    lua::push_value(L, *v, true);
    return 1;
}

int l_distance(lua_State* L) {
    lua_pushinteger(L, static_cast<lua_Integer>(edit_distance(arg_string(L, 1), arg_string(L, 2))));
    return 1;
}

PyRegex regex_arg(lua_State* L, int idx) {
    PyRegexFlags flags;
    flags.icase = lua_toboolean(L, idx + 1);
    flags.multiline = lua_toboolean(L, idx + 2);
    return compile_py_regex(arg_string(L, idx), flags);
}

// re_search(text, pattern, icase, multiline) -> {[0] = match, [1] = group 1, name = ...} or nil
int l_re_search(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string text = arg_string(L, 1);
        PyRegex re = regex_arg(L, 2);
        PyMatch m;
        if (!py_search(re, text, &m)) {
            lua_pushnil(L);
            return 1;
        }
        lua_createtable(L, static_cast<int>(m.size()), 0);
        for (size_t i = 0; i < m.size(); ++i) {
            if (m[i].matched) push_string(L, m.str(i));
            else lua::push_null(L);
            lua_rawseti(L, -2, static_cast<lua_Integer>(i));
            if (i > 0 && i - 1 < re.group_names.size() && !re.group_names[i - 1].empty()) {
                if (m[i].matched) push_string(L, m.str(i));
                else lua::push_null(L);
                lua_setfield(L, -2, re.group_names[i - 1].c_str());
            }
        }
        return 1;
    });
}

int l_re_sub(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string text = arg_string(L, 1);
        PyRegex re = regex_arg(L, 2);
        size_t count = 0;
        push_string(L, py_subn(re, arg_string(L, 3), text, &count));
        return 1;
    });
}

// Python's re.findall: whole matches, group 1, or a list of the groups.
int l_re_findall(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string text = arg_string(L, 1);
        std::string pattern = arg_string(L, 2);
        bool multiline = lua_toboolean(L, 4);
        PyRegex re = regex_arg(L, 2);
        bool anchored = !multiline && (starts_with(pattern, "^") || starts_with(pattern, "\\A"));
        lua_newtable(L);
        lua_Integer n = 0;
        size_t pos = 0;
        while (pos <= text.size()) {
            std::string rest = text.substr(pos);
            PyMatch m;
            if (!py_search(re, rest, &m)) break;
            if (m.size() <= 1) {
                push_string(L, m.str(0));
            } else if (m.size() == 2) {
                push_string(L, m.str(1));
            } else {
                lua_createtable(L, static_cast<int>(m.size() - 1), 0);
                for (size_t i = 1; i < m.size(); ++i) {
                    push_string(L, m.str(i));
                    lua_rawseti(L, -2, static_cast<lua_Integer>(i));
                }
            }
            lua_rawseti(L, -2, ++n);
            size_t adv = static_cast<size_t>(m.position(0) + m.length(0));
            pos += adv == static_cast<size_t>(m.position(0)) ? adv + 1 : adv;
            if (anchored || n > 100000) break;
        }
        return 1;
    });
}

int l_hash(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string data = arg_string(L, 1);
        std::string alg = to_lower(arg_string(L, 2));
        std::optional<std::string> hex = digest_hex_of(alg, data);
        if (!hex) throw UserError("hash: unknown hash type '" + alg + "'");
        push_string(L, *hex);
        return 1;
    });
}

// password_hash(pw, scheme, salt, rounds): crypt(3) as Ansible's passlib fallback.
int l_password_hash(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string pw = arg_string(L, 1), scheme = arg_string(L, 2), salt = arg_string(L, 3);
        lua_Integer rounds = luaL_optinteger(L, 4, 5000);
        std::string prefix;
        size_t salt_len = 16;
        if (scheme == "sha512" || scheme == "sha512_crypt") prefix = "$6$";
        else if (scheme == "sha256" || scheme == "sha256_crypt") prefix = "$5$";
        else if (scheme == "md5" || scheme == "md5_crypt") prefix = "$1$", salt_len = 8;
        else throw UserError("password_hash: unsupported hash type '" + scheme + "' (sha512, sha256, md5)");
        if (salt.empty()) {
            static const char* k_chars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
            std::random_device rd;
            for (size_t i = 0; i < salt_len; ++i) salt += k_chars[rd() % 64];
        }
        std::string setting = prefix;
        if (prefix != "$1$" && rounds != 5000) setting += "rounds=" + std::to_string(rounds) + "$";
        setting += salt;
        struct crypt_data data {};
        const char* out = crypt_r(pw.c_str(), setting.c_str(), &data);
        if (!out || out[0] == '*') throw UserError("password_hash: crypt failed");
        push_string(L, out);
        return 1;
    });
}

int l_from_yaml(lua_State* L) {
    return lua::guarded(L, [&] {
        lua::push_value(L, parse_yaml(arg_string(L, 1), "<from_yaml>"));
        return 1;
    });
}

int l_to_yaml(lua_State* L) {
    return lua::guarded(L, [&] {
        push_string(L, to_yaml(lua::to_value(L, 1)));
        return 1;
    });
}

int l_getenv(lua_State* L) {
    const char* v = std::getenv(luaL_checkstring(L, 1));
    if (!v) return 0;
    lua_pushstring(L, v);
    return 1;
}

// A controller file: absolute, or searched in the template search path.
std::string find_file(const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!name.empty() && name[0] == '/') return fs::is_regular_file(name, ec) ? name : "";
    for (const std::string& dir : t_search_path) {
        fs::path p = fs::path(dir) / name;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    if (t_search_path.empty() && fs::is_regular_file(name, ec)) return name;
    return "";
}

bool read_whole(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

int l_find_file(lua_State* L) {
    std::string p = find_file(arg_string(L, 1));
    if (p.empty()) return 0;
    push_string(L, p);
    return 1;
}

int l_read_file(lua_State* L) {
    std::string p = find_file(arg_string(L, 1));
    std::string content;
    if (p.empty() || !read_whole(p, content)) return 0;
    push_string(L, content);
    return 1;
}

int l_pipe(lua_State* L) {
    return lua::guarded(L, [&] {
        std::string cmd = arg_string(L, 1);
        FILE* f = popen(cmd.c_str(), "r");
        if (!f) throw UserError("lookup('pipe'): cannot run '" + cmd + "'");
        std::string out;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0 && out.size() < (size_t(64) << 20)) out.append(buf, n);
        int status = pclose(f);
        push_string(L, out);
        lua_pushinteger(L, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
        return 2;
    });
}

int l_expanduser(lua_State* L) {
    std::string s = arg_string(L, 1);
    if (starts_with(s, "~") && (s.size() == 1 || s[1] == '/')) {
        const char* home = std::getenv("HOME");
        if (!home) {
            if (struct passwd* pw = getpwuid(getuid())) home = pw->pw_dir;
        }
        if (home) s = home + s.substr(1);
    }
    push_string(L, s);
    return 1;
}

int l_realpath(lua_State* L) {
    std::error_code ec;
    auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(arg_string(L, 1)), ec);
    push_string(L, ec ? arg_string(L, 1) : p.string());
    return 1;
}

// load_template(name, ignore_missing, R) -> a function rendering it and the number
// of newlines ending the source, or nil.
int l_load_template(lua_State* L) {
    std::string name = arg_string(L, 1);
    bool ignore_missing = lua_toboolean(L, 2);
    std::string path = find_file(name);
    std::string text;
    if (path.empty() || !read_whole(path, text)) {
        if (ignore_missing) return 0;
        return luaL_error(L, "template '%s' not found (searched: %s)", name.c_str(),
                          join(t_search_path, ", ").c_str());
    }
    std::string code;
    try {
        code = jinja::compile_template(*jinja::parse_template(text));
    } catch (const jinja::SyntaxError& e) {
        return luaL_error(L, "%s: %s: %s", path.c_str(), jinja::describe_position(text, e.pos()).c_str(), e.what());
    }
    std::string chunk = "=" + path;
    if (luaL_loadbufferx(L, code.data(), code.size(), chunk.c_str(), "t") != LUA_OK) return lua_error(L);
    lua_newtable(L);
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "__j");
    lua_setupvalue(L, -2, 1);
    size_t newlines = 0;
    while (newlines < text.size() && text[text.size() - 1 - newlines] == '\n') ++newlines;
    lua_pushinteger(L, static_cast<lua_Integer>(newlines));  // for Ansible's trailing-newline rule
    return 2;
}

}  // namespace

void set_template_search_path(std::vector<std::string> dirs) { t_search_path = std::move(dirs); }
const std::vector<std::string>& template_search_path() { return t_search_path; }

namespace lua {

void open_jinja_native(lua_State* L) {
    const luaL_Reg funcs[] = {
        {"var", l_var},           {"item", l_item},           {"distance", l_distance},
        {"re_search", l_re_search}, {"re_sub", l_re_sub},     {"re_findall", l_re_findall},
        {"hash", l_hash},         {"password_hash", l_password_hash},
        {"from_yaml", l_from_yaml}, {"to_yaml", l_to_yaml},   {"getenv", l_getenv},
        {"find_file", l_find_file}, {"read_file", l_read_file}, {"pipe", l_pipe},
        {"expanduser", l_expanduser}, {"realpath", l_realpath}, {"load_template", l_load_template},
        {nullptr, nullptr},
    };
    luaL_newlib(L, funcs);
    lua_setglobal(L, "__jn");
}

}  // namespace lua

}  // namespace upkeep
