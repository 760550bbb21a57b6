// A temp estate of sandbox hosts (directory trees posing as hosts) for the audit
// features' end-to-end tests: exit codes, grouped diffs, JUnit/HTML reports, plans.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

struct AuditEstate {
    TempDir dir;
    // Hosts are sandboxes under roots/<host>; `extra` is appended to the inventory.
    explicit AuditEstate(const std::vector<std::string>& hosts, const std::string& extra = "") {
        std::string inv = "[fleet]\n";
        for (const auto& h : hosts) inv += h + "\n";
        inv += extra;
        inv += "\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n";
        write_file(dir / "inventory.ini", inv);
    }
    void playbook(const std::string& yml) { write_file(dir / "site.yml", yml); }
    Run play(const std::string& flags = "") {
        return upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
    }
    std::string root(const std::string& host) { return dir / ("roots/" + host); }
};

}  // namespace upkeep::test
