#include "engine/lua/jinja_lexer.hpp"

#include <cctype>
#include <cstring>

#include "engine/lua/jinja_ast.hpp"
#include "engine/util/strings.hpp"

namespace upkeep::jinja {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Python's string literal escapes; an unknown escape keeps its backslash, as Python does.
std::string decode_string(const std::string& src, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
        char c = src[i];
        if (c != '\\' || i + 1 >= to) {
            out += c;
            continue;
        }
        char e = src[++i];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
                unsigned v = 0;
                size_t n = 0;
                while (n < 3 && i < to && src[i] >= '0' && src[i] <= '7') v = v * 8 + unsigned(src[i++] - '0'), ++n;
                --i;
                append_utf8(out, v);
                break;
            }
            case 'x': case 'u': case 'U': {
                size_t len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                uint32_t v = 0;
                bool ok = i + len < to;
                for (size_t k = 1; ok && k <= len; ++k) {
                    int h = hex_value(src[i + k]);
                    if (h < 0) ok = false;
                    else v = v * 16 + uint32_t(h);
                }
                if (!ok) throw SyntaxError(i - 1, std::string("truncated \\") + e + " escape in a string");
                append_utf8(out, v);
                i += len;
                break;
            }
            case '\n': break;  // a backslash-newline continues the line
            default:
                out += '\\';
                out += e;
        }
    }
    return out;
}

// True when the last token ends a value, so a following ".0" is an attribute (foo.0).
bool ends_value(const std::vector<Token>& out) {
    if (out.empty()) return false;
    const Token& t = out.back();
    return t.kind == Token::Kind::Name || t.kind == Token::Kind::Str || t.kind == Token::Kind::Int ||
           t.op(")") || t.op("]") || t.op("}");
}

}  // namespace

size_t skip_string(const std::string& src, size_t i) {
    char q = src[i];
    for (size_t j = i + 1; j < src.size(); ++j) {
        if (src[j] == '\\') ++j;
        else if (src[j] == q) return j + 1;
    }
    return std::string::npos;
}

std::vector<Token> tokenize(const std::string& src, size_t from, size_t to, bool raw_strings) {
    static const char* const k_ops2[] = {"//", "**", "==", "!=", "<=", ">="};
    std::vector<Token> out;
    size_t i = from;
    while (i < to) {
        char c = src[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '"' || c == '\'') {
            size_t end = skip_string(src, i);
            if (end == std::string::npos || end > to) throw SyntaxError(i, "unterminated string");
            out.push_back({Token::Kind::Str,
                           raw_strings ? src.substr(i + 1, end - i - 2) : decode_string(src, i + 1, end - 1), i});
            i = end;
        } else if (digit(c) || (c == '.' && i + 1 < to && digit(src[i + 1]) && !ends_value(out))) {
            size_t j = i;
            bool is_float = false;
            while (j < to && (digit(src[j]) || src[j] == '_')) ++j;
            if (j + 1 < to && src[j] == '.' && digit(src[j + 1])) {
                is_float = true;
                for (++j; j < to && (digit(src[j]) || src[j] == '_');) ++j;
            }
            if (j < to && (src[j] == 'e' || src[j] == 'E')) {
                size_t k = j + 1;
                if (k < to && (src[k] == '+' || src[k] == '-')) ++k;
                if (k < to && digit(src[k])) {
                    is_float = true;
                    for (j = k; j < to && digit(src[j]);) ++j;
                }
            }
            std::string num;
            for (size_t k = i; k < j; ++k)
                if (src[k] != '_') num += src[k];
            out.push_back({is_float ? Token::Kind::Float : Token::Kind::Int, num, i});
            i = j;
        } else if (ident_start(c)) {
            size_t j = i + 1;
            while (j < to && ident_char(src[j])) ++j;
            out.push_back({Token::Kind::Name, src.substr(i, j - i), i});
            i = j;
        } else {
            std::string op(1, c);
            for (const char* o : k_ops2)
                if (src.compare(i, 2, o) == 0 && i + 1 < to) op = o;
            if (std::strchr("+-*/%~()[]{}<>=.:|,;!", c) == nullptr)
                throw SyntaxError(i, std::string("unexpected character '") + c + "'");
            if (op == "!") throw SyntaxError(i, "unexpected '!' (use 'not' or '!=')");
            out.push_back({Token::Kind::Op, op, i});
            i += op.size();
        }
    }
    out.push_back({Token::Kind::End, "", to});
    return out;
}

std::string describe_position(const std::string& src, size_t pos) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < src.size(); ++i) {
        if (src[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace upkeep::jinja
