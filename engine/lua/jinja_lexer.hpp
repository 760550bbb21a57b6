// Tokens of the Jinja2 expression language (what stands between "{{" and "}}",
// inside "{% %}" tags, and in `when:` conditions).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace upkeep::jinja {

struct Token {
    enum class Kind { Name, Int, Float, Str, Op, End };
    Kind kind;
    std::string text;  // the name, the operator, the decoded string, the number's digits
    size_t pos;        // byte offset in the source

    bool op(const char* o) const { return kind == Kind::Op && text == o; }
    bool name(const char* n) const { return kind == Kind::Name && text == n; }
};

// Splits src[from, to) into tokens, ending with an End token at `to`.
// Strings are decoded with Python's escapes, unless raw_strings: then backslashes
// stay as written, as Ansible's escape_backslashes makes them inside the {{ }} of
// playbook values. Throws SyntaxError.
std::vector<Token> tokenize(const std::string& src, size_t from, size_t to, bool raw_strings = false);

// Offset just past the string literal starting at src[i] (a quote), or npos.
size_t skip_string(const std::string& src, size_t i);

}  // namespace upkeep::jinja
