// The packages of the seed's "Upgrade from 3.0.x" and "from 2.2.14" estate
// (seed_rename_estate_test): CloudStack 2.2/3.0's cloud-* names and the 4.3
// cloudstack-* packages that replace them, built here (tests/support/estate_packages)
// to behave like CloudStack's own packaging on an upgrade.
#pragma once

#include <string>
#include <vector>

#include "tests/support/estate_lab.hpp"
#include "tests/support/estate_packages.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

inline const std::string k_rename_merge = std::string(UPKEEP_TEST_FIXTURES) + "/merge/";
inline const std::string k_done_log =
    "    mkdir -p /var/log/cloudstack/management\n"
    "    echo 'INFO [o.a.c.s.l.CloudStackExtendedLifeCycle] (main:null) Done Configuring CloudStack Components'"
    " >> /var/log/cloudstack/management/management-server.log\n";

// cloud-client 2.2.14 and 3.0.7, cloud-usage 3.0.7 and the cloudstack-* 4.3.0 that
// obsolete them, in one createrepo_c repository (the operator's mirror once 4.3 was
// published).
class RenameRpms {
public:
    static const RenameRpms& get() {
        static const RenameRpms rpms;
        return rpms;
    }
    std::string repo() const { return m_rpms.repo(); }

private:
    RenameRpms() {
        std::string ctx = read_file(std::string(UPKEEP_TEST_FIXTURES) +
                                    "/../../playbooks/sandbox/seed/mgmt-server/etc/cloudstack/management/componentContext.xml");
        // The hosts' rpm database knows no /bin/sh (their / is Debian's): this stands in
        // for the distribution's filesystem/bash packages the scriptlets require.
        m_rpms.build("estate-base", "1.0", "1", {}, "Provides: /bin/sh\n");
        // 3.0.7, and 2.2.14: the same names, a db.properties with plaintext passwords
        // and no encryption settings, no key file (cloudstack-setup-encryption makes one).
        for (const char* v : {"3.0.7", "2.2.14"}) {
            bool v22 = std::string(v) == "2.2.14";
            m_rpms.build("cloud-client", v, "1",
                         {{"/etc/cloud/management/components.xml", read_file(k_rename_merge + "components/base.xml"), true},
                          {"/etc/cloud/management/db.properties",
                           read_file(k_rename_merge + (v22 ? "db22/base.properties" : "db/base.properties")), true},
                          {"/etc/init.d/cloud-management", init_script("cloud-management", "/usr/lib/cloud/management/java")},
                          {"/usr/lib/cloud/management/java", ""}});
        }
        m_rpms.build("cloud-usage", "3.0.7", "1",
                     {{"/etc/init.d/cloud-usage", init_script("cloud-usage", "/usr/lib/cloud/usage/java")},
                      {"/usr/lib/cloud/usage/java", ""}});
        // As CloudStack's cloud.spec: Obsoletes/Provides the old name; %pre saves the
        // old tree, %post carries db.properties and the key (2.2.14 had none) over
        // (.rpmnew: the packaged one). It ships cloudstack-setup-encryption (a Python
        // script as CloudStack's, tests/fixtures/cloudstack43), cloudstack-sysvmadm (bash,
        // the same fixtures) and jasypt-1.9.0.jar, here a link to Debian's real jasypt.
        m_rpms.build(
            "cloudstack-management", "4.3.0", "1",
            {{"/etc/cloudstack/management/components.xml", read_file(k_rename_merge + "components/new.xml"), true},
             {"/etc/cloudstack/management/db.properties", read_file(k_rename_merge + "db/new.properties"), true},
             {"/etc/cloudstack/management/componentContext.xml", ctx, true},
             {"/etc/init.d/cloudstack-management",
              init_script("cloudstack-management", "/usr/lib/cloudstack-management/java", k_done_log)},
             {"/usr/lib/cloudstack-management/java", ""},
             {"/usr/bin/cloudstack-setup-encryption",
              read_file(std::string(UPKEEP_TEST_FIXTURES) + "/cloudstack43/cloudstack-setup-encryption")},
             {"/usr/share/cloudstack-common/lib/jasypt-1.9.0.jar", "", false, "/usr/share/java/jasypt.jar"},
             {"/usr/bin/cloudstack-sysvmadm",
              read_file(std::string(UPKEEP_TEST_FIXTURES) + "/cloudstack43/cloudstack-sysvmadm")}},
            "Obsoletes: cloud-client < 4.1.0\nProvides: cloud-client\n",
            "%pre\n"
            "if [ -d /etc/cloud ]; then mv /etc/cloud /etc/cloud.rpmsave; fi\n"
            "%post\n"
            "if [ -f /etc/cloud.rpmsave/management/db.properties ]; then\n"
            "  mv /etc/cloudstack/management/db.properties /etc/cloudstack/management/db.properties.rpmnew\n"
            "  cp -p /etc/cloud.rpmsave/management/db.properties /etc/cloudstack/management\n"
            "  if [ -f /etc/cloud.rpmsave/management/key ]; then cp -p /etc/cloud.rpmsave/management/key /etc/cloudstack/management; fi\n"
            "  mv /etc/cloud.rpmsave/management/db.properties /etc/cloud.rpmsave/management/db.properties.rpmsave\n"
            "fi\n");
        m_rpms.build("cloudstack-usage", "4.3.0", "1",
                     {{"/etc/init.d/cloudstack-usage", init_script("cloudstack-usage", "/usr/lib/cloudstack-usage/java")},
                      {"/usr/lib/cloudstack-usage/java", ""}},
                     "Obsoletes: cloud-usage < 4.1.0\nProvides: cloud-usage\n");
        m_rpms.finish();
    }

    RpmRepo m_rpms;
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
    std::string repo() const { return m_debs.repo(); }
    std::string apt_line() const { return m_debs.apt_line(); }

private:
    RenameDebs() {
        m_debs.build("cloud-agent", "3.0.7",
                     {{"/etc/cloud/agent/agent.properties", "resource=com.cloud.agent.resource.computing.LibvirtComputingResource\nworkers=5\n", true},
                      {"/etc/cloud/agent/environment.properties", "paths.pid=/var/run\n", true},
                      {"/etc/cloud/agent/log4j-cloud.xml", "<log4j:configuration><!-- 3.0.7 --></log4j:configuration>\n", true},
                      {"/etc/init.d/cloud-agent", init_script("cloud-agent", "/usr/bin/jsvc")},
                      {"/usr/bin/jsvc", ""}});
        m_debs.build(
            "cloudstack-agent", "4.3.0",
            {{"/etc/cloudstack/agent/agent.properties", "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n", true},
             {"/etc/cloudstack/agent/environment.properties", "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n", true},
             {"/etc/cloudstack/agent/log4j-cloud.xml", "<log4j:configuration><!-- 4.3.0 --></log4j:configuration>\n", true},
             {"/usr/share/cloudstack-agent/lib/libvirtqemuhook", "#!/usr/bin/python\n# CloudStack 4.3.0 qemu hook\n"},
             // Renames 2.2/3.0 bridges (cloud0...) to the 4.x names; this host has none.
             {"/usr/bin/cloudstack-agent-upgrade",
              "#!/bin/sh\nfor b in /sys/class/net/cloud[0-9]*; do [ -e \"$b\" ] || continue; echo \"rename $b\"; done\n"
              "echo \"$(date +%s) cloudstack-agent-upgrade\" >> /var/log/cloudstack-agent-upgrade.log\n"},
             {"/etc/init.d/cloudstack-agent", init_script("cloudstack-agent", "/usr/bin/jsvc")},
             {"/usr/bin/jsvc", ""}},
            {.replaces = "cloud-agent",
             .postinst = "#!/bin/sh\n"
                         "if [ \"$1\" = configure ] && [ -z \"$2\" ] && [ -d /etc/cloud/agent ]; then\n"
                         "  for f in agent.properties environment.properties; do\n"
                         "    [ -f /etc/cloud/agent/$f ] && cp -a /etc/cloud/agent/$f /etc/cloudstack/agent/$f\n"
                         "  done\n"
                         "  if [ -f /etc/cloud/agent/log4j-cloud.xml ]; then\n"
                         "    mv /etc/cloudstack/agent/log4j-cloud.xml /etc/cloudstack/agent/log4j-cloud.xml.dpkg-dist\n"
                         "    cp -a /etc/cloud/agent/log4j-cloud.xml /etc/cloudstack/agent/log4j-cloud.xml\n"
                         "  fi\n"
                         "fi\n"});
        m_debs.finish();
    }

    DebRepo m_debs;
};

}  // namespace upkeep::test
