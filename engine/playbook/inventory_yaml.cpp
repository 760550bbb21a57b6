// Ansible's YAML inventory format: top-level groups, each a mapping of `hosts`,
// `children` and `vars`, nested to any depth. yaml-cpp gives the declaration order
// (hosts run in it); parse_yaml gives the typed values with their marks.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <stdexcept>

#include "engine/playbook/host_range.hpp"
#include "engine/playbook/inventory_builder.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

const char* node_kind(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a string";
        case YAML::NodeType::Map: return "a mapping";
        default: return "nothing";
    }
}

class YamlReader {
public:
    YamlReader(InventoryBuilder& b, const std::string& path) : m_b(b), m_file(std::make_shared<const std::string>(path)) {}

    void read(const std::string& text) {
        Value root = parse_yaml(text, *m_file);  // reports syntax errors with marks
        YAML::Node node = YAML::Load(text);
        if (node.IsNull()) return;  // an empty file is an empty inventory, as in Ansible
        if (!node.IsMap())
            throw UserError(mark(node), std::string("a YAML inventory must be a mapping of group names, got ") +
                                            node_kind(node));
        if (root.has("plugin"))
            throw UserError(root.get("plugin").mark(),
                            "inventory plugin configurations are not supported; list the hosts in an INI or YAML "
                            "inventory");
        for (const auto& kv : node) {
            std::string name = key_of(kv.first);
            group(name, kv.second, root.get(name), mark(kv.first));
        }
    }

private:
    InventoryBuilder& m_b;
    std::shared_ptr<const std::string> m_file;

    Mark mark(const YAML::Node& n) const {
        Mark m;
        m.file = m_file;
        if (n.Mark().line >= 0) m.line = n.Mark().line + 1;
        if (n.Mark().column >= 0) m.col = n.Mark().column + 1;
        return m;
    }

    std::string key_of(const YAML::Node& k) const {
        if (!k.IsScalar()) throw UserError(mark(k), std::string("expected a name here, got ") + node_kind(k));
        return k.Scalar();
    }

    void group(const std::string& name, const YAML::Node& node, const Value& val, const Mark& at) {
        if (node.IsNull()) {
            m_b.add_group(name);
            return;
        }
        if (!node.IsMap())
            throw UserError(mark(node), "group '" + name + "' must be a mapping with hosts, children and vars, got " +
                                            node_kind(node));
        m_b.add_group(name);
        for (const auto& kv : node) {
            std::string key = key_of(kv.first);
            const YAML::Node& sec = kv.second;
            const Value& sval = val.get(key);
            if (key != "vars" && key != "children" && key != "hosts")
                throw UserError(mark(kv.first), "unexpected key '" + key + "' in group '" + name +
                                                    "': only hosts, children and vars are allowed");
            if (sec.IsNull()) continue;
            if (sec.IsScalar()) {  // Ansible accepts "hosts: web1" for a single entry
                entry(name, key, sec.Scalar(), YAML::Node(), Value(), mark(sec));
                continue;
            }
            if (!sec.IsMap())
                throw UserError(mark(sec), "'" + key + "' of group '" + name + "' must be a mapping, got " +
                                               node_kind(sec));
            for (const auto& item : sec) {
                std::string k = key_of(item.first);
                entry(name, key, k, item.second, sval.get(k), mark(item.first));
            }
        }
        (void)at;
    }

    void entry(const std::string& grp, const std::string& section, const std::string& key, const YAML::Node& node,
               const Value& val, const Mark& at) {
        if (section == "vars") {
            m_b.set_group_var(grp, key, val, at);
        } else if (section == "children") {
            group(key, node, val, at);
            m_b.add_child(grp, key, at);
        } else {
            host(grp, key, node, val, at);
        }
    }

    void host(const std::string& grp, const std::string& entry, const YAML::Node& node, const Value& val,
              const Mark& at) {
        if (node.IsDefined() && !node.IsNull() && !node.IsMap())
            throw UserError(mark(node), "the vars of host '" + entry + "' must be a mapping, got " + node_kind(node));
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
        for (const auto& n : names) {
            m_b.add_host(n, grp, spec.port);
            if (!node.IsDefined() || node.IsNull()) continue;
            for (const auto& kv : node) {
                std::string k = key_of(kv.first);
                m_b.set_host_var(n, k, val.get(k));
            }
        }
    }
};

}  // namespace

void read_yaml_inventory(InventoryBuilder& b, const std::string& text, const std::string& path) {
    YamlReader(b, path).read(text);
}

bool looks_like_yaml_inventory(const std::string& text, const std::string& path) {
    try {
        return parse_yaml(text, path).is_map();
    } catch (const UserError&) {
        return false;
    }
}

}  // namespace upkeep
