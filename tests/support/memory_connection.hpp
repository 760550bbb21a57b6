// MemoryConnection: a unit-test fake of the Connection interface that keeps a
// host's files in a map, so module check/apply can be run end to end without
// touching the machine. Commands are recorded, not run (rc 0).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "modules/registry.hpp"

namespace upkeep::test {

class MemoryConnection : public Connection {
public:
    struct File {
        std::string content;
        uint32_t mode = 0644;
        std::string owner = "root", group = "root";
    };

    std::map<std::string, File> files;
    std::vector<std::string> commands;  // every command run, in order
    int writes = 0;

    const std::string& host_name() const override { return m_name; }

    CommandResult run(const Command& cmd) override {
        commands.push_back(cmd.cmdline);
        return {};
    }

    FileInfo stat(const std::string& path, bool) override {
        FileInfo fi;
        auto it = files.find(path);
        if (it == files.end()) {
            for (const auto& [p, f] : files)
                if (p.rfind(path + "/", 0) == 0) fi.kind = FileInfo::Kind::Dir;
            return fi;
        }
        fi.kind = FileInfo::Kind::File;
        fi.mode = it->second.mode;
        fi.owner = it->second.owner;
        fi.group = it->second.group;
        fi.size = it->second.content.size();
        return fi;
    }

    std::optional<std::string> read_file(const std::string& path) override {
        auto it = files.find(path);
        if (it == files.end()) return std::nullopt;
        return it->second.content;
    }

    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts) override {
        WriteResult r;
        auto it = files.find(path);
        File f;
        if (it != files.end()) {
            f = it->second;
            if (opts.backup) {
                r.backup_path = path + ".1234.2024-01-01@00:00:00~";
                files[r.backup_path] = it->second;
            }
        }
        f.content = content;
        if (opts.mode) f.mode = *opts.mode;
        if (!opts.owner.empty()) f.owner = opts.owner;
        if (!opts.group.empty()) f.group = opts.group;
        files[path] = f;
        ++writes;
        return r;
    }

    std::string write_temp_file(const std::string& dir, const std::string& content) override {
        std::string path = dir + "/.upkeep.tmp" + std::to_string(++temps);
        File f;
        f.content = content;
        f.mode = 0600;
        files[path] = f;
        return path;
    }

    void make_dirs(const std::string&, std::optional<uint32_t>) override {}
    void remove(const std::string& path, bool) override { files.erase(path); }
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group) override {
        File& f = files.at(path);
        if (mode) f.mode = *mode;
        if (!owner.empty()) f.owner = owner;
        if (!group.empty()) f.group = group;
    }
    void symlink(const std::string&, const std::string&) override { throw std::logic_error("not supported"); }
    std::vector<std::string> list_dir(const std::string& path) override {
        std::vector<std::string> out;
        for (const auto& [p, f] : files)
            if (p.rfind(path + "/", 0) == 0 && p.find('/', path.size() + 1) == std::string::npos)
                out.push_back(p.substr(path.size() + 1));
        return out;
    }

    int temps = 0;

private:
    std::string m_name = "memhost";
};

// Runs one module (check, then apply if the plan changes something) the way the
// executor does, and returns the plan.
struct ModuleRun {
    Plan plan;
    Value result;
};

inline ModuleRun run_module(Connection& conn, const std::string& name, const Value& raw_args, bool check_only = false) {
    const Module* m = find_module(name);
    if (!m) throw std::logic_error("no module " + name);
    Args args = validate_args(m->spec(), raw_args);
    Value vars;
    ModuleContext ctx{conn, vars, [](const std::string&) { return Value(); }, "."};
    ModuleRun r;
    r.plan = m->check(ctx, args);
    if (!check_only && r.plan.changed()) r.result = m->apply(ctx, args, r.plan);
    return r;
}

}  // namespace upkeep::test
