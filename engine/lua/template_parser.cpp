// Template text -> statement tree. The text is cut into segments (text, {{ }},
// {% %}) with Jinja's whitespace rules as Ansible configures them: trim_blocks on
// (the newline right after a block or comment tag goes), lstrip_blocks off,
// "-" strips whitespace on that side, "+" keeps the newline; {% raw %} is literal.
#include <cctype>
#include <memory>
#include <set>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_lexer.hpp"
#include "engine/lua/jinja_parser.hpp"

namespace upkeep::jinja {

namespace {

struct Segment {
    enum class Kind { Text, Var, Block };
    Kind kind;
    size_t from, to;   // inner range in the source (text, or the tag's contents)
    std::string text;  // Text: the (whitespace-controlled) text
};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)); }

// Jinja writes every newline of the template text as "\n" (newline_sequence).
std::string normalize_newlines(const std::string& s) {
    if (s.find('\r') == std::string::npos) return s;
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += '\n';
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

// End of a {{ }} or {% %} tag's contents: the closer outside strings and brackets.
size_t find_close(const std::string& src, size_t from, char closer) {
    int depth = 0;
    for (size_t i = from; i + 1 < src.size(); ++i) {
        char c = src[i];
        if (c == '"' || c == '\'') {
            size_t end = skip_string(src, i);
            if (end == std::string::npos) return std::string::npos;
            i = end - 1;
        } else if (depth == 0 && c == closer && src[i + 1] == '}') {
            return i;
        } else if (c == '(' || c == '[' || c == '{') {
            ++depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::string::npos;
}

std::string trimmed(const std::string& src, size_t from, size_t to) {
    while (from < to && is_space(src[from])) ++from;
    while (to > from && is_space(src[to - 1])) --to;
    return src.substr(from, to - from);
}

class Splitter {
public:
    explicit Splitter(const std::string& src) : m_src(src) {}

    std::vector<Segment> run() {
        size_t n = m_src.size();
        while (m_pos < n) {
            size_t open = next_open(m_pos);
            add_text(m_pos, open == std::string::npos ? n : open, open);
            if (open == std::string::npos) break;
            char kind = m_src[open + 1];
            size_t inner = open + 2;
            if (inner < n && (m_src[inner] == '-' || m_src[inner] == '+')) ++inner;
            if (kind == '#') {
                size_t close = m_src.find("#}", inner);
                if (close == std::string::npos) throw SyntaxError(open, "'{#' without a matching '#}'");
                after_tag(close, true);
                continue;
            }
            size_t close = find_close(m_src, inner, kind == '{' ? '}' : '%');
            if (close == std::string::npos)
                throw SyntaxError(open, std::string("'{") + kind + "' without a matching '" + (kind == '{' ? "}}" : "%}") + "'");
            size_t inner_end = close;
            if (inner_end > inner && (m_src[inner_end - 1] == '-' || m_src[inner_end - 1] == '+')) --inner_end;
            if (kind == '%' && trimmed(m_src, inner, inner_end) == "raw") {
                after_tag(close, false);  // raw's opening tag keeps its newline
                raw_block(open);
                continue;
            }
            m_segs.push_back({kind == '{' ? Segment::Kind::Var : Segment::Kind::Block, inner, inner_end, ""});
            after_tag(close, kind == '%');
        }
        return std::move(m_segs);
    }

private:
    size_t next_open(size_t pos) const {
        for (size_t i = m_src.find('{', pos); i != std::string::npos && i + 1 < m_src.size(); i = m_src.find('{', i + 1)) {
            char c = m_src[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return std::string::npos;
    }

    // Text from `from` to `to`, followed by a tag at `open` (npos: none).
    void add_text(size_t from, size_t to, size_t open) {
        std::string text = normalize_newlines(m_src.substr(from, to - from));
        if (m_strip_next) {
            size_t k = 0;
            while (k < text.size() && is_space(text[k])) ++k;
            text.erase(0, k);
        } else if (m_trim_newline) {
            if (text.rfind("\r\n", 0) == 0) text.erase(0, 2);
            else if (!text.empty() && (text[0] == '\n' || text[0] == '\r')) text.erase(0, 1);
        }
        m_strip_next = m_trim_newline = false;
        if (open != std::string::npos && open + 2 < m_src.size() && m_src[open + 2] == '-')
            while (!text.empty() && is_space(text.back())) text.pop_back();
        if (!text.empty()) m_segs.push_back({Segment::Kind::Text, from, to, text});
    }

    // Whitespace control for the text after a tag closing at `close`.
    void after_tag(size_t close, bool trims_newline) {
        char mod = close > 0 ? m_src[close - 1] : 0;
        m_strip_next = mod == '-';
        m_trim_newline = trims_newline && mod != '+';
        m_pos = close + 2;
    }

    // {% raw %}...{% endraw %}: the text up to endraw, literal.
    void raw_block(size_t open) {
        for (size_t i = m_pos;;) {
            size_t tag = m_src.find("{%", i);
            if (tag == std::string::npos) throw SyntaxError(open, "'{% raw %}' without '{% endraw %}'");
            size_t inner = tag + 2;
            if (inner < m_src.size() && (m_src[inner] == '-' || m_src[inner] == '+')) ++inner;
            size_t close = m_src.find("%}", inner);
            if (close == std::string::npos) throw SyntaxError(open, "'{% raw %}' without '{% endraw %}'");
            size_t inner_end = close;
            if (inner_end > inner && (m_src[inner_end - 1] == '-' || m_src[inner_end - 1] == '+')) --inner_end;
            if (trimmed(m_src, inner, inner_end) == "endraw") {
                add_text(m_pos, tag, tag);
                after_tag(close, true);
                return;
            }
            i = tag + 2;
        }
    }

    const std::string& m_src;
    std::vector<Segment> m_segs;
    size_t m_pos = 0;
    bool m_strip_next = false, m_trim_newline = false;
};

NodePtr make(Node::Kind k, size_t pos) { return std::make_unique<Node>(k, pos); }

class TemplateParser {
public:
    TemplateParser(const std::string& src, std::vector<Segment> segs, bool raw_strings)
        : m_src(src), m_segs(std::move(segs)), m_raw_strings(raw_strings) {}

    NodePtr run() {
        std::string end;
        NodePtr body = parse_body({}, end);
        return body;
    }

private:
    // Statements up to one of the `ends` block tags (its name goes to `end`, its
    // parser stays in m_tag for what follows the keyword).
    NodePtr parse_body(const std::set<std::string>& ends, std::string& end) {
        NodePtr body = make(Node::Kind::Body, m_i < m_segs.size() ? m_segs[m_i].from : m_src.size());
        while (m_i < m_segs.size()) {
            const Segment& s = m_segs[m_i++];
            if (s.kind == Segment::Kind::Text) {
                NodePtr t = make(Node::Kind::Text, s.from);
                t->text = s.text;
                body->kids.push_back(std::move(t));
                continue;
            }
            m_tag = std::make_unique<ExprParser>(m_src, s.from, s.to, s.kind == Segment::Kind::Var && m_raw_strings);
            ExprParser& p = *m_tag;
            if (s.kind == Segment::Kind::Var) {
                if (p.at_end()) throw SyntaxError(s.from, "empty '{{ }}'");
                NodePtr out = make(Node::Kind::Output, s.from);
                out->kids.push_back(p.parse_tuple(true));
                p.expect_end();
                body->kids.push_back(std::move(out));
                continue;
            }
            if (p.peek().kind != Token::Kind::Name) p.fail("expected a statement name");
            std::string kw = p.peek().text;
            if (ends.count(kw)) {
                p.next();
                end = kw;
                return body;
            }
            p.next();
            body->kids.push_back(statement(kw, s.from));
        }
        if (!ends.empty()) {
            std::string list;
            for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
            throw SyntaxError(m_src.size(), "unexpected end of template, expected " + list);
        }
        return body;
    }

    NodePtr statement(const std::string& kw, size_t pos) {
        ExprParser& p = *m_tag;
        if (kw == "if") {
            NodePtr n = make(Node::Kind::If, pos);
            n->kids.push_back(p.parse_tuple(true));
            p.expect_end();
            for (;;) {
                std::string end;
                n->kids.push_back(parse_body({"elif", "else", "endif"}, end));
                if (end == "endif") break;
                ExprParser& q = *m_tag;
                if (end == "elif") {
                    n->kids.push_back(q.parse_tuple(true));
                    q.expect_end();
                    continue;
                }
                q.expect_end();
                n->kids.push_back(parse_body({"endif"}, end));
                m_tag->expect_end();
                break;
            }
            m_tag->expect_end();
            return n;
        }
        if (kw == "for") {
            NodePtr n = make(Node::Kind::For, pos);
            bool paren = p.peek().op("(");
            if (paren) p.next();
            n->names.push_back(p.expect_name());
            while (p.peek().op(",")) {
                p.next();
                n->names.push_back(p.expect_name());
            }
            if (paren) p.expect_op(")");
            if (!p.peek().name("in")) p.fail("expected 'in'");
            p.next();
            n->kids.push_back(p.parse_tuple(false));  // kids[0]: the iterable
            NodePtr filter;
            if (p.peek().name("if")) {
                p.next();
                filter = p.parse_expr();
            }
            if (p.peek().name("recursive")) p.fail("recursive loops are not supported");
            p.expect_end();
            std::string end;
            n->kids.push_back(parse_body({"else", "endfor"}, end));  // kids[1]: the body
            NodePtr else_body;
            if (end == "else") {
                m_tag->expect_end();
                else_body = parse_body({"endfor"}, end);
            }
            m_tag->expect_end();
            n->kids.push_back(std::move(else_body));  // kids[2]: else (may be null)
            n->kids.push_back(std::move(filter));     // kids[3]: the `if` filter (may be null)
            return n;
        }
        if (kw == "set") {
            std::vector<std::string> names{p.expect_name()};
            if (p.peek().op(".")) p.fail("namespace attributes ('set ns.x') are not supported");
            while (p.peek().op(",")) {
                p.next();
                names.push_back(p.expect_name());
            }
            if (p.peek().op("=")) {
                p.next();
                NodePtr n = make(Node::Kind::Set, pos);
                n->names = names;
                n->kids.push_back(p.parse_tuple(true));
                p.expect_end();
                return n;
            }
            if (names.size() != 1) p.fail("expected '='");
            p.expect_end();
            NodePtr n = make(Node::Kind::SetBlock, pos);
            n->names = names;
            std::string end;
            n->kids.push_back(parse_body({"endset"}, end));
            m_tag->expect_end();
            return n;
        }
        if (kw == "macro") {
            NodePtr n = make(Node::Kind::Macro, pos);
            n->text = p.expect_name();
            p.expect_op("(");
            while (!p.peek().op(")")) {
                if (!n->names.empty()) p.expect_op(",");
                std::string param = p.expect_name();
                n->names.push_back(param);
                if (p.peek().op("=")) {
                    p.next();
                    n->kwargs.emplace_back(param, p.parse_expr());
                }
            }
            p.next();
            p.expect_end();
            std::string end;
            n->kids.push_back(parse_body({"endmacro"}, end));
            if (m_tag->peek().kind == Token::Kind::Name) m_tag->next();  // {% endmacro name %}
            m_tag->expect_end();
            return n;
        }
        if (kw == "include") {
            NodePtr n = make(Node::Kind::Include, pos);
            n->kids.push_back(p.parse_expr());
            if (p.peek().name("ignore")) {
                p.next();
                if (!p.peek().name("missing")) p.fail("expected 'missing'");
                p.next();
                n->text = "ignore missing";
            }
            if (p.peek().name("with") || p.peek().name("without")) {
                p.next();
                if (!p.peek().name("context")) p.fail("expected 'context'");
                p.next();
            }
            p.expect_end();
            return n;
        }
        if (kw == "extends") {
            // kids[0]: the parent template's name (any expression, as Jinja).
            NodePtr n = make(Node::Kind::Extends, pos);
            n->kids.push_back(p.parse_expr());
            p.expect_end();
            return n;
        }
        if (kw == "block") {
            // text: the name; kids[0]: the body. `scoped` and `required` are Jinja 3 words.
            NodePtr n = make(Node::Kind::Block, pos);
            n->text = p.expect_name();
            while (p.peek().name("scoped") || p.peek().name("required")) {
                if (p.peek().name("scoped")) n->names.push_back("scoped");
                p.next();
            }
            p.expect_end();
            if (!m_blocks.insert(n->text).second) p.fail("block '" + n->text + "' defined twice");
            std::string end;
            n->kids.push_back(parse_body({"endblock"}, end));
            if (m_tag->peek().kind == Token::Kind::Name) {
                std::string closing = m_tag->expect_name();
                if (closing != n->text) m_tag->fail("'{% endblock " + closing + " %}' closes block '" + n->text + "'");
            }
            m_tag->expect_end();
            return n;
        }
        if (kw == "call") {
            // {% call [(params)] macro(args) %}body{% endcall %}: names/kwargs are the
            // caller's parameters, kids[0] the call expression, kids[1] the body.
            NodePtr n = make(Node::Kind::CallBlock, pos);
            if (p.peek().op("(")) {
                p.next();
                while (!p.peek().op(")")) {
                    if (!n->names.empty()) p.expect_op(",");
                    std::string param = p.expect_name();
                    n->names.push_back(param);
                    if (p.peek().op("=")) {
                        p.next();
                        n->kwargs.emplace_back(param, p.parse_expr());
                    }
                }
                p.next();
            }
            NodePtr call = p.parse_expr();
            if (call->kind != Node::Kind::Call) p.fail("expected a macro call after 'call'");
            n->kids.push_back(std::move(call));
            p.expect_end();
            std::string end;
            n->kids.push_back(parse_body({"endcall"}, end));
            m_tag->expect_end();
            return n;
        }
        throw SyntaxError(pos, "'{% " + kw + " %}' is not supported here (supported: if, for, set, macro, call, include, extends, block, raw)");
    }

    const std::string& m_src;
    std::vector<Segment> m_segs;
    size_t m_i = 0;
    std::unique_ptr<ExprParser> m_tag;  // the parser of the block tag being read
    bool m_raw_strings;
    std::set<std::string> m_blocks;  // block names seen (Jinja refuses a name twice)
};

}  // namespace

NodePtr parse_template(const std::string& src_in, bool playbook_value) {
    // Jinja drops one trailing newline (keep_trailing_newline is off); Ansible
    // puts the source's trailing newlines back afterwards (render_template).
    std::string src = src_in;
    if (!src.empty() && src.back() == '\n') src.pop_back();
    Splitter sp(src);
    std::vector<Segment> segs = sp.run();
    TemplateParser tp(src, std::move(segs), playbook_value);
    return tp.run();
}

}  // namespace upkeep::jinja
