// YAML loading on libfyaml's event parser. The parser checks the syntax (it refuses
// every invalid case of the yaml-test-suite, where yaml-cpp 0.7 accepted 20, e.g. an
// unclosed quote at the end of a file that silently swallowed the tasks after it);
// this file builds Values from the events with an explicit stack (no recursion, so
// deep input cannot overflow ours), resolves aliases itself (refusing a node that
// contains its own alias, which crashed yaml-cpp) and bounds depth and alias
// expansion, so a "billion laughs" document is refused instead of eating memory.
#include "engine/value/yaml.hpp"

#include <libfyaml.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "engine/util/error.hpp"
#include "engine/value/yaml_scalar.hpp"
#include "engine/vault/vault.hpp"

namespace upkeep {

namespace {

using FilePtr = std::shared_ptr<const std::string>;

Mark mark_at(const FilePtr& file, const fy_mark* m) {
    Mark out;
    out.file = file;
    if (m && m->line >= 0) out.line = m->line + 1;
    if (m && m->column >= 0) out.col = m->column + 1;
    return out;
}

std::string token_text(fy_token* t) {
    if (!t) return {};
    size_t len = 0;
    const char* s = fy_token_get_text(t, &len);
    return s ? std::string(s, len) : std::string();
}

const char* kind_name(const Value& v) {
    return v.is_list() ? "a list" : v.is_map() ? "a mapping" : "a scalar";
}

// A finished node on its way to its parent.
struct Node {
    Value value;
    std::string text;        // the scalar's text (for keys); empty for collections
    bool scalar = false;
    bool plain = false;      // a plain scalar (only a plain `<<` is a merge key)
    uint64_t size = 1;       // values inside, counted through aliases
    int height = 1;          // nesting, counted through aliases
};

struct Anchor {
    Node node;
    bool done = false;  // false while its own collection is still being read
};

struct Frame {
    bool is_map = false;
    Mark mark;
    std::string anchor;
    List list;
    Map map;
    std::shared_ptr<std::map<std::string, Mark>> key_marks = std::make_shared<std::map<std::string, Mark>>();
    std::vector<Value> merges;  // `<<` values, applied at the end: explicit keys win
    bool have_key = false;
    bool key_is_merge = false;
    std::string key;
    Mark key_mark;
    uint64_t size = 1;
    int height = 1;
};

struct ParserDeleter {
    void operator()(fy_parser* p) const { fy_parser_destroy(p); }
};
struct DiagDeleter {
    void operator()(fy_diag* d) const { fy_diag_destroy(d); }
};

class Builder {
public:
    Builder(FilePtr file, const YamlLimits& limits) : m_file(std::move(file)), m_limits(limits) {}

    std::vector<Value> run(const std::string& text) {
        m_text = &text;
        fy_diag_cfg dcfg;
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = nullptr;
        dcfg.colorize = false;
        std::unique_ptr<fy_diag, DiagDeleter> diag(fy_diag_create(&dcfg));
        if (!diag) throw UserError(*m_file + ": cannot create the YAML parser");
        fy_diag_set_collect_errors(diag.get(), true);
        fy_parse_cfg cfg{};
        cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO);
        cfg.diag = diag.get();
        std::unique_ptr<fy_parser, ParserDeleter> parser(fy_parser_create(&cfg));
        if (!parser || fy_parser_set_string(parser.get(), text.data(), text.size()) != 0)
            throw UserError(*m_file + ": cannot create the YAML parser");
        for (;;) {
            fy_event* ev = fy_parser_parse(parser.get());
            if (!ev) break;
            std::unique_ptr<fy_event, std::function<void(fy_event*)>> guard(
                ev, [&](fy_event* e) { fy_parser_event_free(parser.get(), e); });
            handle(ev);
        }
        if (fy_parser_get_stream_error(parser.get())) throw syntax_error(diag.get());
        return std::move(m_docs);
    }

private:
    FilePtr m_file;
    YamlLimits m_limits;
    const std::string* m_text = nullptr;
    std::vector<Value> m_docs;
    std::vector<Frame> m_stack;
    std::unordered_map<std::string, Anchor> m_anchors;
    bool m_have_root = false;
    Value m_root;
    uint64_t m_expanded = 0;
    Mark m_last_good;  // end of the last event the parser accepted

    UserError syntax_error(fy_diag* diag) const {
        void* it = nullptr;
        if (fy_diag_error* e = fy_diag_errors_iterate(diag, &it)) {
            Mark m;
            m.file = m_file;
            m.line = e->line;  // already 1-based
            m.col = e->column;
            return UserError(m, std::string("invalid YAML: ") + (e->msg ? e->msg : "syntax error"));
        }
        // libfyaml gives no diagnostic for a few errors (a `|0` indentation indicator):
        // point at the end of the last good event.
        Mark m = m_last_good;
        if (m.line == 0) m.line = 1, m.col = 1;
        return UserError(m, "invalid YAML after this point");
    }

    void handle(fy_event* ev) {
        m_last_good.file = m_file;
        Mark at = mark_at(m_file, fy_event_start_mark(ev));
        switch (ev->type) {
            case FYET_DOCUMENT_START:
                m_anchors.clear();  // anchors do not cross documents
                m_have_root = false;
                m_root = Value();
                m_expanded = 0;
                break;
            case FYET_DOCUMENT_END:
                m_docs.push_back(m_have_root ? std::move(m_root) : Value());
                break;
            case FYET_SCALAR: scalar(ev, at); break;
            case FYET_ALIAS: alias(ev, at); break;
            case FYET_SEQUENCE_START:
            case FYET_MAPPING_START: open(ev, at); break;
            case FYET_SEQUENCE_END:
            case FYET_MAPPING_END: close(); break;
            default: break;
        }
        if (const fy_mark* end = fy_event_end_mark(ev); end && end->line >= 0) m_last_good = mark_at(m_file, end);
    }

    void scalar(fy_event* ev, const Mark& at) {
        Node n;
        n.scalar = true;
        n.text = token_text(ev->scalar.value);
        std::string tag = token_text(ev->scalar.tag);
        bool plain = fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
        n.plain = plain && tag.empty();
        if (tag == "!" || tag == "!unsafe" || tag == "tag:yaml.org,2002:str")
            n.value = Value(n.text);
        else if (tag == "!secret")  // our marker: the value is masked in every output
            n.value = Value(n.text).set_secret();
        else if (tag == "!vault" || tag == "!encrypted/pkcs1-oaep")  // decrypted now; a secret from here on
            n.value = Value(vault_decrypt(n.text, at)).set_secret();
        else if (plain || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                 tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null")
            n.value = typed_scalar(n.text);
        else
            n.value = Value(n.text);  // quoted, literal or folded: always a string
        n.value.set_mark(scalar_mark(ev->scalar.value, at));
        finish(std::move(n), token_text(ev->scalar.anchor));
    }

    // libfyaml marks a scalar's content; errors point at where the scalar is written:
    // its opening quote, or its `|` / `>` header (as yaml-cpp did).
    Mark scalar_mark(fy_token* tok, Mark at) const {
        fy_scalar_style style = fy_token_scalar_style(tok);
        const fy_mark* m = fy_token_start_mark(tok);
        if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && at.col > 1) {
            --at.col;
        } else if ((style == FYSS_LITERAL || style == FYSS_FOLDED) && m && m->input_pos <= m_text->size()) {
            size_t pos = m->input_pos;
            size_t ind = m_text->find_last_of(style == FYSS_LITERAL ? '|' : '>', pos ? pos - 1 : 0);
            if (ind != std::string::npos && ind < pos) {
                at.line -= static_cast<int>(std::count(m_text->begin() + static_cast<long>(ind), m_text->begin() + static_cast<long>(pos), '\n'));
                size_t bol = ind == 0 ? std::string::npos : m_text->rfind('\n', ind - 1);
                at.col = static_cast<int>(ind - (bol == std::string::npos ? 0 : bol + 1)) + 1;
            }
        }
        return at;
    }

    void alias(fy_event* ev, const Mark& at) {
        std::string name = token_text(ev->alias.anchor);
        auto it = m_anchors.find(name);
        if (it == m_anchors.end()) throw UserError(at, "alias '*" + name + "' refers to no anchor '&" + name + "' before it");
        if (!it->second.done)
            throw UserError(at, "alias '*" + name + "' is used inside the node it names (a recursive structure), which cannot be loaded");
        const Node& target = it->second.node;
        m_expanded += target.size;
        if (m_expanded > m_limits.max_alias_expansion)
            throw UserError(at, "aliases in this document expand to more than " +
                                    std::to_string(m_limits.max_alias_expansion) +
                                    " values (an alias bomb?); refusing to load it");
        Node n = target;
        n.value.set_mark(at);
        finish(std::move(n), "");
    }

    void open(fy_event* ev, const Mark& at) {
        if (static_cast<int>(m_stack.size()) >= m_limits.max_depth)
            throw UserError(at, "YAML nested deeper than " + std::to_string(m_limits.max_depth) + " levels; refusing to load it");
        Frame f;
        f.is_map = ev->type == FYET_MAPPING_START;
        f.mark = at;
        f.anchor = token_text(f.is_map ? ev->mapping_start.anchor : ev->sequence_start.anchor);
        if (!f.anchor.empty()) {
            Anchor& a = m_anchors[f.anchor];  // a redefinition replaces the old anchor from here on
            a.done = false;
            a.node = Node();
        }
        m_stack.push_back(std::move(f));
    }

    void close() {
        Frame f = std::move(m_stack.back());
        m_stack.pop_back();
        Node n;
        n.size = f.size;
        n.height = f.height;
        if (f.is_map) {
            for (const Value& merged : f.merges) apply_merge(f, merged);
            n.value = Value(std::move(f.map));
            n.value.set_key_marks(std::move(f.key_marks));
        } else {
            n.value = Value(std::move(f.list));
        }
        n.value.set_mark(f.mark);
        finish(std::move(n), f.anchor);
    }

    // YAML merge key: merged maps never override explicit keys; among merged maps the
    // first one listed wins (PyYAML's order).
    static void apply_merge(Frame& f, const Value& merged) {
        auto add = [&](const Value& v) {
            if (!v.is_map()) throw UserError(v.mark(), std::string("'<<' merges mappings, got ") + kind_name(v));
            for (const auto& [k, val] : v.as_map())
                if (f.map.emplace(k, val).second) f.key_marks->emplace(k, v.key_mark(k));
        };
        if (merged.is_list())
            for (const auto& v : merged.as_list()) add(v);
        else
            add(merged);
    }

    void finish(Node n, const std::string& anchor) {
        if (n.height > m_limits.max_depth)
            throw UserError(n.value.mark(), "YAML nested deeper than " + std::to_string(m_limits.max_depth) +
                                                " levels through aliases; refusing to load it");
        if (!anchor.empty()) m_anchors[anchor] = Anchor{n, true};
        if (m_stack.empty()) {
            m_root = std::move(n.value);
            m_have_root = true;
            return;
        }
        Frame& p = m_stack.back();
        if (p.is_map && !p.have_key) {
            if (!n.scalar)
                throw UserError(n.value.mark(), std::string("a mapping key must be a string, got ") + kind_name(n.value));
            p.have_key = true;
            p.key = n.text;
            p.key_mark = n.value.mark();
            p.key_is_merge = n.plain && n.text == "<<";
            return;
        }
        p.size = std::min<uint64_t>(p.size + n.size, UINT64_MAX / 2);
        p.height = std::max(p.height, n.height + 1);
        if (!p.is_map) {
            p.list.push_back(std::move(n.value));
            return;
        }
        p.have_key = false;
        if (p.key_is_merge) {
            p.merges.push_back(std::move(n.value));
            return;
        }
        if (p.map.count(p.key)) throw UserError(p.key_mark, "duplicate key '" + p.key + "'");
        p.map.emplace(p.key, std::move(n.value));
        (*p.key_marks)[p.key] = p.key_mark;
    }
};

}  // namespace

std::vector<Value> parse_yaml_stream(const std::string& text, const std::string& filename, const YamlLimits& limits) {
    return Builder(std::make_shared<const std::string>(filename), limits).run(text);
}

Value parse_yaml(const std::string& text, const std::string& filename, const YamlLimits& limits) {
    std::vector<Value> docs = parse_yaml_stream(text, filename, limits);
    if (docs.empty()) return Value();
    if (docs.size() > 1)
        throw UserError(docs[1].mark().known() ? docs[1].mark() : Mark{std::make_shared<const std::string>(filename), 0, 0},
                        "expected a single YAML document, found another one (remove the second '---' or split the file)");
    return std::move(docs[0]);
}

Value load_yaml_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot read file");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (!is_vault_text(text)) return parse_yaml(text, path);
    // A vault-encrypted file (vars_files, group_vars, role vars): every value in it is a secret.
    auto file = std::make_shared<const std::string>(path);
    Value v = parse_yaml(vault_decrypt(text, Mark{file, 1, 1}), path);
    mark_secret(v);
    return v;
}

void mark_secret(Value& v) {
    if (v.is_list()) {
        for (auto& x : v.as_list_mut()) mark_secret(x);
    } else if (v.is_map()) {
        for (auto& [k, x] : v.as_map_mut()) mark_secret(x);
    } else if (!v.is_null()) {
        v.set_secret(true);
    }
}

std::vector<std::string> keys_in_source_order(const Value& map) {
    std::vector<std::pair<Mark, std::string>> keys;
    for (const auto& [k, v] : map.as_map()) keys.emplace_back(map.key_mark(k), k);
    std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
        auto rank = [](const Mark& m) { return m.line > 0 ? std::pair(m.line, m.col) : std::pair(INT32_MAX, 0); };
        return rank(a.first) < rank(b.first);
    });
    std::vector<std::string> out;
    out.reserve(keys.size());
    for (auto& [m, k] : keys) out.push_back(std::move(k));
    return out;
}

}  // namespace upkeep
