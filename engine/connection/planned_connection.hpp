// PlannedConnection: the dry-run overlay. In --check the executor hands modules
// this connection instead of the real one: reads pass through to the host,
// writes land in an in-memory picture of the host's planned state, and mutating
// commands are recorded as "would run" instead of running. So every task in a
// dry run sees what earlier tasks would have changed (a directory created two
// tasks before, a file written by a template), and modules stay ignorant of
// check mode: their apply() is the same code in both runs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/util/host_path.hpp"

namespace upkeep {

class PlannedConnection : public Connection {
public:
    explicit PlannedConnection(Connection& real) : m_real(&real) {}
    // Task-level become: the same planned state over another connection to the host
    // (one per become setting), so a dry run sees earlier tasks' planned changes.
    void rebase(Connection& real) { m_real = &real; }

    const std::string& host_name() const override { return m_real->host_name(); }
    Connection& underlying() override { return m_real->underlying(); }
    CommandResult run(const Command& cmd) override;
    FileInfo stat(const std::string& path, bool follow = true) override;
    std::optional<std::string> read_file(const std::string& path) override;
    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts) override;
    // The planned file keeps the caller's buffer (the plan's after-bytes) and a
    // later read hands the same buffer back: no copy per task or per read.
    SharedText read_shared(const std::string& path) override;
    // A planned file's hash is its planned bytes'; otherwise the host answers.
    std::optional<std::string> file_sha256(const std::string& path) override;
    WriteResult write_shared(const std::string& path, const SharedText& content, const WriteOptions& opts) override;
    void make_dirs(const std::string& path, std::optional<uint32_t> mode) override;
    void remove(const std::string& path, bool recursive) override;
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group) override;
    void symlink(const std::string& target, const std::string& path) override;
    std::vector<std::string> list_dir(const std::string& path) override;
    // Scratch files for validate: are real (in the host's directory when it
    // exists there, else /tmp), so the check runs like the real one.
    std::string write_temp_file(const std::string& dir, const std::string& content) override;
    void remove_temp_file(const std::string& path) override { m_real->remove_temp_file(path); }
    std::string command_path(const std::string& path) override { return m_real->command_path(path); }
    // Records `what` as "would run" and refuses: nothing outside the host happens in a dry run.
    bool allow_external_effect(const std::string& what) override;
    std::optional<bool> planned_service_running(const std::string& name) override;
    void note_service_state(const std::string& name, bool running) override;
    void note_pending_file(const std::string& path, const std::string& reason) override;
    // Pending unless the overlay already plans the path (written or removed since).
    std::optional<std::string> pending_file(const std::string& path) override;

    // The mutating commands a real run would have executed, in order.
    const std::vector<std::string>& would_run() const { return m_would_run; }

private:
    struct Entry {
        FileInfo info;                       // kind Missing == planned removal
        SharedText content;                  // none: same bytes as on the host
        bool opaque = false;                 // a planned directory: the host's entries below it are gone
    };
    // The planned entry for `path`, or nullptr when the host's state stands.
    const Entry* find(const std::string& path) const;
    // True when an ancestor of `path` is planned to be removed, a non-directory, or
    // an opaque directory: then the host's state below it does not show through.
    bool hidden_by_ancestor(const std::string& path) const;
    // Makes an entry for `path` starting from the current (planned or real) state.
    Entry& materialize(const std::string& path);
    void require_parent_dir(const std::string& path);

    Connection* m_real;
    std::map<std::string, Entry> m_entries;
    std::vector<std::string> m_would_run;
    std::map<std::string, bool> m_services;  // planned running state per service name
    std::map<std::string, std::string> m_pending;  // path -> why it may appear (note_pending_file)
};

// Normalizes an absolute path: collapses "//", "/./", "dir/.." and a trailing "/".
std::string normalize_path(const std::string& path);

}  // namespace upkeep
