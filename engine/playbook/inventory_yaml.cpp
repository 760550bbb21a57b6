// Ansible's YAML inventory format: top-level groups, each a mapping of `hosts`,
// `children` and `vars`, nested to any depth. Hosts run in declaration order, which
// the loader's key marks give back (keys_in_source_order).
#include <memory>
#include <stdexcept>

#include "engine/playbook/host_range.hpp"
#include "engine/playbook/inventory_builder.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

const char* node_kind(const Value& v) {
    switch (v.type()) {
        case Value::Type::List: return "a list";
        case Value::Type::Map: return "a mapping";
        case Value::Type::Null: return "nothing";
        default: return "a string";
    }
}

class YamlReader {
public:
    explicit YamlReader(InventoryBuilder& b) : m_b(b) {}

    void read(const std::string& text, const std::string& path) {
        Value root = parse_yaml(text, path);  // reports syntax errors with marks
        if (root.is_null()) return;  // an empty file is an empty inventory, as in Ansible
        if (!root.is_map())
            throw UserError(root.mark(), std::string("a YAML inventory must be a mapping of group names, got ") +
                                             node_kind(root));
        if (root.has("plugin"))
            throw UserError(root.get("plugin").mark(),
                            "inventory plugin configurations are not supported; list the hosts in an INI or YAML "
                            "inventory");
        for (const auto& name : keys_in_source_order(root)) group(name, root.get(name));
    }

private:
    InventoryBuilder& m_b;

    void group(const std::string& name, const Value& node) {
        if (node.is_null()) {
            m_b.add_group(name);
            return;
        }
        if (!node.is_map())
            throw UserError(node.mark(), "group '" + name + "' must be a mapping with hosts, children and vars, got " +
                                             node_kind(node));
        m_b.add_group(name);
        for (const auto& key : keys_in_source_order(node)) {
            const Value& sec = node.get(key);
            if (key != "vars" && key != "children" && key != "hosts")
                throw UserError(node.key_mark(key), "unexpected key '" + key + "' in group '" + name +
                                                        "': only hosts, children and vars are allowed");
            if (sec.is_null()) continue;
            if (!sec.is_map() && !sec.is_list()) {  // Ansible accepts "hosts: web1" for a single entry
                entry(name, key, sec.to_string(), Value(), sec.mark());
                continue;
            }
            if (!sec.is_map())
                throw UserError(sec.mark(), "'" + key + "' of group '" + name + "' must be a mapping, got " +
                                                node_kind(sec));
            for (const auto& k : keys_in_source_order(sec)) entry(name, key, k, sec.get(k), sec.key_mark(k));
        }
    }

    void entry(const std::string& grp, const std::string& section, const std::string& key, const Value& val,
               const Mark& at) {
        if (section == "vars") {
            m_b.set_group_var(grp, key, val, at);
        } else if (section == "children") {
            group(key, val);
            m_b.add_child(grp, key, at);
        } else {
            host(grp, key, val, at);
        }
    }

    void host(const std::string& grp, const std::string& entry, const Value& val, const Mark& at) {
        if (!val.is_null() && !val.is_map())
            throw UserError(val.mark(), "the vars of host '" + entry + "' must be a mapping, got " + node_kind(val));
        HostSpec spec;
        try {
            spec = split_host_port(entry);
        } catch (const std::invalid_argument&) {
            spec.pattern = entry;  // Ansible keeps names it cannot parse as an address
        }
        std::vector<std::string> names;
        try {
            names = expand_host_range(spec.pattern);
        } catch (const std::invalid_argument& e) {
            throw UserError(at, "bad host range '" + spec.pattern + "': " + e.what());
        }
        std::vector<std::string> var_keys;
        if (val.is_map()) var_keys = keys_in_source_order(val);
        for (const auto& n : names) {
            m_b.add_host(n, grp, spec.port);
            for (const auto& k : var_keys) m_b.set_host_var(n, k, val.get(k));
        }
    }
};

}  // namespace

void read_yaml_inventory(InventoryBuilder& b, const std::string& text, const std::string& path) {
    YamlReader(b).read(text, path);
}

bool looks_like_yaml_inventory(const std::string& text, const std::string& path) {
    try {
        return parse_yaml(text, path).is_map();
    } catch (const UserError&) {
        return false;
    }
}

}  // namespace upkeep
