#include "engine/module/file_edit.hpp"

#include <cstdio>

#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::string format_mode(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

std::vector<ArgSpec> file_attr_args() {
    return {
        {.name = "mode", .type = ArgType::Mode, .doc = "permissions, octal (\"0644\") or symbolic (\"u+x\")"},
        {.name = "owner", .type = ArgType::String, .doc = "owner name or uid"},
        {.name = "group", .type = ArgType::String, .doc = "group name or gid"},
    };
}

std::vector<ArgSpec> file_edit_args(bool with_create) {
    std::vector<ArgSpec> out = {
        {.name = "path",
         .type = ArgType::Path,
         .required = true,
         .aliases = {"dest", "destfile", "name"},
         .doc = "the file to edit"},
        {.name = "backup",
         .type = ArgType::Bool,
         .default_value = Value(false),
         .doc = "keep the old file as <path>.<pid>.<time>~"},
        {.name = "validate",
         .type = ArgType::String,
         .doc = "command to check the new file before it replaces the old one; %s is the temp file"},
    };
    if (with_create)
        out.push_back({.name = "create",
                       .type = ArgType::Bool,
                       .default_value = Value(false),
                       .doc = "create the file if it is missing"});
    for (auto& a : file_attr_args()) out.push_back(a);
    return out;
}

namespace {

// A FIFO would block the read (for ever, also in --check), a device never end,
// a socket cannot be read at all: content modules only handle regular files.
void refuse_non_regular(const FileInfo& info, const std::string& path) {
    if (info.is_dir()) throw TaskError(path + " is a directory");
    if (info.kind == FileInfo::Kind::Other)
        throw TaskError("refusing to edit " + path + ": it is " + info.kind_text() + ", not a regular file");
}

// The plan's FileEditPayload, a copy to amend and set again (payloads are shared
// between plan copies, so never changed in place).
FileEditPayload file_payload_of(const Plan& plan, const std::string& path) {
    if (const auto* p = plan.find_payload<FileEditPayload>()) return *p;
    return FileEditPayload{.path = path};
}

void store_target(Plan& plan, const std::string& path) {
    if (!plan.find_payload<FileEditPayload>()) plan.set_payload(FileEditPayload{.path = path});
    plan.result["path"] = Value(path);
}

}  // namespace

void plan_attributes(Plan& plan, const Args& args, const std::string& path, const FileInfo& info) {
    FileEditPayload payload = file_payload_of(plan, path);
    payload.backup = args.flag("backup");
    if (args.has("validate")) {
        payload.validate = args.str("validate");
        // Refused while planning, so a dry run reports it too.
        if (payload.validate->find("%s") == std::string::npos)
            throw UserError(args.get("validate").mark(), "validate must contain %s (the file to check)");
    }
    if (args.has("mode")) {
        uint32_t want = *args.mode("mode", info.exists() ? info.mode : 0644, info.is_dir());
        if (!info.exists() || (info.mode & 07777) != want) {
            payload.mode = want;
            if (info.exists())
                plan.changes.push_back({path, "mode " + format_mode(info.mode) + " -> " + format_mode(want), {}, {}, false});
        }
    }
    for (const char* which : {"owner", "group"}) {
        if (!args.has(which)) continue;
        std::string want = args.str(which);
        const std::string& have = std::string(which) == "owner" ? info.owner : info.group;
        uint32_t have_id = std::string(which) == "owner" ? info.uid : info.gid;
        if (info.exists() && (want == have || want == std::to_string(have_id))) continue;
        (std::string(which) == "owner" ? payload.owner : payload.group) = want;
        if (info.exists()) plan.changes.push_back({path, std::string(which) + " " + have + " -> " + want, {}, {}, false});
    }
    plan.set_payload(std::move(payload));
    store_target(plan, path);
}

namespace {
// Below this size reading the file is as cheap as asking for its hash (one round
// trip either way; the SSH connection prefetches small files with their stat).
constexpr size_t k_compare_by_digest_bytes = 64 * 1024;
}  // namespace

Plan plan_file_content(ModuleContext& ctx, const Args& args, const std::string& path, SharedText content,
                       const std::string& msg) {
    Plan plan;
    FileInfo info = ctx.conn.stat(path, true);
    refuse_non_regular(info, path);
    SharedText before;
    bool same = false;
    // A large file of the wanted size is compared by digest where it lives: a
    // converged 10 MB file costs one hash on the host, not 10 MB moved to and held
    // by the controller per host. Its bytes are read only when they differ.
    if (info.exists() && info.size == content->size() && content->size() >= k_compare_by_digest_bytes) {
        std::optional<std::string> have = ctx.conn.file_sha256(path);
        same = have && *have == content.sha256();
    }
    if (info.exists() && !same) before = ctx.conn.read_shared(path);
    same = same || (before && before == content);
    if (same) before.reset();  // converged: the host's bytes are not needed any more
    if (!same) {
        plan.content = content;
        plan.changes.push_back({path, before ? msg : "file created", std::move(before), std::move(content), false});
    }
    bool content_changed = plan.changed();
    bool existed = info.exists();
    plan_attributes(plan, args, path, info);
    plan.msg = content_changed ? (existed ? msg : "file created") : plan.changed() ? "attributes changed" : "file already has the wanted content";
    return plan;
}

Plan plan_file_edit(ModuleContext& ctx, const Args& args, const EditFn& edit, bool create,
                    const std::optional<std::string>& missing_ok_msg) {
    std::string path = args.str("path");
    FileInfo info = ctx.conn.stat(path, true);
    refuse_non_regular(info, path);
    SharedText before;
    if (info.exists()) before = ctx.conn.read_shared(path);
    if (!before && !create) {
        if (auto why = ctx.conn.pending_file(path)) {
            // Not there yet, but a step planned earlier in this dry run creates it (a
            // package install): the edit depends on that step's bytes, which the dry
            // run cannot read. A planned change, honestly labelled, not a failure.
            Plan p;
            p.depends_on = *why;
            p.changes.push_back({path, "edit depends on " + *why + ", which creates the file", std::nullopt,
                                 std::nullopt, false});
            p.msg = "edit depends on " + *why + " (" + path + " does not exist before it)";
            p.set_payload(FileEditPayload{.path = path, .pending = true});
            store_target(p, path);
            return p;
        }
        if (missing_ok_msg) {
            Plan p;
            p.msg = *missing_ok_msg;
            store_target(p, path);
            return p;
        }
        throw TaskError(path + " does not exist" + (args.has("create") ? " (set create: true to create it)" : ""));
    }
    EditOutcome out = edit(before);
    Plan plan;
    if (!before || *before != out.content) {
        plan.content = SharedText(std::move(out.content));
        if (!before) plan.set_payload(FileEditPayload{.path = path, .created = true});
        Change c{path, before ? out.msg : "file created, " + out.msg, before, plan.content, false};
        plan.changes.push_back(std::move(c));
    }
    plan_attributes(plan, args, path, info);
    plan.msg = out.msg;
    return plan;
}

Value apply_file_plan(ModuleContext& ctx, const Plan& plan) {
    const FileEditPayload& target = plan.payload<FileEditPayload>();
    const std::string& path = target.path;
    Value result;
    if (target.pending) {  // only in a dry run: the file is not there to edit
        result["path"] = Value(path);
        return result;
    }
    const SharedText& content = plan.content;
    const std::optional<uint32_t>& mode = target.mode;
    const std::string& owner = target.owner;
    const std::string& group = target.group;
    if (content) {
        if (target.validate) {
            std::string cmd = *target.validate;
            size_t pos = cmd.find("%s");
            // The candidate goes to a private temp file (random name, O_EXCL,
            // 0600) beside the target, so relative includes and SELinux rules
            // see it where the real file will be; never a fixed, guessable
            // name. In --check this file is real too (the overlay passes it
            // through): the dry run validates exactly what the real run would.
            std::string dir = parent_path(path);
            if (!ctx.conn.stat(dir, true).is_dir()) dir = "/tmp";
            std::string tmp = ctx.conn.write_temp_file(dir, *content);
            CommandResult r;
            try {
                cmd.replace(pos, 2, shell_quote(ctx.conn.command_path(tmp)));
                Command c;
                c.cmdline = cmd;
                c.mutating = false;  // checking a candidate file changes nothing
                r = ctx.conn.run(c);
            } catch (...) {
                ctx.conn.remove_temp_file(tmp);
                throw;
            }
            ctx.conn.remove_temp_file(tmp);
            if (r.rc != 0)
                throw TaskError("validation failed (" + *target.validate + ", rc " + std::to_string(r.rc) +
                                "): " + trim(r.err.empty() ? r.out : r.err) + "; " + path + " left unchanged");
        }
        // A file being created may need its directories first (lineinfile create: true).
        if (target.created) {
            std::string dir = parent_path(path);
            if (dir != "/" && dir != "." && !ctx.conn.stat(dir).exists()) ctx.conn.make_dirs(dir, std::nullopt);
        }
        WriteOptions opts;
        opts.mode = mode;
        opts.owner = owner;
        opts.group = group;
        opts.backup = target.backup;
        opts.follow = !target.replace_link;
        WriteResult w = ctx.conn.write_shared(path, content, opts);
        if (!w.backup_path.empty()) result["backup_file"] = Value(w.backup_path);
    } else if (mode || !owner.empty() || !group.empty()) {
        ctx.conn.set_attributes(path, mode, owner, group);
    }
    result["path"] = Value(path);
    return result;
}

}  // namespace upkeep
