#include "modules/formats/authorized_keys.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

const char* const k_key_types[] = {
    "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "ssh-dss", "ssh-rsa", "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
};

using Options = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct Entry {
    std::string id;    // the key blob, or the whole line for a line kept as is
    std::string type;  // "skipped": a line kept as is (comment, blank, not a key)
    Options options;
    std::string comment;
    size_t rank = 0;
};

// shlex with whitespace_split, no quotes, no comments: split on " \t\r\n".
std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// parseoptions: comma-separated, commas inside "..." or '...' do not split.
Options parse_options(const std::string& text) {
    Options out;
    std::string cur;
    auto flush = [&] {
        if (cur.empty()) return;
        size_t eq = cur.find('=');
        if (eq == std::string::npos) out.push_back({cur, std::nullopt});
        else out.push_back({cur.substr(0, eq), cur.substr(eq + 1)});
        cur.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == ',') {
            flush();
        } else if (c == '"' || c == '\'') {
            size_t close = text.find(c, i + 1);
            if (close == std::string::npos) {  // an unbalanced quote is a plain character
                cur += c;
                continue;
            }
            cur += text.substr(i, close - i + 1);
            i = close;
        } else {
            cur += c;
        }
    }
    flush();
    return out;
}

// Python's dict-of-lists equality of two keydicts: order of different keys does not matter.
bool same_options(const Options& a, const Options& b) {
    auto grouped = [](const Options& o) {
        std::map<std::string, std::vector<std::optional<std::string>>> m;
        for (const auto& [k, v] : o) m[k].push_back(v);
        return m;
    };
    return grouped(a) == grouped(b);
}

std::optional<Entry> parse_key(std::string raw, size_t rank) {
    for (size_t p; (p = raw.find("\\#")) != std::string::npos;) raw.replace(p, 2, "#");
    std::vector<std::string> parts = words(raw);
    if (!parts.empty() && parts[0] == "#") return Entry{raw, "skipped", {}, "", rank};
    for (size_t i = 0; i < parts.size(); ++i) {
        if (std::find(std::begin(k_key_types), std::end(k_key_types), parts[i]) == std::end(k_key_types)) continue;
        if (i + 1 >= parts.size()) return std::nullopt;  // a type without its key
        Entry e;
        e.type = parts[i];
        e.id = parts[i + 1];
        e.rank = rank;
        if (i > 0) e.options = parse_options(join(std::vector<std::string>(parts.begin(), parts.begin() + static_cast<long>(i)), " "));
        e.comment = join(std::vector<std::string>(parts.begin() + static_cast<long>(i) + 2, parts.end()), " ");
        return e;
    }
    return std::nullopt;
}

// Python's splitlines(True) for the ASCII boundaries.
std::vector<std::string> lines_keep(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\x1c' || c == '\x1d' || c == '\x1e') {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out.push_back(s.substr(start, i + 1 - start));
            start = i + 1;
        }
    }
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
}

// An insertion-ordered dict of entries (Python's dict as authorized_key uses it).
class KeyDict {
public:
    bool has(const std::string& id) const { return m_map.count(id) > 0; }
    const Entry& at(const std::string& id) const { return m_map.at(id); }
    size_t size() const { return m_map.size(); }
    void set(const Entry& e) {
        if (!has(e.id)) m_order.push_back(e.id);
        m_map[e.id] = e;
    }
    void erase(const std::string& id) {
        m_map.erase(id);
        m_order.erase(std::find(m_order.begin(), m_order.end(), id));
    }
    const std::vector<std::string>& order() const { return m_order; }

private:
    std::vector<std::string> m_order;
    std::map<std::string, Entry> m_map;
};

std::string serialize(const KeyDict& keys) {
    std::vector<const Entry*> entries;
    for (const auto& id : keys.order()) entries.push_back(&keys.at(id));
    std::stable_sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->rank < b->rank; });
    std::string out;
    for (const Entry* e : entries) {
        if (e->type == "skipped") {
            out += e->id;
            continue;
        }
        if (!out.empty() && out.back() != '\n') out += '\n';  // see the header: never glue a key onto a line
        std::string opts;
        for (const auto& [k, v] : e->options) opts += (opts.empty() ? "" : ",") + k + (v ? "=" + *v : "");
        if (!opts.empty()) opts += " ";
        out += opts + e->type + " " + e->id + " " + e->comment + "\n";
    }
    return out;
}

}  // namespace

AuthorizedKeysOutcome authorized_keys_edit(const std::string& existing, const AuthorizedKeysRequest& req) {
    KeyDict keys;
    std::vector<std::string> file_lines = lines_keep(existing);
    for (size_t i = 0; i < file_lines.size(); ++i) {
        std::optional<Entry> e = parse_key(file_lines[i], i);
        keys.set(e ? *e : Entry{file_lines[i], "skipped", {}, "", i});
    }
    std::vector<std::string> wanted;
    for (const auto& l : lines_keep(req.keys)) {
        std::string s = l;
        while (!s.empty() && std::string("\n\r\v\f\x1c\x1d\x1e").find(s.back()) != std::string::npos) s.pop_back();
        if (!s.empty() && s[0] != '#') wanted.push_back(s);
    }
    bool write = false;
    std::set<std::string> to_exist;
    size_t max_rank = keys.size();
    for (size_t r = 0; r < wanted.size(); ++r) {
        std::optional<Entry> nk = parse_key(wanted[r], r);
        if (!nk || nk->type == "skipped") throw TaskError("invalid key specified: " + wanted[r]);
        if (req.key_options) nk->options = parse_options(*req.key_options);
        if (req.comment) nk->comment = *req.comment;
        bool matched = false;
        bool differs = false;
        if (keys.has(nk->id)) {
            const Entry& old = keys.at(nk->id);
            if ((old.type != nk->type || !same_options(old.options, nk->options) || old.comment != nk->comment) && req.present)
                differs = true;
            else
                matched = true;
        }
        if (req.present) {
            to_exist.insert(nk->id);
            if (differs) {
                keys.erase(nk->id);
                write = true;
            }
            if (!matched) {
                nk->rank = max_rank + r;
                keys.set(*nk);
                write = true;
            }
        } else if (matched) {
            keys.erase(nk->id);
            write = true;
        }
    }
    if (req.present && req.exclusive) {
        std::vector<std::string> ids = keys.order();
        for (const auto& id : ids)
            if (!to_exist.count(id)) {
                keys.erase(id);
                write = true;
            }
    }
    AuthorizedKeysOutcome out;
    out.write = write;
    out.content = write ? serialize(keys) : existing;
    return out;
}

}  // namespace upkeep
