// The dnf/yum modules against real rpm and dnf: tiny noarch RPMs built with
// rpmbuild into local repositories, installed into a fresh --installroot per
// test, so the machine itself is never touched.
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// The packages, built once per test binary run: repo "old" has the 4.3.0
// releases, repo "new" adds 4.3.1.
class RpmRepos {
public:
    static const RpmRepos& get() {
        static const RpmRepos repos;
        return repos;
    }
    std::string old_repo() const { return m_dir / "old"; }
    std::string new_repo() const { return m_dir / "new"; }
    std::string rpm(const std::string& file) const { return m_dir / ("rpmbuild/RPMS/noarch/" + file); }

private:
    // The specs are built one after another: parallel rpmbuilds sharing one
    // _topdir trample each other's BUILD trees, and a lost package made a test flaky.
    RpmRepos() {
        spec("ovirt-engine-setup-base", "4.3.0", "");
        spec("ovirt-engine-setup", "4.3.0", "ovirt-engine-setup-base");
        spec("cloudstack-agent", "4.3.0", "", "/etc/cloudstack/agent/agent.properties");
        spec("ovirt-release43", "43", "");
        std::string specs = m_dir / "specs";
        must("cd " + shell_quote(specs) + " && for s in *.spec; do rpmbuild --define '_topdir " + m_dir.path() +
             "/rpmbuild' -bb \"$s\" >/dev/null 2>&1 || { echo \"rpmbuild $s failed\"; exit 1; }; done");
        must("mkdir -p " + shell_quote(old_repo()) + " && cp " + shell_quote(m_dir / "rpmbuild/RPMS/noarch") +
             "/*.rpm " + shell_quote(old_repo()) + " && rm " + shell_quote(old_repo() + "/ovirt-release43-43-1.noarch.rpm") +
             " && createrepo_c -q " + shell_quote(old_repo()));
        must("rm -f " + shell_quote(specs) + "/*");
        spec("ovirt-engine-setup-base", "4.3.1", "");
        spec("ovirt-engine-setup", "4.3.1", "ovirt-engine-setup-base");
        spec("cloudstack-agent", "4.3.1", "", "/etc/cloudstack/agent/agent.properties");
        must("cd " + shell_quote(specs) + " && for s in *.spec; do rpmbuild --define '_topdir " + m_dir.path() +
             "/rpmbuild' -bb \"$s\" >/dev/null 2>&1 || { echo \"rpmbuild $s failed\"; exit 1; }; done");
        must("mkdir -p " + shell_quote(new_repo()) + " && cp " + shell_quote(m_dir / "rpmbuild/RPMS/noarch") +
             "/*.rpm " + shell_quote(new_repo()) + " && createrepo_c -q " + shell_quote(new_repo()));
    }

    void spec(const std::string& name, const std::string& version, const std::string& requires_,
              const std::string& config = "") {
        std::string file = config.empty() ? "/usr/share/doc/" + name + "/README" : config;
        std::string text = "Name: " + name + "\nVersion: " + version +
                           "\nRelease: 1\nSummary: test package\nLicense: MIT\nBuildArch: noarch\n" +
                           (requires_.empty() ? "" : "Requires: " + requires_ + " = %{version}\n") +
                           "%description\ntest package\n%install\nmkdir -p %{buildroot}$(dirname " + file +
                           ")\necho 'version=" + version + "' > %{buildroot}" + file + "\n%files\n" +
                           (config.empty() ? "" : "%config(noreplace) ") + file + "\n";
        write_file(m_dir / ("specs/" + name + "-" + version + ".spec"), text);
    }

    TempDir m_dir;
};

// A fresh install root whose only repository is `repo`.
class RpmRoot {
public:
    explicit RpmRoot(const std::string& repo)
        : m_conn("local"), m_modules(m_conn) {
        m_modules.fixed_args["installroot"] = Value(m_root.path());
        m_modules.fixed_args["releasever"] = Value("12");
        use_repo(repo);
    }
    void use_repo(const std::string& repo) {
        write_file(m_root / "etc/yum.repos.d/local.repo",
                   "[local]\nname=local\nbaseurl=file://" + repo + "\nenabled=1\ngpgcheck=0\nmetadata_expire=0\n");
    }
    // The task's arguments plus the install root.
    Args args(const std::string& module, const std::string& yaml) { return m_modules.task_args(module, yaml); }
    Plan check(const std::string& module, const std::string& yaml) { return m_modules.check(module, yaml); }
    Value apply(const std::string& module, const std::string& yaml, const Plan& plan) {
        return m_modules.apply(module, yaml, plan);
    }
    Plan converge(const std::string& module, const std::string& yaml) {
        Plan first = m_modules.converge(module, yaml);
        CHECK(m_modules.last_converged().msg == "all packages already at the wanted state");
        return first;
    }
    // The installed version-release, "" when not installed.
    std::string version(const std::string& name) {
        Run r = sh("rpm --root " + shell_quote(m_root.path()) + " -q --qf '%{VERSION}-%{RELEASE}' " + shell_quote(name));
        return r.rc == 0 ? r.out : "";
    }
    std::string path(const std::string& rel) { return m_root / rel; }

private:
    TempDir m_root;
    LocalConnection m_conn;
    ModuleHarness m_modules;
};

std::vector<std::string> summaries(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& c : p.changes) out.push_back(c.summary);
    return out;
}

}  // namespace

TEST_CASE("dnf: installs a missing package with its dependency, then is converged", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    Plan p = root.check("dnf", "name: ovirt-engine-setup");
    CHECK(summaries(p) == std::vector<std::string>{"install ovirt-engine-setup 4.3.0-1",
                                                   "install ovirt-engine-setup-base 4.3.0-1"});
    CHECK(root.version("ovirt-engine-setup").empty());  // check changed nothing
    root.apply("dnf", "name: ovirt-engine-setup", p);
    CHECK(root.version("ovirt-engine-setup") == "4.3.0-1");
    Plan again = root.check("dnf", "name: [ovirt-engine-setup, ovirt-engine-setup-base]");
    CHECK_FALSE(again.changed());
    CHECK(again.msg == "all packages already at the wanted state");
}

TEST_CASE("dnf: latest with a glob upgrades every match, showing both versions", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    root.converge("dnf", "name: ovirt-engine-setup");
    root.use_repo(RpmRepos::get().new_repo());
    // present does not upgrade.
    CHECK_FALSE(root.check("yum", "name: ovirt-engine-setup").changed());
    Plan p = root.converge("yum", "{name: 'ovirt-engine-setup*', state: latest}");
    CHECK(summaries(p) == std::vector<std::string>{"upgrade ovirt-engine-setup 4.3.0-1 -> 4.3.1-1",
                                                   "upgrade ovirt-engine-setup-base 4.3.0-1 -> 4.3.1-1"});
    CHECK(root.version("ovirt-engine-setup") == "4.3.1-1");
    CHECK(root.version("ovirt-engine-setup-base") == "4.3.1-1");
}

TEST_CASE("dnf: absent removes, and a glob matching nothing is converged", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    root.converge("dnf", "name: [cloudstack-agent, ovirt-engine-setup]");
    Plan p = root.converge("dnf", "{name: cloudstack-agent, state: absent}");
    CHECK(summaries(p) == std::vector<std::string>{"remove cloudstack-agent"});
    CHECK(root.version("cloudstack-agent").empty());
    Plan glob = root.converge("dnf", "{name: 'ovirt-engine-setup*', state: removed}");
    CHECK(glob.changes.size() == 2);
    CHECK(root.version("ovirt-engine-setup-base").empty());
    CHECK_FALSE(root.check("dnf", "{name: 'ovirt-*', state: absent}").changed());
}

TEST_CASE("dnf: an .rpm file like ovirt-release43.rpm installs once", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    std::string task = "name: " + RpmRepos::get().rpm("ovirt-release43-43-1.noarch.rpm");
    Plan p = root.converge("dnf", task);
    CHECK(summaries(p) == std::vector<std::string>{"install ovirt-release43 43-1"});
    CHECK(root.version("ovirt-release43") == "43-1");
}

TEST_CASE("dnf: update_only never installs, unknown packages fail with dnf's message", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    CHECK_FALSE(root.check("dnf", "{name: cloudstack-agent, state: latest, update_only: yes}").changed());
    try {
        root.check("dnf", "name: upk-nosuch");
        FAIL("no error");
    } catch (const TaskError& e) {
        CHECK(std::string(e.what()).find("upk-nosuch") != std::string::npos);
    }
}

TEST_CASE("dnf: an operator's %config(noreplace) file survives the upgrade", "[dnf][integration]") {
    RpmRoot root(RpmRepos::get().old_repo());
    root.converge("dnf", "name: cloudstack-agent");
    std::string conf = root.path("etc/cloudstack/agent/agent.properties");
    CHECK(read_file(conf) == "version=4.3.0\n");
    write_file(conf, "version=4.3.0\nhost=mgmt.example.org\n");
    root.use_repo(RpmRepos::get().new_repo());
    Plan p = root.converge("dnf", "{name: cloudstack-agent, state: latest}");
    CHECK(summaries(p) == std::vector<std::string>{"upgrade cloudstack-agent 4.3.0-1 -> 4.3.1-1"});
    CHECK(read_file(conf) == "version=4.3.0\nhost=mgmt.example.org\n");
    CHECK(read_file(conf + ".rpmnew") == "version=4.3.1\n");
}
