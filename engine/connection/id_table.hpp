// Names and numbers of a host's users or groups, from its /etc/passwd or
// /etc/group: SFTP gives bare uids and gids, and a file's owner is shown and
// compared by name. A fleet is built from few images, so most hosts' files are
// byte-identical: the parsed table is shared by every connection whose file has
// the same bytes (keyed by their SHA-256) instead of two maps per host (12 MB
// at 1,000 hosts). A table lives while a connection holds it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace upkeep {

class IdTable {
public:
    // The shared table for this file content ("name:x:id:..." lines; lines
    // without a numeric third field are skipped, the first of two same names
    // or ids wins, as getpwnam/getpwuid read the file).
    static std::shared_ptr<const IdTable> of(const std::string& file_text);

    std::optional<std::string> name(uint32_t id) const;
    std::optional<uint32_t> id(const std::string& name) const;
    size_t size() const { return m_by_id.size(); }

private:
    std::map<uint32_t, std::string> m_by_id;
    std::map<std::string, uint32_t> m_by_name;
};

}  // namespace upkeep
