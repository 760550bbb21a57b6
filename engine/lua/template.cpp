// Rendering of strings with "{{ }}", "{% %}" and "{# #}" on top of LuaEnv::run:
// a string that is exactly one "{{ expr }}" keeps the expression's type (as
// Ansible does); anything else is a template compiled to Lua and rendered to text.
#include <string>
#include <vector>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

bool has_pair(const std::string& s, const char* open, const char* close) {
    size_t o = s.find(open);
    return o != std::string::npos && s.find(close, o + 2) != std::string::npos;
}

// Anything render must look at: expressions, statements, comments.
bool has_markup(const std::string& s) {
    return s.find("{{") != std::string::npos || has_pair(s, "{%", "%}") || has_pair(s, "{#", "#}");
}

bool needs_render(const Value& v) {
    switch (v.type()) {
        case Value::Type::String: return has_markup(v.as_string());
        case Value::Type::List:
            for (const Value& e : v.as_list())
                if (needs_render(e)) return true;
            return false;
        case Value::Type::Map:
            for (const auto& [k, e] : v.as_map())
                if (needs_render(e)) return true;
            return false;
        default: return false;
    }
}

// The inner expression when s is exactly "{{ expr }}" (one tag, nothing around it).
bool single_expression(const std::string& s, std::string& expr) {
    if (!starts_with(s, "{{") || !ends_with(s, "}}") || s.size() < 4) return false;
    if (s.find("{%") != std::string::npos || s.find("{#") != std::string::npos) return false;
    // The first closing "}}" outside strings and brackets must be the last one.
    int depth = 0;
    for (size_t i = 2; i + 1 < s.size(); ++i) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            for (++i; i < s.size() && s[i] != c; ++i)
                if (s[i] == '\\') ++i;
        } else if (depth == 0 && c == '}' && s[i + 1] == '}') {
            if (i + 2 != s.size()) return false;
            break;
        } else if (c == '(' || c == '[' || c == '{') {
            ++depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    std::string inner = s.substr(2, s.size() - 4);
    if (!inner.empty() && (inner.front() == '-' || inner.front() == '+')) inner.erase(0, 1);
    if (!inner.empty() && (inner.back() == '-' || inner.back() == '+')) inner.pop_back();
    expr = trim(inner);
    return !expr.empty();
}

size_t trailing_newlines(const std::string& s) {
    size_t n = 0;
    while (n < s.size() && s[s.size() - 1 - n] == '\n') ++n;
    return n;
}

}  // namespace

bool LuaEnv::is_templated(const std::string& s) { return s.find("{{") != std::string::npos; }

Value LuaEnv::template_value(const std::string& text, Source kind, const Value& vars, const Mark& mark) {
    Value out = run(text, kind, vars, mark, text.size() > 200 ? text.substr(0, 200) + "..." : text);
    std::string s = out.to_string();
    // Ansible (do_template, preserve_trailing_newlines) gives back the source's
    // trailing newlines that Jinja's keep_trailing_newline=False dropped.
    size_t want = trailing_newlines(text), have = trailing_newlines(s);
    if (want > have) s.append(want - have, '\n');
    Value r(std::move(s));
    r.set_secret(out.secret());
    return r;
}

std::string LuaEnv::render_template(const std::string& text, const Value& vars, const Mark& mark, bool* secret) {
    Value v = template_value(text, Source::FileTemplate, vars, mark);
    if (secret) *secret = v.secret();
    return v.as_string();
}

Value LuaEnv::render_one(const Value& s, const Value& vars) {
    const std::string& text = s.as_string();
    std::string expr;
    Value out;
    if (single_expression(text, expr)) {
        out = run(expr, Source::ValueExpression, vars, s.mark(), text);
        // Ansible's finalize: a None renders as an empty string.
        if (out.is_null()) out = Value(std::string());
    } else {
        out = template_value(text, Source::ValueTemplate, vars, s.mark());
    }
    bool secret = out.secret() || s.secret();
    out.set_mark(s.mark());
    if (secret) out.set_secret();
    return out;
}

Value LuaEnv::render(const Value& v, const Value& vars) {
    if (!needs_render(v)) return v;
    switch (v.type()) {
        case Value::Type::String: return render_one(v, vars);
        case Value::Type::List: {
            List out;
            out.reserve(v.as_list().size());
            for (const Value& e : v.as_list()) out.push_back(render(e, vars));
            Value r(std::move(out));
            r.set_mark(v.mark());
            r.set_secret(v.secret());
            return r;
        }
        case Value::Type::Map: {
            Map out;
            for (const auto& [k, e] : v.as_map()) out.emplace(k, render(e, vars));
            Value r(std::move(out));
            r.set_mark(v.mark());
            r.set_secret(v.secret());
            return r;
        }
        default: return v;
    }
}

std::string LuaEnv::render_string(const std::string& s, const Value& vars, const Mark& mark) {
    if (!has_markup(s)) return s;
    Value v(s);
    v.set_mark(mark);
    return render_one(v, vars).to_string();
}

}  // namespace upkeep
