#include "engine/cli/cli.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <filesystem>
#include <functional>
#include <iostream>
#include <unordered_set>

#include "engine/cli/doc_command.hpp"
#include "engine/cli/help_text.hpp"
#include "engine/cli/pull_command.hpp"
#include "engine/cli/report_command.hpp"
#include "engine/cli/vault_command.hpp"
#include "engine/exec/exit_codes.hpp"
#include "engine/exec/play_executor.hpp"
#include "engine/playbook/inventory.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/report/log_reporter.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/report/run_log.hpp"
#include "engine/report/console_reporter.hpp"
#include "engine/plan/plan_enforcer.hpp"
#include "engine/plan/plan_recorder.hpp"
#include "engine/report/html_reporter.hpp"
#include "engine/report/json_reporter.hpp"
#include "engine/report/junit_reporter.hpp"
#include "engine/util/error.hpp"
#include "engine/util/fd_limit.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace fs = std::filesystem;

namespace upkeep {

namespace {

// Reads a password from the terminal without echo (-k / -K).
std::string ask_password(const char* prompt) {
    std::FILE* tty = std::fopen("/dev/tty", "r+");
    if (!tty) throw UserError(std::string("cannot prompt for ") + prompt + ": no terminal");
    std::fprintf(tty, "%s: ", prompt);
    std::fflush(tty);
    termios old{}, quiet{};
    tcgetattr(fileno(tty), &old);
    quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    char buf[1024] = {0};
    bool ok = std::fgets(buf, sizeof buf, tty) != nullptr;
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    std::fprintf(tty, "\n");
    std::fclose(tty);
    std::string s = ok ? buf : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

std::optional<std::string> read_local_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// -e key=value, -e '{"k": 1}', -e @vars.yml
Value parse_extra_vars(const std::vector<std::string>& items) {
    Value out(Map{});
    for (const auto& item : items) {
        Value v;
        if (starts_with(item, "@"))
            v = load_yaml_file(item.substr(1));
        else if (starts_with(trim(item), "{") || starts_with(trim(item), "---"))
            v = parse_yaml(item, "<extra vars>");
        else
            v = parse_kv(item, nullptr, Mark{std::make_shared<const std::string>("<extra vars>"), 0, 0});
        if (!v.is_map()) throw UserError("extra vars must be key=value, a YAML/JSON map, or @file: '" + item + "'");
        out = merge_maps(out, v);
    }
    return out;
}

void print_tasks(const std::vector<Task>& tasks, int indent) {
    for (const auto& t : tasks) {
        std::string pad(indent, ' ');
        if (t.include_static) {  // its tasks, as if written here (they are known now)
            print_tasks(t.block, indent);
            continue;
        }
        if (t.is_block) {
            std::printf("%sblock%s\n", pad.c_str(), t.name.empty() ? "" : (": " + t.name).c_str());
            print_tasks(t.block, indent + 2);
            if (!t.rescue.empty()) std::printf("%srescue\n", pad.c_str()), print_tasks(t.rescue, indent + 2);
            if (!t.always.empty()) std::printf("%salways\n", pad.c_str()), print_tasks(t.always, indent + 2);
            continue;
        }
        std::string tags = t.tags.empty() ? "" : "\tTAGS: [" + join(t.tags, ", ") + "]";
        std::string name = t.name.empty() ? t.module_name : t.name;
        if (!t.role_name.empty()) name = t.role_name + " : " + name;  // as Ansible lists role tasks
        std::printf("%s%s%s\n", pad.c_str(), name.c_str(), tags.c_str());
    }
}

struct PlayArgs {
    std::string playbook;
    std::vector<std::string> inventories;
    bool check = false, diff = false, detailed_exitcode = false, list_hosts = false, list_tasks = false, syntax_check = false;
    bool ask_pass = false, ask_become_pass = false, become = false, verify = false, ask_vault_pass = false;
    std::vector<std::string> vault_password_files, vault_ids;
    std::string limit, tags, skip_tags, json_report, junit_report, html_report, log_file;
    std::string color = "auto";
    std::string shard;       // --shard I/N
    std::string save_plan;   // play --check --save-plan FILE
    std::string apply_plan;  // apply FILE
    std::vector<std::string> extra;
    RunOptions opts;
};

// `upkeep apply PLAN`: the run the plan was made for (its playbook, inventories and
// host/tag selection), refused when the playbook file itself changed since.
ReviewedPlan prepare_apply(PlayArgs& a) {
    ReviewedPlan plan = ReviewedPlan::load(a.apply_plan);
    std::optional<std::string> pb = read_local_file(plan.playbook);
    if (!pb) throw UserError("the plan's playbook " + plan.playbook + " cannot be read");
    if (sha256_hex(*pb) != plan.playbook_sha256)
        throw UserError("the playbook " + plan.playbook + " changed since the plan " + a.apply_plan +
                        " was made: make and review a new plan");
    a.playbook = plan.playbook;
    a.inventories = plan.inventories;
    a.limit = plan.limit;
    a.shard = plan.shard;
    a.tags = join(plan.tags, ",");
    a.skip_tags = join(plan.skip_tags, ",");
    a.check = false;
    return plan;
}

// The head of a plan `play --check --save-plan` writes: what `apply` must run again.
ReviewedPlan plan_header(const PlayArgs& a) {
    if (!a.check) throw UserError("--save-plan needs --check: a plan is made by a dry run and applied by `upkeep apply`");
    if (!a.opts.start_at_task.empty()) throw UserError("--save-plan cannot be combined with --start-at-task");
    ReviewedPlan p;
    std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    p.created = buf;
    p.playbook = fs::absolute(a.playbook).lexically_normal().string();
    std::optional<std::string> pb = read_local_file(a.playbook);
    p.playbook_sha256 = pb ? sha256_hex(*pb) : "";
    for (const auto& i : a.inventories)
        p.inventories.push_back(fs::exists(i) ? fs::absolute(i).lexically_normal().string() : i);  // "a,b," lists as given
    p.limit = a.limit;
    p.shard = a.shard;
    p.tags = a.tags.empty() ? std::vector<std::string>{} : split(a.tags, ',');
    p.skip_tags = a.skip_tags.empty() ? std::vector<std::string>{} : split(a.skip_tags, ',');
    return p;
}

// --list-hosts / --list-tasks: what each play would run on and run, as Ansible lists them.
void print_listing(const Playbook& pb, const Inventory& inv, const PlayArgs& a) {
    std::printf("\nplaybook: %s\n", a.playbook.c_str());
    for (const auto& play : pb.plays) {
        std::vector<std::string> hosts = inv.match(play.hosts);
        if (!a.opts.limit.empty()) {
            auto lim = inv.match(a.opts.limit);
            std::unordered_set<std::string> keep(lim.begin(), lim.end());
            std::erase_if(hosts, [&](const auto& h) { return keep.count(h) == 0; });
        }
        std::erase_if(hosts, [&](const auto& h) { return !in_shard(h, a.opts.shard); });
        std::printf("\n  play #%s (%s):\n", (play.name.empty() ? play.hosts : play.name).c_str(), play.hosts.c_str());
        if (a.list_hosts) {
            std::printf("    pattern: ['%s']\n    hosts (%zu):\n", play.hosts.c_str(), hosts.size());
            for (const auto& h : hosts) std::printf("      %s\n", h.c_str());
        }
        if (a.list_tasks) {
            std::printf("    tasks:\n");
            print_tasks(play.pre_tasks, 6);
            print_tasks(play.tasks, 6);
            print_tasks(play.post_tasks, 6);
        }
    }
}

// The inventory of a run (-i, else the first default file in the current directory),
// with the inventory's and the playbook's directories for host_vars/group_vars.
Inventory load_run_inventory(PlayArgs& a) {
    if (a.inventories.empty()) {
        for (const char* def : {"inventory", "inventory.ini", "inventory.yml", "hosts"})
            if (fs::exists(def)) {
                a.inventories.push_back(def);
                break;
            }
        if (a.inventories.empty()) throw UserError("no inventory given (-i INVENTORY)");
    }
    Inventory inv = Inventory::load(a.inventories);
    fs::path first(a.inventories.front());
    // "-i hosts.ini" has an empty parent path, which fs::absolute rejects: it is the current dir.
    fs::path inv_dir = fs::is_directory(first) ? first : first.parent_path();
    if (fs::exists(first)) a.opts.inventory_dir = (inv_dir.empty() ? fs::current_path() : fs::absolute(inv_dir)).string();
    std::string pb_dir = fs::path(a.playbook).parent_path().string();
    if (fs::is_directory(fs::path(pb_dir.empty() ? "." : pb_dir))) inv.add_vars_dir(pb_dir.empty() ? "." : pb_dir);
    return inv;
}

// The console, the run log and the report files the arguments ask for. Returns, per
// report file, how to ask it afterwards whether it was written: each is checked
// writable before the run, and a report lost at the end fails the run.
std::vector<std::function<std::string()>> add_reporters(FanoutReporter& reporters, PlayArgs& a, int verbosity) {
    ConsoleOptions copts;
    copts.verbosity = verbosity;
    copts.diff = a.opts.diff;
    bool terminal = isatty(fileno(stdout));
    copts.color = console_color(a.color, terminal, std::getenv("NO_COLOR"));
    copts.escape_controls = terminal;
    copts.progress = terminal;  // CI logs get no carriage returns
    reporters.add(std::make_unique<ConsoleReporter>(stdout, copts));
    if (runlog::enabled(runlog::Level::Error)) reporters.add(std::make_unique<LogReporter>());
    std::vector<std::function<std::string()>> report_errors;
    auto add_report = [&](auto r) {
        auto* raw = r.get();
        report_errors.push_back([raw] { return raw->write_error(); });
        reporters.add(std::move(r));
    };
    if (!a.json_report.empty()) add_report(std::make_unique<JsonReporter>(a.json_report));
    if (!a.junit_report.empty()) add_report(std::make_unique<JunitReporter>(a.junit_report));
    if (!a.html_report.empty()) add_report(std::make_unique<HtmlReporter>(a.html_report));
    if (!a.save_plan.empty()) {
        auto r = std::make_unique<PlanRecorder>(a.save_plan, plan_header(a));
        a.opts.plan_gate = r.get();
        add_report(std::move(r));
    }
    return report_errors;
}

int run_play_command(PlayArgs& a, int verbosity, const ModuleCatalog& modules) {
    std::optional<PlanEnforcer> enforcer;
    if (!a.apply_plan.empty()) {
        try {
            enforcer.emplace(prepare_apply(a), a.apply_plan);
        } catch (const UserError& e) {
            std::fprintf(stderr, "ERROR: %s\n", e.describe().c_str());
            return k_exit_error;
        }
        a.opts.plan_gate = &*enforcer;
    }
    RunOptions& opts = a.opts;
    opts.check = a.check;
    opts.diff = a.diff;
    opts.detailed_exitcode = a.detailed_exitcode;
    opts.limit = a.limit;
    opts.tags = a.tags.empty() ? std::vector<std::string>{} : split(a.tags, ',');
    opts.skip_tags = a.skip_tags.empty() ? std::vector<std::string>{} : split(a.skip_tags, ',');
    opts.verbosity = verbosity;
    opts.verify_convergence = a.verify || std::getenv("UPKEEP_VERIFY_CONVERGENCE") != nullptr;
    if (a.become) opts.become = true;
    // -f 1000 holds 1,000 SSH sockets: raise the usual soft limit of 1024
    // open files to what the forks need (within the hard limit), and where
    // even the hard limit is too low, run fewer forks rather than fail hosts.
    std::size_t wanted_fds = k_fds_reserved + k_fds_per_fork * static_cast<std::size_t>(opts.forks);
    std::size_t fd_limit = raise_open_file_limit(wanted_fds);
    if (int fit = forks_within_fd_limit(opts.forks, fd_limit); fit < opts.forks) {
        std::fprintf(stderr,
                     "[WARNING]: -f %d needs about %zu open files, the limit is %zu (ulimit -Hn): running %d hosts "
                     "in parallel\n",
                     opts.forks, wanted_fds, fd_limit, fit);
        opts.forks = fit;
    }
    try {
        // The run log first, so a bad --log-file stops the run before anything happens.
        runlog::open(a.log_file, std::getenv("UPKEEP_LOG"), verbosity);
        runlog::event(runlog::Level::Info, "", "run_start",
                      {{"version", UPKEEP_VERSION}, {"playbook", a.playbook}, {"inventory", join(a.inventories, ",")},
                       {"check", a.check ? "true" : "false"}, {"limit", a.limit}, {"forks", std::to_string(opts.forks)}});
        // Vault passwords first: -e @file, the playbook and the inventory may hold vaulted values.
        load_vault_secrets(a.vault_password_files, a.vault_ids, a.ask_vault_pass);
        if (!a.shard.empty()) opts.shard = parse_shard(a.shard);
        opts.extra_vars = parse_extra_vars(a.extra);
        if (a.ask_pass) opts.ssh_password = ask_password("SSH password");
        if (a.ask_become_pass) opts.become_password = ask_password("BECOME password");
        Playbook pb = load_playbook(a.playbook, modules);
        if (a.syntax_check) {
            std::printf("\nplaybook: %s\n", a.playbook.c_str());
            return 0;
        }
        Inventory inv = load_run_inventory(a);
        if (a.list_hosts || a.list_tasks) {
            print_listing(pb, inv, a);
            return 0;
        }
        FanoutReporter reporters;
        std::vector<std::function<std::string()>> report_errors = add_reporters(reporters, a, verbosity);
        PlayExecutor exec(inv, opts, reporters);
        long long t0 = runlog::now_ns();
        int rc = exec.run(pb);
        // The log stays open: the connections close (and log it) when the executor goes.
        runlog::event(runlog::Level::Info, "", "run_end",
                      {{"rc", std::to_string(rc)}, {"ms", runlog::ms_since(t0)}, {"lua_states", std::to_string(lua_states_created())}});
        for (const auto& error : report_errors) {
            std::string e = error();
            if (e.empty()) continue;
            std::fprintf(stderr, "ERROR: %s\n", e.c_str());
            if (rc == k_exit_ok || rc == k_exit_changes) rc = k_exit_error;
        }
        if (enforcer)
            for (const auto& missed : enforcer->not_applied())
                std::printf("[WARNING]: reviewed change not carried out: %s\n", missed.c_str());
        return rc;
    } catch (const UserError& e) {
        runlog::event(runlog::Level::Error, "", "run_error", {{"error", e.describe()}});
        runlog::close();
        std::fprintf(stderr, "ERROR: %s\n", e.describe().c_str());
        return 1;
    }
}

// Options of every command that runs a playbook (`play` and `apply`).
void add_run_options(CLI::App* cmd, PlayArgs& pa, int& verbosity) {
    CLI::App* play = cmd;
    play->add_flag("-D,--diff", pa.diff, "show the exact diff of every file change");
    play->add_option("-e,--extra-vars", pa.extra, "key=value, a YAML/JSON map, or @file (highest precedence)");
    play->add_option("-f,--forks", pa.opts.forks, "hosts to run in parallel")->check(CLI::Range(1, 10000));
    play->add_option("--color", pa.color, "auto (a terminal without NO_COLOR), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    play->add_flag("-v,--verbose", verbosity, "more output (-vv; -vvv adds the run log's connection detail on stderr, -vvvv every file operation)");
    play->add_option("--private-key,--key-file", pa.opts.private_key, "SSH private key file");
    play->add_option("--known-hosts", pa.opts.known_hosts, "known_hosts file to verify host keys against");
    play->add_option("--host-key-checking", pa.opts.host_key_checking, "strict (default), accept-new or off")
        ->check(CLI::IsMember({"strict", "accept-new", "off"}));
    play->add_option("-u,--user", pa.opts.remote_user, "connect as this user");
    play->add_option("-c,--connection", pa.opts.connection,
                     "connection for hosts whose inventory and play set none: ssh (default), local or sandbox")
        ->check(CLI::IsMember({"ssh", "smart", "paramiko", "local", "sandbox"}));
    play->add_option("-T,--timeout", pa.opts.timeout_s, "connection timeout in seconds");
    play->add_option("--lock-timeout", pa.opts.lock_timeout_s,
                     "seconds to wait for a host that another upkeep run holds (default 0: fail that host at once)");
    play->add_flag("-k,--ask-pass", pa.ask_pass, "ask for the SSH password");
    play->add_flag("-K,--ask-become-pass", pa.ask_become_pass, "ask for the become (sudo) password");
    play->add_flag("-b,--become", pa.become, "run operations with become (sudo)");
    play->add_option("--vault-password-file,--vault-pass-file", pa.vault_password_files,
                     "file (or executable script) holding a vault password")
        ->allow_extra_args(false);
    play->add_option("--vault-id", pa.vault_ids, "LABEL@FILE: a vault password for data encrypted with that vault id")
        ->allow_extra_args(false);
    play->add_flag("-J,--ask-vault-pass,--ask-vault-password", pa.ask_vault_pass,
                   "refused: upkeep never prompts for vault passwords (use --vault-password-file)");
    play->add_option("--log-file", pa.log_file,
                     "append a structured run log (connections, commands, timings; secrets masked) to FILE, created 0600; "
                     "UPKEEP_LOG=trace|debug|info|warn|error sets its level");
    play->add_option("--report-json", pa.json_report, "write a JSON report of every host and task (drift audit)");
    play->add_flag("--detailed-exitcode", pa.detailed_exitcode,
                   "exit 8 when changes are pending (--check) or were made, and nothing failed (2 failed and 4 "
                   "unreachable take precedence; 0 converged)");
    play->add_option("--report-junit", pa.junit_report,
                     "write a JUnit XML report: a test case per host and task (in --check, drift is a failure with the diff)");
    play->add_option("--report-html", pa.html_report,
                     "write a self-contained HTML report: summary, host x task matrix, diffs grouped across hosts, filters");
    play->add_flag("--verify-convergence", pa.verify, "after each change, check again and fail if the module did not converge");
}

CLI::App* add_play_command(CLI::App& app, PlayArgs& pa, int& verbosity) {
    CLI::App* play = app.add_subcommand("play", "run a playbook against an inventory");
    play->add_option("playbook", pa.playbook, "the playbook file")->required();
    play->add_option("-i,--inventory", pa.inventories, "inventory file, directory or host list (a,b,)");
    play->add_flag("-C,--check", pa.check, "dry run: report what would change, change nothing");
    play->add_option("-l,--limit", pa.limit, "further limit hosts to this pattern");
    play->add_option("-t,--tags", pa.tags, "only run tasks with these tags (comma-separated)");
    play->add_option("--skip-tags", pa.skip_tags, "skip tasks with these tags (comma-separated)");
    play->add_option("--start-at-task", pa.opts.start_at_task, "skip the tasks before the first one with this name");
    play->add_flag("--list-hosts", pa.list_hosts, "list the hosts each play would run on");
    play->add_flag("--list-tasks", pa.list_tasks, "list the tasks each play would run");
    play->add_flag("--syntax-check", pa.syntax_check, "load and check the playbook, run nothing");
    play->add_option("--shard", pa.shard,
                     "I/N: run only this job's part of the selected hosts (a stable partition, for CI matrices)");
    play->add_option("--save-plan", pa.save_plan,
                     "with --check: write the reviewed plan (per host and task, the changes and the before-state of "
                     "what they touch) for `upkeep apply`");
    add_run_options(play, pa, verbosity);
    return play;
}

CLI::App* add_apply_command(CLI::App& app, PlayArgs& aa, int& verbosity) {
    CLI::App* apply = app.add_subcommand(
        "apply", "apply a reviewed plan (play --check --save-plan): exactly its changes; a host whose reviewed "
                 "before-state changed is refused, the others go on");
    apply->add_option("plan", aa.apply_plan, "the plan file")->required();
    add_run_options(apply, aa, verbosity);
    return apply;
}

CLI::App* add_pull_command(CLI::App& app, PullArgs& pull_args, PlayArgs& pla, int& verbosity) {
    CLI::App* pull = app.add_subcommand(
        "pull", "GitOps pull mode: fetch a Git repository, check out a ref and run a playbook from it on this host");
    pull->add_option("playbook", pull_args.playbook, "the playbook, relative to the repository")->required();
    pull->add_option("--url", pull_args.url, "the repository (any URL or path git accepts)")->required();
    pull->add_option("--checkout", pull_args.checkout, "branch, tag or commit (default: the remote's HEAD)");
    pull->add_option("--directory", pull_args.directory, "where the checkout lives (default /var/lib/upkeep/pull)");
    pull->add_flag("--only-if-changed", pull_args.only_if_changed,
                   "do nothing when the ref still points at the commit last applied successfully");
    pull->add_option("-i,--inventory", pla.inventories, "inventory (default: this host, `localhost,` over a local connection)");
    pull->add_flag("-C,--check", pla.check, "dry run: report what would change, change nothing");
    add_run_options(pull, pla, verbosity);
    return pull;
}

}  // namespace

int run_cli(int argc, char** argv, const ModuleCatalog& modules) {
    CLI::App app{"upkeep: agentless, idempotent configuration engine (Ansible-style playbooks, Lua expressions)"};
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("--version", version, "print the version and exit");
    int verbosity = 0;

    PlayArgs pa;
    CLI::App* play = add_play_command(app, pa, verbosity);

    PlayArgs aa;
    CLI::App* apply = add_apply_command(app, aa, verbosity);

    ReportArgs ra;
    CLI::App* report = add_report_command(app, ra);

    PullArgs pull_args;
    PlayArgs pla;
    CLI::App* pull = add_pull_command(app, pull_args, pla, verbosity);

    VaultArgs va;
    CLI::App* vault = add_vault_command(app, va);

    std::string doc_module, doc_playbook;
    bool doc_list = false;
    CLI::App* doc = app.add_subcommand("doc", "list modules, or show one module's arguments");
    doc->add_option("module", doc_module, "module name");
    doc->add_flag("-l,--list", doc_list, "list modules");
    doc->add_option("-p,--playbook", doc_playbook,
                    "also the Lua modules of this playbook (or directory): its lua/modules/, library/ and roles'");

    std::string help_module;
    CLI::App* help = app.add_subcommand("help", "this help and the module list, or one module's reference");
    help->add_option("module", help_module, "module name");
    // Generated from this definition and the module specs (installed as upkeep.1
    // and the bash completion); hidden from the help itself.
    CLI::App* man = app.add_subcommand("man", "print the upkeep(1) man page (roff)")->group("");
    CLI::App* completion = app.add_subcommand("completion", "print the bash completion script")->group("");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 1;
    }
    if (version) {
        std::printf("upkeep %s\n", UPKEEP_VERSION);
        return 0;
    }
    if (*play) return run_play_command(pa, verbosity, modules);
    if (*apply) return run_play_command(aa, verbosity, modules);
    if (*doc) return run_doc_command(doc_module, modules, doc_playbook);
    if (*man) {
        std::printf("%s", man_page(app, modules).c_str());
        return 0;
    }
    if (*completion) {
        std::printf("%s", bash_completion(app, modules).c_str());
        return 0;
    }
    if (*help) {
        if (!help_module.empty()) return run_doc_command(help_module, modules);
        // app.help() would describe the `help` subcommand itself once it was parsed.
        std::string top = app.get_formatter()->make_help(&app, "upkeep", CLI::AppFormatMode::Normal);
        std::printf("%s\nMODULES (upkeep help MODULE for one)\n", top.c_str());
        return run_doc_command("", modules);
    }
    if (*vault) return run_vault_command(va);
    if (*report) return run_report_command(ra);
    if (*pull)
        return run_pull_command(pull_args, [&](const std::string& playbook) {
            pla.playbook = playbook;
            if (pla.inventories.empty()) {
                pla.inventories = {"localhost,"};
                pla.extra.insert(pla.extra.begin(), "ansible_connection=local");
            }
            return run_play_command(pla, verbosity, modules);
        });
    std::printf("%s", app.help().c_str());
    return 1;
}

}  // namespace upkeep
