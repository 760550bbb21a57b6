// libvirt_hook: installs a libvirt hook script (qemu, daemon, network, lxc,
// libxl, bhyve) as /etc/libvirt/hooks/NAME, or as a drop-in NAME.d/FILE where
// the host's libvirt runs every script of that directory (6.5.0 and newer).
// libvirtd reads hooks only when it starts, so a change notifies the restart.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/module/file_edit.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/virt/libvirt_client.hpp"
#include "modules/libvirt_common.hpp"

namespace upkeep {

namespace {

namespace fs = std::filesystem;

// The first libvirt release that runs hook scripts from NAME.d/ directories.
constexpr const char* k_dropin_since = "6.5.0";

std::string controller_src(const std::string& src, const std::string& playbook_dir) {
    std::string path = src;
    if (src.empty() || src[0] != '/') {
        std::string base = playbook_dir.empty() ? "." : playbook_dir;
        path.clear();
        for (const std::string& cand : {base + "/files/" + src, base + "/" + src})
            if (fs::exists(cand)) {
                path = cand;
                break;
            }
        if (path.empty()) throw TaskError("could not find src '" + src + "' (looked in " + base + "/files and " + base + ")");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TaskError("cannot read src " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The host's libvirt version from the daemon binary (a query: runs in a dry run too).
std::string host_libvirt_version(Connection& conn) {
    Command c;
    c.cmdline = "libvirtd --version 2>/dev/null || virtqemud --version 2>/dev/null";
    c.mutating = false;
    CommandResult r = conn.run(c);
    std::smatch m;
    static const std::regex version_re(R"((\d+\.\d+\.\d+)\s*$)");
    std::string out = trim(r.out);
    if (r.rc != 0 || !std::regex_search(out, m, version_re)) return "";
    return m[1];
}

// check() -> apply() beyond the file write (whose data is the FileEditPayload).
struct HookPayload {
    std::optional<std::string> mkdir{}; // the hooks directory is missing: create it first
    bool pending = false;              // dry run: the package shipping the hook installs it first
};

class LibvirtHookModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "libvirt_hook",
            .summary = "Install a libvirt hook script (qemu, daemon, network, lxc...), mode 0755",
            .doc =
                "Puts the script at HOOKS_DIR/NAME, or with `dropin: FILE` at HOOKS_DIR/NAME.d/FILE\n"
                "(libvirt 6.5.0 and newer run every script there; older hosts are refused with a clear\n"
                "error). `src` is a file on the controller (the playbook's files/ or directory), or on\n"
                "the host with remote_src: true; `content` is inline text. libvirtd reads hooks only\n"
                "when it starts: notify a restart (libvirt_restart), which runs only on a change.\n"
                "Example (CloudStack's KVM agent hook):\n"
                "  - libvirt_hook:\n"
                "      name: qemu\n"
                "      src: /usr/share/cloudstack-agent/lib/libvirtqemuhook\n"
                "      remote_src: true\n"
                "    notify: restart libvirtd",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .choices = {"qemu", "daemon", "network", "lxc", "libxl", "bhyve"},
                     .aliases = {"hook"},
                     .doc = "which hook"},
                    {.name = "src", .type = ArgType::Path, .doc = "the script (controller side unless remote_src)"},
                    {.name = "content", .type = ArgType::String, .doc = "the script's exact content"},
                    {.name = "remote_src",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "src is on the host"},
                    {.name = "dropin", .type = ArgType::String, .doc = "file name inside NAME.d/ (libvirt >= 6.5.0)"},
                    {.name = "hooks_dir",
                     .type = ArgType::Path,
                     .default_value = Value("/etc/libvirt/hooks"),
                     .doc = "libvirt's hook directory (SYSCONFDIR/libvirt/hooks)"},
                    {.name = "mode", .type = ArgType::Mode, .default_value = Value("0755"), .doc = "permissions"},
                    {.name = "owner", .type = ArgType::String, .doc = "owner name or uid"},
                    {.name = "group", .type = ArgType::String, .doc = "group name or gid"},
                    {.name = "backup",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "keep the old script as <path>.<pid>.<time>~"},
                },
            .mutually_exclusive = {{"content", "src"}},
            .required_one_of = {{"content", "src"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string name = args.str("name");
        std::string dir = args.str("hooks_dir", "/etc/libvirt/hooks");
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        std::string host_version;
        if (args.has("dropin")) {
            std::string file = args.str("dropin");
            if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
                throw TaskError("dropin must be a plain file name, not '" + file + "'");
            host_version = host_libvirt_version(ctx.conn);
            if (host_version.empty())
                throw TaskError(std::string("cannot tell the host's libvirt version (libvirtd --version failed): ") +
                                name + ".d/ drop-ins need libvirt " + k_dropin_since + " or newer; install the hook without dropin");
            if (compare_dotted_versions(host_version, k_dropin_since) < 0)
                throw TaskError("the host runs libvirt " + host_version + ", which ignores " + dir + "/" + name +
                                ".d/ (drop-ins need " + k_dropin_since + "): install the hook without dropin");
            dir += "/" + name + ".d";
        }
        std::string path = args.has("dropin") ? dir + "/" + args.str("dropin") : dir + "/" + name;

        std::string content;
        if (args.has("content")) {
            content = args.str("content");
        } else if (args.flag("remote_src")) {
            std::string src = args.str("src");
            FileInfo si = ctx.conn.stat(src, true);
            if (!si.exists()) {
                // A dry run in which the package shipping the hook is installed first
                // (cloud-agent -> cloudstack-agent): the install depends on it.
                if (auto why = ctx.conn.pending_file(src)) {
                    Plan p;
                    p.depends_on = *why;
                    p.changes.push_back({path, "hook install depends on " + *why + ", which creates " + src,
                                         std::nullopt, std::nullopt, false});
                    p.msg = "hook install depends on " + *why;
                    p.set_payload(HookPayload{.pending = true});
                    p.result["path"] = Value(path);
                    return p;
                }
            }
            if (!si.is_file()) throw TaskError("src " + src + (si.exists() ? " is not a file" : " does not exist on the host"));
            content = *ctx.conn.read_file(src);
        } else {
            content = controller_src(args.str("src"), ctx.playbook_dir);
        }
        if (!starts_with(content, "#!"))
            throw TaskError("the hook for " + name + " has no #! line: libvirt executes it directly and it would fail");

        Value raw;
        raw["path"] = Value(path);
        raw["mode"] = args.get("mode");
        for (const char* k : {"owner", "group", "backup"})
            if (args.has(k)) raw[k] = args.get(k);
        Args effective(raw);

        FileInfo dir_info = ctx.conn.stat(dir, true);
        if (dir_info.exists() && !dir_info.is_dir()) throw TaskError(dir + " exists and is not a directory");
        Plan plan;
        if (!dir_info.exists()) {
            // A missing directory means a missing file: plan it without reading.
            plan.content = content;
            plan.set_payload(FileEditPayload{.path = path, .created = true});
            plan.set_payload(HookPayload{.mkdir = dir});
            plan.changes.push_back({dir, "directory created", {}, {}, false});
            plan.changes.push_back({path, "file created", std::nullopt, plan.content, false});
            plan_attributes(plan, effective, path, FileInfo{});  // the new file's mode, owner, group
            plan.msg = "hook installed";
        } else {
            plan = plan_file_content(ctx, effective, path, content, "hook replaced");
            if (plan.changed() && plan.msg == "file created") plan.msg = "hook installed";
        }
        plan.result["path"] = Value(path);
        plan.result["hook"] = Value(name);
        if (!host_version.empty()) plan.result["libvirt_version"] = Value(host_version);
        if (plan.changed()) plan.result["restart_needed"] = Value(true);
        else plan.msg = "hook " + path + " already installed";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args&, const Plan& plan) const override {
        const HookPayload* hook = plan.find_payload<HookPayload>();
        if (hook && hook->pending) return Value(Map{{"restart_needed", Value(true)}});  // dry run only
        if (hook && hook->mkdir) ctx.conn.make_dirs(*hook->mkdir, 0755);
        Value out = apply_file_plan(ctx, plan);
        out["restart_needed"] = Value(true);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_libvirt_hook_module() { return std::make_unique<LibvirtHookModule>(); }

}  // namespace upkeep
