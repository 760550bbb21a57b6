#include "engine/lua/jinja_compat.hpp"

#include <cctype>
#include <set>
#include <vector>

namespace upkeep {

namespace {

struct Tok {
    enum class Kind { Name, Number, String, Op };
    Kind kind;
    std::string text;
    bool space = false;  // whitespace before it in the source

    bool is(Kind k, std::string_view t) const { return kind == k && text == t; }
    bool op(std::string_view t) const { return is(Kind::Op, t); }
    bool name(std::string_view t) const { return is(Kind::Name, t); }
};

using Toks = std::vector<Tok>;

bool is_keyword(const std::string& s) {
    static const std::set<std::string> k_keywords = {
        "and",   "break", "do",  "else", "elseif", "end",    "false", "for",  "function", "goto", "if",
        "in",    "local", "nil", "not",  "or",     "repeat", "return", "then", "true",     "until", "while"};
    return k_keywords.count(s) > 0;
}

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Length of a long bracket opener "[==[" at s[i], or 0.
size_t long_bracket(std::string_view s, size_t i) {
    if (i >= s.size() || s[i] != '[') return 0;
    size_t j = i + 1;
    while (j < s.size() && s[j] == '=') ++j;
    return (j < s.size() && s[j] == '[') ? j - i + 1 : 0;
}

// End (one past) of the long string or comment whose opener of length `open` starts at i.
size_t long_end(std::string_view s, size_t i, size_t open) {
    std::string close = "]" + std::string(open - 2, '=') + "]";
    size_t pos = s.find(close, i + open);
    if (pos == std::string_view::npos) throw JinjaSyntaxError("unfinished long string or comment");
    return pos + close.size();
}

Toks tokenize(std::string_view s) {
    static const char* const k_ops3[] = {"..."};
    static const char* const k_ops2[] = {"..", "==", "~=", "!=", "<=", ">=", "//", "::", "<<", ">>"};
    Toks out;
    bool space = false;
    size_t i = 0, n = s.size();
    auto push = [&](Tok::Kind k, size_t from, size_t to) {
        out.push_back({k, std::string(s.substr(from, to - from)), space});
        space = false;
    };
    while (i < n) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            ++i;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            size_t open = long_bracket(s, i + 2);
            if (open) {
                i = long_end(s, i + 2, open);
            } else {
                size_t nl = s.find('\n', i);
                i = nl == std::string_view::npos ? n : nl;
            }
            space = true;
        } else if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && s[j] != c) {
                if (s[j] == '\\') ++j;
                else if (s[j] == '\n') break;
                ++j;
            }
            if (j >= n || s[j] != c) throw JinjaSyntaxError("unfinished string");
            push(Tok::Kind::String, i, j + 1);
            i = j + 1;
        } else if (size_t open = long_bracket(s, i)) {
            size_t end = long_end(s, i, open);
            push(Tok::Kind::String, i, end);
            i = end;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            size_t j = i + 1;
            while (j < n) {
                char d = s[j];
                bool exp_sign = (d == '+' || d == '-') && std::string_view("eEpP").find(s[j - 1]) != std::string_view::npos;
                if (is_ident(d) || (d == '.' && !(j + 1 < n && s[j + 1] == '.')) || exp_sign)
                    ++j;
                else
                    break;
            }
            push(Tok::Kind::Number, i, j);
            i = j;
        } else if (is_ident_start(c)) {
            size_t j = i + 1;
            while (j < n && is_ident(s[j])) ++j;
            push(Tok::Kind::Name, i, j);
            i = j;
        } else {
            size_t len = 1;
            for (const char* op : k_ops3)
                if (s.substr(i, 3) == op) len = 3;
            if (len == 1)
                for (const char* op : k_ops2)
                    if (s.substr(i, 2) == op) len = 2;
            push(Tok::Kind::Op, i, i + len);
            i += len;
        }
    }
    return out;
}

bool is_opener(const Tok& t) { return t.op("(") || t.op("[") || t.op("{"); }
bool is_closer(const Tok& t) { return t.op(")") || t.op("]") || t.op("}"); }

// True when t can end an expression, so a following "(" or "[" is a call or an index.
bool is_expr_end(const Tok& t) {
    switch (t.kind) {
        case Tok::Kind::Name: return !is_keyword(t.text) || t.text == "true" || t.text == "false" || t.text == "nil";
        case Tok::Kind::Number:
        case Tok::Kind::String: return true;
        case Tok::Kind::Op: return is_closer(t);
    }
    return false;
}

// Tokens that end the operands of `in` (looser than `in` in Jinja).
bool is_in_stopper(const Tok& t) {
    static const std::set<std::string> k_ops = {"==", "~=", "!=", "<", ">", "<=", ">=", ",", "=", ";"};
    static const std::set<std::string> k_words = {"and",  "or",    "not",   "return", "then", "else",
                                                  "elseif", "do", "if", "while", "until", "local", "in"};
    if (t.kind == Tok::Kind::Op) return k_ops.count(t.text) > 0;
    if (t.kind == Tok::Kind::Name) return k_words.count(t.text) > 0;
    return false;
}

size_t match_open(const Toks& out, size_t close) {
    int depth = 0;
    for (size_t j = close + 1; j-- > 0;) {
        if (is_closer(out[j])) ++depth;
        if (is_opener(out[j]) && --depth == 0) return j;
    }
    throw JinjaSyntaxError("unbalanced '" + out[close].text + "'");
}

// Start of the postfix expression (with a unary - or #) that ends `out`.
size_t postfix_start(const Toks& out, const char* what) {
    size_t i = out.size();
    for (;;) {
        if (i == 0) throw JinjaSyntaxError(std::string("'") + what + "' must follow a value");
        const Tok& t = out[i - 1];
        if (is_closer(t)) {
            size_t j = match_open(out, i - 1);
            i = j;
            // "(" or "[" right after a value is a call or an index: keep walking left.
            if (j > 0 && (out[j].op("(") || out[j].op("[") || out[j].op("{")) && is_expr_end(out[j - 1]) &&
                out[j - 1].kind != Tok::Kind::Number)
                continue;
            break;
        }
        if (t.kind == Tok::Kind::Name && (!is_keyword(t.text) || t.text == "true" || t.text == "false" ||
                                          t.text == "nil")) {
            --i;
            if (i > 0 && (out[i - 1].op(".") || out[i - 1].op(":")) && !is_keyword(t.text)) {
                --i;
                continue;
            }
            break;
        }
        if (t.kind == Tok::Kind::String || t.kind == Tok::Kind::Number) {
            --i;
            break;
        }
        throw JinjaSyntaxError(std::string("'") + what + "' must follow a value, not '" + t.text + "'");
    }
    while (i > 0 && (out[i - 1].op("-") || out[i - 1].op("#")) && (i == 1 || !is_expr_end(out[i - 2]))) --i;
    return i;
}

// Start of the left operand of `in`: everything back to a looser operator.
size_t in_operand_start(const Toks& out) {
    size_t j = out.size();
    while (j > 0) {
        const Tok& t = out[j - 1];
        if (is_closer(t)) {
            j = match_open(out, j - 1);
            continue;
        }
        if (is_opener(t) || is_in_stopper(t)) break;
        --j;
    }
    if (j == out.size()) throw JinjaSyntaxError("'in' must follow a value");
    return j;
}

Tok name_tok(std::string text, bool space = false) { return {Tok::Kind::Name, std::move(text), space}; }
Tok op_tok(std::string text, bool space = false) { return {Tok::Kind::Op, std::move(text), space}; }

// `a.b.c` -> `__f.try(function() return a.b.c end)`: a missing a or a.b reads as nil,
// the way Ansible's chained undefined behaves for `default` and `is defined`.
Toks tolerant(Toks operand) {
    if (operand.size() == 1) return operand;
    bool space = operand.front().space;
    operand.front().space = true;
    Toks out = {name_tok("__f.try", space), op_tok("("), name_tok("function"), op_tok("("), op_tok(")"),
                name_tok("return", true)};
    out.insert(out.end(), operand.begin(), operand.end());
    out.push_back(name_tok("end", true));
    out.push_back(op_tok(")"));
    return out;
}

class Rewriter {
public:
    explicit Rewriter(Toks in) : m_in(std::move(in)) {}

    std::string run() {
        for (m_i = 0; m_i < m_in.size(); ++m_i) step();
        close_conditions(0);
        return join();
    }

private:
    struct Open {
        std::string close;  // what the matching source closer is written as
    };
    struct Cond {
        size_t depth;  // bracket depth of the `if`
        Toks value;    // the A of `A if C else B`
        bool has_else;
    };

    void step() {
        Tok t = m_in[m_i];
        if (t.kind == Tok::Kind::Name) {
            if (t.text == "True" || t.text == "False" || t.text == "None" || t.text == "none") {
                if (!after_member()) t.text = t.text == "True" ? "true" : t.text == "False" ? "false" : "nil";
            } else if (t.text == "for") {
                m_for_open = true;
            } else if (t.text == "do") {
                m_for_open = false;
            } else if (t.text == "if" && is_jinja_if()) {
                return open_condition();
            } else if (t.text == "else" && in_condition()) {
                return condition_else();
            } else if (t.text == "is" && !after_member()) {
                return rewrite_test();
            } else if (t.text == "in" && !m_for_open) {
                return rewrite_in();
            } else if (t.text == "not" && next_is_name(1, "in") && !m_for_open) {
                ++m_i;
                return rewrite_in(true);
            }
            if (is_in_stopper(t)) flush_pending(m_stack.size());
            m_out.push_back(t);
            return;
        }
        if (t.kind != Tok::Kind::Op) {
            m_out.push_back(t);
            return;
        }
        if (t.text == "!=") t.text = "~=";
        if (t.text == "|" && m_i + 1 < m_in.size() && m_in[m_i + 1].kind == Tok::Kind::Name &&
            !is_keyword(m_in[m_i + 1].text))
            return rewrite_filter();
        if (is_opener(t)) {
            if (t.text == "[" && (m_out.empty() || !is_expr_end(m_out.back())) && !is_table_key()) {
                t.text = "{";  // a Jinja list literal
                m_stack.push_back({"}"});
            } else {
                m_stack.push_back({t.text == "(" ? ")" : t.text == "[" ? "]" : "}"});
            }
            m_out.push_back(t);
            return;
        }
        if (is_closer(t)) {
            close_conditions(m_stack.size());
            if (!m_stack.empty()) {
                t.text = m_stack.back().close;
                m_stack.pop_back();
            }
            m_out.push_back(t);
            return;
        }
        if (t.op(",") || t.op(";")) close_conditions(m_stack.size());
        if (is_in_stopper(t)) flush_pending(m_stack.size());
        m_out.push_back(t);
    }

    // Jinja's `A if C else B` (no `then` follows, unlike Lua's if statement).
    bool is_jinja_if() const {
        if (m_out.empty() || !is_expr_end(m_out.back())) return false;
        int depth = 0;
        for (size_t j = m_i + 1; j < m_in.size(); ++j) {
            if (is_opener(m_in[j])) ++depth;
            if (is_closer(m_in[j]) && depth-- == 0) break;
            if (depth == 0 && m_in[j].name("then")) return false;
        }
        return true;
    }

    bool in_condition() const {
        return !m_conds.empty() && m_conds.back().depth == m_stack.size() && !m_conds.back().has_else;
    }

    // `A if C else B` -> `(function() if C then return A else return B end end)()`,
    // so only the chosen branch is evaluated (`x.y if x is defined else 0`).
    void open_condition() {
        flush_pending(m_stack.size());
        size_t j = m_out.size();
        while (j > 0) {
            const Tok& t = m_out[j - 1];
            if (is_closer(t)) {
                j = match_open(m_out, j - 1);
                continue;
            }
            if (is_opener(t) || t.op(",") || t.op(";") || t.op("=") || t.name("return")) break;
            --j;
        }
        if (j == m_out.size()) throw JinjaSyntaxError("'if' must follow a value");
        Toks value = take_from(j);
        bool space = value.front().space;
        value.front().space = true;
        m_out.push_back(op_tok("(", space));
        m_out.push_back(name_tok("function"));
        m_out.push_back(op_tok("("));
        m_out.push_back(op_tok(")"));
        m_out.push_back(name_tok("if", true));
        m_conds.push_back({m_stack.size(), std::move(value), false});
    }

    void condition_else() {
        flush_pending(m_stack.size());
        Cond& c = m_conds.back();
        m_out.push_back(name_tok("then", true));
        m_out.push_back(name_tok("return", true));
        m_out.insert(m_out.end(), c.value.begin(), c.value.end());
        m_out.push_back(name_tok("else", true));
        m_out.push_back(name_tok("return", true));
        c.has_else = true;
    }

    // Ends the conditions (and the `in` calls inside them) open at `depth` or deeper.
    void close_conditions(size_t depth) {
        flush_pending(depth);
        while (!m_conds.empty() && m_conds.back().depth >= depth) {
            Cond& c = m_conds.back();
            if (!c.has_else) {
                m_out.push_back(name_tok("then", true));
                m_out.push_back(name_tok("return", true));
                m_out.insert(m_out.end(), c.value.begin(), c.value.end());
            }
            m_out.push_back(name_tok("end", true));
            m_out.push_back(name_tok("end", true));
            m_out.push_back(op_tok(")"));
            m_out.push_back(op_tok("("));
            m_out.push_back(op_tok(")"));
            m_conds.pop_back();
            flush_pending(depth);
        }
    }

    // `[k] = v` inside a Lua table constructor: the bracket is a key, not a list.
    bool is_table_key() const {
        int depth = 0;
        for (size_t j = m_i; j < m_in.size(); ++j) {
            if (is_opener(m_in[j])) ++depth;
            if (is_closer(m_in[j]) && --depth == 0) return j + 1 < m_in.size() && m_in[j + 1].op("=");
        }
        return false;
    }

    bool after_member() const { return !m_out.empty() && (m_out.back().op(".") || m_out.back().op(":")); }

    bool next_is_name(size_t ahead, std::string_view text) const {
        return m_i + ahead < m_in.size() && m_in[m_i + ahead].name(text);
    }

    // Closes the `__f.within(` calls opened at this bracket depth or deeper.
    void flush_pending(size_t depth) {
        while (!m_pending.empty() && m_pending.back() >= depth) {
            m_out.push_back(op_tok(")"));
            m_pending.pop_back();
        }
    }

    // Takes the operand (out[start:]) away from the output.
    Toks take_from(size_t start) {
        Toks operand(m_out.begin() + static_cast<long>(start), m_out.end());
        m_out.resize(start);
        return operand;
    }

    // Emits `fn(operand` and then either `, <source args>` (left open for the
    // source's closing parenthesis) or `)`. m_i is on the name of the filter/test.
    void emit_call(const std::string& fn, Toks operand, bool space) {
        m_out.push_back(name_tok(fn, space));
        m_out.push_back(op_tok("("));
        operand.front().space = false;
        m_out.insert(m_out.end(), operand.begin(), operand.end());
        if (m_i + 1 < m_in.size() && m_in[m_i + 1].op("(")) {
            if (m_i + 2 < m_in.size() && m_in[m_i + 2].op(")")) {
                m_out.push_back(op_tok(")"));
                m_i += 2;
            } else {
                m_out.push_back(op_tok(","));
                m_in[m_i + 2].space = true;
                m_stack.push_back({")"});
                m_i += 1;
            }
        } else {
            m_out.push_back(op_tok(")"));
        }
    }

    void rewrite_filter() {
        size_t start = postfix_start(m_out, "|");
        Toks operand = take_from(start);
        bool space = operand.front().space;
        ++m_i;  // the filter's name
        std::string name = m_in[m_i].text;
        if (name == "d") name = "default";
        if (name == "count") name = "length";
        if (name == "default") operand = tolerant(std::move(operand));
        emit_call("__f." + name, std::move(operand), space);
    }

    void rewrite_test() {
        size_t start = postfix_start(m_out, "is");
        Toks operand = take_from(start);
        bool space = operand.front().space;
        bool negate = false;
        if (next_is_name(1, "not")) {
            negate = true;
            ++m_i;
        }
        if (m_i + 1 >= m_in.size() || m_in[m_i + 1].kind != Tok::Kind::Name)
            throw JinjaSyntaxError("expected a test name after 'is'");
        ++m_i;
        std::string name = m_in[m_i].text;
        if (name == "defined" || name == "undefined") {
            if (name == "undefined") negate = !negate;
            m_out.push_back(op_tok("(", space));
            Toks t = tolerant(std::move(operand));
            t.front().space = false;
            m_out.insert(m_out.end(), t.begin(), t.end());
            m_out.push_back(op_tok(negate ? "==" : "~=", true));
            m_out.push_back(name_tok("nil", true));
            m_out.push_back(op_tok(")"));
            return;
        }
        if (name == "None") name = "none";
        if (negate) {
            m_out.push_back(name_tok("not", space));
            space = true;
        }
        emit_call(is_keyword(name) ? "__t[\"" + name + "\"]" : "__t." + name, std::move(operand), space);
    }

    void rewrite_in(bool negate = false) {
        size_t start = in_operand_start(m_out);
        Toks operand = take_from(start);
        bool space = operand.front().space;
        if (negate) {
            m_out.push_back(name_tok("not", space));
            space = true;
        }
        m_out.push_back(name_tok("__f.within", space));
        m_out.push_back(op_tok("("));
        operand.front().space = false;
        m_out.insert(m_out.end(), operand.begin(), operand.end());
        m_out.push_back(op_tok(","));
        m_pending.push_back(m_stack.size());
    }

    std::string join() const {
        std::string s;
        const Tok* prev = nullptr;
        for (const Tok& t : m_out) {
            bool wordy = t.kind == Tok::Kind::Name || t.kind == Tok::Kind::Number;
            bool prev_wordy = prev && (prev->kind == Tok::Kind::Name || prev->kind == Tok::Kind::Number);
            bool dashes = prev && prev->op("-") && t.op("-");
            if (prev && (t.space || (wordy && prev_wordy) || dashes)) s += ' ';
            s += t.text;
            prev = &t;
        }
        return s;
    }

    Toks m_in;
    Toks m_out;
    size_t m_i = 0;
    std::vector<Open> m_stack;      // open brackets of the source, innermost last
    std::vector<size_t> m_pending;  // bracket depths of unclosed `__f.within(` calls
    std::vector<Cond> m_conds;      // open Jinja conditional expressions, innermost last
    bool m_for_open = false;        // between `for` and `do`, `in` is Lua's
};

}  // namespace

std::string jinja_to_lua(std::string_view expr) { return Rewriter(tokenize(expr)).run(); }

}  // namespace upkeep
