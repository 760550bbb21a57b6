// The packages of the seed's "Upgrade from 3.0.x" estate (seed_rename_estate_test):
// CloudStack 3.0's cloud-* names and the 4.3 cloudstack-* packages that replace them,
// built here (rpmbuild + createrepo_c, dpkg-deb + dpkg-scanpackages) to behave like
// CloudStack's own packaging on an upgrade.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "engine/util/strings.hpp"
#include "tests/support/cloudstack_estate.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

inline const std::string k_rename_merge = std::string(UPKEEP_TEST_FIXTURES) + "/merge/";
inline const std::string k_done_log =
    "    mkdir -p /var/log/cloudstack/management\n"
    "    echo 'INFO [o.a.c.s.l.CloudStackExtendedLifeCycle] (main:null) Done Configuring CloudStack Components'"
    " >> /var/log/cloudstack/management/management-server.log\n";

// cloud-client/cloud-usage 3.0.7 and the cloudstack-* 4.3.0 that obsolete them, in
// one createrepo_c repository (the operator's mirror once 4.3 was published).
class RenameRpms {
public:
    static const RenameRpms& get() {
        static const RenameRpms rpms;
        return rpms;
    }
    std::string repo() const { return m_dir / "repo"; }

private:
    RenameRpms() {
        ::chmod(m_dir.path().c_str(), 0755);
        std::string ctx = read_file(std::string(UPKEEP_TEST_FIXTURES) + "/../../playbooks/sandbox/seed/mgmt-server/etc/cloudstack/management/componentContext.xml");
        write_file(m_dir / "src/base.xml", read_file(k_rename_merge + "components/base.xml"));
        write_file(m_dir / "src/base.properties", read_file(k_rename_merge + "db/base.properties"));
        write_file(m_dir / "src/new.xml", read_file(k_rename_merge + "components/new.xml"));
        write_file(m_dir / "src/new.properties", read_file(k_rename_merge + "db/new.properties"));
        write_file(m_dir / "src/componentContext.xml", ctx);
        write_file(m_dir / "src/cloud-management", init_script("cloud-management", "/usr/lib/cloud/management/java", ""));
        write_file(m_dir / "src/cloud-usage", init_script("cloud-usage", "/usr/lib/cloud/usage/java", ""));
        write_file(m_dir / "src/cloudstack-management",
                   init_script("cloudstack-management", "/usr/lib/cloudstack-management/java", k_done_log));
        write_file(m_dir / "src/cloudstack-usage", init_script("cloudstack-usage", "/usr/lib/cloudstack-usage/java", ""));
        const std::string src = m_dir / "src";
        // The hosts' rpm database knows no /bin/sh (their / is Debian's): this stands in
        // for the distribution's filesystem/bash packages the scriptlets require.
        rpm("estate-base", "1.0", "Provides: /bin/sh\n", "", "", "");
        rpm("cloud-client", "3.0.7", "",
            "mkdir -p %{buildroot}/etc/cloud/management %{buildroot}/etc/init.d %{buildroot}/usr/lib/cloud/management\n"
            "cp " + src + "/base.xml %{buildroot}/etc/cloud/management/components.xml\n"
            "cp " + src + "/base.properties %{buildroot}/etc/cloud/management/db.properties\n"
            "install -m 0755 " + src + "/cloud-management %{buildroot}/etc/init.d/cloud-management\n"
            "cp /bin/sleep %{buildroot}/usr/lib/cloud/management/java\n",
            "%config(noreplace) /etc/cloud/management/components.xml\n"
            "%config(noreplace) /etc/cloud/management/db.properties\n"
            "/etc/init.d/cloud-management\n/usr/lib/cloud/management/java\n",
            "");
        // 2.2.14: the same names, a db.properties with plaintext passwords and no
        // encryption settings, no key file (cloudstack-setup-encryption makes one).
        write_file(m_dir / "src/base22.properties", read_file(k_rename_merge + "db22/base.properties"));
        rpm("cloud-client", "2.2.14", "",
            "mkdir -p %{buildroot}/etc/cloud/management %{buildroot}/etc/init.d %{buildroot}/usr/lib/cloud/management\n"
            "cp " + src + "/base.xml %{buildroot}/etc/cloud/management/components.xml\n"
            "cp " + src + "/base22.properties %{buildroot}/etc/cloud/management/db.properties\n"
            "install -m 0755 " + src + "/cloud-management %{buildroot}/etc/init.d/cloud-management\n"
            "cp /bin/sleep %{buildroot}/usr/lib/cloud/management/java\n",
            "%config(noreplace) /etc/cloud/management/components.xml\n"
            "%config(noreplace) /etc/cloud/management/db.properties\n"
            "/etc/init.d/cloud-management\n/usr/lib/cloud/management/java\n",
            "");
        rpm("cloud-usage", "3.0.7", "",
            "mkdir -p %{buildroot}/etc/init.d %{buildroot}/usr/lib/cloud/usage\n"
            "install -m 0755 " + src + "/cloud-usage %{buildroot}/etc/init.d/cloud-usage\n"
            "cp /bin/sleep %{buildroot}/usr/lib/cloud/usage/java\n",
            "/etc/init.d/cloud-usage\n/usr/lib/cloud/usage/java\n", "");
        // As CloudStack's cloud.spec: Obsoletes/Provides the old name; %pre saves the
        // old tree, %post carries db.properties and the key (2.2.14 had none) over
        // (.rpmnew: the packaged one). It ships cloudstack-setup-encryption (a Python
        // script as CloudStack's, tests/fixtures/cloudstack43) and jasypt-1.9.0.jar,
        // here a link to Debian's real jasypt.
        write_file(m_dir / "src/cloudstack-setup-encryption",
                   read_file(std::string(UPKEEP_TEST_FIXTURES) + "/cloudstack43/cloudstack-setup-encryption"));
        rpm("cloudstack-management", "4.3.0", "Obsoletes: cloud-client < 4.1.0\nProvides: cloud-client\n",
            "mkdir -p %{buildroot}/etc/cloudstack/management %{buildroot}/etc/init.d %{buildroot}/usr/lib/cloudstack-management\n"
            "cp " + src + "/new.xml %{buildroot}/etc/cloudstack/management/components.xml\n"
            "cp " + src + "/new.properties %{buildroot}/etc/cloudstack/management/db.properties\n"
            "cp " + src + "/componentContext.xml %{buildroot}/etc/cloudstack/management/componentContext.xml\n"
            "install -m 0755 " + src + "/cloudstack-management %{buildroot}/etc/init.d/cloudstack-management\n"
            "cp /bin/sleep %{buildroot}/usr/lib/cloudstack-management/java\n"
            "mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/cloudstack-common/lib\n"
            "install -m 0755 " + src + "/cloudstack-setup-encryption %{buildroot}/usr/bin/cloudstack-setup-encryption\n"
            "ln -s /usr/share/java/jasypt.jar %{buildroot}/usr/share/cloudstack-common/lib/jasypt-1.9.0.jar\n",
            "%config(noreplace) /etc/cloudstack/management/components.xml\n"
            "%config(noreplace) /etc/cloudstack/management/db.properties\n"
            "%config(noreplace) /etc/cloudstack/management/componentContext.xml\n"
            "/etc/init.d/cloudstack-management\n/usr/lib/cloudstack-management/java\n"
            "/usr/bin/cloudstack-setup-encryption\n/usr/share/cloudstack-common/lib/jasypt-1.9.0.jar\n",
            "%pre\n"
            "if [ -d /etc/cloud ]; then mv /etc/cloud /etc/cloud.rpmsave; fi\n"
            "%post\n"
            "if [ -f /etc/cloud.rpmsave/management/db.properties ]; then\n"
            "  mv /etc/cloudstack/management/db.properties /etc/cloudstack/management/db.properties.rpmnew\n"
            "  cp -p /etc/cloud.rpmsave/management/db.properties /etc/cloudstack/management\n"
            "  if [ -f /etc/cloud.rpmsave/management/key ]; then cp -p /etc/cloud.rpmsave/management/key /etc/cloudstack/management; fi\n"
            "  mv /etc/cloud.rpmsave/management/db.properties /etc/cloud.rpmsave/management/db.properties.rpmsave\n"
            "fi\n");
        rpm("cloudstack-usage", "4.3.0", "Obsoletes: cloud-usage < 4.1.0\nProvides: cloud-usage\n",
            "mkdir -p %{buildroot}/etc/init.d %{buildroot}/usr/lib/cloudstack-usage\n"
            "install -m 0755 " + src + "/cloudstack-usage %{buildroot}/etc/init.d/cloudstack-usage\n"
            "cp /bin/sleep %{buildroot}/usr/lib/cloudstack-usage/java\n",
            "/etc/init.d/cloudstack-usage\n/usr/lib/cloudstack-usage/java\n", "");
        must("mkdir -p " + shell_quote(repo()) + " && cp " + shell_quote(m_dir / "rpmbuild/RPMS/noarch") + "/*.rpm " +
             shell_quote(repo()) + " && createrepo_c -q " + shell_quote(repo()) + " && chmod -R a+rX " +
             shell_quote(m_dir.path()));
    }

    void rpm(const std::string& name, const std::string& version, const std::string& headers,
             const std::string& install, const std::string& files, const std::string& scripts) {
        std::string spec = "Name: " + name + "\nVersion: " + version +
                           "\nRelease: 1\nSummary: CloudStack-shaped test package\nLicense: ASL 2.0\nBuildArch: noarch\n"
                           "AutoReqProv: no\n" + headers + "%description\ntest package\n%install\n" + install +
                           "%files\n" + files + scripts;
        std::string path = m_dir / (name + "-" + version + ".spec");
        write_file(path, spec);
        must("rpmbuild --define '_topdir " + m_dir.path() + "/rpmbuild' --define '__os_install_post %{nil}' "
             "--define '_binaries_in_noarch_packages_terminate_build 0' -bb " + shell_quote(path) + " >/dev/null 2>&1");
    }

    TempDir m_dir;
};

// The KVM side under apt: cloud-agent 3.0.7 (config in /etc/cloud/agent, service
// cloud-agent running as jsvc) and cloudstack-agent 4.3.0, which Conflicts/Replaces it
// and, as the seed says of APT, copies agent.properties, environment.properties and
// log4j-cloud.xml over from /etc/cloud/agent in its postinst (the packaged
// log4j-cloud.xml left as .dpkg-dist).
class RenameDebs {
public:
    static const RenameDebs& get() {
        static const RenameDebs debs;
        return debs;
    }
    std::string repo() const { return m_dir / "repo"; }

private:
    RenameDebs() {
        ::chmod(m_dir.path().c_str(), 0755);
        deb("cloud-agent", "3.0.7", "",
            {{"/etc/cloud/agent/agent.properties", "resource=com.cloud.agent.resource.computing.LibvirtComputingResource\nworkers=5\n", true},
             {"/etc/cloud/agent/environment.properties", "paths.pid=/var/run\n", true},
             {"/etc/cloud/agent/log4j-cloud.xml", "<log4j:configuration><!-- 3.0.7 --></log4j:configuration>\n", true},
             {"/etc/init.d/cloud-agent", init_script("cloud-agent", "/usr/bin/jsvc", ""), false},
             {"/usr/bin/jsvc", "", false}},
            "");
        deb("cloudstack-agent", "4.3.0", "cloud-agent",
            {{"/etc/cloudstack/agent/agent.properties", "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n", true},
             {"/etc/cloudstack/agent/environment.properties", "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n", true},
             {"/etc/cloudstack/agent/log4j-cloud.xml", "<log4j:configuration><!-- 4.3.0 --></log4j:configuration>\n", true},
             {"/usr/share/cloudstack-agent/lib/libvirtqemuhook", "#!/usr/bin/python\n# CloudStack 4.3.0 qemu hook\n", false},
             // Renames 2.2/3.0 bridges (cloud0...) to the 4.x names; this host has none.
             {"/usr/bin/cloudstack-agent-upgrade",
              "#!/bin/sh\nfor b in /sys/class/net/cloud[0-9]*; do [ -e \"$b\" ] || continue; echo \"rename $b\"; done\n"
              "echo \"$(date +%s) cloudstack-agent-upgrade\" >> /var/log/cloudstack-agent-upgrade.log\n", false},
             {"/etc/init.d/cloudstack-agent", init_script("cloudstack-agent", "/usr/bin/jsvc", ""), false},
             {"/usr/bin/jsvc", "", false}},
            "#!/bin/sh\n"
            "if [ \"$1\" = configure ] && [ -z \"$2\" ] && [ -d /etc/cloud/agent ]; then\n"
            "  for f in agent.properties environment.properties; do\n"
            "    [ -f /etc/cloud/agent/$f ] && cp -a /etc/cloud/agent/$f /etc/cloudstack/agent/$f\n"
            "  done\n"
            "  if [ -f /etc/cloud/agent/log4j-cloud.xml ]; then\n"
            "    mv /etc/cloudstack/agent/log4j-cloud.xml /etc/cloudstack/agent/log4j-cloud.xml.dpkg-dist\n"
            "    cp -a /etc/cloud/agent/log4j-cloud.xml /etc/cloudstack/agent/log4j-cloud.xml\n"
            "  fi\n"
            "fi\n");
        must("cd " + shell_quote(repo()) + " && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null");
    }

    struct File {
        std::string path, content;
        bool conffile;
    };

    // `content` "" copies /bin/sleep: a daemon whose process name is the file's name.
    void deb(const std::string& name, const std::string& version, const std::string& replaces,
             const std::vector<File>& files, const std::string& postinst) {
        std::string src = m_dir / ("src/" + name + "-" + version);
        std::string conffiles;
        for (const auto& f : files) {
            std::string dir = f.path.substr(0, f.path.rfind('/'));
            if (f.content.empty()) {
                must("mkdir -p " + shell_quote(src + dir) + " && cp /bin/sleep " + shell_quote(src + f.path));
                continue;
            }
            write_file(src + f.path, f.content);
            if (starts_with(f.content, "#!")) ::chmod((src + f.path).c_str(), 0755);
            if (f.conffile) conffiles += f.path + "\n";
        }
        write_file(src + "/DEBIAN/control", "Package: " + name + "\nVersion: " + version +
                                                "\nArchitecture: all\nMaintainer: upkeep tests <t@example.org>\n" +
                                                (replaces.empty() ? "" : "Conflicts: " + replaces + "\nReplaces: " + replaces + "\n") +
                                                "Description: CloudStack-shaped test package\n");
        if (!conffiles.empty()) write_file(src + "/DEBIAN/conffiles", conffiles);
        if (!postinst.empty()) {
            write_file(src + "/DEBIAN/postinst", postinst);
            ::chmod((src + "/DEBIAN/postinst").c_str(), 0755);
        }
        must("mkdir -p " + shell_quote(repo()) + " && dpkg-deb --build --root-owner-group " + shell_quote(src) + " " +
             shell_quote(repo() + "/" + name + "_" + version + "_all.deb") + " >/dev/null");
    }

    TempDir m_dir;
};

}  // namespace upkeep::test
