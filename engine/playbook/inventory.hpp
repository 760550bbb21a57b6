// The inventory: which hosts exist, how they are grouped, and which variables each
// host gets from its groups. Loads Ansible's INI and YAML inventories unchanged
// (same value typing, same group ordering, same variable precedence), together with
// the group_vars/ and host_vars/ directories beside them.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

// One host as the inventory declares it.
struct InventoryHost {
    std::string name;
    Value vars;                       // the host's own inventory vars (a map)
    std::vector<std::string> groups;  // the groups that list it directly
};

// One group as the inventory declares it.
struct InventoryGroup {
    std::string name;
    Value vars;                         // the group's inline vars (a map)
    std::vector<std::string> children;  // direct child groups, in declaration order
    std::vector<std::string> hosts;     // hosts listed directly, in declaration order
};

class InventoryBuilder;

class Inventory {
public:
    // An empty inventory: just the groups 'all' and 'ungrouped'.
    Inventory();

    // Sources: an INI file, a YAML file, a directory (every file in it, recursively,
    // skipping what Ansible skips: hidden files, *.ini, *.cfg, *.md, *.txt, ...), or a
    // comma list "web1,web2," as with `ansible -i 'a,b,'`. Several sources merge into
    // one inventory. Throws UserError with file:line:col for anything malformed.
    static Inventory load(const std::vector<std::string>& sources);

    // Every host, in the order the sources first declare them.
    const std::vector<std::string>& hosts() const { return m_host_order; }
    bool has_host(const std::string& name) const { return m_hosts.count(name) != 0; }
    // The host's declaration; throws std::out_of_range for an unknown host.
    const InventoryHost& host(const std::string& name) const { return m_hosts.at(name); }

    // Every group, including 'all' and 'ungrouped'.
    const std::map<std::string, InventoryGroup>& groups() const { return m_groups; }
    bool has_group(const std::string& name) const { return m_groups.count(name) != 0; }
    // All hosts of a group and of its descendants, in Ansible's order (empty if unknown).
    const std::vector<std::string>& hosts_of(const std::string& group) const;

    // Resolves an Ansible host pattern: "all", "*", "web*", "~regex", "a:b" or "a,b"
    // (union), "a:&b" (intersection), "a:!b" (exclusion), group and host names, and
    // subscripts "grp[0]", "grp[-1]", "grp[1:3]", "grp[2:]". Hosts come in the order
    // Ansible runs them: each union term in turn, each group in its own order.
    // Unknown names match nothing (the caller decides whether to warn), except that
    // "localhost", "127.0.0.1" and "::1" match Ansible's implicit localhost when the
    // inventory does not list them. A bad regex or an out-of-range subscript is a UserError.
    std::vector<std::string> match(const std::string& pattern) const;

    // The host's variables merged by Ansible's precedence, lowest first:
    //   'all' inline vars < other groups' inline vars (by depth, ansible_group_priority,
    //   name) < group_vars/all (inventory dirs, then playbook dirs) < group_vars/<group>
    //   (inventory dirs, then playbook dirs; each by depth, priority, name) < host inline
    //   vars < host_vars/<host> (inventory dirs, then playbook dirs).
    // Adds the magic vars inventory_hostname, inventory_hostname_short, group_names
    // (sorted, without 'all') and groups (group -> hosts). Throws UserError if unknown.
    // The implicit localhost gets 'all' vars plus ansible_connection=local.
    Value host_vars(const std::string& host) const;

    // True for the names Ansible treats as its implicit localhost.
    static bool is_implicit_localhost(const std::string& name);

    // Also loads group_vars/ and host_vars/ from another directory (the playbook's),
    // ranked above the inventory's own, as Ansible does.
    void add_vars_dir(const std::string& dir);

    // Every group containing the host, transitively, including 'all'; ordered from
    // lowest to highest variable precedence ('all' first).
    std::vector<std::string> groups_of(const std::string& host) const;

private:
    friend class InventoryBuilder;

    // Variables from one directory's group_vars/ and host_vars/, per group and host.
    struct VarsDir {
        std::string dir;
        std::map<std::string, Value> group_vars;
        std::map<std::string, Value> host_vars;
    };
    // What the engine derives from the declarations once all sources are read.
    struct GroupInfo {
        std::vector<std::string> parents;
        int depth = 0;
        int priority = 1;
        std::vector<std::string> all_hosts;  // transitive, Ansible's order
    };

    void finalize();
    VarsDir load_vars_dir(const std::string& dir) const;
    std::vector<std::string> enumerate(const std::string& term) const;
    Value merged_vars(const std::string& host, const std::vector<std::string>& groups, const Value& own) const;

    std::vector<std::string> m_host_order;
    std::unordered_map<std::string, InventoryHost> m_hosts;  // hashed: 200,000 hosts from one range
    std::map<std::string, InventoryGroup> m_groups;
    std::vector<std::string> m_group_order;
    std::map<std::string, GroupInfo> m_info;
    std::unordered_map<std::string, std::vector<std::string>> m_host_groups;  // transitive, by precedence
    std::vector<std::string> m_source_dirs;                         // where group_vars/ are looked for
    std::vector<VarsDir> m_inventory_vars;
    std::vector<VarsDir> m_playbook_vars;
    // The 'groups' magic var, shared by every host (and by copies of the inventory).
    struct LazyValue {
        std::once_flag once;
        Value value;
    };
    std::shared_ptr<LazyValue> m_groups_magic = std::make_shared<LazyValue>();
    const Value& groups_magic() const;
};

}  // namespace upkeep
