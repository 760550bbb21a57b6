// EnvConnection: a task's `environment:` on top of any connection. Every command
// the module runs gets the variables (the command's own env wins); file
// operations pass straight through. The values may be secrets (a database
// password for a tool): they never go into a command line. Where the connection
// cannot pass an environment privately (SSH sends `env K=V /bin/sh -c ...`, which
// every user sees in ps), they travel on the command's stdin ahead of its own
// input, octal-escaped, and a shell prologue of builtins (read, printf, export)
// sets them, so no process's argv ever holds them.
#pragma once

#include <map>
#include <string>

#include "engine/connection/connection.hpp"

namespace upkeep {

class EnvConnection : public Connection {
public:
    EnvConnection(Connection& inner, std::map<std::string, std::string> env) : m_inner(inner), m_env(std::move(env)) {}

    const std::string& host_name() const override { return m_inner.host_name(); }
    CommandResult run(const Command& cmd) override;
    FileInfo stat(const std::string& path, bool follow = true) override { return m_inner.stat(path, follow); }
    std::optional<std::string> read_file(const std::string& path) override { return m_inner.read_file(path); }
    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts) override {
        return m_inner.write_file(path, content, opts);
    }
    SharedText read_shared(const std::string& path) override { return m_inner.read_shared(path); }
    WriteResult write_shared(const std::string& path, const SharedText& content, const WriteOptions& opts) override {
        return m_inner.write_shared(path, content, opts);
    }
    std::optional<std::string> file_sha256(const std::string& path) override { return m_inner.file_sha256(path); }
    std::string write_temp_file(const std::string& dir, const std::string& content) override {
        return m_inner.write_temp_file(dir, content);
    }
    void remove_temp_file(const std::string& path) override { m_inner.remove_temp_file(path); }
    void make_dirs(const std::string& path, std::optional<uint32_t> mode) override { m_inner.make_dirs(path, mode); }
    void remove(const std::string& path, bool recursive) override { m_inner.remove(path, recursive); }
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group) override {
        m_inner.set_attributes(path, mode, owner, group);
    }
    void symlink(const std::string& target, const std::string& path) override { m_inner.symlink(target, path); }
    std::vector<std::string> list_dir(const std::string& path) override { return m_inner.list_dir(path); }
    std::string command_path(const std::string& path) override { return m_inner.command_path(path); }
    bool allow_external_effect(const std::string& what) override { return m_inner.allow_external_effect(what); }
    // The dry run's planned service state lives in the connection underneath.
    std::optional<bool> planned_service_running(const std::string& name) override {
        return m_inner.planned_service_running(name);
    }
    void note_service_state(const std::string& name, bool running) override { m_inner.note_service_state(name, running); }
    void note_pending_file(const std::string& path, const std::string& reason) override {
        m_inner.note_pending_file(path, reason);
    }
    std::optional<std::string> pending_file(const std::string& path) override { return m_inner.pending_file(path); }
    std::vector<std::string> take_warnings() override { return m_inner.take_warnings(); }
    Connection& underlying() override { return m_inner.underlying(); }

private:
    Connection& m_inner;
    std::map<std::string, std::string> m_env;
};

}  // namespace upkeep
