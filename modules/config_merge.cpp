// config_merge: finishes what the package manager left half done. When an
// upgrade puts the new default next to an operator-customised config file
// (.rpmnew, .dpkg-dist, .dpkg-new) or moves the customised one aside (.rpmsave),
// this writes the new packaged file with the operator's customisations carried
// over, structure-aware (.properties by key, XML by element identity, other
// files by a diff3 of lines). See modules/formats/merge_common.hpp for the rules.
#include "engine/module/file_edit.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/merge_common.hpp"

namespace upkeep {
namespace {

std::string detect_format(const std::string& path, const std::string& text) {
    std::string p = to_lower(path);
    if (ends_with(p, ".properties")) return "properties";
    if (ends_with(p, ".xml") || ends_with(p, ".xsl") || ends_with(p, ".xsd")) return "xml";
    std::string head = trim(text.substr(0, 200));
    if (starts_with(head, "\xEF\xBB\xBF")) head = head.substr(3);
    if (starts_with(head, "<?xml") || starts_with(head, "<!--") || (starts_with(head, "<") && ends_with(trim(text), ">")))
        return "xml";
    return "lines";
}

// ours/theirs: the live file and the new default (`new:`, else a package manager's
// .rpmnew/.dpkg-dist/.dpkg-new), or, after rpm moved the operator's file aside, the
// .rpmsave and the (new) live file. theirs is "" when there is nothing to merge.
std::pair<std::string, std::string> find_merge_pair(Connection& conn, const Args& args, const std::string& path) {
    if (args.has("ours")) {
        // A package rename moved the config tree (cloud-client's /etc/cloud ->
        // cloudstack-management's /etc/cloudstack): the operator's file lives under
        // the old name, `path` is the new package's file. Gone (moved to -backup by
        // an earlier merge, or never there): nothing to merge.
        std::string ours = args.str("ours");
        if (!conn.stat(ours).is_file() || !conn.stat(path).is_file()) return {ours, ""};
        return {ours, args.has("new") ? args.str("new") : path};
    }
    if (args.has("new")) {
        std::string theirs = args.str("new");
        if (!conn.stat(theirs).exists()) throw TaskError(theirs + " (new) does not exist");
        return {path, theirs};
    }
    for (const char* suffix : {".rpmnew", ".dpkg-dist", ".dpkg-new"})
        if (conn.stat(path + suffix).is_file()) return {path, path + suffix};
    if (conn.stat(path + ".rpmsave").is_file()) return {path + ".rpmsave", path};
    return {path, ""};
}

// The conflicts as the task's result shows them (secret values stay masked).
Value conflict_values(const merge::MergeResult& res) {
    List conflicts;
    for (const auto& c : res.conflicts) {
        Value v;
        v["where"] = Value(c.where);
        v["ours"] = c.ours ? Value(*c.ours).set_secret(c.secret) : Value();
        v["theirs"] = c.theirs ? Value(*c.theirs).set_secret(c.secret) : Value();
        if (c.base) v["base"] = Value(*c.base).set_secret(c.secret);
        conflicts.push_back(v);
    }
    return Value(std::move(conflicts));
}

// check() -> apply() beyond the merged file's write (its FileEditPayload).
struct MergePayload {
    std::optional<std::string> remove{};    // the .rpmnew/.dpkg-dist leftover, merged: removed after
    std::optional<std::string> keep_ours{}; // `ours:` the operator's old file, moved aside...
    std::string keep_ours_as{};            // ...to this -backup name
    bool pending = false;                  // dry run: the merge waits on a planned install
};

class ConfigMergeModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "config_merge",
                .summary =
                    "Merge an operator-customised config file with the new packaged version (.rpmnew, .dpkg-dist)",
                .doc =
                    "Writes the new packaged file with the operator's customisations carried over: .properties by\n"
                    "key, XML by element identity (id, name, key, bean...), other files by a diff3 of lines. The\n"
                    "result keeps the new file's layout; only the operator's changes are spliced in.\n"
                    "Three-way (`base`, the pristine old default): per key/attribute/element/hunk, a change made on\n"
                    "one side only is taken; the same change on both sides is fine; different changes conflict.\n"
                    "Two-way (no base): what only the operator's file has (keys, elements, inserted lines) is carried\n"
                    "over, what only the new file has is kept, and values both have but that differ are conflicts.\n"
                    "Conflicts fail the task (listed with both values) unless `prefer: ours|theirs`; secret values\n"
                    "(keys with password/secret, ENC(...)) are masked and their diffs marked secret. With\n"
                    "`.rpmsave` (rpm moved the operator's file aside), the .rpmsave is ours and `path` is the new "
                    "file.\n"
                    "Operator comments in .properties travel with their keys. Limits: XML comments travel only\n"
                    "directly above an element the operator added; reordering of existing XML elements is not merged.\n"
                    "A dry run after a planned upgrade that may leave the new file plans the merge as depending on\n"
                    "that upgrade (the file appears only if the new package's copy differs).\n"
                    "Example (CloudStack 4.0 upgrade):\n"
                    "  - config_merge:\n"
                    "      path: /etc/cloud/management/db.properties\n"
                    "      base: /usr/share/cloudstack-management/setup/db.properties.orig\n"
                    "      backup: true\n"
                    "      remove_new: true",
                .args =
                    {
                        {.name = "ours",
                         .type = ArgType::Path,
                         .doc = "the operator's file under its old name, when a package rename moved the config\n"
                                "directory (CloudStack 3.0 /etc/cloud -> 4.3 /etc/cloudstack): merged into `path` (the\n"
                                "new package's file), then kept as <ours>-backup (or -backup.N, never overwriting one)\n"
                                "so the merge happens once"},
                        {.name = "new",
                         .type = ArgType::Path,
                         .doc = "the new packaged file (default: the first of path.rpmnew, path.dpkg-dist, "
                                "path.dpkg-new)"},
                        {.name = "base",
                         .type = ArgType::Path,
                         .doc = "the pristine old default, for a three-way merge"},
                        {.name = "format",
                         .type = ArgType::String,
                         .default_value = Value("auto"),
                         .choices = {"auto", "properties", "xml", "lines"},
                         .doc = "how to read the files (auto: by extension, then content)"},
                        {.name = "prefer",
                         .type = ArgType::String,
                         .choices = {"ours", "theirs"},
                         .doc = "which side wins a conflict (unset: a conflict fails the task)"},
                        {.name = "remove_new",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "delete the .rpmnew/.dpkg-dist (or .rpmsave) file after merging"},
                    },
            };
            for (auto& a : file_edit_args(false)) m.args.push_back(a);
            for (auto& a : m.args)
                if (a.name == "backup") a.doc = "keep the operator's file as <path>.<pid>.<time>~";
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string path = args.str("path");
        auto [ours_path, theirs_path] = find_merge_pair(ctx.conn, args, path);
        if (theirs_path.empty() && !ctx.conn.stat(path).exists()) {
            // `path` itself does not exist yet, but a package install planned earlier in
            // this dry run creates it (a rename's new config tree): the merge depends on it.
            if (auto why = ctx.conn.pending_file(path)) return plan_pending(args, path, "", *why);
        }
        if (theirs_path.empty() && !args.has("new") && !args.has("ours")) {
            // Nothing to merge yet, but an upgrade planned earlier in this dry run may
            // leave the new file: say so as a planned change instead of guessing.
            for (const char* suffix : {".rpmnew", ".dpkg-dist", ".dpkg-new", ".rpmsave"})
                if (auto why = ctx.conn.pending_file(path + suffix)) return plan_pending(args, path, path + suffix, *why);
        }
        if (theirs_path.empty()) return plan_nothing_to_merge(ctx, args, path, ours_path);
        bool renamed = args.has("ours");
        std::string leftover = ours_path == path ? theirs_path : ours_path;
        std::string pref = args.str("prefer");
        std::string format = args.str("format", "auto");
        merge::MergeResult res = merge_pair(ctx, args, path, ours_path, theirs_path, format);

        std::string msg = res.carried.empty() ? "new version taken, no customisations to carry over"
                                              : std::to_string(res.carried.size()) + " customisation" +
                                                    (res.carried.size() == 1 ? "" : "s") + " carried over";
        if (!res.conflicts.empty())
            msg += ", " + std::to_string(res.conflicts.size()) + " conflict(s) resolved as " + pref;
        Plan plan = plan_file_content(ctx, args, path, res.text, msg);
        for (auto& c : plan.changes)
            if (c.before && c.after) c.secret = merge::diff_touches_secret(*c.before, *c.after);
        MergePayload after;
        if (renamed) {
            // The operator's old file is kept, out of the way: the merge is done once. A
            // -backup the operator made by hand (the seed's own step) is never overwritten.
            std::string keep = ours_path + "-backup";
            for (int n = 1; ctx.conn.stat(keep, false).exists(); ++n) keep = ours_path + "-backup." + std::to_string(n);
            plan.changes.push_back({ours_path, "kept as " + keep + " (merged into " + path + ")", std::nullopt,
                                    std::nullopt, false});
            after.keep_ours = ours_path;
            after.keep_ours_as = keep;
        }
        // With `ours`, the new default is `new:` (when given; else `path` itself, kept).
        if (args.flag("remove_new") && (!renamed || args.has("new"))) {
            std::string gone = renamed ? theirs_path : leftover;
            plan.changes.push_back({gone, "removed (merged into " + path + ")", std::nullopt, std::nullopt, false});
            after.remove = gone;
        }
        if (after.keep_ours || after.remove) plan.set_payload(std::move(after));
        if (!plan.changed()) plan.msg = "already merged: " + path + " has the new version with the customisations";
        List carried;
        for (const auto& n : res.carried) carried.push_back(Value(n));
        plan.result["carried"] = Value(std::move(carried));
        plan.result["conflicts"] = conflict_values(res);
        plan.result["new"] = Value(theirs_path);
        plan.result["format"] = Value(format);
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        const MergePayload none;
        const MergePayload* m = plan.find_payload<MergePayload>();
        if (!m) m = &none;
        if (m->pending) {
            // The merge waits on a file that is not there: only its removal is planned,
            // so later tasks see the leftover gone, as after the real merge.
            if (m->remove) ctx.conn.remove(*m->remove, false);
            return Value(Map{});
        }
        Value result = apply_file_plan(ctx, plan);
        if (m->remove) ctx.conn.remove(*m->remove, false);
        if (m->keep_ours) {
            // Copy, then remove: the backup exists before the only other copy goes.
            const std::string& ours = *m->keep_ours;
            const std::string& keep = m->keep_ours_as;
            auto text = ctx.conn.read_file(ours);
            if (!text) throw TaskError(ours + " vanished during the merge");
            WriteOptions o;
            o.mode = ctx.conn.stat(ours).mode & 07777;
            ctx.conn.write_file(keep, *text, o);
            ctx.conn.remove(ours, false);
            result["ours_backup"] = Value(keep);
        }
        return result;
    }

private:
    // No new file beside `path` (or, with `ours`, no new `path` yet): why, as an ok plan.
    static Plan plan_nothing_to_merge(ModuleContext& ctx, const Args& args, const std::string& path,
                                      const std::string& ours_path) {
        Plan p;
        if (!args.has("ours"))
            p.msg = "nothing to merge: no " + path + ".rpmnew, .dpkg-dist, .dpkg-new or .rpmsave";
        else if (ctx.conn.stat(ours_path).is_file())
            p.msg = "nothing to merge yet: " + path + " does not exist (the new package is not installed)";
        else
            p.msg = "nothing to merge: no " + ours_path + " (merged before: see " + ours_path + "-backup)";
        p.result["path"] = Value(path);
        return p;
    }

    // The 3-way (or 2-way without `base`) merge of the operator's file and the new
    // one in their format (`format` "auto" becomes the detected one); conflicts fail
    // the task unless `prefer` resolves them.
    static merge::MergeResult merge_pair(ModuleContext& ctx, const Args& args, const std::string& path,
                                         const std::string& ours_path, const std::string& theirs_path,
                                         std::string& format) {
        auto read = [&](const std::string& p, const char* role) {
            auto text = ctx.conn.read_file(p);
            if (!text) throw TaskError(p + " (" + role + ") does not exist");
            return *text;
        };
        merge::MergeInput in;
        in.ours = read(ours_path, "ours");
        in.theirs = read(theirs_path, "new");
        if (args.has("base")) in.base = read(args.str("base"), "base");
        in.filename = ours_path;
        std::string pref = args.str("prefer");
        in.prefer = pref == "ours" ? merge::Prefer::Ours : pref == "theirs" ? merge::Prefer::Theirs : merge::Prefer::None;
        if (format == "auto") format = detect_format(path, in.theirs);

        merge::MergeResult res = format == "properties" ? merge::merge_properties(in)
                                 : format == "xml"      ? merge::merge_xml(in)
                                                        : merge::merge_lines(in);
        std::vector<std::string> conflict_lines;
        for (const auto& c : res.conflicts) conflict_lines.push_back(merge::describe(c));
        if (!res.conflicts.empty() && in.prefer == merge::Prefer::None)
            throw TaskError(std::to_string(res.conflicts.size()) + " conflict" + (res.conflicts.size() == 1 ? "" : "s") +
                            " merging " + theirs_path + " into " + path + " (set prefer: ours|theirs to resolve): " +
                            join(conflict_lines, "; "));
        return res;
    }

    // The plan when `leftover` does not exist yet but may appear (Connection::pending_file).
    static Plan plan_pending(const Args& args, const std::string& path, const std::string& leftover,
                             const std::string& why) {
        Plan p;
        p.depends_on = why;
        if (leftover.empty()) {
            // `path` itself comes with the planned install (a rename's new tree).
            p.changes.push_back({path, "merge depends on " + why + ", which creates the file", std::nullopt,
                                 std::nullopt, false});
            if (args.has("ours"))
                p.changes.push_back({args.str("ours"), "merged into " + path + " and kept as -backup, if the "
                                     "install leaves it there", std::nullopt, std::nullopt, false});
            p.set_payload(MergePayload{.pending = true});
            p.msg = "merge depends on " + why + " (" + path + " does not exist before it)";
            p.result["path"] = Value(path);
            return p;
        }
        p.changes.push_back({path, "merge depends on " + why + ": it leaves " + leftover +
                                       " only if the new package's file differs from the old one's",
                             std::nullopt, std::nullopt, false});
        MergePayload payload{.pending = true};
        if (args.flag("remove_new")) {
            p.changes.push_back({leftover, "removed after the merge", std::nullopt, std::nullopt, false});
            payload.remove = leftover;
        }
        p.set_payload(std::move(payload));
        p.msg = "merge depends on " + why + " (" + leftover + " may appear)";
        p.result["path"] = Value(path);
        p.result["new"] = Value(leftover);
        return p;
    }
};

}  // namespace

std::unique_ptr<Module> make_config_merge_module() { return std::make_unique<ConfigMergeModule>(); }

}  // namespace upkeep
