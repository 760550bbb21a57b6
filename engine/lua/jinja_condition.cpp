// `when: "{{ x }} == 'y'"`: Ansible 2.14 templates such a condition first and then
// evaluates the text it got (with a warning). upkeep gets the same comparison
// without ever evaluating data as code: each {{ e }} outside quotes becomes (e),
// and inside a quoted string the string is split around it: 'a{{ e }}b' becomes
// ('a' ~ (e) ~ 'b'). So `"{{ x }} == 'y'"` compares x with 'y' instead of being
// a non-empty (always true) string.
#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_lexer.hpp"

namespace upkeep::jinja {

namespace {

// End of the {{ }} starting at `open`: the index of its "}}" (npos when unclosed).
size_t tag_end(const std::string& s, size_t open) {
    int depth = 0;
    for (size_t i = open + 2; i + 1 < s.size(); ++i) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            size_t end = skip_string(s, i);
            if (end == std::string::npos) return std::string::npos;
            i = end - 1;
        } else if (depth == 0 && c == '}' && s[i + 1] == '}') {
            return i;
        } else if (c == '(' || c == '[' || c == '{') {
            ++depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::string::npos;
}

std::string inner_of(const std::string& s, size_t open, size_t close) {
    size_t from = open + 2, to = close;
    if (from < to && (s[from] == '-' || s[from] == '+')) ++from;
    if (to > from && (s[to - 1] == '-' || s[to - 1] == '+')) --to;
    return s.substr(from, to - from);
}

}  // namespace

bool condition_has_template(const std::string& cond) { return cond.find("{{") != std::string::npos; }

std::string condition_to_expression(const std::string& cond) {
    std::string out;
    char quote = 0;
    for (size_t i = 0; i < cond.size(); ++i) {
        char c = cond[i];
        if (c == '{' && i + 1 < cond.size() && cond[i + 1] == '{') {
            size_t close = tag_end(cond, i);
            if (close == std::string::npos) throw SyntaxError(i, "'{{' without a matching '}}'");
            std::string inner = "(" + inner_of(cond, i, close) + ")";
            if (quote) out += std::string(1, quote) + " ~ " + inner + " ~ " + std::string(1, quote);
            else out += inner;
            i = close + 1;
            continue;
        }
        if (quote) {
            if (c == '\\' && i + 1 < cond.size()) {
                out += c;
                out += cond[++i];
                continue;
            }
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        }
        out += c;
    }
    return out;
}

}  // namespace upkeep::jinja
