// yum_repository: manages one [repository] section of a yum/dnf .repo file,
// editing only the keys it is given and keeping everything else byte for byte.
#include <algorithm>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/ini_doc.hpp"

namespace upkeep {
namespace {

// Keys whose values dnf reads as booleans.
const char* const k_bool_keys[] = {"enabled", "gpgcheck", "repo_gpgcheck", "sslverify", "module_hotfixes",
                                   "skip_if_unavailable"};
// Keys whose values dnf reads as lists (split on whitespace, commas and lines).
const char* const k_list_keys[] = {"baseurl", "gpgkey", "exclude", "excludepkgs", "includepkgs"};

bool is_one_of(const std::string& key, const auto& keys) {
    return std::any_of(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; });
}

std::optional<bool> dnf_bool(const std::string& v) {
    std::string s = to_lower(trim(v));
    if (s == "1" || s == "yes" || s == "true" || s == "on") return true;
    if (s == "0" || s == "no" || s == "false" || s == "off") return false;
    return std::nullopt;
}

std::vector<std::string> dnf_list(const std::string& v) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// True when dnf would read `have` and `want` as the same setting.
bool same_for_dnf(const std::string& key, const std::string& have, const std::string& want) {
    if (is_one_of(key, k_bool_keys)) {
        auto a = dnf_bool(have), b = dnf_bool(want);
        if (a && b) return *a == *b;
    }
    if (is_one_of(key, k_list_keys)) return dnf_list(have) == dnf_list(want);
    return trim(have) == trim(want);
}

}  // namespace

EditOutcome edit_yum_repo(const std::optional<std::string>& current, const YumRepoEdit& e, const std::string& path) {
    ini::ParseOptions po;
    po.allow_global_keys = false;  // dnf rejects keys outside a section
    auto doc = ini::Document::parse(current.value_or(""), path, po);
    std::string repo = "repository [" + e.name + "]";
    if (e.absent) {
        bool removed = doc.remove_section(e.name);
        return {doc.render(), removed ? repo + " removed" : repo + " already absent"};
    }
    bool is_new = !doc.has_section(e.name);
    ini::Format fmt;
    fmt.assignment = "=";
    std::vector<std::string> changed;
    for (const auto& [key, want] : e.keys) {
        auto all = doc.get_all(e.name, key);
        if (all.size() == 1 && all[0] && same_for_dnf(key, *all[0], want)) continue;
        doc.set(e.name, key, want, fmt);
        changed.push_back(key);
    }
    if (is_new) return {doc.render(), repo + " added"};
    if (changed.empty()) return {doc.render(), repo + " already as wanted"};
    return {doc.render(), repo + ": " + join(changed, ", ") + " changed"};
}

namespace {

// check() -> apply(): the last repository went, so the whole file goes (the
// path is in the FileEditPayload).
struct RemoveRepoFile {};

class YumRepositoryModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            auto str = [](const char* n, const char* doc) {
                return ArgSpec{.name = n, .type = ArgType::String, .doc = doc};
            };
            auto boolean = [](const char* n, const char* doc) {
                return ArgSpec{.name = n, .type = ArgType::Bool, .doc = doc};
            };
            auto list = [](const char* n, const char* doc) {
                return ArgSpec{.name = n, .type = ArgType::List, .doc = doc};
            };
            ModuleSpec m{
                .name = "yum_repository",
                .summary = "Add, change or remove a yum/dnf repository section without rewriting the .repo file",
                .doc =
                    "Unlike Ansible's yum_repository (which rewrites the whole file, sorting keys and dropping\n"
                    "comments), only the keys given here are touched: other keys, their order, comments, other\n"
                    "sections and spacing stay byte for byte. A value dnf already reads the same way is left\n"
                    "alone (enabled=yes counts as enabled: true; a list counts the same whether it is written\n"
                    "with spaces, commas or lines). Lists (baseurl, gpgkey) are written one per line, as indented\n"
                    "continuation lines. New keys are written key=value after the section's last key; a new\n"
                    "section goes at the end of the file. state=absent removes the section (and the file when\n"
                    "nothing but comments would remain). The file is <reposdir>/<file>.repo, file defaulting to\n"
                    "name. A key before the first [section] is an error (file:line:col), as for dnf.\n"
                    "Example (CloudStack 4.3 upgrade notes):\n"
                    "  - name: point cloudstack.repo at the 4.2 packages\n"
                    "    yum_repository:\n"
                    "      name: apache-cloudstack\n"
                    "      file: cloudstack\n"
                    "      baseurl: http://cloudstack.apt-get.eu/rhel/4.2/",
                .args =
                    {
                        {.name = "name",
                         .type = ArgType::String,
                         .required = true,
                         .aliases = {"repoid"},
                         .doc = "the repository id: the [section]"},
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "absent removes the section"},
                        str("description", "the human name (name=); a new section defaults to the id"),
                        list("baseurl", "URL(s) of the repository, one per line"),
                        str("mirrorlist", "URL of a mirror list"),
                        str("metalink", "URL of a metalink file"),
                        boolean("enabled", "enabled=1/0"),
                        boolean("gpgcheck", "gpgcheck=1/0"),
                        boolean("repo_gpgcheck", "repo_gpgcheck=1/0"),
                        list("gpgkey", "URL(s) of the signing keys, one per line"),
                        {.name = "priority", .type = ArgType::Int, .doc = "priority (1 is highest)"},
                        {.name = "cost", .type = ArgType::Int, .doc = "cost of accessing the repository"},
                        list("exclude", "packages to exclude (written space-separated)"),
                        list("includepkgs", "only these packages (written space-separated)"),
                        boolean("sslverify", "sslverify=1/0"),
                        boolean("module_hotfixes", "module_hotfixes=1/0"),
                        boolean("skip_if_unavailable", "skip_if_unavailable=1/0"),
                        str("proxy", "proxy URL (or _none_)"),
                        {.name = "file", .type = ArgType::String, .doc = "file name without .repo (default: name)"},
                        {.name = "reposdir",
                         .type = ArgType::Path,
                         .default_value = Value("/etc/yum.repos.d"),
                         .doc = "directory of the .repo files"},
                        {.name = "backup",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "keep the old file as <path>.<pid>.<time>~"},
                    },
            };
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    static std::string path_of(const Args& args) {
        std::string dir = args.str("reposdir", "/etc/yum.repos.d");
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        return dir + "/" + args.str("file", args.str("name")) + ".repo";
    }

    static Args with_path(const Args& args) {
        Value raw = args.raw();
        raw["path"] = Value(path_of(args));
        return Args(raw);
    }

    static YumRepoEdit make_edit(const Args& args) {
        YumRepoEdit e;
        e.name = args.str("name");
        e.absent = args.str("state") == "absent";
        auto add = [&](const char* key, std::string v) { e.keys.push_back({key, std::move(v)}); };
        // The order new keys are written in: the usual order of hand-written .repo files.
        if (args.has("description")) add("name", args.str("description"));
        if (args.has("baseurl")) add("baseurl", join(args.strings("baseurl"), "\n"));
        for (const char* k : {"mirrorlist", "metalink"})
            if (args.has(k)) add(k, args.str(k));
        for (const char* k : {"enabled", "gpgcheck", "repo_gpgcheck"})
            if (args.has(k)) add(k, args.flag(k) ? "1" : "0");
        if (args.has("gpgkey")) add("gpgkey", join(args.strings("gpgkey"), "\n"));
        for (const char* k : {"sslverify", "module_hotfixes", "skip_if_unavailable"})
            if (args.has(k)) add(k, args.flag(k) ? "1" : "0");
        if (args.has("proxy")) add("proxy", args.str("proxy"));
        for (const char* k : {"priority", "cost"})
            if (args.has(k)) add(k, std::to_string(args.integer(k)));
        for (const char* k : {"exclude", "includepkgs"})
            if (args.has(k)) add(k, join(args.strings(k), " "));
        return e;
    }

    Plan check(ModuleContext& ctx, const Args& given, const YumRepoEdit& e) const {
        Args args = with_path(given);
        std::string path = args.str("path");
        Plan plan = plan_file_edit(
            ctx, args, [&](const SharedText& cur) { return edit_yum_repo(cur.to_optional(), e, path); }, !e.absent,
            e.absent ? std::optional<std::string>(path + " does not exist") : std::nullopt);
        if (e.absent && plan.content.has_value()) {
            auto left = ini::Document::parse(*plan.content, path);
            if (left.only_trivia()) {
                plan.set_payload(RemoveRepoFile{});
                plan.changes.front().summary = "repository [" + e.name + "] removed, file removed (no section left)";
                plan.changes.front().after = std::string();
            }
        }
        return plan;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        YumRepoEdit e = make_edit(args);
        if (!e.absent) {
            auto cur = ctx.conn.read_file(path_of(args));
            bool exists = false;
            if (cur) exists = ini::Document::parse(*cur, path_of(args), {false, false}).has_section(e.name);
            if (!exists && !args.has("baseurl") && !args.has("mirrorlist") && !args.has("metalink"))
                throw TaskError(args.raw().mark(),
                                "yum_repository: new repository '" + e.name + "' needs baseurl, mirrorlist or metalink");
            if (!exists && !args.has("description")) e.keys.insert(e.keys.begin(), {"name", e.name});
        }
        return check(ctx, args, e);
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        if (plan.find_payload<RemoveRepoFile>()) {
            const std::string& path = plan.payload<FileEditPayload>().path;
            if (args.flag("backup")) {
                // Keep the old file under Ansible's backup name by writing it back with backup: true.
                WriteOptions o;
                o.backup = true;
                auto old = ctx.conn.read_file(path);
                WriteResult w = ctx.conn.write_file(path, old.value_or(""), o);
                ctx.conn.remove(path, false);
                Value r;
                r["path"] = Value(path);
                if (!w.backup_path.empty()) r["backup_file"] = Value(w.backup_path);
                return r;
            }
            ctx.conn.remove(path, false);
            Value r;
            r["path"] = Value(path);
            return r;
        }
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_yum_repository_module() { return std::make_unique<YumRepositoryModule>(); }

}  // namespace upkeep
