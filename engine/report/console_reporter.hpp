// ConsoleReporter: Ansible-style output (PLAY / TASK / per-host status / diff /
// PLAY RECAP), colored on a terminal, plain when piped or with NO_COLOR.
#pragma once

#include <cstdio>
#include <mutex>

#include "engine/report/reporter.hpp"

namespace upkeep {

struct ConsoleOptions {
    int verbosity = 0;  // -v: result fields, -vv: module args, -vvv: connection details
    bool diff = false;  // --diff
    bool color = false;
    // Show control characters from hosts as \xNN instead of sending them to
    // the terminal (on when stdout is a terminal): a host's output must not
    // move the cursor, retitle the window or rewrite earlier lines.
    bool escape_controls = false;
};

class ConsoleReporter : public Reporter {
public:
    ConsoleReporter(std::FILE* out, ConsoleOptions opts) : m_out(out), m_opts(opts) {}
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

private:
    void banner(const std::string& title);
    std::string paint(const std::string& text, const char* color) const;
    void write(const std::string& text);  // masks secrets, then prints

    std::FILE* m_out;
    ConsoleOptions m_opts;
    std::mutex m_mutex;
};

}  // namespace upkeep
