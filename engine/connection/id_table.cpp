#include "engine/connection/id_table.hpp"

#include <mutex>
#include <unordered_map>

#include "engine/util/sha256.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::shared_ptr<const IdTable> IdTable::of(const std::string& file_text) {
    static std::mutex mutex;
    static std::unordered_map<std::string, std::weak_ptr<const IdTable>> tables;  // by SHA-256 of the text
    std::string key = sha256_hex(file_text);
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = tables.find(key); it != tables.end())
        if (auto live = it->second.lock()) return live;
    auto table = std::shared_ptr<IdTable>(new IdTable);
    for (const auto& line : split(file_text, '\n')) {
        auto fields = split(line, ':');
        if (fields.size() < 3 || fields[2].empty() || fields[2].size() > 10 ||
            fields[2].find_first_not_of("0123456789") != std::string::npos)
            continue;
        unsigned long long id = std::stoull(fields[2]);
        if (id > UINT32_MAX) continue;
        table->m_by_id.emplace(static_cast<uint32_t>(id), fields[0]);
        table->m_by_name.emplace(fields[0], static_cast<uint32_t>(id));
    }
    // Forget tables no connection holds any more, so the map stays as small
    // as the set of distinct files in use.
    for (auto it = tables.begin(); it != tables.end();) it = it->second.expired() ? tables.erase(it) : std::next(it);
    tables[key] = table;
    return table;
}

std::optional<std::string> IdTable::name(uint32_t id) const {
    auto it = m_by_id.find(id);
    if (it == m_by_id.end()) return std::nullopt;
    return it->second;
}

std::optional<uint32_t> IdTable::id(const std::string& name) const {
    auto it = m_by_name.find(name);
    if (it == m_by_name.end()) return std::nullopt;
    return it->second;
}

}  // namespace upkeep
