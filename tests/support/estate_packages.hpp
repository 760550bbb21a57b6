// Package repositories built by the estate tests (seed_estate_test,
// seed_rename_estate_test, ovirt_estate_test): noarch RPMs with rpmbuild in a
// createrepo_c repository, .debs with dpkg-deb in a flat apt repository
// (dpkg-scanpackages). One way to lay out a package's files, its config files
// (%config(noreplace) / conffiles) and its scripts, for every estate.
#pragma once

#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

struct PkgFile {
    std::string path = "";
    // "" installs a copy of /bin/sleep: a daemon whose process name is the file's
    // name (pgrep -x jsvc, killall jsvc see it). Content starting with "#!" and the
    // sleep copies are mode 0755, the rest 0644.
    std::string content = "";
    bool config = false;     // %config(noreplace) / a conffile
    std::string link_to = "";  // non-empty: a symlink to this path instead of content
};

// A createrepo_c repository of noarch RPMs, built in a temp dir readable by all.
class RpmRepo {
public:
    RpmRepo();
    std::string repo() const { return m_dir / "repo"; }
    std::string rpm(const std::string& file) const { return repo() + "/" + file; }
    // `headers`: extra spec lines (Obsoletes:, Provides:); `scripts`: %pre/%post sections.
    void build(const std::string& name, const std::string& version, const std::string& release,
               const std::vector<PkgFile>& files, const std::string& headers = "", const std::string& scripts = "");
    // Writes the repository metadata: call once every package is built.
    void finish();

private:
    TempDir m_dir;
    int m_staged = 0;
};

// A .deb's relations and maintainer script.
struct DebControl {
    std::string depends = "", replaces = "";  // replaces: also Conflicts (a renamed package)
    std::string postinst = "";                // a maintainer script, or ""
};

// A flat apt repository ("deb [trusted=yes] file:DIR ./") of Architecture: all .debs.
class DebRepo {
public:
    DebRepo();
    std::string repo() const { return m_dir / "repo"; }
    std::string apt_line() const { return "deb [trusted=yes] file:" + repo() + " ./"; }
    void build(const std::string& name, const std::string& version, const std::vector<PkgFile>& files,
               const DebControl& control = {});
    void finish();  // the Packages index

private:
    TempDir m_dir;
};

}  // namespace upkeep::test
