#include "engine/playbook/inventory.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "engine/playbook/host_range.hpp"
#include "engine/playbook/inventory_builder.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace fs = std::filesystem;

namespace upkeep {

// ---- building --------------------------------------------------------------

void InventoryBuilder::add_group(const std::string& name) {
    if (m_inv.m_groups.count(name)) return;
    InventoryGroup g;
    g.name = name;
    g.vars = Value(Map{});
    m_inv.m_groups.emplace(name, std::move(g));
    m_inv.m_group_order.push_back(name);
    m_inv.m_info[name];
}

void InventoryBuilder::add_host(const std::string& name, const std::string& group, std::optional<int> port) {
    auto it = m_inv.m_hosts.find(name);
    if (it == m_inv.m_hosts.end()) {
        InventoryHost h;
        h.name = name;  // vars stay null until the host has one: no map per host of a big range
        it = m_inv.m_hosts.emplace(name, std::move(h)).first;
        m_inv.m_host_order.push_back(name);
    }
    if (!group.empty()) {
        add_group(group);
        // The host's own (short) group list says whether it is there already: searching
        // the group's host list made `web[1:200000]` quadratic.
        auto& mine = it->second.groups;
        if (std::find(mine.begin(), mine.end(), group) == mine.end()) {
            m_inv.m_groups.at(group).hosts.push_back(name);
            mine.push_back(group);
        }
    }
    if (port) it->second.vars["ansible_port"] = Value(static_cast<int64_t>(*port));
}

void InventoryBuilder::set_host_var(const std::string& host, const std::string& key, Value value) {
    m_inv.m_hosts.at(host).vars[key] = std::move(value);
}

void InventoryBuilder::set_group_var(const std::string& group, const std::string& key, Value value, const Mark& mark) {
    add_group(group);
    if (key == "ansible_group_priority") {
        try {
            m_inv.m_info[group].priority = static_cast<int>(value.as_int());
        } catch (const TypeError&) {
            throw UserError(mark, "ansible_group_priority must be an integer, got '" + value.to_string() + "'");
        }
        return;
    }
    m_inv.m_groups.at(group).vars[key] = std::move(value);
}

bool InventoryBuilder::is_descendant(const std::string& group, const std::string& of) const {
    if (group == of) return true;
    for (const auto& c : m_inv.m_groups.at(of).children)
        if (is_descendant(group, c)) return true;
    return false;
}

void InventoryBuilder::add_child(const std::string& parent, const std::string& child, const Mark& mark) {
    add_group(parent);
    add_group(child);
    if (parent == child) throw UserError(mark, "group '" + child + "' cannot be a child of itself");
    auto& kids = m_inv.m_groups.at(parent).children;
    if (std::find(kids.begin(), kids.end(), child) != kids.end()) return;
    if (is_descendant(parent, child))
        throw UserError(mark, "making '" + child + "' a child of '" + parent + "' creates a cycle: '" + parent +
                                  "' is already a descendant of '" + child + "'");
    kids.push_back(child);
    m_inv.m_info[child].parents.push_back(parent);
}

// ---- loading ---------------------------------------------------------------

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot read inventory file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Directory entries Ansible never reads as inventory (INVENTORY_IGNORE_EXTS and the
// always-ignored names).
bool ignored_in_directory(const std::string& name) {
    static const char* const k_exts[] = {".pyc", ".pyo", ".swp", ".bak", "~",   ".rpm",  ".md",
                                         ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"};
    if (name.empty() || name[0] == '.') return true;
    if (name == "host_vars" || name == "group_vars" || name == "vars_plugins") return true;
    for (const char* e : k_exts)
        if (ends_with(name, e)) return true;
    return false;
}

void read_file_source(InventoryBuilder& b, const std::string& path) {
    std::string text = read_text(path);
    std::string ext = fs::path(path).extension().string();
    if (ext == ".yml" || ext == ".yaml" || ext == ".json")
        read_yaml_inventory(b, text, path);
    else if (ext != ".ini" && looks_like_yaml_inventory(text, path))
        read_yaml_inventory(b, text, path);
    else
        read_ini_inventory(b, text, path);
}

void read_directory_source(InventoryBuilder& b, const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        if (ignored_in_directory(name)) continue;
        std::string full = (fs::path(dir) / name).string();
        if (fs::is_directory(full))
            read_directory_source(b, full);
        else
            read_file_source(b, full);
    }
}

void read_host_list(InventoryBuilder& b, const std::string& list) {
    for (const auto& part : split(list, ',')) {
        std::string entry = trim(part);
        if (entry.empty()) continue;
        HostSpec spec;
        try {
            spec = split_host_port(entry);
        } catch (const std::invalid_argument&) {
            spec.pattern = entry;  // as Ansible: an unparsable entry is taken as a name
        }
        if (!b.has_host(spec.pattern)) b.add_host(spec.pattern, "ungrouped", spec.port);
    }
}

// The files a vars directory holds for one name, as Ansible's find_vars_files: the
// first of <name>, <name>.yml, <name>.yaml, <name>.json; a directory contributes its
// files (recursively, sorted, hidden and backup files skipped).
void collect_dir_files(const fs::path& dir, std::vector<std::string>& out) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (n[0] == '.' || ends_with(n, "~")) continue;
        fs::path full = dir / n;
        std::string ext = full.extension().string();
        if (fs::is_directory(full) && ext.empty())
            collect_dir_files(full, out);
        else if (fs::is_regular_file(full) && (ext.empty() || ext == ".yml" || ext == ".yaml" || ext == ".json"))
            out.push_back(full.string());
    }
}

std::vector<std::string> find_vars_files(const fs::path& base, const std::string& name) {
    std::vector<std::string> out;
    for (const char* ext : {"", ".yml", ".yaml", ".json"}) {
        fs::path p = base / (name + ext);
        if (!fs::exists(p)) continue;
        if (fs::is_directory(p))
            collect_dir_files(p, out);
        else
            out.push_back(p.string());
        break;
    }
    return out;
}

Value load_vars_files(const std::vector<std::string>& files) {
    Value merged(Map{});
    for (const auto& f : files) {
        Value v = load_yaml_file(f);
        if (v.is_null()) continue;
        if (!v.is_map())
            throw UserError(v.mark().known() ? v.mark() : Mark{std::make_shared<const std::string>(f), 1, 1},
                            "a vars file must hold a mapping of variable names to values, not a " +
                                std::string(v.type_name()));
        merged = merge_maps(merged, v);
    }
    return merged;
}

}  // namespace

Inventory::Inventory() {
    InventoryBuilder b(*this);
    b.add_group("all");
    b.add_group("ungrouped");
    b.add_child("all", "ungrouped", Mark{});
    finalize();
}

Inventory Inventory::load(const std::vector<std::string>& sources) {
    Inventory inv;
    InventoryBuilder b(inv);
    for (const auto& src : sources) {
        std::error_code ec;
        if (src.find(',') != std::string::npos && !fs::exists(src, ec)) {
            read_host_list(b, src);
        } else if (fs::is_directory(src, ec)) {
            read_directory_source(b, src);
            inv.m_source_dirs.push_back(src);
        } else if (fs::exists(src, ec)) {
            read_file_source(b, src);
            std::string dir = fs::path(src).parent_path().string();
            inv.m_source_dirs.push_back(dir.empty() ? "." : dir);
        } else {
            throw UserError(src + ": no such inventory file or directory (a single host needs a trailing comma: '" +
                            src + ",')");
        }
    }
    inv.finalize();
    for (const auto& dir : inv.m_source_dirs) inv.m_inventory_vars.push_back(inv.load_vars_dir(dir));
    return inv;
}

void Inventory::add_vars_dir(const std::string& dir) { m_playbook_vars.push_back(load_vars_dir(dir)); }

Inventory::VarsDir Inventory::load_vars_dir(const std::string& dir) const {
    VarsDir out;
    out.dir = dir;
    std::error_code ec;
    fs::path gdir = fs::path(dir) / "group_vars";
    if (fs::is_directory(gdir, ec))
        for (const auto& name : m_group_order) {
            auto files = find_vars_files(gdir, name);
            if (!files.empty()) out.group_vars[name] = load_vars_files(files);
        }
    fs::path hdir = fs::path(dir) / "host_vars";
    if (fs::is_directory(hdir, ec))
        for (const auto& name : m_host_order) {
            auto files = find_vars_files(hdir, name);
            if (!files.empty()) out.host_vars[name] = load_vars_files(files);
        }
    return out;
}

// ---- derived structure -----------------------------------------------------

void Inventory::finalize() {
    InventoryBuilder b(*this);
    b.attach_to_all();
    b.compute_depths();
    b.settle_ungrouped();
    b.collect_group_hosts();
    b.order_host_groups();
    m_groups_magic = std::make_shared<LazyValue>();  // built on first use (--list-hosts never needs it)
}

// Every group hangs below 'all' (Ansible's reconcile_inventory).
void InventoryBuilder::attach_to_all() {
    for (const auto& name : std::vector<std::string>(m_inv.m_group_order))
        if (name != "all" && m_inv.m_info[name].parents.empty()) add_child("all", name, Mark{});
}

// Depth is the longest path from 'all'; groups sort by it for precedence.
void InventoryBuilder::compute_depths() {
    std::map<std::string, int> depth;
    std::function<int(const std::string&)> depth_of = [&](const std::string& g) -> int {
        auto it = depth.find(g);
        if (it != depth.end()) return it->second;
        int d = 0;
        for (const auto& p : m_inv.m_info[g].parents) d = std::max(d, depth_of(p) + 1);
        depth[g] = d;
        return d;
    };
    for (const auto& name : m_inv.m_group_order) m_inv.m_info[name].depth = depth_of(name);
}

const std::set<std::string>& InventoryBuilder::ancestors_of_host(const std::string& host) {
    const std::vector<std::string>& direct = m_inv.m_hosts.at(host).groups;
    auto hit = m_ancestors.find(direct);
    if (hit != m_ancestors.end()) return hit->second;
    std::set<std::string> seen;
    std::vector<std::string> stack = direct;
    while (!stack.empty()) {
        std::string g = stack.back();
        stack.pop_back();
        if (!seen.insert(g).second) continue;
        for (const auto& p : m_inv.m_info[g].parents) stack.push_back(p);
    }
    return m_ancestors.emplace(direct, std::move(seen)).first->second;
}

// A host belongs in 'ungrouped' exactly when no other group holds it.
void InventoryBuilder::settle_ungrouped() {
    auto& ungrouped = m_inv.m_groups.at("ungrouped").hosts;
    std::set<std::string> leave_ungrouped;  // removed in one pass below (one erase per host was quadratic)
    for (const auto& host : m_inv.m_host_order) {
        const std::set<std::string>& groups = ancestors_of_host(host);
        bool in_other = std::any_of(groups.begin(), groups.end(),
                                    [](const std::string& g) { return g != "all" && g != "ungrouped"; });
        auto& direct = m_inv.m_hosts.at(host).groups;
        bool in_ungrouped = std::find(direct.begin(), direct.end(), "ungrouped") != direct.end();
        if (in_ungrouped && in_other) {
            direct.erase(std::remove(direct.begin(), direct.end(), "ungrouped"), direct.end());
            leave_ungrouped.insert(host);
        } else if (!in_other && !in_ungrouped) {
            direct.push_back("ungrouped");
            ungrouped.push_back(host);
        }
    }
    if (!leave_ungrouped.empty())
        std::erase_if(ungrouped, [&](const std::string& h) { return leave_ungrouped.count(h) != 0; });
}

// A group's hosts: its own, then its descendants' level by level (Ansible's
// get_hosts walks the children breadth-first, preserving declaration order).
void InventoryBuilder::collect_group_hosts() {
    for (const auto& name : m_inv.m_group_order) {
        std::vector<std::string> order{name};
        std::set<std::string> seen{name};
        for (size_t i = 0; i < order.size(); ++i)
            for (const auto& c : m_inv.m_groups.at(order[i]).children)
                if (seen.insert(c).second) order.push_back(c);
        if (order.size() == 1) {  // no children: its own list, already free of duplicates
            m_inv.m_info[name].all_hosts = m_inv.m_groups.at(name).hosts;
            continue;
        }
        std::vector<std::string> hosts;
        std::unordered_set<std::string_view> hseen;  // views into the groups' host lists, unchanged here
        for (const auto& g : order)
            for (const auto& h : m_inv.m_groups.at(g).hosts)
                if (hseen.insert(h).second) hosts.push_back(h);
        m_inv.m_info[name].all_hosts = std::move(hosts);
    }
}

// Each host's groups from lowest to highest precedence: 'all', then by depth,
// ansible_group_priority and name.
void InventoryBuilder::order_host_groups() {
    m_inv.m_host_groups.clear();
    m_inv.m_host_groups.reserve(m_inv.m_host_order.size());
    std::map<std::vector<std::string>, std::vector<std::string>> ordered_cache;  // by direct groups
    for (const auto& host : m_inv.m_host_order) {
        const std::vector<std::string>& direct = m_inv.m_hosts.at(host).groups;
        auto hit = ordered_cache.find(direct);
        if (hit == ordered_cache.end()) {
            std::set<std::string> s = ancestors_of_host(host);
            s.insert("all");
            std::vector<std::string> groups(s.begin(), s.end());
            std::sort(groups.begin(), groups.end(), [&](const std::string& a, const std::string& b) {
                if (a == "all" || b == "all") return a == "all" && b != "all";
                const auto& ia = m_inv.m_info.at(a);
                const auto& ib = m_inv.m_info.at(b);
                if (ia.depth != ib.depth) return ia.depth < ib.depth;
                if (ia.priority != ib.priority) return ia.priority < ib.priority;
                return a < b;
            });
            hit = ordered_cache.emplace(direct, std::move(groups)).first;
        }
        m_inv.m_host_groups.emplace(host, hit->second);
    }
}

const Value& Inventory::groups_magic() const {
    std::call_once(m_groups_magic->once, [&] {
        Map magic;
        for (const auto& name : m_group_order) {
            List l;
            l.reserve(m_info.at(name).all_hosts.size());
            for (const auto& h : m_info.at(name).all_hosts) l.emplace_back(h);
            magic[name] = Value(std::move(l));
        }
        m_groups_magic->value = Value(std::move(magic));
    });
    return m_groups_magic->value;
}

const std::vector<std::string>& Inventory::hosts_of(const std::string& group) const {
    static const std::vector<std::string> k_none;
    auto it = m_info.find(group);
    return it == m_info.end() ? k_none : it->second.all_hosts;
}

std::vector<std::string> Inventory::groups_of(const std::string& host) const {
    auto it = m_host_groups.find(host);
    if (it == m_host_groups.end()) return {};
    return it->second;
}

// ---- variables -------------------------------------------------------------

bool Inventory::is_implicit_localhost(const std::string& name) {
    return name == "localhost" || name == "127.0.0.1" || name == "::1";
}

Value Inventory::host_vars(const std::string& host) const {
    auto hit = m_hosts.find(host);
    if (hit != m_hosts.end()) return merged_vars(host, m_host_groups.at(host), hit->second.vars);
    if (!is_implicit_localhost(host)) throw UserError("unknown host '" + host + "'");
    // Ansible's implicit localhost: only 'all' applies, and it runs locally.
    Value own(Map{});
    own["ansible_connection"] = Value("local");
    return merged_vars(host, {"all"}, own);
}

Value Inventory::merged_vars(const std::string& host, const std::vector<std::string>& groups,
                             const Value& own) const {

    Value vars(Map{});
    for (const auto& g : groups) vars = merge_maps(vars, m_groups.at(g).vars);
    auto from_dirs = [&](const std::vector<VarsDir>& dirs, const std::string& g) {
        for (const auto& d : dirs) {
            auto it = d.group_vars.find(g);
            if (it != d.group_vars.end()) vars = merge_maps(vars, it->second);
        }
    };
    from_dirs(m_inventory_vars, "all");
    from_dirs(m_playbook_vars, "all");
    for (const auto* dirs : {&m_inventory_vars, &m_playbook_vars})
        for (const auto& d : *dirs)
            for (const auto& g : groups) {
                if (g == "all") continue;
                auto it = d.group_vars.find(g);
                if (it != d.group_vars.end()) vars = merge_maps(vars, it->second);
            }
    vars = merge_maps(vars, own);
    for (const auto* dirs : {&m_inventory_vars, &m_playbook_vars})
        for (const auto& d : *dirs) {
            auto it = d.host_vars.find(host);
            if (it != d.host_vars.end()) vars = merge_maps(vars, it->second);
        }

    vars["inventory_hostname"] = Value(host);
    vars["inventory_hostname_short"] = Value(host.substr(0, host.find('.')));
    std::vector<std::string> names;
    for (const auto& g : groups)
        if (g != "all") names.push_back(g);
    std::sort(names.begin(), names.end());
    List gn;
    for (const auto& n : names) gn.emplace_back(n);
    vars["group_names"] = Value(std::move(gn));
    vars["groups"] = groups_magic();
    return vars;
}

}  // namespace upkeep
