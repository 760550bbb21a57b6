// The oVirt seeds (4.3 "Updates Between Minor Releases", 4.0.3 release notes) end
// to end on an estate of real parts started by the test: lab hosts in their own
// copy-on-write roots (tests/support/sshd_lab) posing as CentOS 7, RPMs built here
// with rpmbuild (ovirt-release43 whose repo file points at a createrepo_c repository,
// ovirt-engine-setup* and ovirt-engine 4.3.7 -> 4.3.8, vdsm, a kernel, yum-utils'
// needs-restarting) and installed with dnf. engine-setup and engine-upgrade-check are
// stand-in scripts shipped in the setup package: engine-setup refuses to run without
// the answers it would prompt for, then stops the engine, updates it with dnf and
// starts it. A reboot is the lab's: every process of the host is killed, sshd comes
// back in the same root with a new boot id, and "boot" starts the enabled services.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "engine/util/strings.hpp"
#include "tests/support/estate_lab.hpp"
#include "tests/support/estate_packages.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const char* k_engine_setup = R"SH(#!/bin/sh
# engine-setup stand-in: unattended only with the answers it would prompt for; then
# what engine-setup does on a minor update: stop the engine, update it, start it.
log=/var/log/ovirt-engine/setup/ovirt-engine-setup.log
mkdir -p /var/log/ovirt-engine/setup
answers=
for a in "$@"; do case "$a" in --config-append=*) answers="${a#--config-append=}" ;; esac; done
echo "engine-setup $*" >> $log
if [ -z "$answers" ] || [ ! -f "$answers" ]; then echo "[ ERROR ] no answer file (--config-append)"; exit 1; fi
cp "$answers" /var/log/ovirt-engine/setup/answers-used.conf
grep -qx '\[environment:default\]' "$answers" || { echo "[ ERROR ] answer file has no [environment:default]"; exit 1; }
grep -qx 'OVESETUP_CORE/engineStop=bool:True' "$answers" || { echo "[ ERROR ] would prompt: stop ovirt-engine?"; exit 1; }
grep -qx 'OVESETUP_DIALOG/confirmSettings=bool:True' "$answers" || { echo "[ ERROR ] would prompt: confirm settings?"; exit 1; }
service ovirt-engine stop
dnf -y -q upgrade ovirt-engine >> $log 2>&1 || { echo "[ ERROR ] package update failed"; exit 1; }
service ovirt-engine start
echo "[ INFO  ] Execution of setup completed successfully"
)SH";

const char* k_engine_upgrade_check = R"SH(#!/bin/sh
dnf -q check-update ovirt-engine >/dev/null 2>&1; rc=$?
[ $rc = 100 ] && { echo "Upgrade available."; exit 0; }
[ $rc = 0 ] && { echo "No upgrade."; exit 1; }
exit 2
)SH";

// yum-utils' needs-restarting -r: a reboot is needed when a kernel was installed
// after the boot (the lab's boot id file is written at each boot).
const char* k_needs_restarting = R"SH(#!/bin/sh
boot=$(stat -c %Y /var/lib/lab/boot_id)
inst=$(rpm -q --qf '%{INSTALLTIME}\n' kernel | sort -n | tail -1)
if [ "$inst" -gt "$boot" ]; then
  echo "Core libraries or services have been updated since boot-up:"; echo "  * kernel"
  echo "Reboot is required to fully utilize these updates."; exit 1
fi
echo "No core libraries or services have been updated since boot-up."; echo "Reboot should not be necessary."
)SH";

// The oVirt RPMs, old and new versions side by side in one createrepo_c repository.
class OvirtRpms {
public:
    static const OvirtRpms& get() {
        static const OvirtRpms r;
        return r;
    }
    std::string repo() const { return m_rpms.repo(); }
    std::string rpm(const std::string& file) const { return m_rpms.rpm(file); }

private:
    OvirtRpms() {
        m_rpms.build("ovirt-release43", "4.3.8", "1.el7",
                     {{"/etc/yum.repos.d/ovirt-4.3.repo",
                       "[ovirt-4.3]\nname=Latest oVirt 4.3 Release\nbaseurl=file://" + repo() +
                           "\nenabled=1\ngpgcheck=0\nmetadata_expire=0\n",
                       true}});
        for (const char* v : {"4.3.7", "4.3.8"}) {
            m_rpms.build("ovirt-engine-setup-base", v, "1.el7",
                         {{"/usr/share/ovirt-engine/setup/VERSION", std::string(v) + "\n"},
                          {"/etc/ovirt-engine-setup.conf.d/10-packaging.conf", "[environment:default]\n", true}});
            m_rpms.build("ovirt-engine-setup", v, "1.el7",
                         {{"/usr/bin/engine-setup", k_engine_setup}, {"/usr/bin/engine-upgrade-check", k_engine_upgrade_check}});
            m_rpms.build("ovirt-engine", v, "1.el7",
                         {{"/usr/share/ovirt-engine/VERSION", std::string(v) + "\n"},
                          {"/etc/init.d/ovirt-engine", init_script("ovirt-engine", "/usr/share/ovirt-engine/bin/ovirt-engine")},
                          {"/usr/share/ovirt-engine/bin/ovirt-engine", ""}});
        }
        for (const char* v : {"4.30.38", "4.30.40"})
            m_rpms.build("vdsm", v, "1.el7", {{"/usr/share/vdsm/VERSION", std::string(v) + "\n"}});
        for (const char* r : {"1062.el7", "1127.el7"})
            m_rpms.build("kernel", "3.10.0", r, {{std::string("/boot/vmlinuz-3.10.0-") + r + ".x86_64", "kernel\n"}});
        m_rpms.build("yum-utils", "1.1.31", "54.el7", {{"/usr/bin/needs-restarting", k_needs_restarting}});
        m_rpms.finish();
    }

    RpmRepo m_rpms;
};

// Hosts: 0 engine (ovengine), 1 and 2 oVirt hosts (ovh1, ovh2), 3 CentOS 6, 4 Fedora 22.
class OvirtEstate : public EstateLab {
public:
    // install: false leaves the hosts bare (the refusal test needs only their os-release).
    // Its daemons need no stop at the end: the lab's power-off ends every process of a host.
    explicit OvirtEstate(bool install = true) : EstateLab(install ? 3 : 5, {}), m_rpms(OvirtRpms::get()) {
        const char* os[] = {"NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n",
                            "NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n",
                            "NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n",
                            "NAME=\"CentOS\"\nVERSION_ID=\"6\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n",
                            "NAME=Fedora\nVERSION_ID=22\nID=fedora\n"};
        for (int i = 0; i < sshd().size(); ++i) put(i, "/etc/os-release", os[i]);
        write_inventory({"ovh1"}, !install);
        if (!install) return;
        // The 4.3.7 estate: installed from the package files, then ovirt-release43 (its
        // repository carries 4.3.8), needs-restarting, and a yum that is dnf (EL8 style).
        std::string dnf = "dnf -q -y --disablerepo='*' --setopt=reposdir=/nonexistent install ";
        auto files = [&](std::initializer_list<const char*> names) {
            std::string s;
            for (const char* n : names) s += " " + shell_quote(m_rpms.rpm(n));
            return s;
        };
        std::string common = ": > /root/.bashrc; rm -f /var/lib/dpkg/status /etc/yum.repos.d/*.repo; "
                             "ln -sf /usr/bin/dnf /usr/bin/yum; mkdir -p /var/lib/lab; " + dnf +
                             files({"ovirt-release43-4.3.8-1.el7.noarch.rpm", "yum-utils-1.1.31-54.el7.noarch.rpm",
                                    "kernel-3.10.0-1062.el7.noarch.rpm"});
        // The three hosts' installs are independent: at the same time, each on its own
        // connection (the slowest part of the setup); results checked here.
        std::string engine = common + files({"ovirt-engine-setup-base-4.3.7-1.el7.noarch.rpm",
                                             "ovirt-engine-setup-4.3.7-1.el7.noarch.rpm", "ovirt-engine-4.3.7-1.el7.noarch.rpm"}) +
                             " >/dev/null && echo 'service ovirt-engine start' > /etc/rc.local && service ovirt-engine start";
        std::string host = common + files({"vdsm-4.30.38-1.el7.noarch.rpm"}) + " >/dev/null && : > /etc/rc.local && "
                           "printf '#!/bin/sh\\n[ \"$*\" = \"-r list --name\" ] && cat /var/lib/lab/running-vms 2>/dev/null; exit 0\\n' "
                           "> /usr/bin/virsh && chmod 755 /usr/bin/virsh";
        require_all(concurrently({[&] { return run_fresh(0, engine); }, [&] { return run_fresh(1, host); },
                                  [&] { return run_fresh(2, host); }}));
        put(2, "/var/lib/lab/running-vms", "web01\n");
        for (int i = 0; i < 3; ++i) put(i, "/var/lib/lab/boot_id", "boot-1\n");
    }
    ~OvirtEstate() { stop_harness(); }

    void write_inventory(const std::vector<std::string>& maintenance, bool refusal = false) {
        std::string inv = inventory_head() +
                          "    ovirt_release_rpm: " + m_rpms.rpm("ovirt-release43-4.3.8-1.el7.noarch.rpm") + "\n"
                          "    ovirt_reboot_command: touch " + sshd().dir() + "/reboot-{{ inventory_hostname }}\n"
                          "    ovirt_boot_id_path: /var/lib/lab/boot_id\n"
                          "    ovirt_reboot_timeout: 30\n"
                          "    ovirt_maintenance_hosts: [" + join(maintenance, ", ") + "]\n"
                          "  children:\n    ovirt_engine:\n      hosts:\n";
        if (refusal) {
            inv += "        el6: {ansible_host: " + address(3) + "}\n"
                   "        f22: {ansible_host: " + address(4) + "}\n";
        } else {
            inv += "        ovengine: {ansible_host: " + address(0) + "}\n"
                   "    ovirt_hosts:\n      hosts:\n"
                   "        ovh1: {ansible_host: " + address(1) + "}\n"
                   "        ovh2: {ansible_host: " + address(2) + "}\n";
        }
        EstateLab::write_inventory(inv);
    }

    // Plays the reboots the playbooks ask for (ovirt_reboot_command touches a file in
    // the lab directory): the host goes down, comes back with its services started
    // (/etc/rc.local), and only then shows a new boot id.
    void start_harness() {
        m_stop = false;
        m_rebooted.clear();
        m_harness = std::thread([this] {
            const char* names[] = {"ovengine", "ovh1", "ovh2"};
            while (!m_stop) {
                for (int i = 0; i < 3; ++i) {
                    std::string flag = sshd().dir() + "/reboot-" + names[i];
                    if (!exists(flag)) continue;
                    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the command returns first
                    ::unlink(flag.c_str());
                    sshd().reboot_host(i);
                    forget_login(i);  // its sshd and sessions are gone
                    // /run is a tmpfs: the old pid files are gone (their numbers may be reused).
                    try_run(i, "rm -f /run/*.pid; sh /etc/rc.local; echo boot-" + std::to_string(++m_boots) +
                                   " > /var/lib/lab/boot_id");
                    m_rebooted.push_back(names[i]);
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
    }
    void stop_harness() {
        m_stop = true;
        if (m_harness.joinable()) m_harness.join();
    }
    std::vector<std::string> rebooted() const { return m_rebooted; }

    Run play(const std::string& flags = "") {
        start_harness();
        Run r = EstateLab::play(flags);
        stop_harness();
        return r;
    }
    std::string rpm_versions(int host, const std::string& pkg) {
        return trim(try_run(host, "rpm -q --qf '%{VERSION}-%{RELEASE} ' " + pkg).out);
    }

private:
    const OvirtRpms& m_rpms;
    std::thread m_harness;
    std::atomic<bool> m_stop{false};
    int m_boots = 1;
    std::vector<std::string> m_rebooted;
};

}  // namespace

TEST_CASE("site.yml updates an oVirt 4.3 engine and its hosts one at a time on real RPMs", "[seeds][estate][ovirt]") {
    OvirtEstate e;
    REQUIRE(e.rpm_versions(0, "ovirt-engine ovirt-engine-setup") == "4.3.7-1.el7 4.3.7-1.el7");

    // Run 1: ovh1 is in maintenance, ovh2 still runs a VM and is not.
    Run dry = e.play("--check --report-json " + e.dir() / "dry.json");
    INFO(dry.out);
    CHECK(e.rpm_versions(0, "ovirt-engine") == "4.3.7-1.el7");
    CHECK(e.rebooted().empty());
    Run real = e.play("--report-json " + e.dir() / "real.json");
    INFO(real.out);
    CHECK(real.rc != 0);  // ovh2 stops at the maintenance gate
    std::set<std::string> predicted = changed_pairs(e.dir() / "dry.json"), made = changed_pairs(e.dir() / "real.json");
    INFO("predicted by --check but not changed:\n" << missing_from(predicted, made)
                                                   << "changed but not predicted by --check:\n" << missing_from(made, predicted));
    CHECK(predicted == made);
    CHECK(made.count("ovengine | Run engine-setup unattended (stops the engine, updates it and its database, starts it)") == 1);
    CHECK(made.count("ovengine | Reboot (the kernel changed) and wait for the engine host to come back") == 1);
    CHECK(made.count("ovh1 | Reboot the host and wait for it (before the next host starts)") == 1);

    // The engine: setup packages first (only them), engine-setup fed the answer file,
    // the engine updated by it, the OS update brought the kernel, the reboot followed.
    CHECK(e.rpm_versions(0, "ovirt-engine-setup ovirt-engine-setup-base ovirt-engine") ==
          "4.3.8-1.el7 4.3.8-1.el7 4.3.8-1.el7");
    CHECK(e.get(0, "/var/log/ovirt-engine/setup/answers-used.conf") ==
          "# Written by upkeep (ovirt-engine-update.yml): engine-setup answers for unattended updates.\n"
          "[environment:default]\nOVESETUP_CORE/engineStop=bool:True\nOVESETUP_DIALOG/confirmSettings=bool:True\n");
    CHECK(e.get(0, "/var/log/ovirt-engine/setup/ovirt-engine-setup.log")
              .find("engine-setup --accept-defaults --config-append=/etc/ovirt-engine-setup.conf.d/90-upkeep-answers.conf") !=
          std::string::npos);
    CHECK(e.rpm_versions(0, "kernel") == "3.10.0-1062.el7 3.10.0-1127.el7");
    CHECK(e.try_run(0, "service ovirt-engine status").rc == 0);
    // One host at a time: ovh1 updated and back from its reboot before ovh2 was looked at.
    CHECK(e.rpm_versions(1, "vdsm kernel") == "4.30.40-1.el7 3.10.0-1062.el7 3.10.0-1127.el7");
    CHECK(e.rpm_versions(2, "vdsm") == "4.30.38-1.el7");
    CHECK(e.rebooted() == std::vector<std::string>{"ovengine", "ovh1"});
    size_t ovh1_back = real.out.find("changed: [ovh1]", real.out.find("TASK [Reboot the host and wait for it"));
    CHECK(ovh1_back < real.out.find("fatal: [ovh2]"));
    CHECK(real.out.find("ovh2 has package updates but is not ready: put it into Maintenance") != std::string::npos);
    CHECK(real.out.find("Running VMs: web01") != std::string::npos);

    // Run 2: the operator put ovh2 into maintenance (its VM migrated away).
    e.put(2, "/var/lib/lab/running-vms", "");
    e.write_inventory({"ovh1", "ovh2"});
    Run second = e.play();
    INFO(second.out);
    CHECK(second.rc == 0);
    CHECK(recap(second.out, "ovh1", "changed") == 0);
    CHECK(recap(second.out, "ovengine", "changed") == 0);
    CHECK(e.rpm_versions(2, "vdsm") == "4.30.40-1.el7");
    CHECK(e.rebooted() == std::vector<std::string>{"ovh2"});
    Run check = e.play("--check");
    INFO(check.out);
    CHECK(check.rc == 0);
    for (const char* h : {"ovengine", "ovh1", "ovh2"}) CHECK(recap(check.out, h, "changed") == 0);
}

TEST_CASE("ovirt-engine-update.yml refuses Enterprise Linux 6 and Fedora 22 as the seed says", "[seeds][estate][ovirt]") {
    OvirtEstate e(false);
    Run r = e.play("--check");
    INFO(r.out);
    CHECK(r.rc != 0);
    CHECK(recap(r.out, "el6", "failed") == 1);
    CHECK(recap(r.out, "f22", "failed") == 1);
    CHECK(r.out.find("this host is CentOS 6") != std::string::npos);
    CHECK(r.out.find("this host is Fedora 22") != std::string::npos);
    CHECK(r.out.find("\"Upgrade on Fedora 22 and Enterprise Linux 6 is not supported\"") != std::string::npos);
}
