// "{{ expr }}" templating on top of LuaEnv::eval.
#include <string>
#include <vector>

#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

struct Piece {
    bool is_expr;
    std::string text;
};

bool has_pair(const std::string& s, const char* open, const char* close) {
    size_t o = s.find(open);
    return o != std::string::npos && s.find(close, o + 2) != std::string::npos;
}

// Anything render must look at: expressions, or the Jinja blocks it refuses.
bool has_markup(const std::string& s) {
    return s.find("{{") != std::string::npos || has_pair(s, "{%", "%}") || has_pair(s, "{#", "#}");
}

bool needs_render(const Value& v) {
    if (v.untrusted()) return false;  // a host's data is never a template
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

// End of the expression that starts at `from` (just after "{{"): the first "}}"
// outside string literals and table braces, or npos.
size_t expression_end(const std::string& s, size_t from) {
    int depth = 0;
    for (size_t i = from; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            for (++i; i < s.size() && s[i] != c; ++i)
                if (s[i] == '\\') ++i;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}') {
            if (depth == 0 && i + 1 < s.size() && s[i + 1] == '}') return i;
            if (depth > 0) --depth;
        }
    }
    return std::string::npos;
}

std::vector<Piece> split_template(const std::string& s, const Mark& mark) {
    if (has_pair(s, "{%", "%}"))
        throw UserError(mark, "'{% ... %}' blocks are not supported in '" + s +
                                  "': write the logic as a Lua expression inside '{{ }}' (e.g. cond and a or b)");
    if (has_pair(s, "{#", "#}"))
        throw UserError(mark, "'{# ... #}' comments are not supported in '" + s + "'");
    std::vector<Piece> pieces;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t open = s.find("{{", pos);
        if (open == std::string::npos) {
            pieces.push_back({false, s.substr(pos)});
            break;
        }
        if (open > pos) pieces.push_back({false, s.substr(pos, open - pos)});
        size_t close = expression_end(s, open + 2);
        if (close == std::string::npos) throw UserError(mark, "'{{' without a matching '}}' in '" + s + "'");
        std::string expr = trim(std::string_view(s).substr(open + 2, close - open - 2));
        if (expr.empty()) throw UserError(mark, "empty '{{ }}' in '" + s + "'");
        pieces.push_back({true, expr});
        pos = close + 2;
    }
    return pieces;
}

}  // namespace

bool LuaEnv::is_templated(const std::string& s) { return s.find("{{") != std::string::npos; }

Value LuaEnv::render_one(const Value& s, const Value& vars) {
    std::vector<Piece> pieces = split_template(s.as_string(), s.mark());
    if (pieces.size() == 1 && pieces[0].is_expr) {
        Value out = eval(pieces[0].text, vars, s.mark());
        out.set_mark(s.mark());
        if (s.secret()) out.set_secret();
        return out;
    }
    std::string text;
    bool secret = s.secret();
    bool untrusted = false;
    for (const Piece& p : pieces) {
        if (!p.is_expr) {
            text += p.text;
            continue;
        }
        Value v = eval(p.text, vars, s.mark());
        if (v.contains_secret()) secret = true;
        if (v.untrusted()) untrusted = true;
        text += v.to_string();
    }
    Value out(std::move(text));
    out.set_mark(s.mark());
    out.set_secret(secret);
    if (untrusted) out.set_untrusted();
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

Value LuaEnv::eval_expression(const Value& expr, const Value& vars) {
    if (expr.untrusted())
        throw UserError(expr.mark(), "refusing to evaluate data from a managed host as an expression: '" +
                                         expr.to_string() + "' (host output, facts and registered results are "
                                         "data; write the expression in the playbook instead)");
    return eval(expr.to_string(), vars, expr.mark());
}

std::string LuaEnv::render_string(const std::string& s, const Value& vars, const Mark& mark) {
    Value v(s);
    v.set_mark(mark);
    if (!has_markup(s)) return s;
    return render_one(v, vars).to_string();
}

}  // namespace upkeep
