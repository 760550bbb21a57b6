#include "tests/support/json_values.hpp"

#include <cstdint>
#include <stdexcept>

#include "engine/util/strings.hpp"

namespace upkeep::test {

namespace {

class JsonReader {
public:
    explicit JsonReader(const std::string& t) : m_t(t) {}

    std::vector<Value> all() {
        std::vector<Value> out;
        for (skip_ws(); m_i < m_t.size(); skip_ws()) out.push_back(value(0));
        return out;
    }

private:
    const std::string& m_t;
    size_t m_i = 0;

    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("bad JSON at offset " + std::to_string(m_i) + ": " + what);
    }
    void skip_ws() {
        while (m_i < m_t.size() && (m_t[m_i] == ' ' || m_t[m_i] == '\n' || m_t[m_i] == '\t' || m_t[m_i] == '\r')) ++m_i;
    }
    char peek() {
        skip_ws();
        if (m_i >= m_t.size()) fail("unexpected end");
        return m_t[m_i];
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++m_i;
    }
    bool literal(const char* word) {
        std::string w(word);
        if (m_t.compare(m_i, w.size(), w) != 0) return false;
        m_i += w.size();
        return true;
    }

    Value value(int depth) {
        if (depth > 1000) fail("too deep");
        char c = peek();
        if (c == '{') {
            ++m_i;
            Map m;
            if (peek() == '}') {
                ++m_i;
                return Value(std::move(m));
            }
            for (;;) {
                if (peek() != '"') fail("expected a string key");
                std::string k = string();
                expect(':');
                m[k] = value(depth + 1);
                if (peek() == ',') {
                    ++m_i;
                    continue;
                }
                expect('}');
                return Value(std::move(m));
            }
        }
        if (c == '[') {
            ++m_i;
            List l;
            if (peek() == ']') {
                ++m_i;
                return Value(std::move(l));
            }
            for (;;) {
                l.push_back(value(depth + 1));
                if (peek() == ',') {
                    ++m_i;
                    continue;
                }
                expect(']');
                return Value(std::move(l));
            }
        }
        if (c == '"') return Value(string());
        if (literal("true")) return Value(true);
        if (literal("false")) return Value(false);
        if (literal("null")) return Value();
        return number();
    }

    Value number() {
        size_t start = m_i;
        bool is_float = false;
        if (m_t[m_i] == '-') ++m_i;
        while (m_i < m_t.size() && std::string("0123456789.eE+-").find(m_t[m_i]) != std::string::npos) {
            if (m_t[m_i] == '.' || m_t[m_i] == 'e' || m_t[m_i] == 'E') is_float = true;
            ++m_i;
        }
        std::string num = m_t.substr(start, m_i - start);
        if (num.empty() || num == "-") fail("expected a value");
        size_t used = 0;
        if (!is_float) {
            try {
                int64_t v = std::stoll(num, &used);
                if (used == num.size()) return Value(v);
            } catch (const std::out_of_range&) {
            }
        }
        double d = std::stod(num, &used);
        if (used != num.size()) fail("bad number " + num);
        return Value(d);
    }

    uint32_t hex4() {
        if (m_i + 4 > m_t.size()) fail("short \\u escape");
        uint32_t v = static_cast<uint32_t>(std::stoul(m_t.substr(m_i, 4), nullptr, 16));
        m_i += 4;
        return v;
    }

    std::string string() {
        ++m_i;  // opening quote
        std::string out;
        while (m_i < m_t.size() && m_t[m_i] != '"') {
            char c = m_t[m_i++];
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_i >= m_t.size()) fail("unterminated escape");
            char e = m_t[m_i++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && m_t.compare(m_i, 2, "\\u") == 0) {
                        m_i += 2;
                        uint32_t lo = hex4();
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail(std::string("bad escape \\") + e);
            }
        }
        if (m_i >= m_t.size()) fail("unterminated string");
        ++m_i;
        return out;
    }
};

}  // namespace

std::vector<Value> parse_json_values(const std::string& text) { return JsonReader(text).all(); }

}  // namespace upkeep::test
