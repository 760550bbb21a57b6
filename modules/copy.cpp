// copy: puts exact bytes (inline `content`, or a file from the controller or,
// with remote_src, from the host) at `dest`, with mode/owner/group (Ansible's copy).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "engine/module/controller_file.hpp"
#include "engine/module/file_edit.hpp"
#include "engine/module/tree_ops.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

namespace fs = std::filesystem;

std::string base_name(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

class CopyModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "copy",
                .summary = "Put exact bytes (inline content or a file) at a path on the host",
                .doc =
                    "Ansible's copy. `src` is a file on the controller (relative to the playbook's files/ or\n"
                    "directory), or on the host with `remote_src: true`; `content` is inline text.\n"
                    "Example:\n"
                    "  - copy:\n"
                    "      src: qemu-hook\n"
                    "      dest: /etc/libvirt/hooks/qemu\n"
                    "      mode: \"0755\"",
                .args =
                    {
                        {.name = "dest",
                         .type = ArgType::Path,
                         .required = true,
                         .aliases = {"path"},
                         .doc = "where the file goes; a directory takes src's name"},
                        {.name = "src",
                         .type = ArgType::Path,
                         .doc = "file to copy (controller side unless remote_src)"},
                        {.name = "content", .type = ArgType::String, .doc = "the file's exact content"},
                        {.name = "remote_src",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "src is on the host"},
                        {.name = "force",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .aliases = {"thirsty"},
                         .doc = "replace a file whose content differs; false: only create"},
                        {.name = "backup",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "keep the old file as <path>.<pid>.<time>~"},
                        {.name = "validate",
                         .type = ArgType::String,
                         .doc = "command to check the new file; %s is the file"},
                        {.name = "mode",
                         .type = ArgType::Mode,
                         .doc = "permissions, octal, symbolic, or \"preserve\" (src's)"},
                        {.name = "owner", .type = ArgType::String, .doc = "owner name or uid"},
                        {.name = "group", .type = ArgType::String, .doc = "group name or gid"},
                        {.name = "directory_mode",
                         .type = ArgType::Mode,
                         .doc = "mode of directories a tree copy creates"},
                        {.name = "follow",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "a symbolic link at dest: true writes its target; false (the default, as Ansible) "
                                "replaces "
                                "the link with the file"},
                    },
                .mutually_exclusive = {{"content", "src"}},
                .required_one_of = {{"content", "src"}},
            };
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string dest = args.str("dest");
        SharedText content;
        std::optional<uint32_t> src_mode;
        FileInfo dest_info = ctx.conn.stat(dest, true);
        bool dest_is_dir = dest_info.is_dir() || ends_with(dest, "/");
        if (args.has("content")) {
            if (dest_is_dir) throw TaskError("can not use content with a dir as dest (" + dest + ")");
            content = args.str("content");
        } else {
            std::string src = args.str("src");
            if (args.flag("remote_src")) {
                FileInfo si = ctx.conn.stat(src, true);
                if (!si.exists()) throw TaskError("src " + src + " does not exist on the host");
                if (si.is_dir()) throw TaskError("src " + src + " is a directory: directories are not supported yet");
                content = ctx.conn.read_shared(src);
                src_mode = si.mode;
            } else {
                std::string local = find_controller_file(ctx, "files", src);
                if (fs::is_directory(local)) return plan_tree(ctx, args, local, src, dest);
                content = read_controller_file(local);
                struct stat st;
                if (::stat(local.c_str(), &st) == 0) src_mode = st.st_mode & 07777;
            }
            if (dest_is_dir) {
                while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
                dest += "/" + base_name(src);
                dest_info = ctx.conn.stat(dest, true);
            }
        }
        std::string parent = parent_path(dest);
        if (parent != "." && !ctx.conn.stat(parent, true).is_dir())
            throw TaskError("destination directory " + parent + " does not exist");

        // "preserve" copies src's permission bits; the shared planner wants a number.
        Value raw = args.raw();
        if (args.has("mode") && args.get("mode").to_string() == "preserve") {
            if (!src_mode) throw TaskError("mode: preserve needs src");
            raw["mode"] = Value(format_mode(*src_mode));
        }
        raw["path"] = Value(dest);
        Args effective(raw);

        FileInfo dest_link = ctx.conn.stat(dest, false);
        if ((dest_info.exists() || dest_link.is_link()) && !args.flag("force")) {
            Plan p;
            p.msg = "file already exists (force: false)";
            p.result["dest"] = Value(dest);
            return p;
        }
        Plan plan;
        if (dest_link.is_link() && !args.flag("follow")) {
            // Ansible's follow: false renames the new file over the link itself;
            // the link's target is left alone.
            plan.content = content;
            plan.set_payload(FileEditPayload{.path = dest, .replace_link = true});
            plan.changes.push_back({dest, link_replaced(dest_link), std::nullopt, std::move(content), false});
            plan_attributes(plan, effective, dest, FileInfo{});
            plan.msg = "link replaced by a file";
        } else {
            plan = plan_file_content(ctx, effective, dest, std::move(content), "content replaced");
        }
        plan.result["dest"] = Value(dest);
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        if (auto* tree = plan.find_payload<TreeOps>()) return apply_tree(ctx, plan, *tree);
        Value out = apply_file_plan(ctx, plan);
        out["dest"] = Value(plan.payload<FileEditPayload>().path);
        return out;
    }

private:
    // follow: false over a symbolic link at dest (one file or a tree's member).
    static std::string link_replaced(const FileInfo& link) {
        return "symbolic link (to " + link.link_target + ") replaced by a file";
    }

    // A directory src: like Ansible, "dir" lands as dest/dir, "dir/" copies its contents into dest.
    // Every file and directory becomes one op; files carry their exact bytes.
    static Plan plan_tree(ModuleContext& ctx, const Args& args, const std::string& local, const std::string& src,
                          std::string dest) {
        while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
        std::string top = ends_with(src, "/") ? dest : dest + "/" + base_name(src);
        Plan plan;
        // validate runs one command on one candidate file: not offered for a tree,
        // refused rather than silently skipped.
        if (args.has("validate")) throw TaskError(args.get("validate").mark(), "validate does not apply to a directory src (" + src + ")");
        TreeOps tree{.ops = {}, .follow_links = args.flag("follow"), .backup = args.flag("backup")};
        bool force = args.flag("force");
        auto want_dir = [&](const std::string& path) {
            FileInfo i = ctx.conn.stat(path, true);
            if (i.exists() && !i.is_dir()) throw TaskError(path + " exists and is not a directory");
            if (i.exists()) return;
            TreeOp o{.kind = TreeOp::Kind::Mkdir, .path = path};
            if (args.has("directory_mode")) o.mode = *args.mode("directory_mode", 0755, true);
            tree.ops.push_back(o);
            plan.changes.push_back({path, "directory created", {}, {}, false});
        };
        want_dir(dest);
        if (top != dest) want_dir(top);
        std::vector<fs::path> entries;
        for (const auto& e : fs::recursive_directory_iterator(local)) entries.push_back(e.path());
        std::sort(entries.begin(), entries.end());
        for (const auto& e : entries) {
            std::string rel = e.string().substr(local.size() + (ends_with(local, "/") ? 0 : 1));
            std::string target = top + "/" + rel;
            if (fs::is_directory(e)) {
                want_dir(target);
                continue;
            }
            std::string content = *read_controller_file(e.string());
            // follow: false (the default), as for one file: a link at a member's path is
            // replaced by the file, never written through (it may point out of dest).
            // Only a link needs a second stat (of what it points at): anything else is
            // the same seen either way.
            FileInfo link = ctx.conn.stat(target, false);
            bool replace_link = link.is_link() && !tree.follow_links;
            if (replace_link && !force) continue;  // "file already exists", as for one file
            FileInfo i = replace_link ? FileInfo{} : link.is_link() ? ctx.conn.stat(target, true) : link;
            if (i.is_dir()) throw TaskError(target + " is a directory");
            if (i.kind == FileInfo::Kind::Other) throw TaskError("refusing to write " + target + ": it is " + i.kind_text() + ", not a regular file");
            std::optional<std::string> before;
            if (i.exists()) before = ctx.conn.read_file(target);
            // A file whose bytes stay gets only its attributes set.
            TreeOp o{.kind = TreeOp::Kind::Attrs, .path = target};
            bool write = !i.exists() || (force && *before != content);
            if (write) {
                o.kind = TreeOp::Kind::Write;
                o.content = SharedText(std::move(content));
                std::string what = replace_link ? link_replaced(link) : before ? "content replaced" : "file created";
                plan.changes.push_back({target, what, before, o.content, false});
            }
            std::optional<uint32_t> mode;
            if (args.has("mode") && args.get("mode").to_string() != "preserve")
                mode = *args.mode("mode", i.exists() ? i.mode : 0644, false);
            else if (args.has("mode")) mode = fs::status(e).permissions() == fs::perms::unknown
                                                  ? 0644u
                                                  : static_cast<uint32_t>(fs::status(e).permissions()) & 07777;
            if (mode && (!i.exists() || (i.mode & 07777) != *mode)) {
                o.mode = mode;
                if (i.exists()) plan.changes.push_back({target, "mode " + format_mode(i.mode) + " -> " + format_mode(*mode), {}, {}, false});
            }
            for (const char* which : {"owner", "group"}) {
                if (!args.has(which)) continue;
                std::string want = args.str(which);
                const std::string& have = std::string(which) == "owner" ? i.owner : i.group;
                uint32_t id = std::string(which) == "owner" ? i.uid : i.gid;
                if (i.exists() && (want == have || want == std::to_string(id))) continue;
                (std::string(which) == "owner" ? o.owner : o.group) = want;
                if (i.exists()) plan.changes.push_back({target, std::string(which) + " " + have + " -> " + want, {}, {}, false});
            }
            if (o.kind == TreeOp::Kind::Write || o.mode || !o.owner.empty() || !o.group.empty()) tree.ops.push_back(o);
        }
        plan.set_payload(std::move(tree));
        plan.msg = plan.changed() ? std::to_string(plan.changes.size()) + " change(s) in " + top : "tree already copied";
        plan.result["dest"] = Value(top);
        return plan;
    }

    static Value apply_tree(ModuleContext& ctx, const Plan& plan, const TreeOps& tree) {
        apply_tree_ops(ctx.conn, tree);
        Value out;
        out["dest"] = plan.result.get("dest");
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_copy_module() { return std::make_unique<CopyModule>(); }

}  // namespace upkeep
