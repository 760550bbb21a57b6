// ConsoleReporter: Ansible-style output (PLAY / TASK / per-host status / diff /
// PLAY RECAP). For fleets: --diff prints each task's diffs once per distinct
// change, after the task, naming the hosts that share it ("same change on
// kvm01…kvm200"); on a terminal a live progress line (hosts done / running /
// failed, current task, slowest host) sits under the output. Colors per --color.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/report/diff_groups.hpp"
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
    // A live progress line at the bottom (only when the output is a terminal:
    // CI logs get no carriage returns).
    bool progress = false;
};

// --color=auto|always|never: auto is on for a terminal unless NO_COLOR is set
// (and not empty, https://no-color.org); always/never win over NO_COLOR.
bool console_color(const std::string& mode, bool is_terminal, const char* no_color_env);

class ConsoleReporter : public Reporter {
public:
    ConsoleReporter(std::FILE* out, ConsoleOptions opts);
    ~ConsoleReporter() override;
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

private:
    using Clock = std::chrono::steady_clock;
    void banner(const std::string& title);
    std::string paint(const std::string& text, const char* color) const;
    void write(const std::string& text);         // masks secrets, then prints (takes the lock)
    void write_locked(const std::string& text);  // the same, m_mutex held
    void flush_diffs_locked();                   // the finished task's grouped diffs
    std::string progress_text_locked() const;
    void stop_ticker();

    std::FILE* m_out;
    ConsoleOptions m_opts;
    std::mutex m_mutex;
    DiffGrouper m_diffs;

    // Progress state (m_mutex).
    std::vector<std::string> m_play_hosts;
    std::set<std::string> m_done;    // hosts that reported on the current task
    std::set<std::string> m_failed;  // failed or unreachable in this run
    std::string m_task;
    Clock::time_point m_task_started;
    std::map<std::string, double> m_host_seconds;  // time spent per host on finished tasks
    bool m_progress_shown = false;
    bool m_stopping = false;
    std::condition_variable m_tick;
    std::thread m_ticker;  // redraws the progress line (elapsed time) twice a second
};

}  // namespace upkeep
