// Differential test against Ansible for service_facts and package_facts: both read
// this machine (read-only) and must report the same services (name, state, status,
// source) and the same installed packages (name, version, arch, category, origin).
// package_facts also runs on a sandbox host whose own dpkg database holds two .debs
// built and installed here (dpkg --root), so the sandbox path (--admindir) is real.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <set>

#include "engine/connection/local_connection.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

Value run_facts(Connection& conn, const std::string& module, const std::string& yaml = "{}") {
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, "/"};
    const Module* m = find_module(module);
    REQUIRE(m);
    Plan p = m->check(ctx, validate_args(m->spec(), parse_yaml(yaml, "task.yml")));
    CHECK_FALSE(p.changed());
    return p.result.get("ansible_facts");
}

std::string field(const Value& v, const char* k) { return v.has(k) && !v.get(k).is_null() ? v.get(k).to_string() : "-"; }

}  // namespace

TEST_CASE("service_facts and package_facts match Ansible on this machine", "[ansible][integration][service_facts][package_facts]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    if (test::sh("/usr/bin/python3 -c 'import apt'").rc != 0) FAIL("python3-apt is missing (Ansible's package_facts needs it; bash .ci/setup test)");
    test::TempDir work;
    std::string pb = work / "playbook";
    test::write_file(pb + "/site.yml",
                     "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - service_facts:\n"
                     "    - package_facts:\n        manager: apt\n"
                     "    - copy:\n        dest: " + pb + "/services.txt\n        content: \"{% for k, s in services.items() | sort %}"
                     "{{ k }} {{ s.name }} {{ s.state }} {{ s.source }} {{ s.status | default('-') }}\\n{% endfor %}\"\n"
                     "    - copy:\n        dest: " + pb + "/packages.txt\n        content: \"{% for k, l in ansible_facts.packages.items() | sort %}"
                     "{% for p in l %}{{ k }} {{ p.name }} {{ p.version }} {{ p.arch }} {{ p.category }} {{ p.origin }} {{ p.source }}\\n{% endfor %}{% endfor %}\"\n");
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);

    LocalConnection conn("local");
    Value services = run_facts(conn, "service_facts").get("services");
    std::string ours;
    for (const auto& [k, s] : services.as_map())
        ours += k + " " + field(s, "name") + " " + field(s, "state") + " " + field(s, "source") + " " + field(s, "status") + "\n";
    CHECK(ours == test::read_file(pb + "/services.txt"));

    Value packages = run_facts(conn, "package_facts", "manager: apt\n").get("packages");
    std::vector<std::string> lines;
    for (const auto& [k, l] : packages.as_map())
        for (const auto& p : l.as_list())
            lines.push_back(k + " " + field(p, "name") + " " + field(p, "version") + " " + field(p, "arch") + " " +
                            field(p, "category") + " " + field(p, "origin") + " " + field(p, "source"));
    std::vector<std::string> theirs;
    for (const auto& l : split(test::read_file(pb + "/packages.txt"), '\n'))
        if (!l.empty()) theirs.push_back(l);
    std::sort(lines.begin(), lines.end());
    std::sort(theirs.begin(), theirs.end());
    std::vector<std::string> only_ours, only_theirs;
    std::set_difference(lines.begin(), lines.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
    std::set_difference(theirs.begin(), theirs.end(), lines.begin(), lines.end(), std::back_inserter(only_theirs));
    INFO("only upkeep:\n" << join(only_ours, "\n") << "\nonly Ansible:\n" << join(only_theirs, "\n"));
    CHECK(only_ours.empty());
    CHECK(only_theirs.empty());
    CHECK(theirs.size() > 100);
    WARN("service_facts: " << services.as_map().size() << " services; package_facts: " << lines.size() << " upkeep, "
                           << theirs.size() << " Ansible, " << only_ours.size() + only_theirs.size() << " differ");
}

TEST_CASE("package_facts reads a sandbox host's own dpkg database", "[integration][package_facts]") {
    test::TempDir work;
    std::string root = work / "root";
    for (const auto& [name, ver, arch] : {std::tuple{"upk-facts-a", "1.2-3", "all"}, std::tuple{"upk-facts-b", "1:2.0", "all"}}) {
        std::string src = work / (std::string(name) + "-src");
        test::write_file(src + "/DEBIAN/control", std::string("Package: ") + name + "\nVersion: " + ver + "\nArchitecture: " +
                                                      arch + "\nSection: admin\nMaintainer: t <t@example.org>\nDescription: test\n");
        test::write_file(src + "/usr/share/doc/" + name + "/README", "x\n");
        test::must("dpkg-deb --build --root-owner-group " + shell_quote(src) + " " + shell_quote(work / (std::string(name) + ".deb")) + " >/dev/null");
    }
    test::must("mkdir -p " + shell_quote(root + "/var/lib/dpkg/updates") + " " + shell_quote(root + "/var/lib/dpkg/info") +
               " && touch " + shell_quote(root + "/var/lib/dpkg/status"));
    test::must("dpkg --root=" + shell_quote(root) + " --force-script-chrootless --force-not-root -i " +
               shell_quote(work / "upk-facts-a.deb") + " " + shell_quote(work / "upk-facts-b.deb") + " >/dev/null 2>&1");
    LocalConnection box("sandbox", root);
    Value packages = run_facts(box, "package_facts", "manager: [apt]\n").get("packages");
    REQUIRE(packages.as_map().size() == 2);
    const Value& a = packages.get("upk-facts-a").as_list().at(0);
    CHECK(a.get("version").as_string() == "1.2-3");
    CHECK(a.get("arch").as_string() == "all");
    CHECK(a.get("category").as_string() == "admin");
    CHECK(a.get("source").as_string() == "apt");
    CHECK(packages.get("upk-facts-b").as_list().at(0).get("version").as_string() == "1:2.0");
    CHECK_THROWS(run_facts(box, "package_facts", "manager: [rpm]\n"));
}

// The rpm side of package_facts, against Ansible's (python3-rpm) on one rpm database
// built here: three rpmbuild packages (one with an epoch, two versions of one name,
// as installonly kernels are) installed with rpm --root into a sandbox host's
// /var/lib/rpm. Ansible reads the same database through ~/.rpmmacros' %_dbpath.
TEST_CASE("package_facts on an rpm database matches Ansible", "[ansible][integration][package_facts][rpm]") {
    if (test::sh("command -v ansible-playbook && command -v rpmbuild").rc != 0)
        FAIL("ansible-playbook and rpm (rpmbuild) are needed (bash .ci/setup test)");
    if (test::sh("/usr/bin/python3 -c 'import rpm'").rc != 0) FAIL("python3-rpm is missing (Ansible's rpm manager needs it)");
    test::TempDir work;
    std::string root = work / "root", specs = work / "specs";
    struct Pkg {
        const char *name, *version, *release, *epoch;
    };
    for (const Pkg& p : {Pkg{"upk-rpm-a", "1.2", "3.el7", ""}, Pkg{"upk-rpm-b", "2.0", "1", "4"},
                         Pkg{"upk-rpm-k", "5.1", "1", ""}, Pkg{"upk-rpm-k", "5.2", "1", ""}}) {
        std::string file = std::string("/usr/share/doc/") + p.name + "-" + p.version + "/README";
        test::write_file(specs + "/" + p.name + "-" + p.version + ".spec",
                         std::string("Name: ") + p.name + "\nVersion: " + p.version + "\nRelease: " + p.release + "\n" +
                             (*p.epoch ? std::string("Epoch: ") + p.epoch + "\n" : "") +
                             "Summary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%install\n"
                             "mkdir -p %{buildroot}$(dirname " + file + ")\necho x > %{buildroot}" + file + "\n%files\n" + file + "\n");
    }
    test::must("cd " + shell_quote(specs) + " && for s in *.spec; do rpmbuild --define '_topdir " + work.path() +
               "/rpmbuild' -bb \"$s\" >/dev/null 2>&1 || { echo \"rpmbuild $s failed\"; exit 1; }; done");
    test::must("mkdir -p " + shell_quote(root + "/var/lib/rpm") + " && rpm --root " + shell_quote(root) +
               " --dbpath /var/lib/rpm --initdb && rpm --root " + shell_quote(root) + " --dbpath /var/lib/rpm -i --nodeps "
               "--justdb --noscripts " + shell_quote(work / "rpmbuild/RPMS/noarch") + "/*.rpm");

    std::string pb = work / "playbook", home = work / "home";
    test::write_file(home + "/.rpmmacros", "%_dbpath " + root + "/var/lib/rpm\n");
    test::write_file(pb + "/site.yml",
                     "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - package_facts:\n        manager: rpm\n"
                     "    - copy:\n        dest: " + pb + "/packages.txt\n        content: \"{% for k, l in ansible_facts.packages.items() | sort %}"
                     "{% for p in l | sort(attribute='version') %}{{ k }} {{ p.name }} {{ p.version }} {{ p.release }} {{ p.epoch }} "
                     "{{ p.arch }} {{ p.source }}\\n{% endfor %}{% endfor %}\"\n");
    test::Run run = test::sh("cd " + shell_quote(pb) + " && HOME=" + shell_quote(home) +
                             " ANSIBLE_LOCAL_TEMP=" + shell_quote(work / "tmp") +
                             " ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    LocalConnection box("sandbox", root);
    Value packages = run_facts(box, "package_facts", "manager: [rpm]\n").get("packages");
    std::string ours;
    for (const auto& [k, l] : packages.as_map()) {
        std::vector<Value> sorted = l.as_list();
        std::sort(sorted.begin(), sorted.end(),
                  [](const Value& a, const Value& b) { return a.get("version").to_string() < b.get("version").to_string(); });
        for (const auto& p : sorted)
            ours += k + " " + field(p, "name") + " " + field(p, "version") + " " + field(p, "release") + " " +
                    (p.get("epoch").is_null() ? "" : p.get("epoch").to_string()) +  // Ansible renders None as ""
                    " " + field(p, "arch") + " " +
                    field(p, "source") + "\n";
    }
    std::string theirs = test::read_file(pb + "/packages.txt");
    CHECK(ours == theirs);
    CHECK(theirs.find("upk-rpm-b upk-rpm-b 2.0 1 4 noarch rpm\n") != std::string::npos);
    CHECK(theirs.find("upk-rpm-k upk-rpm-k 5.1 1  noarch rpm\nupk-rpm-k upk-rpm-k 5.2 1  noarch rpm\n") !=
          std::string::npos);
}
