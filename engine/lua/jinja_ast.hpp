// The Jinja2 syntax tree: expressions and template statements, as parsed by
// jinja_parser.cpp and turned into Lua source by jinja_compiler.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace upkeep::jinja {

// A syntax error at a byte offset of the source text.
class SyntaxError : public std::runtime_error {
public:
    SyntaxError(size_t pos, const std::string& msg) : std::runtime_error(msg), m_pos(pos) {}
    size_t pos() const { return m_pos; }

private:
    size_t m_pos;
};

// "line L, column C" of a byte offset (both 1-based).
std::string describe_position(const std::string& src, size_t pos);

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
    enum class Kind {
        // expressions
        Str, Int, Float, Bool, None, Name, List, Tuple, Dict, Attr, Item, Slice, Call, Filter, Test,
        Unary, Binary, Compare, And, Or, CondExpr,
        // statements
        Text, Output, If, For, Set, SetBlock, Macro, Include, Body,
        Extends, Block, CallBlock,
    };
    Kind kind;
    size_t pos = 0;          // byte offset in the source
    std::string text;        // literal text, name, attribute, operator, filter/test name
    std::vector<NodePtr> kids;
    std::vector<std::pair<std::string, NodePtr>> kwargs;  // call/filter keyword arguments, macro defaults
    std::vector<std::string> names;                        // compare operators, for/set targets, macro params
    std::string src;         // the source text of the expression, for messages

    Node(Kind k, size_t p) : kind(k), pos(p) {}
};

// Parses one expression (the text between "{{" and "}}", or a `when:`).
// raw_strings: string literals keep their backslashes (see tokenize()).
NodePtr parse_expression(const std::string& src, bool raw_strings = false);

// Parses a whole template (text with {{ }}, {% %} and {# #}) into a Body node,
// with Ansible's settings: trim_blocks on, lstrip_blocks off, newlines as "\n".
// playbook_value: the template is a playbook value, so the string literals inside
// its {{ }} keep their backslashes (Ansible's escape_backslashes); .j2 files: false.
NodePtr parse_template(const std::string& src, bool playbook_value = false);

// A condition (when:, changed_when:, failed_when:, until:) written with {{ }}
// inside, as the expression it stands for (see jinja_condition.cpp).
bool condition_has_template(const std::string& cond);
std::string condition_to_expression(const std::string& cond);

// Lua source of a chunk returning the expression's value (through the runtime `__j`).
std::string compile_expression(const Node& expr);
// Lua source of a chunk returning the rendered template text.
std::string compile_template(const Node& body);

}  // namespace upkeep::jinja
