#include "engine/connection/planned_connection.hpp"

#include <set>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::string normalize_path(const std::string& path) {
    std::vector<std::string> parts;
    for (const auto& p : split(path, '/')) {
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(p);
    }
    std::string out = path.empty() || path[0] != '/' ? "" : "/";
    out += join(parts, "/");
    return out.empty() ? "." : out;
}


namespace {
bool is_under(const std::string& path, const std::string& dir) {
    if (dir == "/") return path.size() > 1 && path[0] == '/';
    return path.size() > dir.size() && starts_with(path, dir) && path[dir.size()] == '/';
}
}  // namespace

const PlannedConnection::Entry* PlannedConnection::find(const std::string& path) const {
    auto it = m_entries.find(path);
    return it == m_entries.end() ? nullptr : &it->second;
}

bool PlannedConnection::hidden_by_ancestor(const std::string& path) const {
    for (std::string p = parent_path(path); p != "/" && p != "."; p = parent_path(p)) {
        const Entry* e = find(p);
        if (e && ((!e->info.is_dir() && !e->info.is_link()) || e->opaque)) return true;
    }
    return false;
}

CommandResult PlannedConnection::run(const Command& cmd) {
    if (!cmd.mutating) return m_real->run(cmd);
    m_would_run.push_back(cmd.cmdline);
    CommandResult r;
    r.executed = false;
    return r;
}

bool PlannedConnection::allow_external_effect(const std::string& what) {
    m_would_run.push_back(what);
    return false;
}

std::optional<bool> PlannedConnection::planned_service_running(const std::string& name) {
    auto it = m_services.find(name);
    // Not planned here: a probe's overlay sits on the run's overlay, which may know.
    if (it == m_services.end()) return m_real->planned_service_running(name);
    return it->second;
}

void PlannedConnection::note_service_state(const std::string& name, bool running) { m_services[name] = running; }

void PlannedConnection::note_pending_file(const std::string& path, const std::string& reason) {
    m_pending[normalize_path(path)] = reason;
}

std::optional<std::string> PlannedConnection::pending_file(const std::string& raw) {
    std::string path = normalize_path(raw);
    if (auto it = m_pending.find(path); it != m_pending.end()) return it->second;
    // A path this overlay plans (written, or removed: a merge took the leftover away)
    // is no longer "may appear"; otherwise a probe's overlay asks the run's.
    if (find(path)) return std::nullopt;
    return m_real->pending_file(path);
}

FileInfo PlannedConnection::stat(const std::string& raw, bool follow) {
    std::string path = normalize_path(raw);
    const Entry* own = find(path);
    if (!own && hidden_by_ancestor(path)) return FileInfo{};
    if (const Entry* e = own) {
        if (follow && e->info.is_link()) {
            std::string target = e->info.link_target;
            if (!target.empty() && target[0] != '/') target = parent_path(path) + "/" + target;
            return stat(target, true);
        }
        return e->info;
    }
    return m_real->stat(path, follow);
}

std::optional<std::string> PlannedConnection::read_file(const std::string& raw) {
    return read_shared(raw).to_optional();
}

SharedText PlannedConnection::read_shared(const std::string& raw) {
    std::string path = normalize_path(raw);
    const Entry* own = find(path);
    if (!own && hidden_by_ancestor(path)) return std::nullopt;
    if (const Entry* e = own) {
        if (e->info.is_link()) {
            std::string target = e->info.link_target;
            if (!target.empty() && target[0] != '/') target = parent_path(path) + "/" + target;
            return read_shared(target);
        }
        if (!e->info.exists()) return std::nullopt;
        if (e->info.is_dir()) throw TaskError(path + " is a directory");
        if (e->content) return e->content;
    }
    return m_real->read_shared(path);
}

std::optional<std::string> PlannedConnection::file_sha256(const std::string& raw) {
    std::string path = normalize_path(raw);
    const Entry* own = find(path);
    if (own || hidden_by_ancestor(path)) return Connection::file_sha256(path);  // planned: hash the planned bytes
    return m_real->file_sha256(path);
}

PlannedConnection::Entry& PlannedConnection::materialize(const std::string& path) {
    auto it = m_entries.find(path);
    if (it != m_entries.end()) return it->second;
    Entry e;
    e.info = stat(path, false);
    return m_entries[path] = e;
}

void PlannedConnection::require_parent_dir(const std::string& path) {
    std::string parent = parent_path(path);
    FileInfo pi = stat(parent, true);
    if (!pi.is_dir())
        throw TaskError("cannot write " + path + ": directory " + parent + " does not exist (in the planned state)");
}

std::string PlannedConnection::write_temp_file(const std::string& dir, const std::string& content) {
    return m_real->write_temp_file(m_real->stat(dir, true).is_dir() ? dir : "/tmp", content);
}

WriteResult PlannedConnection::write_file(const std::string& raw, const std::string& content, const WriteOptions& opts) {
    return write_shared(raw, SharedText(content), opts);
}

WriteResult PlannedConnection::write_shared(const std::string& raw, const SharedText& content, const WriteOptions& opts) {
    std::string path = normalize_path(raw);
    require_parent_dir(path);
    // Written through a link, as the real connection does: plan the target.
    for (int hops = 0; opts.follow && hops < 40; ++hops) {
        FileInfo li = stat(path, false);
        if (!li.is_link()) break;
        std::string target = li.link_target;
        if (!target.empty() && target[0] != '/') target = parent_path(path) + "/" + target;
        path = normalize_path(target);
    }
    Entry& e = materialize(path);
    WriteResult r;
    if (e.info.is_dir()) throw TaskError(path + " is a directory");
    if (e.info.kind == FileInfo::Kind::Other)
        throw TaskError("refusing to write " + path + ": it is " + e.info.kind_text() + ", not a regular file");
    if (e.info.is_link()) e.info = FileInfo{};  // follow: false replaces the link itself
    if (opts.backup && e.info.exists()) r.backup_path = path + ".<backup>~";
    bool existed = e.info.exists();
    e.info.kind = FileInfo::Kind::File;
    e.info.size = content->size();
    e.content = content;
    if (opts.mode)
        e.info.mode = *opts.mode;
    else if (!existed)
        e.info.mode = 0644;
    if (!opts.owner.empty()) e.info.owner = opts.owner;
    if (!opts.group.empty()) e.info.group = opts.group;
    return r;
}

void PlannedConnection::make_dirs(const std::string& raw, std::optional<uint32_t> mode) {
    std::string path = normalize_path(raw);
    std::vector<std::string> chain;
    for (std::string p = path; p != "/" && p != "."; p = parent_path(p)) chain.push_back(p);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        FileInfo fi = stat(*it, true);
        if (fi.is_dir()) continue;
        if (fi.exists()) throw TaskError("cannot create directory " + *it + ": a file is in the way");
        Entry& e = materialize(*it);
        // A directory re-created after a planned removal must not show the
        // host's old contents through it.
        e.opaque = true;
        e.info.kind = FileInfo::Kind::Dir;
        e.info.mode = mode.value_or(0755);
        e.content.reset();
    }
}

void PlannedConnection::remove(const std::string& raw, bool recursive) {
    std::string path = normalize_path(raw);
    // A file that may appear (a package's leftover) and is removed by this step is
    // planned as gone: the real run removes it if it appeared.
    bool was_pending = pending_file(path).has_value();
    m_pending.erase(path);
    FileInfo fi = stat(path, false);
    if (!fi.exists()) {
        if (was_pending) m_entries[path] = Entry{};
        return;
    }
    if (fi.is_dir() && !recursive && !list_dir(path).empty())
        throw TaskError("cannot remove " + path + ": directory not empty");
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (is_under(it->first, path))
            it = m_entries.erase(it);
        else
            ++it;
    }
    Entry& e = m_entries[path];
    e.info = FileInfo{};
    e.content.reset();
}

void PlannedConnection::set_attributes(const std::string& raw, std::optional<uint32_t> mode, const std::string& owner,
                                       const std::string& group) {
    std::string path = normalize_path(raw);
    FileInfo fi = stat(path, true);
    if (!fi.exists()) throw TaskError(path + " does not exist");
    Entry& e = materialize(path);
    if (e.info.is_link()) e.info = fi;  // attributes apply to the link's target, as chmod does
    if (mode) e.info.mode = *mode;
    if (!owner.empty()) e.info.owner = owner;
    if (!group.empty()) e.info.group = group;
}

void PlannedConnection::symlink(const std::string& target, const std::string& raw) {
    std::string path = normalize_path(raw);
    require_parent_dir(path);
    Entry& e = materialize(path);
    e.info = FileInfo{};
    e.info.kind = FileInfo::Kind::Link;
    e.info.link_target = target;
    e.info.mode = 0777;
    e.content.reset();
}

std::vector<std::string> PlannedConnection::list_dir(const std::string& raw) {
    std::string path = normalize_path(raw);
    std::set<std::string> names;
    const Entry* own = find(path);
    bool host_visible = own ? (own->info.is_dir() && !own->opaque) : !hidden_by_ancestor(path);
    if (host_visible)
        for (const auto& n : m_real->list_dir(path)) names.insert(n);
    for (const auto& [p, e] : m_entries) {
        if (parent_path(p) != path) continue;
        std::string name = p.substr(p.rfind('/') + 1);
        if (e.info.exists())
            names.insert(name);
        else
            names.erase(name);
    }
    return {names.begin(), names.end()};
}

}  // namespace upkeep
