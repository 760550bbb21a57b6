// file: the state of a path (file, directory, link, absent, touch) and its
// mode/owner/group, optionally recursively (Ansible's file module). check()
// lists the exact operations in its FilePayload; apply() performs exactly them.
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

const char* kind_name(const FileInfo& i) {
    switch (i.kind) {
        case FileInfo::Kind::Missing: return "absent";
        case FileInfo::Kind::File: return "file";
        case FileInfo::Kind::Dir: return "directory";
        case FileInfo::Kind::Link: return "link";
        case FileInfo::Kind::Other: return "special file";
    }
    return "?";
}

// One operation on one path, in the order apply() carries them out.
struct FileOp {
    enum class Kind { Remove, Mkdir, Touch, Symlink, Attrs };
    Kind kind = Kind::Attrs;
    std::string path = "";
    std::optional<uint32_t> mode = std::nullopt;
    std::string owner = "", group = "";  // "" leaves them as they are
    std::string target = "";             // Symlink: what the link points at
    bool sets_owner_or_group() const { return !owner.empty() || !group.empty(); }
};
using FileOps = std::vector<FileOp>;

// check() -> apply().
struct FilePayload {
    FileOps ops;
};

FileOp op(FileOp::Kind kind, const std::string& path) { return FileOp{.kind = kind, .path = path}; }

// The owner/group a new path is given right after it is made.
FileOp new_path_owner(const Args& args, const std::string& path) {
    FileOp a = op(FileOp::Kind::Attrs, path);
    if (args.has("owner")) a.owner = args.str("owner");
    if (args.has("group")) a.group = args.str("group");
    return a;
}

// Plans mode/owner/group for one existing (or just planned, with `info` as it
// will be) path. Adds one op and one Change per differing attribute.
void plan_attrs(Plan& plan, FileOps& ops, const Args& args, const std::string& path, const FileInfo& info,
                bool quiet_new = false) {
    FileOp o = op(FileOp::Kind::Attrs, path);
    std::vector<std::string> what;
    if (args.has("mode") && !info.is_link()) {
        uint32_t want = *args.mode("mode", info.mode, info.is_dir());
        if ((info.mode & 07777) != want) {
            o.mode = want;
            what.push_back("mode " + format_mode(info.mode) + " -> " + format_mode(want));
        }
    }
    for (const char* which : {"owner", "group"}) {
        if (!args.has(which)) continue;
        std::string want = args.str(which);
        bool owner = std::string(which) == "owner";
        const std::string& have = owner ? info.owner : info.group;
        uint32_t have_id = owner ? info.uid : info.gid;
        if (want == have || want == std::to_string(have_id)) continue;
        (owner ? o.owner : o.group) = want;
        what.push_back(std::string(which) + " " + have + " -> " + want);
    }
    if (what.empty()) return;
    ops.push_back(o);
    if (quiet_new) return;  // a created path's attributes are part of "created"
    for (const auto& w : what) plan.changes.push_back({path, w, {}, {}, false});
}

void plan_recurse(ModuleContext& ctx, Plan& plan, FileOps& ops, const Args& args, const std::string& dir) {
    for (const auto& name : ctx.conn.list_dir(dir)) {
        std::string p = dir == "/" ? "/" + name : dir + "/" + name;
        FileInfo i = ctx.conn.stat(p, false);
        plan_attrs(plan, ops, args, p, i);
        if (i.is_dir()) plan_recurse(ctx, plan, ops, args, p);
    }
}

class FileModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "file",
                .summary = "Make a path a file, directory or link, remove it, and set its mode and owner",
                .doc =
                    "Ansible's file. state: file (must exist), directory (mkdir -p), link (src), absent, touch\n"
                    "(create if missing; unlike Ansible an existing file's times are left alone, so a second run\n"
                    "changes nothing). recurse applies mode/owner/group to a directory's whole tree.\n"
                    "Example:\n"
                    "  - file: path=/etc/libvirt/hooks state=directory mode=0755",
                .args =
                    {
                        {.name = "path",
                         .type = ArgType::Path,
                         .required = true,
                         .aliases = {"dest", "name"},
                         .doc = "the path"},
                        {.name = "state",
                         .type = ArgType::String,
                         .choices = {"absent", "directory", "file", "link", "touch"},
                         .doc = "what the path should be (default: what it is, or file)"},
                        {.name = "src", .type = ArgType::Path, .doc = "link target (state=link)"},
                        {.name = "recurse",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "directories: set attributes on the whole tree"},
                        {.name = "force",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "links: replace a file or empty directory, allow a missing src"},
                        {.name = "follow",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "accepted for compatibility"},
                    },
            };
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string path = args.str("path");
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        FileInfo linfo = ctx.conn.stat(path, false);
        FileInfo info = linfo.is_link() ? ctx.conn.stat(path, true) : linfo;
        std::string state = args.str("state");
        if (state.empty()) {
            if (args.flag("recurse")) state = "directory";
            else if (linfo.is_link() && args.has("src")) state = "link";
            else if (info.is_dir()) state = "directory";
            else state = "file";
        }
        if (args.flag("recurse") && state != "directory") throw TaskError("recurse needs state=directory");
        Plan plan;
        FileOps ops;
        if (state == "absent") plan_absent(ctx, plan, ops, path, linfo);
        else if (state == "file") plan_file(plan, ops, args, path, info);
        else if (state == "directory") plan_directory(ctx, plan, ops, args, path, info);
        else if (state == "touch") plan_touch(plan, ops, args, path, info);
        else plan_link(ctx, plan, ops, args, path, linfo);
        plan.set_payload(FilePayload{.ops = std::move(ops)});
        plan.result["path"] = Value(path);
        plan.result["state"] = Value(state);
        if (plan.msg.empty()) plan.msg = plan.changed() ? plan.changes.front().summary : "already " + state;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args&, const Plan& plan) const override {
        for (const FileOp& o : plan.payload<FilePayload>().ops) {
            switch (o.kind) {
                case FileOp::Kind::Remove: ctx.conn.remove(o.path, true); break;
                case FileOp::Kind::Mkdir: ctx.conn.make_dirs(o.path, o.mode); break;
                case FileOp::Kind::Touch: {
                    WriteOptions w;
                    w.mode = o.mode;
                    ctx.conn.write_file(o.path, "", w);
                    break;
                }
                case FileOp::Kind::Symlink: ctx.conn.symlink(o.target, o.path); break;
                case FileOp::Kind::Attrs: ctx.conn.set_attributes(o.path, o.mode, o.owner, o.group); break;
            }
        }
        Value out;
        out["path"] = plan.result.get("path");
        return out;
    }

private:
    static void plan_absent(ModuleContext& ctx, Plan& plan, FileOps& ops, const std::string& path, const FileInfo& linfo) {
        if (!linfo.exists()) {
            plan.msg = "already absent";
            return;
        }
        if (path == "/") throw TaskError("refusing to remove /");
        ops.push_back(op(FileOp::Kind::Remove, path));
        plan.changes.push_back({path, std::string(kind_name(linfo)) + " removed", {}, {}, false});
        (void)ctx;
    }

    static void plan_file(Plan& plan, FileOps& ops, const Args& args, const std::string& path, const FileInfo& info) {
        if (!info.exists()) throw TaskError("file (" + path + ") is absent, cannot continue");
        if (!info.is_file()) throw TaskError("file (" + path + ") is " + kind_name(info) + ", cannot continue");
        plan_attrs(plan, ops, args, path, info);
    }

    static void plan_directory(ModuleContext& ctx, Plan& plan, FileOps& ops, const Args& args, const std::string& path,
                               const FileInfo& info) {
        if (info.exists() && !info.is_dir())
            throw TaskError(path + " already exists as a " + kind_name(info));
        if (!info.exists()) {
            // Create each missing level like Ansible: every new directory gets the mode/owner/group.
            std::vector<std::string> missing;
            for (std::string p = path; !p.empty() && p != "/" && p != "."; p = parent_path(p)) {
                FileInfo pi = ctx.conn.stat(p, true);
                if (pi.exists()) {
                    if (!pi.is_dir()) throw TaskError("cannot create " + path + ": " + p + " is a " + kind_name(pi));
                    break;
                }
                missing.insert(missing.begin(), p);
            }
            for (const auto& p : missing) {
                FileInfo fresh;
                fresh.kind = FileInfo::Kind::Dir;
                fresh.mode = 0755;
                FileOp o = op(FileOp::Kind::Mkdir, p);
                if (args.has("mode")) o.mode = *args.mode("mode", 0755, true);
                ops.push_back(o);
                // Owner and group of a new directory are set right after it is made.
                FileOp a = new_path_owner(args, p);
                if (a.sets_owner_or_group()) ops.push_back(a);
                plan.changes.push_back({p, "directory created", {}, {}, false});
            }
            return;  // a new directory is empty: nothing to recurse into
        }
        plan_attrs(plan, ops, args, path, info);
        if (args.flag("recurse")) plan_recurse(ctx, plan, ops, args, path);
    }

    static void plan_touch(Plan& plan, FileOps& ops, const Args& args, const std::string& path, const FileInfo& info) {
        if (info.exists()) {
            plan_attrs(plan, ops, args, path, info);
            if (!plan.changed()) plan.msg = "file already exists";
            return;
        }
        FileOp o = op(FileOp::Kind::Touch, path);
        if (args.has("mode")) o.mode = *args.mode("mode", 0644, false);
        ops.push_back(o);
        FileOp a = new_path_owner(args, path);
        if (a.sets_owner_or_group()) ops.push_back(a);
        plan.changes.push_back({path, "file created", std::nullopt, std::string(), false});
    }

    static void plan_link(ModuleContext& ctx, Plan& plan, FileOps& ops, const Args& args, const std::string& path,
                          const FileInfo& linfo) {
        if (!args.has("src")) throw TaskError("src is required for state=link");
        std::string src = args.str("src");
        bool force = args.flag("force");
        std::string resolved = src[0] == '/' ? src : parent_path(path) + "/" + src;
        if (!force && !ctx.conn.stat(resolved, false).exists())
            throw TaskError("src file does not exist, use force=yes if you really want to create the link: " + resolved);
        FileOp o = op(FileOp::Kind::Symlink, path);
        o.target = src;
        if (linfo.is_link()) {
            if (linfo.link_target != src) {
                ops.push_back(o);
                plan.changes.push_back({path, "link target " + linfo.link_target + " -> " + src, {}, {}, false});
            }
        } else if (linfo.exists()) {
            if (!force)
                throw TaskError("refusing to convert from " + std::string(kind_name(linfo)) + " to symlink for " + path);
            if (linfo.is_dir()) {
                if (!ctx.conn.list_dir(path).empty())
                    throw TaskError("the directory " + path + " is not empty, refusing to convert it");
                ops.push_back(op(FileOp::Kind::Remove, path));
            }
            ops.push_back(o);
            plan.changes.push_back({path, std::string(kind_name(linfo)) + " replaced by a link to " + src, {}, {}, false});
        } else {
            ops.push_back(o);
            plan.changes.push_back({path, "link created -> " + src, {}, {}, false});
        }
        // A link's own owner/group (lchown); Linux links have no mode.
        FileInfo as_link = linfo.is_link() ? linfo : FileInfo{};
        if (!linfo.is_link()) {
            as_link.kind = FileInfo::Kind::Link;
            as_link.owner = as_link.group = "\x01";  // unknown yet: set whatever is asked
        }
        FileOp a = op(FileOp::Kind::Attrs, path);
        for (const char* which : {"owner", "group"}) {
            if (!args.has(which)) continue;
            std::string want = args.str(which);
            bool owner = std::string(which) == "owner";
            const std::string& have = owner ? as_link.owner : as_link.group;
            uint32_t have_id = owner ? as_link.uid : as_link.gid;
            if (linfo.is_link() && (want == have || want == std::to_string(have_id))) continue;
            (owner ? a.owner : a.group) = want;
            if (linfo.is_link()) plan.changes.push_back({path, std::string(which) + " " + have + " -> " + want, {}, {}, false});
        }
        if (a.sets_owner_or_group()) ops.push_back(a);
    }
};

}  // namespace

std::unique_ptr<Module> make_file_module() { return std::make_unique<FileModule>(); }

}  // namespace upkeep
