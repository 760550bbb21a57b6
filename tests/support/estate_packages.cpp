#include "tests/support/estate_packages.hpp"

#include <sys/stat.h>

#include "engine/util/strings.hpp"

namespace upkeep::test {

namespace {

bool is_executable(const PkgFile& f) { return f.content.empty() || starts_with(f.content, "#!"); }

std::string parent(const std::string& p) { return p.substr(0, p.rfind('/')); }

}  // namespace

RpmRepo::RpmRepo() {
    ::chmod(m_dir.path().c_str(), 0755);  // dnf reads it as root in the hosts' roots, apt as _apt
}

void RpmRepo::build(const std::string& name, const std::string& version, const std::string& release,
                    const std::vector<PkgFile>& files, const std::string& headers, const std::string& scripts) {
    std::string install = "mkdir -p %{buildroot}\n", list;
    for (const auto& f : files) {
        if (!f.link_to.empty()) {
            install += "mkdir -p %{buildroot}" + parent(f.path) + " && ln -s " + f.link_to + " %{buildroot}" + f.path + "\n";
        } else {
            std::string staged = m_dir / ("staged/f" + std::to_string(m_staged++));
            if (f.content.empty()) must("mkdir -p " + shell_quote(m_dir / "staged") + " && cp /bin/sleep " + shell_quote(staged));
            else write_file(staged, f.content);
            install += "install -D -m " + std::string(is_executable(f) ? "0755 " : "0644 ") + staged + " %{buildroot}" +
                       f.path + "\n";
        }
        list += std::string(f.config ? "%config(noreplace) " : "") + f.path + "\n";
    }
    std::string spec = "Name: " + name + "\nVersion: " + version + "\nRelease: " + release +
                       "\nSummary: estate test package\nLicense: ASL 2.0\nBuildArch: noarch\nAutoReqProv: no\n" + headers +
                       "%description\ntest package\n%install\n" + install + "%files\n" + list + scripts;
    std::string spec_path = m_dir / (name + "-" + version + "-" + release + ".spec");
    write_file(spec_path, spec);
    // The packaged binaries are copies of sleep: no stripping, no noarch check.
    must("rpmbuild --define '_topdir " + m_dir.path() + "/rpmbuild' --define '__os_install_post %{nil}' "
         "--define '_binaries_in_noarch_packages_terminate_build 0' -bb " + shell_quote(spec_path) + " >/dev/null 2>&1");
}

void RpmRepo::finish() {
    must("mkdir -p " + shell_quote(repo()) + " && cp " + shell_quote(m_dir / "rpmbuild/RPMS/noarch") + "/*.rpm " +
         shell_quote(repo()) + " && createrepo_c -q " + shell_quote(repo()) + " && chmod -R a+rX " + shell_quote(m_dir.path()));
}

DebRepo::DebRepo() {
    ::chmod(m_dir.path().c_str(), 0755);  // apt fetches as its _apt user
}

void DebRepo::build(const std::string& name, const std::string& version, const std::vector<PkgFile>& files,
                    const DebControl& control) {
    std::string src = m_dir / ("src/" + name + "-" + version);
    std::string conffiles;
    for (const auto& f : files) {
        if (!f.link_to.empty()) {
            must("mkdir -p " + shell_quote(src + parent(f.path)) + " && ln -s " + shell_quote(f.link_to) + " " +
                 shell_quote(src + f.path));
            continue;
        }
        if (f.content.empty()) {
            must("mkdir -p " + shell_quote(src + parent(f.path)) + " && cp /bin/sleep " + shell_quote(src + f.path));
            continue;
        }
        write_file(src + f.path, f.content);
        if (is_executable(f)) ::chmod((src + f.path).c_str(), 0755);
        if (f.config) conffiles += f.path + "\n";
    }
    write_file(src + "/DEBIAN/control",
               "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\nMaintainer: upkeep tests <t@example.org>\n" +
                   (control.depends.empty() ? "" : "Depends: " + control.depends + "\n") +
                   (control.replaces.empty() ? "" : "Conflicts: " + control.replaces + "\nReplaces: " + control.replaces + "\n") +
                   "Description: estate test package\n");
    if (!conffiles.empty()) write_file(src + "/DEBIAN/conffiles", conffiles);
    if (!control.postinst.empty()) {
        write_file(src + "/DEBIAN/postinst", control.postinst);
        ::chmod((src + "/DEBIAN/postinst").c_str(), 0755);
    }
    must("mkdir -p " + shell_quote(repo()) + " && dpkg-deb --build --root-owner-group " + shell_quote(src) + " " +
         shell_quote(repo() + "/" + name + "_" + version + "_all.deb") + " >/dev/null");
}

void DebRepo::finish() {
    must("cd " + shell_quote(repo()) + " && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null");
}

}  // namespace upkeep::test
