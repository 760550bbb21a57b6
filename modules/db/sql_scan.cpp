#include "modules/db/sql_scan.hpp"

#include <cctype>
#include <set>

namespace upkeep::db {

namespace {

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// Words after which a name followed by '(' is a table and its column list, not a call.
const std::set<std::string> k_table_intro = {"into", "insert", "replace", "ignore", "low_priority", "delayed", "high_priority"};

}  // namespace

SqlScan scan_sql(const std::string& s) {
    SqlScan out;
    auto& toks = out.tokens;
    auto add = [&toks](SqlToken::Kind kind, std::string text, size_t begin, size_t end) {
        toks.push_back({kind, std::move(text)});
        toks.back().begin = begin;
        toks.back().end = end;
    };
    size_t i = 0;
    const size_t n = s.size();
    bool after_semicolon = false;
    while (i < n) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == '#' || (c == '-' && i + 1 < n && s[i + 1] == '-' && (i + 2 == n || std::isspace(static_cast<unsigned char>(s[i + 2]))))) {
            size_t e = s.find('\n', i);
            i = e == std::string::npos ? n : e + 1;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            if (i + 2 < n && (s[i + 2] == '!' || (s[i + 2] == 'M' && i + 3 < n && s[i + 3] == '!')))
                out.executable_comment = true;
            size_t e = s.find("*/", i + 2);
            if (e == std::string::npos) {
                out.unterminated = true;
                break;
            }
            i = e + 2;
            continue;
        }
        if (after_semicolon) out.several_statements = true;
        if (c == ';') {
            after_semicolon = true;
            ++i;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
            std::string text;
            size_t j = i + 1;
            bool closed = false;
            while (j < n) {
                if (s[j] == '\\' && c != '`' && j + 1 < n) {
                    text += s[j + 1];
                    j += 2;
                } else if (s[j] == c) {
                    if (j + 1 < n && s[j + 1] == c) {  // doubled quote
                        text += c;
                        j += 2;
                    } else {
                        closed = true;
                        ++j;
                        break;
                    }
                } else {
                    text += s[j++];
                }
            }
            if (!closed) {
                out.unterminated = true;
                break;
            }
            add(c == '`' ? SqlToken::Kind::QuotedName : SqlToken::Kind::String, text, i, j);
            i = j;
            continue;
        }
        if (c == '@') {
            bool sys = i + 1 < n && s[i + 1] == '@';
            size_t j = i + (sys ? 2 : 1);
            size_t start = j;
            while (j < n && (word_char(s[j]) || s[j] == '.')) ++j;
            std::string w = s.substr(start, j - start);
            for (char& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            add(sys ? SqlToken::Kind::SystemVar : SqlToken::Kind::UserVar, w, i, j);
            i = j;
            continue;
        }
        if (word_char(c)) {
            size_t j = i;
            while (j < n && word_char(s[j])) ++j;
            std::string w = s.substr(i, j - i);
            for (char& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            bool numeric = std::isdigit(static_cast<unsigned char>(w[0])) != 0;
            add(numeric ? SqlToken::Kind::Number : SqlToken::Kind::Word, w, i, j);
            i = j;
            continue;
        }
        if (c == '(') {
            // name '(' is a call, unless the name is a table after INSERT/REPLACE [INTO].
            size_t k = toks.size();
            if (k > 0 && (toks[k - 1].kind == SqlToken::Kind::Word || toks[k - 1].kind == SqlToken::Kind::QuotedName)) {
                std::string name = toks[k - 1].text;
                size_t first = k - 1;
                bool qualified = false;
                if (k >= 3 && toks[k - 2].kind == SqlToken::Kind::Punct && toks[k - 2].text == "." &&
                    (toks[k - 3].kind == SqlToken::Kind::Word || toks[k - 3].kind == SqlToken::Kind::QuotedName)) {
                    name = toks[k - 3].text + "." + name;
                    first = k - 3;
                    qualified = true;
                }
                bool table = first > 0 && toks[first - 1].kind == SqlToken::Kind::Word && k_table_intro.count(toks[first - 1].text);
                if (!table) out.calls.push_back(qualified || toks[k - 1].kind == SqlToken::Kind::QuotedName ? "`" + name + "`" : name);
            }
        }
        add(SqlToken::Kind::Punct, std::string(1, c), i, i + 1);
        ++i;
    }
    return out;
}

}  // namespace upkeep::db
