// What a package upgrade may leave beside the config files the operator edited:
// dpkg (force-confold) keeps the edited file and puts the new one beside it as
// .dpkg-dist; rpm does the same as .rpmnew for %config(noreplace) and moves the
// edited file aside as .rpmsave for plain %config. Whether it happens depends on
// the new package's bytes, which a dry run cannot see without downloading it; so
// the apt and dnf modules note these paths on the connection as "may appear"
// (Connection::note_pending_file), and a later task (config_merge, a command with
// removes:) plans the work as depending on the upgrade instead of "nothing to do".
#pragma once

#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "modules/formats/pkg_query.hpp"

namespace upkeep {

struct Leftover {
    std::string path;    // the file that may appear: /etc/x.conf.dpkg-dist
    std::string reason;  // "the upgrade of pkg 1.0 -> 2.0"
};

// The packages `ops` upgrade (or downgrade, reinstall) whose conffiles differ
// from the bytes dpkg recorded: read-only (dpkg-query, then the files).
std::vector<Leftover> dpkg_leftovers(Connection& conn, const std::vector<pkg::PkgOp>& ops);
// The same for rpm; `rpm_root` is "" or the --root the transaction uses.
std::vector<Leftover> rpm_leftovers(Connection& conn, const std::string& rpm_root, const std::vector<pkg::PkgOp>& ops);

// The files a fresh install (`ops`' Install rows) will create, from the repository
// metadata (one `<base> -q repoquery` for all of them, read-only: nothing is downloaded), each with
// "the install of NAME VERSION (replacing OLD VERSION)". A package rename (the 4.3
// cloudstack-management obsoleting cloud-client) creates a whole new config tree the
// dry run cannot read; noting it lets later tasks plan "depends on the install"
// instead of failing on, or calling converged, a file that does not exist yet.
// `base` is the dnf command with its options; `rpm_root` as for rpm_leftovers. Empty
// when the tool cannot list files (classic yum without repoquery).
std::vector<Leftover> rpm_new_package_files(Connection& conn, const std::string& base, const std::string& rpm_root,
                                            const std::vector<pkg::PkgOp>& ops);

// The same for apt, where the indexes carry no file lists: `apt-get --print-uris`
// names each new package's .deb. From a local (file:) repository `dpkg-deb -c` lists
// it where it is; from any other apt method (http, https, ...) apt's own helper
// fetches it into a private temp dir on the host, removed right after the listing
// (apt's cache untouched). A .deb that cannot be fetched is left out (its files stay
// unknown). `apt_opts` as the install uses.
std::vector<Leftover> dpkg_new_package_files(Connection& conn, const std::string& apt_opts,
                                             const std::vector<pkg::PkgOp>& ops);

// Notes each leftover check() found (carried in the apt or dnf module's own plan
// payload) on the connection: kept by the dry-run overlay, ignored by a real
// connection, where the host itself shows what appeared.
void note_leftovers(Connection& conn, const std::vector<Leftover>& leftovers);

}  // namespace upkeep
