// Internal to the inventory: the mutations the INI, YAML and host-list readers make
// while loading, with Ansible's rules (idempotent adds, cycle checks, port vars).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

    // The derived structure, once every source is read (Inventory::finalize, in order):
    // every group below 'all', each group's depth from 'all', 'ungrouped' holding exactly
    // the hosts no other group holds, each group's hosts (its descendants' included)
    // and each host's groups by precedence.
    void attach_to_all();
    void compute_depths();
    void settle_ungrouped();
    void collect_group_hosts();
    void order_host_groups();

private:
    bool is_descendant(const std::string& group, const std::string& of) const;
    // Every group that holds the host, directly or through its children; hosts from
    // one range share their direct groups, so each distinct list is walked once (a
    // walk per host dominated listing 200,000 hosts).
    const std::set<std::string>& ancestors_of_host(const std::string& host);

    Inventory& m_inv;
    std::map<std::vector<std::string>, std::set<std::string>> m_ancestors;  // by direct groups
};

// Readers for the source formats; `path` names the source in errors and marks.
void read_ini_inventory(InventoryBuilder& b, const std::string& text, const std::string& path);
void read_yaml_inventory(InventoryBuilder& b, const std::string& text, const std::string& path);
// True if the text looks like a YAML inventory (a mapping) rather than INI.
bool looks_like_yaml_inventory(const std::string& text, const std::string& path);

}  // namespace upkeep
