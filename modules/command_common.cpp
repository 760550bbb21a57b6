#include <fnmatch.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/command.hpp"

namespace upkeep {

std::vector<ArgSpec> command_args() {
    return {
        {.name = "cmd", .type = ArgType::String, .doc = "the command line (the free form)"},
        {.name = "creates", .type = ArgType::Path, .doc = "skip when this path exists"},
        {.name = "removes", .type = ArgType::Path, .doc = "skip when this path does not exist"},
        {.name = "chdir", .type = ArgType::Path, .doc = "run in this directory"},
        {.name = "stdin", .type = ArgType::String, .doc = "data fed on stdin (secrets belong here, not in argv)"},
        {.name = "stdin_add_newline",
         .type = ArgType::Bool,
         .default_value = Value(true),
         .doc = "append a newline to stdin"},
    };
}

namespace {

// A relative creates/removes path counts from chdir, as in Ansible.
std::string under_chdir(const Args& args, const std::string& p) {
    if (p.empty() || p[0] == '/' || !args.has("chdir")) return p;
    return args.str("chdir") + "/" + p;
}

bool has_glob_magic(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// Whether any path matches `pattern`, as Python's glob.glob in Ansible's
// creates/removes: one directory level per component, through the connection
// (so the dry-run overlay and every host kind answer alike); `*` does not
// match a leading dot.
bool glob_matches(Connection& conn, const std::string& pattern) {
    if (!has_glob_magic(pattern)) return conn.stat(pattern, true).exists();
    bool absolute = !pattern.empty() && pattern[0] == '/';
    std::vector<std::string> bases = {absolute ? "/" : ""};
    auto join_path = [](const std::string& base, const std::string& name) {
        return base.empty() ? name : base.back() == '/' ? base + name : base + "/" + name;
    };
    for (const auto& part : split(pattern, '/')) {
        if (part.empty()) continue;
        std::vector<std::string> next;
        for (const auto& base : bases) {
            if (!has_glob_magic(part)) {
                next.push_back(join_path(base, part));
                continue;
            }
            for (const auto& name : conn.list_dir(base.empty() ? "." : base))
                if (::fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(join_path(base, name));
        }
        bases = std::move(next);
        if (bases.empty()) return false;
    }
    for (const auto& b : bases)
        if (conn.stat(b, true).exists()) return true;
    return false;
}

std::string timestamp(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
    char out[96];
    std::snprintf(out, sizeof out, "%s.%06lld", buf, static_cast<long long>(us));
    return out;
}

// Ansible's delta: H:MM:SS.ffffff
std::string delta_text(std::chrono::system_clock::duration d) {
    long long us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    char out[64];
    std::snprintf(out, sizeof out, "%lld:%02lld:%02lld.%06lld", us / 3600000000LL, us / 60000000LL % 60,
                  us / 1000000LL % 60, us % 1000000LL);
    return out;
}

std::string rstrip_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

Value lines_of(const std::string& s) {
    List l;
    for (const auto& line : split_lines_keep(s)) {
        std::string t = line;
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
        l.push_back(Value(t));
    }
    return Value(std::move(l));
}

}  // namespace

Plan plan_command(ModuleContext& ctx, const Args& args, const std::string& shown) {
    Plan plan;
    if (args.has("creates")) {
        std::string p = under_chdir(args, args.str("creates"));
        if (glob_matches(ctx.conn, p)) {
            plan.msg = "skipped, since " + p + " exists";
            plan.result["cmd"] = Value(shown);
            plan.result["rc"] = Value(0);
            return plan;
        }
    }
    if (args.has("removes")) {
        std::string p = under_chdir(args, args.str("removes"));
        if (auto why = has_glob_magic(p) ? std::nullopt : ctx.conn.pending_file(p); why && !glob_matches(ctx.conn, p)) {
            // Not there yet, but an earlier planned step may leave it (a package's
            // .dpkg-dist): the command runs exactly when it appears.
            plan.changes.push_back({shown, "would run if " + p + " appears", {}, {}, args.get("cmd").contains_secret()});
            plan.unpredictable = true;
            plan.depends_on = *why;
            plan.msg = "would run if " + p + " appears (it depends on " + *why + ")";
            return plan;
        }
        if (!glob_matches(ctx.conn, p)) {
            plan.msg = "skipped, since " + p + " does not exist";
            plan.result["cmd"] = Value(shown);
            plan.result["rc"] = Value(0);
            return plan;
        }
    }
    plan.changes.push_back({shown, "would run", {}, {}, args.get("cmd").contains_secret()});
    plan.unpredictable = true;
    plan.msg = "would run";
    return plan;
}

Value run_command(ModuleContext& ctx, const Args& args, const std::string& cmdline, const Value& cmd_field) {
    Command c;
    c.cmdline = cmdline;
    if (args.has("chdir")) c.chdir = args.str("chdir");
    if (args.has("stdin")) {
        c.stdin_data = args.str("stdin");
        if (args.flag("stdin_add_newline", true)) c.stdin_data += "\n";
    }
    auto start = std::chrono::system_clock::now();
    CommandResult r = ctx.conn.run(c);
    auto end = std::chrono::system_clock::now();
    Value out;
    out["cmd"] = cmd_field;
    if (!r.executed) {
        // The dry-run overlay recorded the command instead of running it.
        out["rc"] = Value();
        out["skipped_run"] = Value(true);
        out["msg"] = Value("would run (dry run)");
        return out;
    }
    std::string so = rstrip_newlines(r.out), se = rstrip_newlines(r.err);
    out["rc"] = Value(r.rc);
    out["stdout"] = Value(so);
    out["stderr"] = Value(se);
    out["stdout_lines"] = lines_of(so);
    out["stderr_lines"] = lines_of(se);
    out["start"] = Value(timestamp(start));
    out["end"] = Value(timestamp(end));
    out["delta"] = Value(delta_text(end - start));
    if (r.rc != 0) throw TaskError("non-zero return code", out);  // rc, stdout, stderr registered with it
    return out;
}

}  // namespace upkeep
