// package_facts' parsers: dpkg-query and rpm -qa lines into Ansible's
// packages[NAME] = [ {...}, ... ] map.
#pragma once

#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

// Lines of dpkg-query -f '${Package}\t${Version}\t${Architecture}\t${Section}\t${db:Status-Abbrev}\n';
// a package of another architecture than `native_arch` is named "name:arch", as apt does.
void parse_dpkg_packages(const std::string& out, Value& packages, const std::string& native_arch);
// Overrides each apt entry's category with the Section of the same package and
// version in apt's Packages indexes (`index`: their Package/Version/Section lines).
void apply_index_sections(const std::string& index, Value& packages);
// Lines of rpm -qa --qf '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'.
void parse_rpm_packages(const std::string& out, Value& packages);

}  // namespace upkeep
