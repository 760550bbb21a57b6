// Shared plumbing for modules that converge one file's bytes and attributes
// (copy, lineinfile, replace, properties, ini_file, xml, ...). A module supplies
// only its pure edit function; planning, the diff, validation, backup and the
// atomic write live here once.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/module/module.hpp"

namespace upkeep {

// Arguments every file-editing module accepts (Ansible's common file args).
// Append these to a module's own spec: path(dest/name), backup, mode, owner, group, validate.
std::vector<ArgSpec> file_edit_args(bool with_create);
// Only the attribute arguments: mode, owner, group.
std::vector<ArgSpec> file_attr_args();

// What apply_file_plan() needs from the check: the path and the attribute
// changes planned. Set by the plan_* functions below; a module that adds its own
// payload keeps this one beside it (Plan holds one payload per type).
struct FileEditPayload {
    std::string path;
    std::optional<uint32_t> mode{};  // set only when the mode changes
    std::string owner{}, group{};  // "" when unchanged
    bool pending = false;          // dry run: an earlier planned step creates the file
    bool created = false;          // the file is new: make its directories first
    bool replace_link = false;     // a symlink at path is replaced, not followed (copy follow: false)
    bool backup = false;                  // keep the old file (backup: true)
    std::optional<std::string> validate{};  // command with %s run on the candidate before the rename
};

struct EditOutcome {
    std::string content;  // the whole new file
    std::string msg;      // "line added", or why nothing changed ("key 'x' already set")
};

// A pure edit: current bytes (none when the file does not exist) -> new bytes.
// Throws UserError/TaskError for bad input; must not touch the host. The current
// bytes are shared with the connection (no copy of a large file per edit).
using EditFn = std::function<EditOutcome(const SharedText& current)>;

// Reads `path`, runs `edit`, and plans the content change (exact before/after)
// and any mode/owner/group change. A missing file with create=false is an error
// unless `missing_ok_msg` is given (then the plan is empty with that message), or
// unless a dry run's earlier step creates it (Connection::pending_file: a package
// install): then a change that depends on that step (Plan::depends_on).
Plan plan_file_edit(ModuleContext& ctx, const Args& args, const EditFn& edit, bool create,
                    const std::optional<std::string>& missing_ok_msg = std::nullopt);

// Plans writing exactly `content` to `path` (copy's core), plus attributes.
// `content` is shared, not copied: the plan's after-bytes, what apply() writes and
// (in a dry run) the planned file are one buffer; a std::string argument is moved in.
Plan plan_file_content(ModuleContext& ctx, const Args& args, const std::string& path, SharedText content,
                       const std::string& msg);

// Plans only mode/owner/group for an existing path (file module, directories).
void plan_attributes(Plan& plan, const Args& args, const std::string& path, const FileInfo& info);

// Carries out a plan made by the functions above: validate (if asked), backup,
// atomic write, attributes, all as its FileEditPayload says. Returns result
// fields (backup_file, path...).
Value apply_file_plan(ModuleContext& ctx, const Plan& plan);

// "0644"-style rendering of permission bits.
std::string format_mode(uint32_t mode);

}  // namespace upkeep
