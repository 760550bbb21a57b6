// Recursive-descent parser for Jinja2 expressions, following Jinja's own grammar
// (jinja2/parser.py) so precedence and associativity are the same:
//   condexpr: or ['if' or ['else' condexpr]]     or: and ('or' and)*
//   and: not ('and' not)*                         not: 'not' not | compare
//   compare: math1 (cmp math1)*                   math1: concat (('+'|'-') concat)*
//   concat: math2 ('~' math2)*                    math2: pow (('*'|'/'|'//'|'%') pow)*
//   pow: unary ('**' unary)*                      unary: ('-'|'+') unary | primary postfix filters
#include <cctype>
#include <memory>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_lexer.hpp"
#include "engine/lua/jinja_parser.hpp"

namespace upkeep::jinja {

namespace {

NodePtr make(Node::Kind k, size_t pos) { return std::make_unique<Node>(k, pos); }

}  // namespace

ExprParser::ExprParser(const std::string& src, size_t from, size_t to, bool raw_strings)
    : m_src(src), m_toks(tokenize(src, from, to, raw_strings)) {}

const Token& ExprParser::peek(size_t ahead) const {
    size_t i = m_i + ahead;
    return i < m_toks.size() ? m_toks[i] : m_toks.back();
}

Token ExprParser::next() {
    Token t = peek();
    if (m_i < m_toks.size() - 1) ++m_i;
    return t;
}

void ExprParser::expect_op(const char* op) {
    if (!peek().op(op)) fail("expected '" + std::string(op) + "'");
    next();
}

std::string ExprParser::expect_name() {
    if (peek().kind != Token::Kind::Name) fail("expected a name");
    return next().text;
}

bool ExprParser::at_end() const { return peek().kind == Token::Kind::End; }

[[noreturn]] void ExprParser::fail(const std::string& msg) const {
    const Token& t = peek();
    std::string got = t.kind == Token::Kind::End ? "the end of the expression" : "'" + t.text + "'";
    if (t.kind == Token::Kind::Str) got = "a string";
    throw SyntaxError(t.pos, msg + ", got " + got);
}

void ExprParser::expect_end() {
    if (!at_end()) fail("expected the end of the expression");
}

void ExprParser::stamp(Node& n, size_t from) const {
    size_t to = peek().pos;
    if (to > from && to <= m_src.size()) n.src = m_src.substr(from, to - from);
    while (!n.src.empty() && std::isspace(static_cast<unsigned char>(n.src.back()))) n.src.pop_back();
}

NodePtr ExprParser::parse_tuple(bool with_condexpr) {
    size_t pos = peek().pos;
    NodePtr first = with_condexpr ? parse_expr() : parse_or();
    if (!peek().op(",")) return first;
    NodePtr t = make(Node::Kind::Tuple, pos);
    t->kids.push_back(std::move(first));
    while (peek().op(",")) {
        next();
        if (at_end() || peek().op(")") || peek().op("]")) break;
        t->kids.push_back(with_condexpr ? parse_expr() : parse_or());
    }
    return t;
}

NodePtr ExprParser::parse_expr() {
    size_t pos = peek().pos;
    NodePtr value = parse_or();
    while (peek().name("if")) {
        next();
        NodePtr cond = parse_or();
        NodePtr n = make(Node::Kind::CondExpr, pos);
        n->kids.push_back(std::move(value));
        n->kids.push_back(std::move(cond));
        if (peek().name("else")) {
            next();
            n->kids.push_back(parse_expr());
        }
        stamp(*n, pos);
        value = std::move(n);
    }
    return value;
}

NodePtr ExprParser::parse_or() {
    size_t pos = peek().pos;
    NodePtr left = parse_and();
    while (peek().name("or")) {
        next();
        NodePtr n = make(Node::Kind::Or, pos);
        n->kids.push_back(std::move(left));
        n->kids.push_back(parse_and());
        left = std::move(n);
    }
    return left;
}

NodePtr ExprParser::parse_and() {
    size_t pos = peek().pos;
    NodePtr left = parse_not();
    while (peek().name("and")) {
        next();
        NodePtr n = make(Node::Kind::And, pos);
        n->kids.push_back(std::move(left));
        n->kids.push_back(parse_not());
        left = std::move(n);
    }
    return left;
}

NodePtr ExprParser::parse_not() {
    if (peek().name("not")) {
        size_t pos = next().pos;
        NodePtr n = make(Node::Kind::Unary, pos);
        n->text = "not";
        n->kids.push_back(parse_not());
        return n;
    }
    return parse_compare();
}

NodePtr ExprParser::parse_compare() {
    size_t pos = peek().pos;
    NodePtr first = parse_math1();
    NodePtr n;
    for (;;) {
        const Token& t = peek();
        std::string op;
        if (t.op("==") || t.op("!=") || t.op("<") || t.op("<=") || t.op(">") || t.op(">=")) {
            op = t.text;
            next();
        } else if (t.name("in")) {
            op = "in";
            next();
        } else if (t.name("not") && peek(1).name("in")) {
            op = "notin";
            next();
            next();
        } else {
            break;
        }
        if (!n) {
            n = make(Node::Kind::Compare, pos);
            n->kids.push_back(std::move(first));
        }
        n->names.push_back(op);
        n->kids.push_back(parse_math1());
    }
    if (!n) return first;
    stamp(*n, pos);
    return n;
}

NodePtr ExprParser::binary(const char* op, NodePtr left, NodePtr right, size_t pos) {
    NodePtr n = make(Node::Kind::Binary, pos);
    n->text = op;
    n->kids.push_back(std::move(left));
    n->kids.push_back(std::move(right));
    stamp(*n, pos);
    return n;
}

NodePtr ExprParser::parse_math1() {
    size_t pos = peek().pos;
    NodePtr left = parse_concat();
    while (peek().op("+") || peek().op("-")) {
        std::string op = next().text;
        left = binary(op.c_str(), std::move(left), parse_concat(), pos);
    }
    return left;
}

NodePtr ExprParser::parse_concat() {
    size_t pos = peek().pos;
    NodePtr left = parse_math2();
    while (peek().op("~")) {
        next();
        left = binary("~", std::move(left), parse_math2(), pos);
    }
    return left;
}

NodePtr ExprParser::parse_math2() {
    size_t pos = peek().pos;
    NodePtr left = parse_pow();
    while (peek().op("*") || peek().op("/") || peek().op("//") || peek().op("%")) {
        std::string op = next().text;
        left = binary(op.c_str(), std::move(left), parse_pow(), pos);
    }
    return left;
}

NodePtr ExprParser::parse_pow() {
    size_t pos = peek().pos;
    NodePtr left = parse_unary(true);
    while (peek().op("**")) {
        next();
        left = binary("**", std::move(left), parse_unary(true), pos);
    }
    return left;
}

NodePtr ExprParser::parse_unary(bool with_filter) {
    size_t pos = peek().pos;
    NodePtr node;
    if (peek().op("-") || peek().op("+")) {
        std::string op = next().text;
        node = make(Node::Kind::Unary, pos);
        node->text = op;
        node->kids.push_back(parse_unary(false));
    } else {
        node = parse_primary();
    }
    node = parse_postfix(std::move(node), pos);
    if (with_filter) node = parse_filters(std::move(node), pos);
    return node;
}

NodePtr ExprParser::parse_primary() {
    const Token& t = peek();
    size_t pos = t.pos;
    switch (t.kind) {
        case Token::Kind::Name: return parse_name(pos);
        case Token::Kind::Str: {
            NodePtr n = make(Node::Kind::Str, pos);
            while (peek().kind == Token::Kind::Str) n->text += next().text;  // "a" "b" is "ab"
            return n;
        }
        case Token::Kind::Int:
        case Token::Kind::Float: {
            NodePtr n = make(t.kind == Token::Kind::Int ? Node::Kind::Int : Node::Kind::Float, pos);
            n->text = next().text;
            return n;
        }
        case Token::Kind::Op:
            if (t.op("(")) return parse_paren(pos);
            if (t.op("[")) return parse_list(pos);
            if (t.op("{")) return parse_dict(pos);
            break;
        default: break;
    }
    fail("expected a value");
}

// true/True/false/False and none/None are literals; any other name a variable.
NodePtr ExprParser::parse_name(size_t pos) {
    std::string name = next().text;
    NodePtr n;
    if (name == "true" || name == "True" || name == "false" || name == "False") {
        n = make(Node::Kind::Bool, pos);
        n->text = (name == "true" || name == "True") ? "true" : "false";
    } else if (name == "none" || name == "None") {
        n = make(Node::Kind::None, pos);
    } else {
        n = make(Node::Kind::Name, pos);
        n->text = name;
    }
    n->src = name;
    return n;
}

// (a), the empty tuple (), or a tuple (a, b[,]).
NodePtr ExprParser::parse_paren(size_t pos) {
    next();
    if (peek().op(")")) {
        next();
        return make(Node::Kind::Tuple, pos);
    }
    NodePtr first = parse_expr();
    if (peek().op(",")) {
        NodePtr tup = make(Node::Kind::Tuple, pos);
        tup->kids.push_back(std::move(first));
        while (peek().op(",")) {
            next();
            if (peek().op(")")) break;
            tup->kids.push_back(parse_expr());
        }
        first = std::move(tup);
    }
    expect_op(")");
    return first;
}

// [a, b[,]]
NodePtr ExprParser::parse_list(size_t pos) {
    next();
    NodePtr n = make(Node::Kind::List, pos);
    while (!peek().op("]")) {
        if (!n->kids.empty()) {
            expect_op(",");
            if (peek().op("]")) break;
        }
        n->kids.push_back(parse_expr());
    }
    next();
    return n;
}

// {k: v, ...[,]}: kids alternate key, value.
NodePtr ExprParser::parse_dict(size_t pos) {
    next();
    NodePtr n = make(Node::Kind::Dict, pos);
    while (!peek().op("}")) {
        if (!n->kids.empty()) {
            expect_op(",");
            if (peek().op("}")) break;
        }
        n->kids.push_back(parse_expr());
        expect_op(":");
        n->kids.push_back(parse_expr());
    }
    next();
    return n;
}

NodePtr ExprParser::parse_postfix(NodePtr node, size_t pos) {
    for (;;) {
        if (peek().op(".")) {
            next();
            NodePtr n;
            if (peek().kind == Token::Kind::Int) {  // foo.0 is foo[0]
                n = make(Node::Kind::Item, pos);
                n->kids.push_back(std::move(node));
                NodePtr idx = make(Node::Kind::Int, peek().pos);
                idx->text = next().text;
                n->kids.push_back(std::move(idx));
            } else {
                n = make(Node::Kind::Attr, pos);
                n->text = expect_name();
                n->kids.push_back(std::move(node));
            }
            stamp(*n, pos);
            node = std::move(n);
        } else if (peek().op("[")) {
            next();
            node = parse_subscript(std::move(node), pos);
        } else if (peek().op("(")) {
            node = parse_call(std::move(node), pos);
        } else {
            return node;
        }
    }
}

NodePtr ExprParser::parse_subscript(NodePtr node, size_t pos) {
    NodePtr parts[3];
    bool is_slice = false;
    int part = 0;
    while (!peek().op("]")) {
        if (peek().op(":")) {
            next();
            is_slice = true;
            if (++part > 2) fail("too many ':' in a slice");
            continue;
        }
        if (parts[part]) fail("expected ':' or ']'");
        parts[part] = parse_expr();
    }
    next();
    if (!is_slice && !parts[0]) fail("empty subscript");
    NodePtr n = make(is_slice ? Node::Kind::Slice : Node::Kind::Item, pos);
    n->kids.push_back(std::move(node));
    if (is_slice) {
        for (auto& p : parts) n->kids.push_back(std::move(p));  // null kids: omitted bounds
    } else {
        n->kids.push_back(std::move(parts[0]));
    }
    stamp(*n, pos);
    return n;
}

void ExprParser::parse_args(Node& n) {
    expect_op("(");
    const size_t base = n.kids.size();  // a filter's or test's first kid is its input
    while (!peek().op(")")) {
        if (n.kids.size() > base || !n.kwargs.empty()) {
            expect_op(",");
            if (peek().op(")")) break;
        }
        if (peek().kind == Token::Kind::Name && peek(1).op("=")) {
            std::string key = next().text;
            next();
            n.kwargs.emplace_back(key, parse_expr());
        } else {
            if (!n.kwargs.empty()) fail("a positional argument follows a keyword argument");
            n.kids.push_back(parse_expr());
        }
    }
    next();
}

NodePtr ExprParser::parse_call(NodePtr callee, size_t pos) {
    NodePtr n = make(Node::Kind::Call, pos);
    n->kids.push_back(std::move(callee));
    parse_args(*n);
    stamp(*n, pos);
    return n;
}

NodePtr ExprParser::parse_filters(NodePtr node, size_t pos) {
    for (;;) {
        if (peek().op("|")) {
            next();
            NodePtr n = make(Node::Kind::Filter, pos);
            n->text = expect_name();
            while (peek().op(".") && peek(1).kind == Token::Kind::Name) {  // ansible.builtin.to_json
                next();
                n->text += "." + next().text;
            }
            n->kids.push_back(std::move(node));
            if (peek().op("(")) parse_args(*n);
            stamp(*n, pos);
            node = std::move(n);
        } else if (peek().name("is")) {
            next();
            bool negated = false;
            if (peek().name("not")) {
                next();
                negated = true;
            }
            NodePtr n = make(Node::Kind::Test, pos);
            if (peek().name("none") || peek().name("true") || peek().name("false") || peek().name("in"))
                n->text = next().text;
            else
                n->text = expect_name();
            while (peek().op(".") && peek(1).kind == Token::Kind::Name) {
                next();
                n->text += "." + next().text;
            }
            n->kids.push_back(std::move(node));
            const Token& t = peek();
            if (t.op("(")) {
                parse_args(*n);
            } else if ((t.kind == Token::Kind::Str || t.kind == Token::Kind::Int || t.kind == Token::Kind::Float ||
                        t.op("[") || t.op("{") ||
                        (t.kind == Token::Kind::Name && !t.name("else") && !t.name("or") && !t.name("and") &&
                         !t.name("if") && !t.name("is") && !t.name("not") && !t.name("in")))) {
                size_t apos = t.pos;
                n->kids.push_back(parse_postfix(parse_primary(), apos));
            }
            stamp(*n, pos);
            if (negated) {
                NodePtr u = make(Node::Kind::Unary, pos);
                u->text = "not";
                u->kids.push_back(std::move(n));
                node = std::move(u);
            } else {
                node = std::move(n);
            }
        } else if (peek().op("(")) {
            node = parse_call(std::move(node), pos);
        } else {
            return node;
        }
    }
}

NodePtr parse_expression(const std::string& src, bool raw_strings) {
    ExprParser p(src, 0, src.size(), raw_strings);
    if (p.at_end()) throw SyntaxError(0, "the expression is empty");
    NodePtr n = p.parse_tuple(true);
    p.expect_end();
    return n;
}

}  // namespace upkeep::jinja
