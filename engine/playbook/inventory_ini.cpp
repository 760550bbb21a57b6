// Ansible's INI inventory format: [group], [group:children], [group:vars], hosts
// with inline key=value vars (split like Python's shlex), host ranges, ports, and
// values typed by Python literal rules.
#include <map>
#include <memory>
#include <stdexcept>

#include "engine/util/py_regex.hpp"
#include "engine/playbook/host_range.hpp"
#include "engine/playbook/inventory_builder.hpp"
#include "engine/playbook/python_literal.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

struct Token {
    std::string text;
    int col = 0;  // 1-based column of the token's first character
};

// Splits a host line as Python's shlex.split(line, comments=True) does in POSIX mode:
// quotes group words and are removed, a backslash escapes the next character
// outside quotes, and '#' outside quotes ends the line.
std::vector<Token> shell_words(const std::string& line, int col0, const Mark& mark) {
    std::vector<Token> out;
    Token cur;
    bool in_word = false;
    size_t i = 0;
    auto fail = [&](const std::string& msg) {
        Mark m = mark;
        m.col = col0 + static_cast<int>(i);
        throw UserError(m, msg);
    };
    auto start = [&](size_t at) {
        if (!in_word) {
            in_word = true;
            cur = Token{"", col0 + static_cast<int>(at)};
        }
    };
    while (i < line.size()) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (in_word) out.push_back(cur);
            in_word = false;
            ++i;
        } else if (c == '#') {
            break;
        } else if (c == '\'') {
            start(i);
            size_t close = line.find('\'', i + 1);
            if (close == std::string::npos) fail("no closing quotation (')");
            cur.text += line.substr(i + 1, close - i - 1);
            i = close + 1;
        } else if (c == '"') {
            start(i);
            size_t j = i + 1;
            for (;; ++j) {
                if (j >= line.size()) fail("no closing quotation (\")");
                if (line[j] == '"') break;
                if (line[j] == '\\' && j + 1 < line.size() && (line[j + 1] == '"' || line[j + 1] == '\\')) ++j;
                cur.text += line[j];
            }
            i = j + 1;
        } else if (c == '\\') {
            start(i);
            if (i + 1 >= line.size()) fail("nothing after the escaping backslash");
            cur.text += line[i + 1];
            i += 2;
        } else {
            start(i);
            cur.text += c;
            ++i;
        }
    }
    if (in_word) out.push_back(cur);
    return out;
}

struct Pending {
    Mark mark;
    std::string state;  // "vars" or "children"
    std::vector<std::string> parents;
};

class IniReader {
public:
    IniReader(InventoryBuilder& b, const std::string& path) : m_b(b), m_file(std::make_shared<const std::string>(path)) {}

    void read(const std::string& text) {
        std::vector<std::string> lines = split(text, '\n');
        for (size_t n = 0; n < lines.size(); ++n) {
            std::string raw = lines[n];
            if (!raw.empty() && raw.back() == '\r') raw.pop_back();
            size_t lead = raw.find_first_not_of(" \t\f\v");
            if (lead == std::string::npos) continue;
            std::string line = trim(raw);
            if (line[0] == '#' || line[0] == ';') continue;
            Mark mark{m_file, static_cast<int>(n + 1), static_cast<int>(lead + 1)};
            if (line[0] == '[' && section(line, mark)) continue;
            if (m_state == "hosts")
                host_line(line, mark);
            else if (m_state == "vars")
                vars_line(line, mark);
            else
                children_line(line, mark);
        }
        for (const auto& name : m_pending_order) {
            auto it = m_pending.find(name);
            if (it == m_pending.end()) continue;
            if (it->second.state == "vars")
                throw UserError(it->second.mark, "[" + name + ":vars] is for group '" + name +
                                                     "', which this file never defines (Ansible rejects this too)");
            throw UserError(it->second.mark, "[" + it->second.parents.back() + ":children] lists group '" + name +
                                                 "', which is not defined (add a [" + name + "] section)");
        }
    }

private:
    InventoryBuilder& m_b;
    std::shared_ptr<const std::string> m_file;
    std::string m_group = "ungrouped";
    std::string m_state = "hosts";
    std::map<std::string, Pending> m_pending;
    std::vector<std::string> m_pending_order;

    // Returns false when the line is not a section header after all.
    bool section(const std::string& line, const Mark& mark) {
        static const PyRegex k_section = compile_py_regex(R"(^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$)");
        PyMatch m;
        if (!py_fullmatch(k_section, line, &m)) {
            if (line.back() == ']')
                throw UserError(mark, "invalid section header '" + line +
                                          "': group names cannot contain spaces, ':' or ']'");
            return false;
        }
        std::string name = m[1].str();
        std::string state = m[2].matched ? m[2].str() : "hosts";
        if (state != "hosts" && state != "children" && state != "vars")
            throw UserError(mark, "section [" + name + ":" + state + "] has unknown type '" + state +
                                      "' (expected hosts, children or vars)");
        if (!m_b.has_group(name)) {
            if (state == "vars" && !m_pending.count(name)) remember(name, Pending{mark, "vars", {}});
            m_b.add_group(name);
        }
        auto it = m_pending.find(name);
        if (it != m_pending.end() && state != "vars") {
            if (it->second.state == "children")
                for (const auto& parent : it->second.parents) m_b.add_child(parent, name, it->second.mark);
            m_pending.erase(it);
        }
        m_group = name;
        m_state = state;
        return true;
    }

    void remember(const std::string& name, Pending p) {
        m_pending.emplace(name, std::move(p));
        m_pending_order.push_back(name);
    }

    void host_line(const std::string& line, const Mark& mark) {
        std::vector<Token> words = shell_words(line, mark.col, mark);
        if (words.empty()) return;
        Mark at = mark;
        at.col = words[0].col;
        const std::string& entry = words[0].text;
        if (entry == "---") throw UserError(at, "'---' starts a YAML document: name the file *.yml to load it as YAML");
        HostSpec spec;
        try {
            spec = split_host_port(entry);
        } catch (const std::invalid_argument& e) {
            throw UserError(at, "bad host '" + entry + "': " + e.what());
        }
        std::vector<std::string> names;
        try {
            names = expand_host_range(spec.pattern);
        } catch (const std::invalid_argument& e) {
            throw UserError(at, "bad host range '" + spec.pattern + "': " + e.what());
        }
        std::vector<std::pair<std::string, Value>> vars;
        for (size_t i = 1; i < words.size(); ++i) {
            Mark vm = mark;
            vm.col = words[i].col;
            size_t eq = words[i].text.find('=');
            if (eq == std::string::npos || eq == 0)
                throw UserError(vm, "expected key=value after the host name, got '" + words[i].text + "'");
            Value v = ini_value(words[i].text.substr(eq + 1));
            v.set_mark(vm);
            vars.emplace_back(words[i].text.substr(0, eq), std::move(v));
        }
        for (const auto& name : names) {
            m_b.add_host(name, m_group, spec.port);
            for (const auto& [k, v] : vars) m_b.set_host_var(name, k, v);
        }
    }

    void vars_line(const std::string& line, const Mark& mark) {
        size_t eq = line.find('=');
        if (eq == std::string::npos) throw UserError(mark, "expected key=value in [" + m_group + ":vars], got '" + line + "'");
        std::string key = trim(line.substr(0, eq));
        if (key.empty()) throw UserError(mark, "a variable in [" + m_group + ":vars] needs a name before '='");
        std::string raw = line.substr(eq + 1);
        Mark vm = mark;
        size_t lead = raw.find_first_not_of(" \t");
        vm.col = mark.col + static_cast<int>(eq + 1 + (lead == std::string::npos ? 0 : lead));
        Value v = ini_value(trim(raw));
        v.set_mark(vm);
        m_b.set_group_var(m_group, key, std::move(v), mark);
    }

    void children_line(const std::string& line, const Mark& mark) {
        static const PyRegex k_name = compile_py_regex(R"(^([^:\]\s]+)\s*(?:#.*)?$)");
        PyMatch m;
        if (!py_fullmatch(k_name, line, &m))
            throw UserError(mark, "expected a group name in [" + m_group + ":children], got '" + line + "'");
        std::string child = m[1].str();
        if (m_b.has_group(child)) {
            m_b.add_child(m_group, child, mark);
            return;
        }
        auto it = m_pending.find(child);
        if (it == m_pending.end())
            remember(child, Pending{mark, "children", {m_group}});
        else
            it->second.parents.push_back(m_group);
    }
};

}  // namespace

void read_ini_inventory(InventoryBuilder& b, const std::string& text, const std::string& path) {
    IniReader(b, path).read(text);
}

}  // namespace upkeep
