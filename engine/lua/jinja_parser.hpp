// The expression parser, shared by whole expressions and by the tags of templates.
#pragma once

#include <string>
#include <vector>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_lexer.hpp"

namespace upkeep::jinja {

class ExprParser {
public:
    // Parses src[from, to). Throws SyntaxError (offsets are into src).
    ExprParser(const std::string& src, size_t from, size_t to, bool raw_strings = false);

    NodePtr parse_tuple(bool with_condexpr);  // a, b  (a tuple when there is a comma)
    NodePtr parse_expr();                     // with `a if c else b`
    NodePtr parse_or();                       // without it (for-loop iterables)
    void parse_args(Node& n);                 // "(a, k=v)" into n.kids / n.kwargs

    const Token& peek(size_t ahead = 0) const;
    Token next();
    void expect_op(const char* op);
    std::string expect_name();
    bool at_end() const;
    void expect_end();
    [[noreturn]] void fail(const std::string& msg) const;

private:
    NodePtr parse_and();
    NodePtr parse_not();
    NodePtr parse_compare();
    NodePtr parse_math1();
    NodePtr parse_concat();
    NodePtr parse_math2();
    NodePtr parse_pow();
    NodePtr parse_unary(bool with_filter);
    NodePtr parse_primary();
    NodePtr parse_name(size_t pos);
    NodePtr parse_paren(size_t pos);
    NodePtr parse_list(size_t pos);
    NodePtr parse_dict(size_t pos);
    NodePtr parse_postfix(NodePtr node, size_t pos);
    NodePtr parse_subscript(NodePtr node, size_t pos);
    NodePtr parse_call(NodePtr callee, size_t pos);
    NodePtr parse_filters(NodePtr node, size_t pos);
    NodePtr binary(const char* op, NodePtr left, NodePtr right, size_t pos);
    void stamp(Node& n, size_t from) const;  // n.src = the source from `from` to the last token

    const std::string& m_src;
    std::vector<Token> m_toks;
    size_t m_i = 0;
};

}  // namespace upkeep::jinja
