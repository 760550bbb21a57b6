// The apt and package modules against real apt-get and dpkg: tiny .debs in a
// local file repository, installed on a lab host (sshd in its own
// copy-on-write root), so the machine's own dpkg database is never touched.
#include <catch2/catch.hpp>

#include <regex>

#include "engine/connection/planned_connection.hpp"
#include "engine/connection/ssh_connection.hpp"
#include "engine/exec/facts.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/http_lab.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// The packages, built once per test binary run. Two indexes: "old" lacks
// upk-lib 2.1, "new" has it, to publish a release while a host is running.
class AptRepo {
public:
    static const AptRepo& get() {
        static const AptRepo repo;
        return repo;
    }
    std::string pool() const { return m_dir / "pool"; }

private:
    AptRepo() {
        deb("upk-agent", "1.0", "", "port=8250\n");
        deb("upk-agent", "1.1", "", "port=8250\nworkers=5\n");
        deb("upk-dep", "1.0", "", "");
        deb("upk-tool", "1.0", "upk-dep", "");
        deb("upk-lib", "2.0", "", "");
        must("cd " + shell_quote(pool()) + " && dpkg-scanpackages --multiversion . /dev/null > Packages.old 2>/dev/null");
        deb("upk-lib", "2.1", "", "");
        must("cd " + shell_quote(pool()) + " && dpkg-scanpackages --multiversion . /dev/null > Packages.new 2>/dev/null");
    }

    // A package with a conffile /etc/<name>/agent.properties when `conf` is set.
    void deb(const std::string& name, const std::string& version, const std::string& depends, const std::string& conf) {
        std::string src = m_dir / ("src/" + name + "-" + version);
        std::string control = "Package: " + name + "\nVersion: " + version +
                              "\nArchitecture: all\nMaintainer: upkeep tests <t@example.org>\n" +
                              (depends.empty() ? "" : "Depends: " + depends + "\n") + "Description: test package\n";
        write_file(src + "/DEBIAN/control", control);
        if (!conf.empty()) {
            write_file(src + "/etc/" + name + "/agent.properties", conf);
            write_file(src + "/DEBIAN/conffiles", "/etc/" + name + "/agent.properties\n");
        } else {
            write_file(src + "/usr/share/doc/" + name + "/README", name + " " + version + "\n");
        }
        must("mkdir -p " + shell_quote(pool()) + " && dpkg-deb --build --root-owner-group " + shell_quote(src) + " " +
             shell_quote(pool() + "/" + name + "_" + version + "_all.deb") + " >/dev/null");
    }

    TempDir m_dir;
};

// One lab host whose only apt source is a copy of the test repository.
class AptHost {
public:
    AptHost()
        : m_lab(SshdLab::Options{.hosts = 1, .own_root = true}),
          m_conn(m_lab.options(0)),
          m_modules(m_conn) {
        m_conn.connect();
        repo = m_lab.dir() + "/repo";
        must("cp -r " + shell_quote(AptRepo::get().pool()) + " " + shell_quote(repo) + " && cp " +
             shell_quote(repo + "/Packages.old") + " " + shell_quote(repo + "/Packages"));
        // root's .bashrc on this image loads pyenv for every command: not needed here.
        run(": > /root/.bashrc");
        run("rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* && echo 'deb [trusted=yes] file:" + repo +
            " ./' > /etc/apt/sources.list.d/upk.list && apt-get update -q");
    }

    // Runs a command on the host; it must succeed.
    std::string run(const std::string& line) {
        Command c;
        c.cmdline = line;
        CommandResult r = m_conn.run(c);
        INFO(line << "\n" << r.out << r.err);
        REQUIRE(r.rc == 0);
        return r.out;
    }
    // The installed version of a package, "" when it is not installed.
    std::string version(const std::string& name) {
        Command c;
        c.cmdline = "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' " + shell_quote(name);
        std::string out = m_conn.run(c).out;
        return out.find(" ii") != std::string::npos ? out.substr(0, out.find(' ')) : "";
    }
    // Publishes the "new" index (with upk-lib 2.1) without updating the host's cache.
    void publish_new_release() { must("cp " + shell_quote(repo + "/Packages.new") + " " + shell_quote(repo + "/Packages")); }

    static Args args(const std::string& module, const std::string& yaml) { return ModuleHarness::args(module, yaml); }
    Plan check(const std::string& module, const std::string& yaml) { return m_modules.check(module, yaml); }
    Value apply(const std::string& module, const std::string& yaml, const Plan& plan) {
        return m_modules.apply(module, yaml, plan);
    }
    // check -> apply -> check, which must then be converged.
    Plan converge(const std::string& module, const std::string& yaml) {
        Plan first = m_modules.converge(module, yaml);
        CHECK(m_modules.last_converged().msg == "all packages already at the wanted state");
        return first;
    }
    SshConnection& conn() { return m_conn; }
    const SshdLab& lab() const { return m_lab; }
    // apply() as a dry run does it: through the planned-state overlay.
    std::vector<std::string> dry_apply(const std::string& module, const std::string& yaml, const Plan& plan) {
        return m_modules.dry_apply(module, yaml, plan);
    }
    Value& vars() { return m_modules.vars; }  // the host variables modules see

    std::string repo;

private:
    SshdLab m_lab;
    SshConnection m_conn;
    ModuleHarness m_modules;
};

// An apt plan applied as a dry run applies it (through the planned-state overlay),
// and what later tasks of that dry run see: the files it noted, the edits they plan.
class DryRun {
public:
    DryRun(AptHost& host, const std::string& apt_yaml, const Plan& p)
        : m_host(host), m_conn(host.conn()), m_ctx{m_conn, host.vars(), nullptr, ""} {
        find_module("apt")->apply(m_ctx, AptHost::args("apt", apt_yaml), p);
    }
    std::optional<std::string> pending_file(const std::string& path) { return m_conn.pending_file(path); }
    Plan check(const std::string& module, const std::string& yaml) {
        return find_module(module)->check(m_ctx, m_host.args(module, yaml));
    }

private:
    AptHost& m_host;
    PlannedConnection m_conn;
    ModuleContext m_ctx;
};

std::vector<std::string> summaries(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& c : p.changes) out.push_back(c.summary);
    return out;
}

}  // namespace

TEST_CASE("apt: installs a missing package with its dependency, then is converged", "[apt][integration]") {
    AptHost host;
    Plan p = host.check("apt", "name: upk-tool");
    CHECK(summaries(p) == std::vector<std::string>{"install upk-dep 1.0", "install upk-tool 1.0"});
    CHECK(p.changes[0].target == "packages");
    CHECK(host.version("upk-tool").empty());  // check changed nothing
    host.apply("apt", "name: upk-tool", p);
    CHECK(host.version("upk-tool") == "1.0");
    CHECK(host.version("upk-dep") == "1.0");
    Plan again = host.check("apt", "name: [upk-tool, upk-dep]");
    CHECK_FALSE(again.changed());
    CHECK(again.msg == "all packages already at the wanted state");
}

TEST_CASE("apt: present keeps an older version, latest upgrades and keeps the operator's conffile",
          "[apt][integration]") {
    AptHost host;
    host.converge("apt", "name: upk-agent=1.0");
    CHECK(host.version("upk-agent") == "1.0");
    // present: 1.0 is installed, 1.1 is available: nothing to do.
    CHECK_FALSE(host.check("apt", "name: upk-agent").changed());

    host.run("printf 'port=8250\\n# tuned by the operator\\nworkers=9\\n' > /etc/upk-agent/agent.properties");
    Plan p = host.converge("apt", "{name: [upk-agent], state: latest}");
    CHECK(summaries(p) == std::vector<std::string>{"upgrade upk-agent 1.0 -> 1.1"});
    CHECK(host.version("upk-agent") == "1.1");
    // --force-confold: the operator's file stays, the packaged one lands beside it.
    CHECK(host.run("cat /etc/upk-agent/agent.properties") == "port=8250\n# tuned by the operator\nworkers=9\n");
    CHECK(host.run("cat /etc/upk-agent/agent.properties.dpkg-dist") == "port=8250\nworkers=5\n");
}

TEST_CASE("apt: absent removes, purge removes the conffile too", "[apt][integration]") {
    AptHost host;
    host.converge("apt", "name: [upk-agent, upk-lib]");
    Plan p = host.converge("apt", "{name: upk-lib, state: absent}");
    CHECK(summaries(p) == std::vector<std::string>{"remove upk-lib"});
    CHECK(host.version("upk-lib").empty());
    CHECK(host.version("upk-agent") == "1.1");

    Plan purge = host.converge("apt", "{name: upk-agent, state: absent, purge: yes}");
    CHECK(summaries(purge) == std::vector<std::string>{"remove upk-agent"});
    CHECK(host.run("test -e /etc/upk-agent/agent.properties || echo gone") == "gone\n");
    // Absent and never installed: nothing to do.
    CHECK_FALSE(host.check("apt", "{name: upk-tool, state: absent}").changed());
}

TEST_CASE("apt: an unknown package fails the check with apt's message", "[apt][integration]") {
    AptHost host;
    try {
        host.check("apt", "name: upk-nosuch");
        FAIL("no error");
    } catch (const TaskError& e) {
        CHECK(std::string(e.what()).find("Unable to locate package upk-nosuch") != std::string::npos);
    }
}

TEST_CASE("apt: update_cache, cache_valid_time, and the stale cache of a dry run", "[apt][integration]") {
    AptHost host;
    host.converge("apt", "name: upk-lib");
    CHECK(host.version("upk-lib") == "2.0");
    // Without cache_valid_time the cache is always refreshed.
    Plan always = host.check("apt", "{update_cache: yes}");
    CHECK(summaries(always) == std::vector<std::string>{"update apt cache"});
    host.apply("apt", "{update_cache: yes}", always);
    // Just refreshed: an hour of validity means nothing to do.
    CHECK_FALSE(host.check("apt", "{update_cache: yes, cache_valid_time: 3600}").changed());

    host.publish_new_release();
    std::string task = "{name: upk-lib, state: latest, update_cache: yes}";
    Plan p = host.check("apt", task);
    // The check resolves against the current (stale) cache: 2.1 is not known yet.
    CHECK(summaries(p) == std::vector<std::string>{"update apt cache"});
    Value r = host.apply("apt", task, p);
    // The real run refreshed first, resolved again and upgraded.
    CHECK(host.version("upk-lib") == "2.1");
    CHECK(r.get("cache_updated").truthy());
    CHECK(r.get("changes").to_string().find("upgrade upk-lib 2.0 -> 2.1") != std::string::npos);
}

TEST_CASE("apt: deb installs a package file on the host", "[apt][integration]") {
    AptHost host;
    std::string task = "deb: " + host.repo + "/upk-lib_2.0_all.deb";
    Plan p = host.converge("apt", task);
    CHECK(summaries(p) == std::vector<std::string>{"install upk-lib 2.0"});
    CHECK(host.version("upk-lib") == "2.0");
}

TEST_CASE("package: dispatches to apt on a Debian host", "[apt][integration]") {
    AptHost host;
    Plan p = host.converge("package", "name: upk-lib");
    CHECK(summaries(p) == std::vector<std::string>{"install upk-lib 2.0"});
    CHECK(p.result.get("pkg_mgr").as_string() == "apt");
    CHECK(host.version("upk-lib") == "2.0");
    // The gathered fact names the manager: apt on this Debian host, although
    // dnf is installed on it too. removed is apt's absent.
    host.vars()["ansible_facts"] = gather_facts(host.conn());
    CHECK(host.vars().get("ansible_facts").get("pkg_mgr").as_string() == "apt");
    Plan gone = host.converge("package", "{name: upk-lib, state: removed}");
    CHECK(summaries(gone) == std::vector<std::string>{"remove upk-lib"});
}

TEST_CASE("apt: a dry run records the commands and changes nothing", "[apt][integration]") {
    AptHost host;
    std::string task = "{name: upk-tool, update_cache: yes}";
    Plan p = host.check("apt", task);
    CHECK(summaries(p) == std::vector<std::string>{"update apt cache", "install upk-dep 1.0", "install upk-tool 1.0"});
    auto would = host.dry_apply("apt", task, p);
    REQUIRE(would.size() == 2);
    CHECK(starts_with(would[0], "apt-get update"));
    CHECK(ends_with(would[1], " install upk-tool"));
    CHECK(would[1].find("--force-confold") != std::string::npos);
    CHECK(host.version("upk-tool").empty());
}

namespace {

int recap(const std::string& out, const std::string& field) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("lab\\s+: .*" + field + "=(\\d+)"))) return -1;
    return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("apt: a playbook run over ssh: dry run, apply, converged", "[apt][integration][e2e]") {
    AptHost host;
    TempDir d;
    write_file(d / "inventory.ini", "lab ansible_host=" + host.lab().address(0) + " ansible_port=2222 ansible_user=root\n");
    write_file(d / "site.yml",
               "- hosts: lab\n"
               "  tasks:\n"
               "    - name: Upgrade the agent (the seed's apt-get install cloudstack-agent)\n"
               "      package: {name: upk-agent, state: latest}\n");
    std::string cmd = "play " + d / "site.yml" + " -i " + d / "inventory.ini" + " --private-key " +
                      host.lab().client_key() + " --known-hosts " + host.lab().known_hosts() + " --verify-convergence";
    Run dry = test::upkeep(cmd + " --check --diff");
    INFO(dry.out);
    CHECK(dry.out.find("install upk-agent 1.1") != std::string::npos);
    CHECK(recap(dry.out, "changed") == 1);
    CHECK(host.version("upk-agent").empty());

    Run real = test::upkeep(cmd);
    INFO(real.out);
    CHECK(recap(real.out, "changed") == 1);
    CHECK(recap(real.out, "failed") == 0);
    CHECK(host.version("upk-agent") == "1.1");

    Run again = test::upkeep(cmd);
    INFO(again.out);
    CHECK(recap(again.out, "changed") == 0);
}

// A package installed for the first time (a rename such as cloud-agent ->
// cloudstack-agent brings a whole new config tree): apt's indexes carry no file
// lists, but a local repository's .deb can be listed without installing it. The dry
// run notes those files, so an edit of one plans "depends on the install" instead of
// failing with "does not exist".
TEST_CASE("apt: a dry run of a fresh install from a local repository notes the package's files", "[apt][integration][leftovers]") {
    AptHost host;
    Plan p = host.check("apt", "name: upk-agent");
    REQUIRE(summaries(p) == std::vector<std::string>{"install upk-agent 1.1"});
    DryRun run(host, "name: upk-agent", p);
    CHECK(host.version("upk-agent").empty());  // nothing installed
    CHECK(run.pending_file("/etc/upk-agent/agent.properties") == std::optional<std::string>("the install of upk-agent 1.1"));
    CHECK_FALSE(run.pending_file("/etc/upk-agent"));  // directories are not files that appear
    Plan edit = run.check("lineinfile", "path: /etc/upk-agent/agent.properties\nline: workers=8\n");
    CHECK(edit.changed());
    CHECK(edit.depends_on == "the install of upk-agent 1.1");
    // The real install creates exactly that file.
    host.apply("apt", "name: upk-agent", p);
    CHECK(host.run("cat /etc/upk-agent/agent.properties") == "port=8250\nworkers=5\n");
}

// From a network mirror (http on a loopback address) the .deb is not on the host:
// the dry run fetches it with apt's own helper into a private temp dir, lists it and
// removes the dir, so later tasks plan on its files as from a file: mirror. Nothing
// is left in the host's temp dir or apt's cache; a .deb that cannot be fetched is
// left out, and its temp dir removed all the same.
TEST_CASE("apt: a dry run of a fresh install from an http mirror fetches the .deb to list it and leaves nothing behind",
          "[apt][integration][leftovers]") {
    AptHost host;
    HttpLab mirror("127.0.78.1", host.repo);
    host.run("echo 'deb [trusted=yes] " + mirror.base() + "/ ./' > /etc/apt/sources.list.d/upk.list && apt-get update -q");
    // What a dry run must not leave behind: any temp dir of ours, a download of the
    // test's packages in apt's cache (the host's root is a copy of the machine's,
    // whose cache may hold others).
    const std::string leftovers = "ls -d ${TMPDIR:-/tmp}/upkeep-deb.* 2>/dev/null; find /var/cache/apt/archives -name 'upk-*'";
    const std::string before = host.run(leftovers);
    REQUIRE(before.empty());

    Plan p = host.check("apt", "name: upk-agent");
    REQUIRE(summaries(p) == std::vector<std::string>{"install upk-agent 1.1"});
    DryRun run(host, "name: upk-agent", p);
    CHECK(host.version("upk-agent").empty());  // nothing installed
    CHECK(run.pending_file("/etc/upk-agent/agent.properties") == std::optional<std::string>("the install of upk-agent 1.1"));
    const char* edit_args = "path: /etc/upk-agent/agent.properties\nline: workers=8\n";
    Plan edit = run.check("lineinfile", edit_args);
    CHECK(edit.changed());
    CHECK(edit.depends_on == "the install of upk-agent 1.1");
    CHECK(host.run(leftovers) == before);

    // The real run: the install creates that file, and the edit the dry run planned is made.
    host.apply("apt", "name: upk-agent", p);
    CHECK(host.run("cat /etc/upk-agent/agent.properties") == "port=8250\nworkers=5\n");
    Plan real_edit = host.check("lineinfile", edit_args);
    CHECK(real_edit.changed());
    host.apply("lineinfile", edit_args, real_edit);
    CHECK(host.run("cat /etc/upk-agent/agent.properties") == "port=8250\nworkers=5\nworkers=8\n");

    // A .deb the mirror cannot serve: its files stay unknown, no temp dir is left.
    host.run("rm -f /var/cache/apt/archives/upk-*.deb");
    must("mv " + shell_quote(host.repo + "/upk-tool_1.0_all.deb") + " " + shell_quote(host.repo + "/gone.deb"));
    Plan tool = host.check("apt", "name: upk-tool");
    REQUIRE(summaries(tool) == std::vector<std::string>{"install upk-dep 1.0", "install upk-tool 1.0"});
    DryRun run2(host, "name: upk-tool", tool);
    CHECK(run2.pending_file("/usr/share/doc/upk-dep/README") == std::optional<std::string>("the install of upk-dep 1.0"));
    CHECK_FALSE(run2.pending_file("/usr/share/doc/upk-tool/README"));
    CHECK(host.run(leftovers) == before);
}
