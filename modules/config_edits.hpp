// The pure cores of the lossless config-file modules (properties, ini_file,
// yum_repository, apt_repository): current bytes -> new bytes, no host access.
// The modules wrap them with plan_file_edit/apply_file_plan; the tests and the
// fuzzers call them directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/module/file_edit.hpp"

namespace upkeep {

// What the properties module was asked to do.
struct PropertiesEdit {
    std::optional<std::string> key;
    std::optional<std::string> value;
    bool absent = false;
    std::optional<std::string> regexp;  // ECMAScript regex applied to decoded values
    std::string replace;                // $1 or \1 refer to groups
    bool only_if_absent = false;
};

// Applies `e` to a .properties file (nullopt: the file does not exist yet).
// Throws UserError (file:line:col) for a malformed file or a bad regexp.
EditOutcome edit_properties(const std::optional<std::string>& current, const PropertiesEdit& e,
                            const std::string& path);

// Replaces the text inside every ENC(...) with the mask, so diffs of
// Jasypt-encrypted properties show which line changed but never the value.
std::string mask_enc_values(const std::string& text);

// What the ini_file module was asked to do (Ansible's arguments).
struct IniEdit {
    std::optional<std::string> section;  // nullopt: before the first section
    std::optional<std::string> option;
    std::vector<std::string> values;     // value or values
    bool values_given = false;
    bool absent = false;
    bool exclusive = true;
    bool no_extra_spaces = false;
    bool allow_no_value = false;
};

// Applies `e` to an INI file (nullopt: the file does not exist yet).
EditOutcome edit_ini(const std::optional<std::string>& current, const IniEdit& e, const std::string& path);

// What the yum_repository module was asked to do: the repository id and the
// keys it owns, already rendered as dnf reads them ("1"/"0", lists one per line).
struct YumRepoEdit {
    std::string name;
    bool absent = false;
    // key -> wanted value; a value with "\n" is a list written one per line.
    std::vector<std::pair<std::string, std::string>> keys;
};

// Applies `e` to a .repo file. Keys not in `e` and comments are kept; a value
// equal in dnf's eyes (yes/1/true, a list split by spaces, commas or lines) is
// not rewritten.
EditOutcome edit_yum_repo(const std::optional<std::string>& current, const YumRepoEdit& e, const std::string& path);

// What the apt_repository module was asked to do.
struct AptRepoEdit {
    std::string repo;                     // a one-line entry: "deb [opts] uri suite components"
    bool absent = false;
    std::vector<std::string> supersedes;  // one-line entries or regexes of lines this repo replaces
    bool deb822 = false;                  // the file is a .sources file
};

// Applies `e` to a sources file (one-line format, or deb822 when e.deb822).
// Throws UserError (file:line:col) for a malformed file or repo line.
EditOutcome edit_apt_sources(const std::optional<std::string>& current, const AptRepoEdit& e, const std::string& path);

// Ansible's default file name for a repo line: the URI's host and path with
// every run of other characters than letters and digits turned into '_'
// ("deb http://cloudstack.apt-get.eu/ubuntu precise 4.0" -> "cloudstack_apt_get_eu_ubuntu").
std::string apt_default_filename(const std::string& repo);

}  // namespace upkeep
