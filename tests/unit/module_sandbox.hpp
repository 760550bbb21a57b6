// A sandbox host for module tests: a LocalConnection rooted in a fresh temp
// directory, with the shared module harness (validate, check, apply, converge).
#pragma once

#include <filesystem>
#include <string>

#include "engine/connection/local_connection.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

namespace detail {
// Built before the harness that uses its connection (base classes initialise first).
struct SandboxHost {
    TempDir dir;
    LocalConnection conn{"sandbox", dir.path()};
};
}  // namespace detail

class Sandbox : private detail::SandboxHost, public ModuleHarness {
public:
    Sandbox()
        : ModuleHarness(SandboxHost::conn, dir.path() + "/.playbook",
                        [this](const Value& e) { return eval(e.to_string()); }) {}

    LocalConnection& conn() { return SandboxHost::conn; }
    // The local path of a host path inside the sandbox.
    std::string local(const std::string& host_path) const { return dir.path() + host_path; }
    const std::string& root() const { return dir.path(); }

private:
    // ctx.eval: a bare name is looked up in vars; "not name" negates.
    Value eval(const std::string& e) {
        if (e.rfind("not ", 0) == 0) return Value(!vars.get(e.substr(4)).truthy());
        return vars.get(e);
    }
};

// Account databases with root and `users` only, and an empty /home (user/group tests).
inline void seed_accounts(Sandbox& box) {
    write_file(box.local("/etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    write_file(box.local("/etc/group"), "root:x:0:\nusers:x:100:\n");
    write_file(box.local("/etc/shadow"), "root:*:19000:0:99999:7:::\n");
    write_file(box.local("/etc/gshadow"), "root:*::\nusers:*::\n");
    std::filesystem::create_directories(box.local("/home"));
}

}  // namespace upkeep::test
