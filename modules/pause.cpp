// pause: waits `seconds` or `minutes` (Ansible's pause), or for the operator's
// answer to `prompt`. A prompt needs a terminal: without one (cron, CI, a
// pipe) a prompt with no duration would wait forever, so it fails with a clear
// error instead (Ansible silently skips it). Read-only: the dry run pauses too,
// as Ansible's check mode does. Hosts pause in parallel; prompts are asked one
// host at a time.
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

std::string now_text() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
    char buf[64];
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    char out[80];
    std::snprintf(out, sizeof out, "%s.%06lld", buf, static_cast<long long>(us));
    return out;
}

// Python's "%s" % round(x, 2): shortest text, at least one decimal.
std::string py_round2(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", x);
    std::string s = buf;
    while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
    return s;
}

class PauseModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "pause",
            .summary = "Wait some seconds or minutes, or for the operator's answer",
            .doc =
                "Ansible's pause. `prompt` without a duration needs a terminal on the controller's\n"
                "stdin; without one the task fails (instead of waiting forever). Returns start, stop,\n"
                "delta, stdout ('Paused for N seconds'), user_input, echo.\n"
                "Example:\n"
                "  - pause:\n"
                "      seconds: 10",
            .args =
                {
                    {.name = "seconds", .type = ArgType::Int, .doc = "how long to wait"},
                    {.name = "minutes", .type = ArgType::Int, .doc = "how long to wait, in minutes"},
                    {.name = "prompt", .type = ArgType::String, .doc = "text shown to the operator"},
                    {.name = "echo",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "show what the operator types"},
                },
            .mutually_exclusive = {{"minutes", "seconds"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        bool timed = args.has("seconds") || args.has("minutes");
        int64_t secs = args.has("minutes") ? args.integer("minutes") * 60 : args.integer("seconds");
        Plan p;
        p.result["rc"] = Value(0);
        p.result["stderr"] = Value("");
        p.result["echo"] = Value(args.flag("echo", true));
        p.result["user_input"] = Value("");
        p.result["start"] = Value(now_text());
        auto start = std::chrono::steady_clock::now();
        if (timed) {
            if (args.has("prompt")) {
                std::lock_guard<std::mutex> lock(prompt_mutex());
                std::cerr << "[" << ctx.conn.host_name() << "] " << args.str("prompt") << std::endl;
            }
            std::this_thread::sleep_for(std::chrono::seconds(std::max<int64_t>(secs, 0)));
        } else {
            p.result["user_input"] = Value(ask(ctx, args));
        }
        double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        p.result["stop"] = Value(now_text());
        p.result["delta"] = Value(static_cast<int64_t>(took));
        bool minutes = !args.has("seconds");  // Ansible's unit: minutes unless seconds was given
        p.result["stdout"] = Value("Paused for " + py_round2(minutes ? took / 60.0 : took) + (minutes ? " minutes" : " seconds"));
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }

private:
    static std::mutex& prompt_mutex() {
        static std::mutex m;
        return m;
    }

    static std::string ask(ModuleContext& ctx, const Args& args) {
        std::string prompt = args.has("prompt") ? args.str("prompt") : "Press enter to continue, Ctrl+C to interrupt";
        if (!::isatty(STDIN_FILENO))
            throw TaskError("pause: prompt '" + prompt +
                            "' needs an operator, but stdin is not a terminal (non-interactive run); give "
                            "seconds: or minutes:, or drop the task");
        std::lock_guard<std::mutex> lock(prompt_mutex());
        std::cerr << "[" << ctx.conn.host_name() << "]\n" << prompt << (args.flag("echo", true) ? "" : " (output is hidden)") << ":" << std::flush;
        termios old{};
        bool hide = !args.flag("echo", true) && ::tcgetattr(STDIN_FILENO, &old) == 0;
        if (hide) {
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        }
        std::string line;
        std::getline(std::cin, line);
        if (hide) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
            std::cerr << "\n";
        }
        return line;
    }
};

}  // namespace

std::unique_ptr<Module> make_pause_module() { return std::make_unique<PauseModule>(); }

}  // namespace upkeep
