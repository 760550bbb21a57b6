// The public postfix and nfs roles (/work/shared/conformance/ansible-roles,
// unmodified) run end to end by ansible-playbook and by upkeep, each against its own
// one of two identical hosts: the sshd lab's copy-on-write roots (own_root), so the
// packages they install and the daemons they start never touch this machine. Both
// sides are compared: the recap (ok/changed/failed/skipped), the bytes of the files
// the roles write (main.cf, /etc/exports), the export directories, the boot links,
// the daemon state, what the handlers did, and the packages dpkg has; then a second
// upkeep run must change nothing.
//
// Why not `-c local` as the ntp test does: both roles hard-code their package and
// service names (postfix, nfs-kernel-server), so a run on this machine would install
// and start them here; the roots of the lab keep that inside the test. Ansible talks to
// its host over SSH like upkeep does (the same key, the lab's known_hosts).
//
// The packages are stand-ins built with dpkg-deb into a local apt repository (the lab
// has no network): postfix ships Debian's main.cf as a conffile and a SysV script, the
// nfs-kernel-server script runs a stand-in daemon, and exportfs records each call (the
// nfs role's handler runs `exportfs -ra`). Every task of both roles runs; nothing is
// skipped except the RedHat-only tasks (the hosts are Debian 12).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <regex>

#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const char* k_corpus = "/work/shared/conformance/ansible-roles";

// A SysV script with LSB headers (update-rc.d needs them) whose daemon is `exe` (a
// copy of sleep, so it is a real process), logging every action to /var/log/NAME.init.
std::string init_script(const std::string& name, const std::string& exe) {
    return "#!/bin/sh\n"
           "### BEGIN INIT INFO\n"
           "# Provides:          " + name + "\n"
           "# Required-Start:\n# Required-Stop:\n"
           "# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n"
           "# Short-Description: upkeep test stand-in for " + name + "\n"
           "### END INIT INFO\n"
           "pidfile=/var/run/" + name + ".pid\n"
           "running() { [ -f $pidfile ] && kill -0 \"$(cat $pidfile)\" 2>/dev/null; }\n"
           "[ \"$1\" = status ] || echo \"$1\" >> /var/log/" + name + ".init\n"
           "case \"$1\" in\n"
           "  start) running && exit 0\n"
           "    setsid " + exe + " 900 >/dev/null 2>&1 </dev/null & echo $! > $pidfile ;;\n"
           "  stop) running && kill \"$(cat $pidfile)\"; rm -f $pidfile; exit 0 ;;\n"
           "  restart|force-reload|reload) \"$0\" stop; \"$0\" start ;;\n"
           "  status) running ;;\n"
           "  *) exit 2 ;;\n"
           "esac\n";
}

const char* const k_main_cf =
    "# See /usr/share/postfix/main.cf.dist for a commented, more complete version\n"
    "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
    "biff = no\n"
    "append_dot_mydomain = no\n"
    "readme_directory = no\n"
    "compatibility_level = 3.6\n"
    "myhostname = lab-host\n"
    "mydestination = $myhostname, localhost\n"
    "relayhost =\n"
    "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
    "mailbox_size_limit = 0\n"
    "recipient_delimiter = +\n"
    "inet_interfaces = all\n";

// postfix, nfs-common and nfs-kernel-server as .debs in one local repository.
class RoleDebs {
public:
    static const RoleDebs& get() {
        static const RoleDebs debs;
        return debs;
    }
    std::string repo() const { return m_dir / "repo"; }

private:
    struct File {
        std::string path, content;
        bool conffile;
        bool exec = false;
    };
    RoleDebs() {
        ::chmod(m_dir.path().c_str(), 0755);  // apt fetches as its _apt user
        deb("postfix", "3.7.11-0+deb12u1", "",
            {{"/etc/postfix/main.cf", k_main_cf, true},
             {"/etc/init.d/postfix", init_script("postfix", "/usr/lib/postfix/sbin/master"), false, true},
             {"/usr/lib/postfix/sbin/master", "", false, true}});
        deb("nfs-common", "1:2.6.2-4+deb12u1", "", {{"/etc/default/nfs-common", "NEED_STATD=\nNEED_IDMAPD=\n", true}});
        deb("nfs-kernel-server", "1:2.6.2-4+deb12u1", "nfs-common",
            {{"/etc/default/nfs-kernel-server", "RPCNFSDCOUNT=8\n", true},
             {"/etc/init.d/nfs-kernel-server", init_script("nfs-kernel-server", "/usr/sbin/rpc.mountd"), false, true},
             {"/usr/sbin/rpc.mountd", "", false, true},
             {"/usr/sbin/exportfs", "#!/bin/sh\necho \"exportfs $*\" >> /var/log/exportfs.calls\n", false, true}});
        must("cd " + shell_quote(repo()) + " && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null");
    }
    void deb(const std::string& name, const std::string& version, const std::string& depends, const std::vector<File>& files) {
        std::string src = m_dir / ("src/" + name);
        std::string conffiles;
        for (const auto& f : files) {
            std::string at = src + f.path;
            if (f.content.empty()) {
                must("mkdir -p " + shell_quote(at.substr(0, at.rfind('/'))) + " && cp /bin/sleep " + shell_quote(at));
            } else {
                write_file(at, f.content);
            }
            ::chmod(at.c_str(), f.exec ? 0755 : 0644);
            if (f.conffile) conffiles += f.path + "\n";
        }
        write_file(src + "/DEBIAN/control", "Package: " + name + "\nVersion: " + version +
                                                "\nArchitecture: all\nMaintainer: upkeep tests <t@example.org>\n" +
                                                (depends.empty() ? "" : "Depends: " + depends + "\n") +
                                                "Description: stand-in for the role conformance test\n");
        if (!conffiles.empty()) write_file(src + "/DEBIAN/conffiles", conffiles);
        must("mkdir -p " + shell_quote(repo()) + " && dpkg-deb --build --root-owner-group " + shell_quote(src) + " " +
             shell_quote(repo() + "/" + name + ".deb") + " >/dev/null");
    }
    TempDir m_dir;
};

// "ok=8 changed=1 ... " of the recap line of host h, spacing normalised.
std::string recap(const std::string& out) {
    std::smatch m;
    static const std::regex re(R"(\nh\s*:\s*(ok=\d+)\s+(changed=\d+)\s+(unreachable=\d+)\s+(failed=\d+)\s+(skipped=\d+))");
    if (!std::regex_search(out, m, re)) return "no recap";
    return m.str(1) + " " + m.str(2) + " " + m.str(3) + " " + m.str(4) + " " + m.str(5);
}

// Two identical Debian hosts with the local repository as their only apt source:
// host 0 for ansible-playbook, host 1 for upkeep.
class Lab {
public:
    Lab() : m_lab(SshdLab::Options{.hosts = 2, .own_root = true}) {
        ::chmod(m_dir.path().c_str(), 0755);
        const std::string repo = RoleDebs::get().repo();
        for (int i = 0; i < 2; ++i) {
            must(ssh(i, "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo 'deb [trusted=yes] file:" + repo +
                            " ./' > /etc/apt/sources.list.d/roles.list; apt-get update -q >/dev/null 2>&1"));
            write_file(m_dir / ("hosts" + std::to_string(i)),
                       "h ansible_host=" + m_lab.address(i) + " ansible_port=" + std::to_string(m_lab.port()) +
                           " ansible_user=root ansible_ssh_private_key_file=" + m_lab.client_key() +
                           " ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o UserKnownHostsFile=" +
                           m_lab.known_hosts() + " -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'\n");
        }
    }
    // A command on host i as root (over plain OpenSSH: the same way Ansible gets there).
    std::string ssh(int i, const std::string& cmd) const {
        return "ssh -q -p " + std::to_string(m_lab.port()) + " -i " + shell_quote(m_lab.client_key()) +
               " -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=" + shell_quote(m_lab.known_hosts()) +
               " root@" + m_lab.address(i) + " " + shell_quote(cmd);
    }
    std::string on(int i, const std::string& cmd) const { return sh(ssh(i, cmd)).out; }
    Run ansible(const std::string& playbook) const {
        return sh("cd " + shell_quote(m_dir.path()) + " && ANSIBLE_ROLES_PATH=" + k_corpus +
                  " ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=True ansible-playbook -i hosts0 " +
                  playbook);
    }
    Run upkeep(const std::string& playbook) const {
        return sh("cd " + shell_quote(m_dir.path()) + " && ANSIBLE_ROLES_PATH=" + k_corpus + " " + shell_quote(UPKEEP_BINARY) +
                  " play " + playbook + " -i hosts1 --known-hosts " + shell_quote(m_lab.known_hosts()));
    }
    // What the roles leave on host i, for the side-by-side comparison.
    std::string state(int i, const std::vector<std::string>& files, const std::string& pkgs) const {
        std::string out;
        for (const auto& f : files)
            out += "== " + f + "\n" + on(i, "stat -c '%F %a %U:%G' " + f + " 2>&1; cat " + f + " 2>/dev/null") + "\n";
        out += "== packages\n" + on(i, "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' " + pkgs + " 2>&1");
        out += "== boot links\n" + on(i, "cd /etc && ls -1 rc?.d/* | grep -E 'postfix|nfs' | sort");
        return out;
    }
    const std::string& dir() const { return m_dir.path(); }
    void playbook(const std::string& name, const std::string& text) const { write_file(m_dir / name, text); }

private:
    SshdLab m_lab;
    TempDir m_dir;
};

void require_tools() {
    if (sh("command -v ansible-playbook && command -v dpkg-scanpackages").rc != 0)
        FAIL("ansible-playbook and dpkg-dev are needed (bash .ci/setup test)");
    if (!exists(std::string(k_corpus) + "/postfix/tasks/main.yml")) FAIL(std::string("the role corpus is missing: ") + k_corpus);
}

}  // namespace

TEST_CASE("the postfix role runs unchanged: ansible-playbook and upkeep agree on a full run", "[ansible][integration][roles][postfix]") {
    require_tools();
    Lab lab;
    lab.playbook("site.yml", "- hosts: all\n  roles:\n    - role: postfix\n      postfix_inet_protocols: ipv4\n");
    Run theirs = lab.ansible("site.yml");
    INFO("ansible-playbook:\n" << theirs.out);
    REQUIRE(theirs.rc == 0);
    Run ours = lab.upkeep("site.yml");
    INFO("upkeep:\n" << ours.out);
    REQUIRE(ours.rc == 0);
    CHECK(recap(ours.out) == recap(theirs.out));
    CHECK(recap(ours.out) == "ok=5 changed=4 unreachable=0 failed=0 skipped=0");
    const std::vector<std::string> files = {"/etc/postfix/main.cf"};
    std::string a = lab.state(0, files, "postfix"), u = lab.state(1, files, "postfix");
    CHECK(u == a);
    // What was asked for really happened (not just the same on both sides).
    CHECK(u.find("inet_interfaces = localhost\n") != std::string::npos);
    CHECK(u.find("inet_protocols = ipv4\n") != std::string::npos);
    CHECK(u.find("postfix 3.7.11-0+deb12u1 ii") != std::string::npos);
    CHECK(u.find("rc2.d/S01postfix\n") != std::string::npos);
    CHECK(u.find("rc0.d/K01postfix\n") != std::string::npos);
    CHECK(lab.on(1, "service postfix status >/dev/null && echo running") == "running\n");
    CHECK(lab.on(0, "service postfix status >/dev/null && echo running") == "running\n");
    // The one difference, deliberate: the handler's `state: restarted` on a SysV
    // script. Ansible's service module runs `service postfix stop` then `start`
    // ("not all services support restart"); upkeep runs the script's own `restart`
    // (which a script that has one does best: e.g. a reload-safe restart).
    CHECK(lab.on(0, "cat /var/log/postfix.init") == "start\nstop\nstart\n");
    CHECK(lab.on(1, "cat /var/log/postfix.init") == "start\nrestart\nstop\nstart\n");

    Run again = lab.upkeep("site.yml");
    INFO("upkeep, second run:\n" << again.out);
    CHECK(again.rc == 0);
    CHECK(recap(again.out) == "ok=4 changed=0 unreachable=0 failed=0 skipped=0");
    CHECK(lab.state(1, files, "postfix") == u);
    std::printf("postfix role full run: ansible %s; upkeep %s, second run %s\n", recap(theirs.out).c_str(),
                recap(ours.out).c_str(), recap(again.out).c_str());
}

TEST_CASE("the nfs role runs unchanged: ansible-playbook and upkeep agree on a full run", "[ansible][integration][roles][nfs]") {
    require_tools();
    Lab lab;
    lab.playbook("site.yml", R"yaml(- hosts: all
  roles:
    - role: nfs
      nfs_exports:
        - "/srv/nfs/home    127.0.0.1(rw,sync,no_subtree_check)"
        - "/srv/nfs/public  *(ro,sync,no_subtree_check)"
        - "/srv/nfs/home    127.0.0.2(ro)"
)yaml");
    Run theirs = lab.ansible("site.yml");
    INFO("ansible-playbook:\n" << theirs.out);
    REQUIRE(theirs.rc == 0);
    Run ours = lab.upkeep("site.yml");
    INFO("upkeep:\n" << ours.out);
    REQUIRE(ours.rc == 0);
    CHECK(recap(ours.out) == recap(theirs.out));
    const std::vector<std::string> files = {"/etc/exports", "/srv/nfs/home", "/srv/nfs/public", "/var/log/exportfs.calls",
                                            "/var/log/nfs-kernel-server.init"};  // no restart: the same on both sides
    const std::string pkgs = "nfs-common nfs-kernel-server";
    std::string a = lab.state(0, files, pkgs), u = lab.state(1, files, pkgs);
    CHECK(u == a);
    CHECK(u.find("/srv/nfs/public  *(ro,sync,no_subtree_check)\n") != std::string::npos);
    CHECK(u.find("== /srv/nfs/home\ndirectory 755 root:root") != std::string::npos);
    CHECK(u.find("exportfs -ra\n") != std::string::npos);  // the handler ran once
    CHECK(u.find("nfs-kernel-server 1:2.6.2-4+deb12u1 ii") != std::string::npos);
    CHECK(lab.on(1, "service nfs-kernel-server status >/dev/null && echo running") == "running\n");

    Run again = lab.upkeep("site.yml");
    INFO("upkeep, second run:\n" << again.out);
    CHECK(again.rc == 0);
    CHECK(again.out.find("changed=0") != std::string::npos);
    CHECK(lab.state(1, files, pkgs) == u);
    std::printf("nfs role full run: ansible %s; upkeep %s, second run %s\n", recap(theirs.out).c_str(),
                recap(ours.out).c_str(), recap(again.out).c_str());
}
