// Internal to the inventory: the mutations the INI, YAML and host-list readers make
// while loading, with Ansible's rules (idempotent adds, cycle checks, port vars).
#pragma once

#include <optional>
#include <string>

#include "engine/playbook/inventory.hpp"
#include "engine/value/mark.hpp"

namespace upkeep {

class InventoryBuilder {
public:
    explicit InventoryBuilder(Inventory& inv) : m_inv(inv) {}

    bool has_group(const std::string& name) const { return m_inv.has_group(name); }
    bool has_host(const std::string& name) const { return m_inv.has_host(name); }
    // Creates the group if it does not exist yet.
    void add_group(const std::string& name);
    // Creates the host if needed and lists it in `group` (when not empty); a port
    // becomes the host var ansible_port.
    void add_host(const std::string& name, const std::string& group, std::optional<int> port = std::nullopt);
    void set_host_var(const std::string& host, const std::string& key, Value value);
    // ansible_group_priority sets the group's priority instead of a var, as in Ansible.
    void set_group_var(const std::string& group, const std::string& key, Value value, const Mark& mark);
    // Makes `child` a child of `parent`; throws UserError at `mark` if that makes a cycle.
    void add_child(const std::string& parent, const std::string& child, const Mark& mark);

private:
    bool is_descendant(const std::string& group, const std::string& of) const;
    Inventory& m_inv;
};

// Readers for the source formats; `path` names the source in errors and marks.
void read_ini_inventory(InventoryBuilder& b, const std::string& text, const std::string& path);
void read_yaml_inventory(InventoryBuilder& b, const std::string& text, const std::string& path);
// True if the text looks like a YAML inventory (a mapping) rather than INI.
bool looks_like_yaml_inventory(const std::string& text, const std::string& path);

}  // namespace upkeep
