// Jinja syntax tree -> Lua source. Every operation goes through the runtime
// (lua/upkeep/jinja.lua, reached as `R`), which gives Python/Jinja semantics:
// 0-based indexing, Python truthiness, undefined values that fail when used.
// Template statements become Lua statements appending to the local `out`.
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "engine/lua/jinja_ast.hpp"

namespace upkeep::jinja {

namespace {

std::string lua_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\%03u", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

class Compiler {
public:
    std::string expr(const Node& n) {
        using K = Node::Kind;
        switch (n.kind) {
            case K::Str: return lua_string(n.text);
            case K::Int: {
                // Beyond 64 bits: a float, as Lua would read it.
                if (n.text.size() > 18) return n.text + ".0";
                return n.text;
            }
            case K::Float: {
                std::string t = n.text;
                if (t.find_first_of(".eE") == std::string::npos) t += ".0";
                return "(" + t + ")";
            }
            case K::Bool: return n.text;
            case K::None: return "R.null";
            case K::Name: return name_ref(n.text);
            case K::List: return "R.list({" + list(n.kids) + "})";
            case K::Tuple: return "R.tuple({" + list(n.kids) + "})";
            case K::Dict: return "R.dict({" + list(n.kids) + "})";
            case K::Attr: return "R.attr(" + expr(*n.kids[0]) + ", " + lua_string(n.text) + ", " + lua_string(n.src) + ")";
            case K::Item: return "R.item(" + expr(*n.kids[0]) + ", " + expr(*n.kids[1]) + ", " + lua_string(n.src) + ")";
            case K::Slice:
                return "R.slice(" + expr(*n.kids[0]) + ", " + opt(n.kids[1]) + ", " + opt(n.kids[2]) + ", " +
                       opt(n.kids[3]) + ")";
            case K::Call: {
                const Node& callee = *n.kids[0];
                std::string args = "{" + list(n.kids, 1) + "}, " + kwargs(n);
                if (callee.kind == K::Attr)
                    return "R.method(" + expr(*callee.kids[0]) + ", " + lua_string(callee.text) + ", " + args + ", " +
                           lua_string(n.src) + ")";
                return "R.call(" + expr(callee) + ", " + args + ", " + lua_string(callee.src) + ")";
            }
            case K::Filter:
                return "R.filter(" + lua_string(n.text) + ", " + expr(*n.kids[0]) + ", {" + list(n.kids, 1) + "}, " +
                       kwargs(n) + ")";
            case K::Test:
                return "R.test(" + lua_string(n.text) + ", " + expr(*n.kids[0]) + ", {" + list(n.kids, 1) + "}, " +
                       kwargs(n) + ")";
            case K::Unary:
                if (n.text == "not") return "(not R.truthy(" + expr(*n.kids[0]) + "))";
                return std::string(n.text == "-" ? "R.neg(" : "R.pos(") + expr(*n.kids[0]) + ")";
            case K::Binary: {
                static const std::map<std::string, std::string> k_ops = {
                    {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"//", "floordiv"},
                    {"%", "mod"}, {"**", "pow"}, {"~", "concat"}};
                return "R." + k_ops.at(n.text) + "(" + expr(*n.kids[0]) + ", " + expr(*n.kids[1]) + ")";
            }
            case K::Compare: return compare(n);
            case K::And:
                return "R.and_(" + expr(*n.kids[0]) + ", function() return " + expr(*n.kids[1]) + " end)";
            case K::Or:
                return "R.or_(" + expr(*n.kids[0]) + ", function() return " + expr(*n.kids[1]) + " end)";
            case K::CondExpr: {
                std::string other = n.kids.size() > 2 ? expr(*n.kids[2])
                                                      : "R.lenient_undef(" + lua_string("the 'if' without 'else' in '" + n.src + "' was false") + ")";
                return "R.cond(" + expr(*n.kids[1]) + ", function() return " + expr(*n.kids[0]) +
                       " end, function() return " + other + " end)";
            }
            default: break;
        }
        throw SyntaxError(n.pos, "a statement where an expression was expected");
    }

    // Template statements, appended to `m_out`.
    void stmt(const Node& n) {
        using K = Node::Kind;
        switch (n.kind) {
            case K::Body:
                for (const auto& k : n.kids) stmt(*k);
                return;
            case K::Text: emit("out[#out + 1] = " + lua_string(n.text)); return;
            case K::Output: emit("out[#out + 1] = R.out(" + expr(*n.kids[0]) + ")"); return;
            case K::If: return if_chain(n);
            case K::For: return for_loop(n);
            case K::Set: return set_names(n);
            case K::SetBlock: {
                std::string target = declare(n.names[0]);
                emit("do");
                emit("local out = {}");
                block(*n.kids[0]);
                emit(target + " = R.join(out)");
                emit("end");
                return;
            }
            case K::Macro: return macro(n);
            case K::Include:
                emit("out[#out + 1] = R.include(" + expr(*n.kids[0]) + ", " + (n.text.empty() ? "false" : "true") + ")");
                return;
            case K::Extends:
                // What was written so far stays; what follows is not output (Jinja
                // renders the parent instead), but its statements still run.
                emit("__parent = " + expr(*n.kids[0]));
                emit("__before = R.join(out) out = {}");
                return;
            case K::Block:
                // Defined once at the top (define_blocks); here it is rendered, in its
                // most derived version.
                // In a child (after extends) the parent renders it, once all blocks are known.
                emit("if __parent == nil then out[#out + 1] = R.render_block(__blocks, " + lua_string(n.text) + ") end");
                return;
            case K::CallBlock: return call_block(n);
            default: emit("out[#out + 1] = R.str(" + expr(n) + ")"); return;
        }
    }

    // {% if %} / {% elif %} / {% else %}: kids are condition, body pairs, then the
    // else body when their number is odd.
    void if_chain(const Node& n) {
        for (size_t i = 0; i + 1 < n.kids.size(); i += 2) {
            emit((i == 0 ? "if R.truthy(" : "elseif R.truthy(") + expr(*n.kids[i]) + ") then");
            block(*n.kids[i + 1]);
        }
        if (n.kids.size() % 2 == 1) {
            emit("else");
            block(*n.kids.back());
        }
        emit("end");
    }

    // {% set a = x %} or {% set a, b = pair %} (unpacked through R.unpack).
    void set_names(const Node& n) {
        std::string value = expr(*n.kids[0]);
        if (n.names.size() == 1) {
            emit(declare(n.names[0]) + " = " + value);
            return;
        }
        std::string tmp = fresh("t");
        emit("local " + tmp + " = R.unpack(" + value + ", " + std::to_string(n.names.size()) + ")");
        for (size_t i = 0; i < n.names.size(); ++i)
            emit(declare(n.names[i]) + " = " + tmp + "[" + std::to_string(i + 1) + "]");
    }

    // {% macro %}: a Lua function registered through R.macro with its parameter
    // names and lazily evaluated defaults.
    void macro(const Node& n) {
        std::string name = declare(n.text);
        m_scopes.emplace_back();
        Signature sig = signature(n);
        // The body of a {% call %} arrives as the extra last argument `caller`.
        sig.params += (sig.params.empty() ? "" : ", ") + bind("caller");
        emit(name + " = R.macro(" + lua_string(n.text) + ", {" + sig.names + "}, " + sig.defaults + ", function(" +
             sig.params + ")");
        macro_body(*n.kids[0]);
        m_scopes.pop_back();
    }

    // A macro's (or a call block's) parameters, bound in the scope just opened: Lua
    // parameter list, quoted names, and a table of default thunks.
    struct Signature {
        std::string params, names, defaults;
    };
    Signature signature(const Node& n) {
        Signature sig;
        sig.defaults = "{";
        for (const auto& [param, def] : n.kwargs)
            sig.defaults += "[" + lua_string(param) + "] = function() return " + expr(*def) + " end, ";
        sig.defaults += "}";
        for (const std::string& p : n.names) {
            sig.params += (sig.params.empty() ? "" : ", ") + bind(p);
            sig.names += lua_string(p) + ", ";
        }
        return sig;
    }

    // The body of the function R.macro wraps: its own output, joined.
    void macro_body(const Node& body) {
        emit("local out = {}");
        predeclare(body);
        stmt(body);
        emit("return R.join(out)");
        emit("end)");
    }

    // Declares, at the top of a frame, the names `set` anywhere in it outside loops
    // and macros (an `if` does not open a scope in Jinja).
    void predeclare(const Node& body) {
        std::vector<std::string> names;
        collect_sets(body, names);
        for (const std::string& nm : names) {
            if (m_scopes.back().count(nm)) continue;
            std::string local = fresh("v_" + safe(nm));
            m_scopes.back()[nm] = local;
            emit("local " + local);
        }
    }

    // Registers every {% block %} of the template (wherever it stands: Jinja
    // defines blocks at compile time) as a function of its place in the chain
    // of overrides, so that super() can render the next one.
    void define_blocks(const Node& n) {
        using K = Node::Kind;
        if (n.kind == K::Macro) return;
        if (n.kind == K::Block) {
            std::string k = fresh("k");
            m_scopes.emplace_back();
            emit("R.add_block(__blocks, " + lua_string(n.text) + ", function(" + k + ")");
            emit("local out = {}");
            m_block_stack.emplace_back(n.text, k);
            predeclare(*n.kids[0]);
            stmt(*n.kids[0]);
            m_block_stack.pop_back();
            emit("return R.join(out)");
            emit("end)");
            m_scopes.pop_back();
        }
        for (const auto& k : n.kids)
            if (k) define_blocks(*k);
    }

    std::string code() const { return m_code; }
    void emit(const std::string& line) {
        m_code += line;
        m_code += '\n';
    }

    std::vector<std::map<std::string, std::string>> m_scopes{1};

private:
    static void collect_sets(const Node& n, std::vector<std::string>& names) {
        using K = Node::Kind;
        if (n.kind == K::Set || n.kind == K::SetBlock)
            for (const auto& nm : n.names) names.push_back(nm);
        if (n.kind == K::Macro) names.push_back(n.text);
        if (n.kind == K::If || n.kind == K::Body)
            for (const auto& k : n.kids)
                if (k) collect_sets(*k, names);
    }

    void block(const Node& body) { stmt(body); }

    // {% call(params) m(args) %}body{% endcall %}: the body becomes a macro named
    // caller, handed to m as the keyword argument `caller`.
    void call_block(const Node& n) {
        std::string c = fresh("caller");
        m_scopes.emplace_back();
        Signature sig = signature(n);
        emit("local " + c + " = R.macro(\"caller\", {" + sig.names + "}, " + sig.defaults + ", function(" + sig.params + ")");
        macro_body(*n.kids[1]);
        m_scopes.pop_back();
        const Node& call = *n.kids[0];
        std::string kw = "{";
        for (const auto& [k, v] : call.kwargs) kw += "[" + lua_string(k) + "] = " + expr(*v) + ", ";
        kw += "caller = " + c + "}";
        emit("out[#out + 1] = R.out(R.call(" + expr(*call.kids[0]) + ", {" + list(call.kids, 1) + "}, " + kw + ", " +
             lua_string(call.kids[0]->src) + "))");
    }

    void for_loop(const Node& n) {
        std::string items = fresh("items"), count = fresh("n"), idx = fresh("i");
        emit("do");
        emit("local " + items + " = R.iter(" + expr(*n.kids[0]) + ")");
        if (n.kids[3]) {
            m_scopes.emplace_back();
            std::string arg = fresh("x");
            std::string unpack = targets(n.names, arg);
            emit(items + " = R.keep(" + items + ", function(" + arg + ") " + unpack + " return R.truthy(" +
                 expr(*n.kids[3]) + ") end)");
            m_scopes.pop_back();
        }
        emit("local " + count + " = #" + items);
        emit("for " + idx + " = 1, " + count + " do");
        m_scopes.emplace_back();
        emit(targets(n.names, items + "[" + idx + "]"));
        emit("local " + bind("loop") + " = R.loop(" + items + ", " + idx + ")");
        predeclare(*n.kids[1]);
        stmt(*n.kids[1]);
        m_scopes.pop_back();
        emit("end");
        if (n.kids[2]) {
            emit("if " + count + " == 0 then");
            m_scopes.emplace_back();
            predeclare(*n.kids[2]);
            stmt(*n.kids[2]);
            m_scopes.pop_back();
            emit("end");
        }
        emit("end");
    }

    // "local a = v" or, for several targets, "local a, b = R.unpack2(v, 2)".
    std::string targets(const std::vector<std::string>& names, const std::string& value) {
        if (names.size() == 1) return "local " + bind(names[0]) + " = " + value;
        std::string tmp = fresh("t");
        std::string out = "local " + tmp + " = R.unpack(" + value + ", " + std::to_string(names.size()) + ")";
        for (size_t i = 0; i < names.size(); ++i) out += " local " + bind(names[i]) + " = " + tmp + "[" + std::to_string(i + 1) + "]";
        return out;
    }

    static std::string safe(const std::string& name) {
        std::string s;
        for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
        return s.substr(0, 40);
    }

    std::string fresh(const std::string& base) { return "_" + base + "_" + std::to_string(++m_counter); }

    // A new local for a Jinja name in the innermost scope.
    std::string bind(const std::string& name) {
        std::string local = fresh("v_" + safe(name));
        m_scopes.back()[name] = local;
        return local;
    }

    // The local a `set` assigns to: predeclared in the frame.
    std::string declare(const std::string& name) {
        for (auto it = m_scopes.rbegin(); it != m_scopes.rend(); ++it)
            if (auto f = it->find(name); f != it->end()) return f->second;
        std::string local = bind(name);
        emit("local " + local);
        return local;
    }

    std::string name_ref(const std::string& name) {
        for (auto it = m_scopes.rbegin(); it != m_scopes.rend(); ++it)
            if (auto f = it->find(name); f != it->end()) return "R.lv(" + f->second + ", " + lua_string(name) + ")";
        if (name == "super" && !m_block_stack.empty())
            return "R.super(__blocks, " + lua_string(m_block_stack.back().first) + ", " + m_block_stack.back().second + ")";
        if (name == "self") return "R.self_blocks(__blocks)";
        return "R.var(" + lua_string(name) + ")";
    }

    std::string opt(const NodePtr& n) { return n ? expr(*n) : "nil"; }

    std::string list(const std::vector<NodePtr>& kids, size_t from = 0) {
        std::string out;
        for (size_t i = from; i < kids.size(); ++i) {
            if (i > from) out += ", ";
            out += expr(*kids[i]);
        }
        return out;
    }

    std::string kwargs(const Node& n) {
        if (n.kwargs.empty()) return "nil";
        std::string out = "{";
        for (const auto& [k, v] : n.kwargs) out += "[" + lua_string(k) + "] = " + expr(*v) + ", ";
        return out + "}";
    }

    std::string compare(const Node& n) {
        auto one = [&](const std::string& op, const std::string& a, const std::string& b) -> std::string {
            if (op == "==") return "R.eq(" + a + ", " + b + ")";
            if (op == "!=") return "(not R.eq(" + a + ", " + b + "))";
            if (op == "<") return "R.lt(" + a + ", " + b + ")";
            if (op == ">") return "R.lt(" + b + ", " + a + ")";
            if (op == "<=") return "R.le(" + a + ", " + b + ")";
            if (op == ">=") return "R.le(" + b + ", " + a + ")";
            if (op == "in") return "R.contains(" + b + ", " + a + ")";
            return "(not R.contains(" + b + ", " + a + "))";
        };
        if (n.names.size() == 1) return one(n.names[0], expr(*n.kids[0]), expr(*n.kids[1]));
        // a < b < c: each operand evaluated once, stopping at the first false.
        std::string code = "(function() local a = " + expr(*n.kids[0]);
        for (size_t i = 0; i < n.names.size(); ++i) {
            code += " local b = " + expr(*n.kids[i + 1]) + " if not " + one(n.names[i], "a", "b") + " then return false end a = b";
        }
        return code + " return true end)()";
    }

    std::string m_code;
    int m_counter = 0;
    std::vector<std::pair<std::string, std::string>> m_block_stack;  // (block name, its chain-index local)
};

}  // namespace

std::string compile_expression(const Node& e) {
    Compiler c;
    return "local R = __j\nreturn R.finish(" + c.expr(e) + ")\n";
}

std::string compile_template(const Node& body) {
    Compiler c;
    c.emit("local R = __j");
    // A parent template is called with its child's blocks (see R.extend).
    c.emit("local __blocks = ... or {}");
    c.emit("local __parent, __before");
    c.emit("local out = {}");
    c.predeclare(body);
    c.define_blocks(body);
    c.stmt(body);
    c.emit("if __parent ~= nil then return __before .. R.extend(__parent, __blocks) end");
    c.emit("return R.join(out)");
    return c.code();
}

}  // namespace upkeep::jinja
