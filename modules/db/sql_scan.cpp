#include "modules/db/sql_scan.hpp"

#include <cctype>
#include <set>

namespace upkeep::db {

namespace {

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

bool space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string w) {
    for (char& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return w;
}

// Words after which a name followed by '(' is a table and its column list, not a call.
const std::set<std::string> k_table_intro = {"into", "insert", "replace", "ignore", "low_priority", "delayed", "high_priority"};

// One pass over the text; each kind of token has its own step, which starts at
// m_i on the token's first byte and leaves m_i after its last.
class Scanner {
public:
    explicit Scanner(const std::string& s) : m_s(s), m_n(s.size()) {}

    SqlScan run() {
        bool after_semicolon = false;
        while (m_i < m_n && !m_out.unterminated) {
            char c = m_s[m_i];
            if (space(c)) {
                ++m_i;
            } else if (comment_start()) {
                skip_comment();
            } else if (c == ';') {
                if (after_semicolon) m_out.several_statements = true;
                after_semicolon = true;
                ++m_i;
            } else {
                if (after_semicolon) m_out.several_statements = true;
                token(c);
            }
        }
        return std::move(m_out);
    }

private:
    bool at(size_t k, char c) const { return k < m_n && m_s[k] == c; }

    bool comment_start() const {
        char c = m_s[m_i];
        if (c == '#') return true;
        // "-- " starts a comment only with white space (or the end) after it.
        if (c == '-' && at(m_i + 1, '-')) return m_i + 2 == m_n || space(m_s[m_i + 2]);
        return c == '/' && at(m_i + 1, '*');
    }

    void skip_comment() {
        if (m_s[m_i] != '/') {
            size_t e = m_s.find('\n', m_i);
            m_i = e == std::string::npos ? m_n : e + 1;
            return;
        }
        if (at(m_i + 2, '!') || (at(m_i + 2, 'M') && at(m_i + 3, '!'))) m_out.executable_comment = true;
        size_t e = m_s.find("*/", m_i + 2);
        if (e == std::string::npos) {
            m_out.unterminated = true;
            return;
        }
        m_i = e + 2;
    }

    void token(char c) {
        if (c == '\'' || c == '"' || c == '`') return quoted(c);
        if (c == '@') return variable();
        if (word_char(c)) return word();
        if (c == '(') note_call();
        add(SqlToken::Kind::Punct, std::string(1, c), m_i, m_i + 1);
        ++m_i;
    }

    // 'string', "string" or `name`: backslash escapes (not in names), a doubled quote is one.
    void quoted(char q) {
        std::string text;
        size_t j = m_i + 1;
        while (j < m_n) {
            if (m_s[j] == '\\' && q != '`' && j + 1 < m_n) {
                text += m_s[j + 1];
                j += 2;
            } else if (m_s[j] != q) {
                text += m_s[j++];
            } else if (at(j + 1, q)) {
                text += q;
                j += 2;
            } else {
                add(q == '`' ? SqlToken::Kind::QuotedName : SqlToken::Kind::String, text, m_i, j + 1);
                m_i = j + 1;
                return;
            }
        }
        m_out.unterminated = true;
    }

    // @user_var or @@system.var, lower case.
    void variable() {
        bool sys = at(m_i + 1, '@');
        size_t start = m_i + (sys ? 2 : 1), j = start;
        while (j < m_n && (word_char(m_s[j]) || m_s[j] == '.')) ++j;
        add(sys ? SqlToken::Kind::SystemVar : SqlToken::Kind::UserVar, lower(m_s.substr(start, j - start)), m_i, j);
        m_i = j;
    }

    void word() {
        size_t j = m_i;
        while (j < m_n && word_char(m_s[j])) ++j;
        std::string w = lower(m_s.substr(m_i, j - m_i));
        bool numeric = std::isdigit(static_cast<unsigned char>(w[0])) != 0;
        add(numeric ? SqlToken::Kind::Number : SqlToken::Kind::Word, w, m_i, j);
        m_i = j;
    }

    // Before a '(': the name in front of it is a call, unless it is a table after
    // INSERT/REPLACE [INTO].
    void note_call() {
        const auto& toks = m_out.tokens;
        size_t k = toks.size();
        auto name_at = [&toks](size_t i) {
            return toks[i].kind == SqlToken::Kind::Word || toks[i].kind == SqlToken::Kind::QuotedName;
        };
        if (k == 0 || !name_at(k - 1)) return;
        std::string name = toks[k - 1].text;
        size_t first = k - 1;
        bool qualified = false;
        if (k >= 3 && toks[k - 2].kind == SqlToken::Kind::Punct && toks[k - 2].text == "." && name_at(k - 3)) {
            name = toks[k - 3].text + "." + name;
            first = k - 3;
            qualified = true;
        }
        bool table = first > 0 && toks[first - 1].kind == SqlToken::Kind::Word && k_table_intro.count(toks[first - 1].text);
        if (!table) m_out.calls.push_back(qualified || toks[k - 1].kind == SqlToken::Kind::QuotedName ? "`" + name + "`" : name);
    }

    void add(SqlToken::Kind kind, std::string text, size_t begin, size_t end) {
        m_out.tokens.push_back({kind, std::move(text)});
        m_out.tokens.back().begin = begin;
        m_out.tokens.back().end = end;
    }

    const std::string& m_s;
    const size_t m_n;
    size_t m_i = 0;
    SqlScan m_out;
};

}  // namespace

SqlScan scan_sql(const std::string& s) { return Scanner(s).run(); }

}  // namespace upkeep::db
