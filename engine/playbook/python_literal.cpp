#include "engine/playbook/python_literal.hpp"
#include "engine/util/strings.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace upkeep {

namespace {

// Thrown inside the parser for anything literal_eval would reject; never escapes.
struct NotLiteral {};

// Python rejects code points past U+10FFFF: then the text is not a literal.
void append_code_point(std::string& out, unsigned long cp) {
    if (cp > 0x10FFFF) throw NotLiteral{};
    append_utf8(out, static_cast<uint32_t>(cp));
}

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A recursive-descent parser for the subset of Python expressions that
// ast.literal_eval accepts.
class Parser {
public:
    explicit Parser(const std::string& s) : m_s(s) {}

    Value parse_all() {
        Value v = parse_expr_list(true);
        skip_space();
        if (m_pos != m_s.size()) throw NotLiteral{};
        return v;
    }

private:
    const std::string& m_s;
    size_t m_pos = 0;
    int m_depth = 0;  // inside brackets newlines are whitespace too

    char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }
    bool at_end() const { return m_pos >= m_s.size(); }

    void skip_space() {
        while (!at_end()) {
            char c = m_s[m_pos];
            if (c == ' ' || c == '\t' || c == '\f' || ((c == '\n' || c == '\r') && m_depth > 0)) {
                ++m_pos;
            } else if (c == '\\' && m_pos + 1 < m_s.size() && m_s[m_pos + 1] == '\n') {
                m_pos += 2;  // explicit line continuation
            } else if (c == '#') {
                while (!at_end() && m_s[m_pos] != '\n') ++m_pos;
            } else {
                break;
            }
        }
    }

    bool eat(char c) {
        skip_space();
        if (peek() == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    // expr (',' expr)* [','] — a bare comma list is a tuple, as in Python.
    Value parse_expr_list(bool top) {
        skip_space();
        Value first = parse_expr();
        skip_space();
        if (peek() != ',') return first;
        List items{std::move(first)};
        while (eat(',')) {
            skip_space();
            if (at_end() || peek() == ')' || (!top && (peek() == ']' || peek() == '}'))) break;
            items.push_back(parse_expr());
        }
        return Value(std::move(items));
    }

    Value parse_expr() {
        skip_space();
        if (++m_depth_guard > 200) throw NotLiteral{};
        struct Guard {
            int& d;
            ~Guard() { --d; }
        } guard{m_depth_guard};
        char c = peek();
        if (c == '+' || c == '-') {
            ++m_pos;
            skip_space();
            Value n = parse_number_only();
            if (c == '-') return n.is_int() ? Value(-n.as_int()) : Value(-n.as_double());
            return n;
        }
        if (c == '[') return parse_seq('[', ']');
        if (c == '(') return parse_paren();
        if (c == '{') return parse_brace();
        if (std::isdigit(static_cast<unsigned char>(c)) ||
            (c == '.' && std::isdigit(static_cast<unsigned char>(m_pos + 1 < m_s.size() ? m_s[m_pos + 1] : 'x'))))
            return parse_number();
        if (c == '"' || c == '\'') return parse_strings();
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t start = m_pos;
            while (!at_end() && is_ident_char(m_s[m_pos])) ++m_pos;
            std::string word = m_s.substr(start, m_pos - start);
            if (peek() == '"' || peek() == '\'') {
                std::string p = word;
                for (char& ch : p) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (p == "r" || p == "u" || p == "b" || p == "br" || p == "rb") {
                    m_pos = start;
                    return parse_strings();
                }
                throw NotLiteral{};  // f-strings and unknown prefixes are not literals
            }
            if (word == "True") return Value(true);
            if (word == "False") return Value(false);
            if (word == "None") return Value();
            throw NotLiteral{};
        }
        throw NotLiteral{};
    }
    int m_depth_guard = 0;

    Value parse_number_only() {
        char c = peek();
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
        throw NotLiteral{};
    }

    // Python 3 number syntax: decimal without leading zeros (except 0/00), 0x/0o/0b,
    // underscores between digits, floats with exponent.
    Value parse_number() {
        size_t start = m_pos;
        while (!at_end() && (is_ident_char(m_s[m_pos]) || m_s[m_pos] == '.' ||
                             ((m_s[m_pos] == '+' || m_s[m_pos] == '-') && m_pos > start &&
                              (m_s[m_pos - 1] == 'e' || m_s[m_pos - 1] == 'E'))))
            ++m_pos;
        std::string tok = m_s.substr(start, m_pos - start);
        auto digits_ok = [](const std::string& d, auto is_digit) {
            if (d.empty() || d.front() == '_' || d.back() == '_') return false;
            for (size_t i = 0; i < d.size(); ++i) {
                if (d[i] == '_') {
                    if (d[i + 1] == '_') return false;
                } else if (!is_digit(d[i])) {
                    return false;
                }
            }
            return true;
        };
        auto strip = [](const std::string& d) {
            std::string o;
            for (char ch : d)
                if (ch != '_') o += ch;
            return o;
        };
        auto dec = [](char ch) { return ch >= '0' && ch <= '9'; };
        if (tok.size() > 1 && tok[0] == '0' && std::isalpha(static_cast<unsigned char>(tok[1])) && tok[1] != 'e' &&
            tok[1] != 'E' && tok[1] != 'j' && tok[1] != 'J') {
            char kind = static_cast<char>(std::tolower(static_cast<unsigned char>(tok[1])));
            std::string body = tok.substr(2);
            if (!body.empty() && body[0] == '_') body = body.substr(1);
            int base = kind == 'x' ? 16 : kind == 'o' ? 8 : kind == 'b' ? 2 : 0;
            if (base == 0) throw NotLiteral{};
            auto ok = [base](char ch) {
                if (base == 16) return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
                return ch >= '0' && ch < static_cast<char>('0' + base);
            };
            if (!digits_ok(body, ok)) throw NotLiteral{};
            return to_int(strip(body), base);
        }
        bool is_float = tok.find_first_of(".eE") != std::string::npos;
        if (!is_float) {
            if (!digits_ok(tok, dec)) throw NotLiteral{};
            std::string d = strip(tok);
            if (d.size() > 1 && d[0] == '0' && d.find_first_not_of('0') != std::string::npos) throw NotLiteral{};
            return to_int(d, 10);
        }
        // float: [int] [. [frac]] [e[+-]exp]
        size_t epos = tok.find_first_of("eE");
        std::string mant = tok.substr(0, epos);
        std::string exp = epos == std::string::npos ? "" : tok.substr(epos + 1);
        size_t dot = mant.find('.');
        std::string ip = dot == std::string::npos ? mant : mant.substr(0, dot);
        std::string fp = dot == std::string::npos ? "" : mant.substr(dot + 1);
        if (fp.find('.') != std::string::npos) throw NotLiteral{};
        if (ip.empty() && fp.empty()) throw NotLiteral{};
        if (!ip.empty() && !digits_ok(ip, dec)) throw NotLiteral{};
        if (!fp.empty() && !digits_ok(fp, dec)) throw NotLiteral{};
        if (epos != std::string::npos) {
            std::string e = exp;
            if (!e.empty() && (e[0] == '+' || e[0] == '-')) e = e.substr(1);
            if (!digits_ok(e, dec)) throw NotLiteral{};
        }
        std::string clean = strip(tok);
        return Value(std::strtod(clean.c_str(), nullptr));
    }

    static Value to_int(const std::string& digits, int base) {
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(digits.c_str(), &end, base);
        if (errno == ERANGE) throw NotLiteral{};  // Python's big ints have no Value counterpart
        return Value(static_cast<int64_t>(v));
    }

    // One or more adjacent string literals, concatenated as Python does.
    Value parse_strings() {
        std::string out;
        bool any = false;
        for (;;) {
            skip_space();
            size_t save = m_pos;
            bool raw = false;
            while (!at_end() && std::isalpha(static_cast<unsigned char>(m_s[m_pos]))) {
                char l = static_cast<char>(std::tolower(static_cast<unsigned char>(m_s[m_pos])));
                if (l == 'r') raw = true;
                else if (l != 'u' && l != 'b') throw NotLiteral{};
                ++m_pos;
            }
            char q = peek();
            if (q != '"' && q != '\'') {
                m_pos = save;
                if (!any) throw NotLiteral{};
                break;
            }
            out += parse_one_string(raw);
            any = true;
        }
        return Value(std::move(out));
    }

    std::string parse_one_string(bool raw) {
        char q = m_s[m_pos];
        bool triple = m_s.compare(m_pos, 3, std::string(3, q)) == 0;
        m_pos += triple ? 3 : 1;
        std::string out;
        for (;;) {
            if (at_end()) throw NotLiteral{};
            char c = m_s[m_pos];
            if (triple ? m_s.compare(m_pos, 3, std::string(3, q)) == 0 : c == q) {
                m_pos += triple ? 3 : 1;
                return out;
            }
            if (!triple && c == '\n') throw NotLiteral{};
            if (c != '\\') {
                out += c;
                ++m_pos;
                continue;
            }
            if (m_pos + 1 >= m_s.size()) throw NotLiteral{};
            char e = m_s[m_pos + 1];
            if (raw) {
                out += c;
                out += e;
                m_pos += 2;
                continue;
            }
            m_pos += 2;
            switch (e) {
                case '\n': break;
                case '\\': out += '\\'; break;
                case '\'': out += '\''; break;
                case '"': out += '"'; break;
                case 'a': out += '\a'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'v': out += '\v'; break;
                case 'x': append_code_point(out, hex_escape(2)); break;
                case 'u': append_code_point(out, hex_escape(4)); break;
                case 'U': append_code_point(out, hex_escape(8)); break;
                default:
                    if (e >= '0' && e <= '7') {
                        unsigned long v = static_cast<unsigned long>(e - '0');
                        for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i) v = v * 8 + (m_s[m_pos++] - '0');
                        append_code_point(out, v);
                    } else {
                        out += '\\';  // unknown escapes stay as written
                        out += e;
                    }
            }
        }
    }

    unsigned long hex_escape(int n) {
        if (m_pos + n > m_s.size()) throw NotLiteral{};
        unsigned long v = 0;
        for (int i = 0; i < n; ++i) {
            char h = m_s[m_pos++];
            if (!std::isxdigit(static_cast<unsigned char>(h))) throw NotLiteral{};
            v = v * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(h))
                                                        ? h - '0'
                                                        : std::tolower(static_cast<unsigned char>(h)) - 'a' + 10);
        }
        return v;
    }

    Value parse_seq(char open, char close) {
        ++m_pos;  // open
        ++m_depth;
        List items;
        skip_space();
        if (!eat(close)) {
            for (;;) {
                items.push_back(parse_expr());
                if (eat(close)) break;
                if (!eat(',')) throw NotLiteral{};
                if (eat(close)) break;
            }
        }
        --m_depth;
        (void)open;
        return Value(std::move(items));
    }

    Value parse_paren() {
        ++m_pos;
        ++m_depth;
        if (eat(')')) {
            --m_depth;
            return Value(List{});
        }
        Value first = parse_expr();
        if (eat(')')) {
            --m_depth;
            return first;  // (x) is just x
        }
        if (!eat(',')) throw NotLiteral{};
        List items{std::move(first)};
        while (!eat(')')) {
            items.push_back(parse_expr());
            if (eat(')')) break;
            if (!eat(',')) throw NotLiteral{};
        }
        --m_depth;
        return Value(std::move(items));
    }

    // {} is a dict, {a, b} a set (rendered as a list), {k: v} a dict.
    Value parse_brace() {
        ++m_pos;
        ++m_depth;
        if (eat('}')) {
            --m_depth;
            return Value(Map{});
        }
        Value first = parse_expr();
        if (eat(':')) {
            Map m;
            Value v = parse_expr();
            m[first.to_string()] = std::move(v);
            for (;;) {
                if (eat('}')) break;
                if (!eat(',')) throw NotLiteral{};
                if (eat('}')) break;
                Value k = parse_expr();
                if (!eat(':')) throw NotLiteral{};
                m[k.to_string()] = parse_expr();
            }
            --m_depth;
            return Value(std::move(m));
        }
        List items{std::move(first)};
        for (;;) {
            if (eat('}')) break;
            if (!eat(',')) throw NotLiteral{};
            if (eat('}')) break;
            items.push_back(parse_expr());
        }
        --m_depth;
        return Value(std::move(items));
    }
};

}  // namespace

std::optional<Value> python_literal(const std::string& text) {
    // literal_eval strips leading blanks before parsing; an empty text is a SyntaxError.
    size_t b = text.find_first_not_of(" \t");
    if (b == std::string::npos) return std::nullopt;
    std::string s = text.substr(b);
    try {
        Parser p(s);
        return p.parse_all();
    } catch (const NotLiteral&) {
        return std::nullopt;
    }
}

Value ini_value(const std::string& text) {
    if (auto v = python_literal(text)) return *v;
    return Value(text);
}

}  // namespace upkeep
