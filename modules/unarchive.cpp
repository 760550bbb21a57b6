// unarchive: unpacks a .tar(.gz/.bz2/.xz/.zst) or .zip archive into a directory
// of the host (Ansible's unarchive). The archive (from the controller, or with
// remote_src from the host or a URL the host downloads) is unpacked on the
// CONTROLLER into a private temp directory with tar/unzip, and every member is
// compared with the host's file over the connection: the plan lists exactly the
// files, directories and links to create or change (with their bytes, for the
// diff), and apply() writes only those, atomically, through the connection. So
// idempotence is by member (content, mode, link target), the dry run is exact,
// and the host needs neither tar nor unzip. keep_newer leaves a host file newer
// than its member alone. Differences from Ansible: member mtimes are not restored,
// and owners come from `owner`/`group` (not the archive).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/connection/local_connection.hpp"
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/module/controller_file.hpp"
#include "engine/module/tree_ops.hpp"
#include "modules/host_data.hpp"
#include "modules/host_http.hpp"

namespace upkeep {

namespace {

namespace fs = std::filesystem;

// Ansible's handler names, picked from the archive's magic bytes.
std::string handler_for(const std::string& bytes) {
    auto at = [&](size_t off, std::string_view magic) { return bytes.size() >= off + magic.size() && bytes.compare(off, magic.size(), magic) == 0; };
    if (at(0, "PK\x03\x04") || at(0, "PK\x05\x06")) return "ZipArchive";
    if (at(0, "\x1f\x8b")) return "TgzArchive";
    if (at(0, "BZh")) return "TarBzipArchive";
    if (at(0, std::string_view("\xfd" "7zXZ\0", 6))) return "TarXzArchive";
    if (at(0, "\x28\xb5\x2f\xfd")) return "TarZstdArchive";
    if (at(257, "ustar")) return "TarArchive";
    return "";
}

// A private scratch directory on the controller, removed with everything in it.
class Scratch {
public:
    Scratch() {
        std::string tmpl = (fs::temp_directory_path() / "upkeep-unarchive-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw TaskError("cannot create a temp directory on the controller");
        m_path = tmpl;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

class UnarchiveModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "unarchive",
                .summary = "Unpack a tar or zip archive into a directory of the host",
                .doc =
                    "Ansible's unarchive (tar, tar.gz/tgz, tar.bz2, tar.xz, tar.zst, zip). src is on the\n"
                    "controller (files/ of the role or playbook), or on the host with remote_src (a URL\n"
                    "there is downloaded by the host). Members are compared one by one (content, mode,\n"
                    "link target): only what differs is written, so a second run changes nothing. mode,\n"
                    "owner and group apply to every member. Member mtimes are not restored. keep_newer keeps a\n"
                    "host file that is newer than its member.\n"
                    "Returns dest, src, handler, files (list_files), changed.\n"
                    "Example:\n"
                    "  - unarchive:\n"
                    "      src: jdbc-drivers.tar.gz\n"
                    "      dest: /usr/share/cloudstack-management/lib\n"
                    "      creates: /usr/share/cloudstack-management/lib/mysql-connector.jar",
                .args =
                    {
                        {.name = "src",
                         .type = ArgType::Path,
                         .required = true,
                         .doc = "the archive (controller, or host with remote_src; a URL with remote_src)"},
                        {.name = "dest",
                         .type = ArgType::Path,
                         .required = true,
                         .doc = "existing directory on the host"},
                        {.name = "remote_src",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "src is on the host"},
                        {.name = "copy",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "deprecated: false means remote_src: true"},
                        {.name = "creates", .type = ArgType::Path, .doc = "skip when this path exists on the host"},
                        {.name = "list_files",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "return the archive's member names as files"},
                        {.name = "exclude",
                         .type = ArgType::List,
                         .default_value = Value(List{}),
                         .doc = "member paths (globs) left out"},
                        {.name = "include",
                         .type = ArgType::List,
                         .default_value = Value(List{}),
                         .doc = "only these member paths (globs)"},
                        {.name = "keep_newer",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "leave a host file that is newer than its archive member as it is (mode/owner/group still "
                                "apply when given)"},
                        {.name = "extra_opts",
                         .type = ArgType::List,
                         .default_value = Value(List{}),
                         .doc = "not supported (empty only)"},
                        {.name = "validate_certs",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "a URL src: verify TLS"},
                        {.name = "decrypt",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "accepted (vault-encrypted archives are not)"},
                        {.name = "io_buffer_size",
                         .type = ArgType::Int,
                         .default_value = Value(65536),
                         .doc = "accepted; unused"},
                    },
                .mutually_exclusive = {{"include", "exclude"}},
            };
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string src = args.str("src"), dest = args.str("dest");
        bool remote = args.flag("remote_src") || !args.flag("copy", true);
        Plan plan;
        if (args.has("creates") && ctx.conn.stat(args.str("creates"), false).exists()) {
            plan.msg = "skipped, " + args.str("creates") + " exists";
            plan.result["msg"] = Value(plan.msg);
            plan.result["dest"] = Value(dest);
            return plan;
        }
        if (!args.strings("extra_opts").empty()) throw TaskError("unarchive: extra_opts is not supported");
        std::string bytes;
        if (remote && src.find("://") != std::string::npos) {
            HttpRequest req;
            req.url = src;
            req.validate_certs = args.flag("validate_certs", true);
            HttpResponse r = http_on_host(ctx.conn, req);
            if (r.status != 200) throw TaskError("Failure downloading " + src + ", " + r.msg());
            bytes = std::move(r.body);
        } else if (remote) {
            FileInfo si = ctx.conn.stat(src, true);
            if (!si.exists()) throw TaskError("Source '" + src + "' does not exist");
            if (!si.is_file()) throw TaskError("Source '" + src + "' not readable");
            bytes = *ctx.conn.read_file(src);
        } else {
            bytes = *read_controller_file(find_controller_file(ctx, "files", src));
        }
        if (bytes.empty()) throw TaskError("Invalid archive '" + src + "', the file is 0 bytes");
        if (!ctx.conn.stat(dest, true).is_dir()) throw TaskError("dest '" + dest + "' must be an existing dir");
        std::string handler = handler_for(bytes);
        if (handler.empty())
            throw TaskError("Failed to find handler for \"" + src + "\". Make sure the required command to extract the file is installed.");

        Scratch scratch;
        std::string archive = scratch.path() + "/archive", tree = scratch.path() + "/tree";
        {
            std::ofstream out(archive, std::ios::binary);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        fs::create_directory(tree);
        LocalConnection controller("controller");
        Command list, unpack;
        list.mutating = unpack.mutating = false;
        if (handler == "ZipArchive") {
            list.cmdline = "unzip -Z1 " + shell_quote(archive);
            unpack.cmdline = "unzip -q -o " + shell_quote(archive) + " -d " + shell_quote(tree);
        } else {
            list.cmdline = "tar -tf " + shell_quote(archive);
            unpack.cmdline = "tar --no-same-owner -xf " + shell_quote(archive) + " -C " + shell_quote(tree);
        }
        CommandResult lr = controller.run(list);
        if (lr.rc != 0) throw TaskError("failed to list " + src + ": " + trim(lr.err));
        CommandResult ur = controller.run(unpack);
        if (ur.rc != 0) throw TaskError("failed to unpack " + src + " to " + dest + ": " + trim(ur.err));

        std::vector<std::string> members;
        for (const auto& l : split(lr.out, '\n'))
            if (!l.empty() && wanted(args, l)) members.push_back(l);
        plan_members(ctx, args, tree, dest, plan);

        plan.result["dest"] = Value(dest);
        plan.result["src"] = Value(src);
        plan.result["handler"] = Value(handler);
        if (args.flag("list_files")) {
            List files;
            for (const auto& m : members) files.push_back(Value(m));
            plan.result["files"] = Value(std::move(files));
        }
        plan.msg = plan.changed() ? plural(plan.changes.size()) + " in " + dest : "all members already unpacked in " + dest;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args&, const Plan& plan) const override {
        apply_tree_ops(ctx.conn, plan.payload<TreeOps>());
        return Value();
    }

private:
    // The host file's mtime (seconds, with the fraction); a file only the dry run's
    // overlay has (planned by an earlier task) is as new as now.
    static double host_mtime(ModuleContext& ctx, const std::string& path) {
        Command c;
        c.mutating = false;
        c.cmdline = "LC_ALL=C find " + shell_quote(ctx.conn.command_path(path)) + " -maxdepth 0 -printf '%T@'";
        CommandResult r = ctx.conn.run(c);
        if (r.rc != 0 || trim(r.out).empty()) return host_now(ctx.conn);
        return std::strtod(trim(r.out).c_str(), nullptr);
    }

    static std::string plural(size_t n) { return std::to_string(n) + (n == 1 ? " change" : " changes"); }

    static bool wanted(const Args& args, const std::string& member) {
        std::string m = member;
        while (m.size() > 1 && m.back() == '/') m.pop_back();
        for (const auto& e : args.strings("exclude"))
            if (py_fnmatch(m, e) || py_fnmatch(member, e)) return false;
        std::vector<std::string> inc = args.strings("include");
        if (inc.empty()) return true;
        for (const auto& i : inc)
            if (py_fnmatch(m, i) || py_fnmatch(member, i)) return true;
        return false;
    }

    // The member's mode, owner and group where the host's differ (a kept newer file
    // keeps its mode: want_mode is then none). Only an attributes-only op lists them as
    // changes of their own; true when it does.
    static bool plan_attributes(const Args& args, const FileInfo& host, const std::string& path,
                                std::optional<uint32_t> want_mode, bool attrs_only, TreeOp& o, Plan& plan) {
        bool differs = false;
        if (want_mode && (!host.exists() || host.is_link() || (host.mode & 07777) != *want_mode)) {
            o.mode = want_mode;
            if (attrs_only) {
                plan.changes.push_back({path, "mode " + format_mode(host.mode) + " -> " + format_mode(*want_mode), {}, {}, false});
                differs = true;
            }
        }
        for (const char* which : {"owner", "group"}) {
            if (!args.has(which)) continue;
            std::string want = args.str(which);
            const std::string& have = std::string(which) == "owner" ? host.owner : host.group;
            uint32_t id = std::string(which) == "owner" ? host.uid : host.gid;
            if (host.exists() && !host.is_link() && (want == have || want == std::to_string(id))) continue;
            (std::string(which) == "owner" ? o.owner : o.group) = want;
            if (attrs_only) {
                plan.changes.push_back({path, std::string(which) + " " + have + " -> " + want, {}, {}, false});
                differs = true;
            }
        }
        return differs;
    }

    // Compares every unpacked member with the host and records one op per difference.
    static void plan_members(ModuleContext& ctx, const Args& args, const std::string& tree, std::string dest, Plan& plan) {
        while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
        std::vector<fs::path> entries;
        for (const auto& e : fs::recursive_directory_iterator(tree)) entries.push_back(e.path());
        std::sort(entries.begin(), entries.end());
        TreeOps ops{.ops = {}, .follow_links = false};  // a link where a file belongs is replaced, as tar does
        for (const auto& e : entries) {
            std::string rel = e.string().substr(tree.size() + 1);
            if (!wanted(args, rel) && !wanted(args, rel + "/")) continue;
            std::string path = dest + "/" + rel;
            struct stat st;
            if (::lstat(e.c_str(), &st) != 0) continue;
            uint32_t member_mode = st.st_mode & 07777;
            FileInfo host = ctx.conn.stat(path, false);
            std::optional<uint32_t> want_mode = args.has("mode") ? args.mode("mode", member_mode, S_ISDIR(st.st_mode)) : member_mode;
            TreeOp o{.path = path};
            bool attrs_only = false;
            bool kept = false;  // keep_newer: the host's newer file stays
            if (S_ISDIR(st.st_mode)) {
                if (host.exists() && !host.is_dir()) throw TaskError(path + " exists and is not a directory");
                if (!host.exists()) {
                    o.kind = TreeOp::Kind::Mkdir;
                    plan.changes.push_back({path, "directory created", std::nullopt, std::nullopt, false});
                } else {
                    attrs_only = true;
                }
            } else if (S_ISLNK(st.st_mode)) {
                std::string target = fs::read_symlink(e).string();
                if (host.is_dir()) throw TaskError(path + " is a directory, the archive has a link there");
                if (!host.is_link() || host.link_target != target) {
                    o.kind = TreeOp::Kind::Link;
                    o.link_target = target;
                    plan.changes.push_back({path, "link to " + target, std::nullopt, std::nullopt, false});
                    ops.ops.push_back(o);
                }
                continue;  // a link's own mode means nothing
            } else if (S_ISREG(st.st_mode)) {
                if (host.is_dir()) throw TaskError(path + " is a directory, the archive has a file there");
                // Shared: the same buffer is the change's after-bytes and what apply() writes.
                SharedText content = read_controller_file(e.string());
                std::optional<std::string> before;
                if (host.is_file()) before = ctx.conn.read_file(path);
                double member_mtime = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
                if (before && *before != *content && args.flag("keep_newer") && host_mtime(ctx, path) > member_mtime) {
                    // tar --keep-newer-files / Ansible's zip "is newer, excluding file": the
                    // host's newer file stays, and so do its mode and owner unless asked.
                    attrs_only = true;
                    kept = true;
                } else if (!before || *before != *content) {
                    o.kind = TreeOp::Kind::Write;
                    o.content = content;
                    plan.changes.push_back({path, before ? "content replaced" : "file created", before, o.content, false});
                } else {
                    attrs_only = true;
                }
            } else {
                continue;  // devices, FIFOs: not unpacked
            }
            if (attrs_only) o.kind = TreeOp::Kind::Attrs;
            bool attrs_differ = plan_attributes(args, host, path, kept && !args.has("mode") ? std::nullopt : want_mode,
                                                attrs_only, o, plan);
            if (!attrs_only || attrs_differ) ops.ops.push_back(o);
        }
        plan.set_payload(std::move(ops));
    }
};

}  // namespace

std::unique_ptr<Module> make_unarchive_module() { return std::make_unique<UnarchiveModule>(); }

}  // namespace upkeep
