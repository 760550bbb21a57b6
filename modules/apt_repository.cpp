// apt_repository: ensures an APT source is present or absent in a .list or
// deb822 .sources file, editing in place, with `supersedes` to move a source
// to a new release the way an operator edits sources.list by hand.

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/apt_sources.hpp"

namespace upkeep {
namespace {

using apt::SourceEntry;

// One `supersedes` item: a source entry (compared like apt would) or a regex.
struct Matcher {
    std::optional<SourceEntry> entry;
    std::optional<PyRegex> re;

    bool matches(const SourceEntry& e, const std::string& text, bool ignore_options) const {
        if (entry) {
            if (ignore_options) {
                SourceEntry a = *entry, b = e;
                a.options.clear();
                b.options.clear();
                return a.same_as(b);
            }
            return entry->same_as(e);
        }
        return py_search(*re, text);
    }
};

std::vector<Matcher> matchers(const std::vector<std::string>& items) {
    std::vector<Matcher> out;
    for (const auto& s : items) {
        Matcher m;
        try {
            m.entry = apt::parse_entry(s, "supersedes");
        } catch (const TaskError&) {
            try {
                m.re = compile_py_regex(s);
            } catch (const UserError& err) {
                throw TaskError("supersedes: '" + s + "' is neither a deb line nor a valid regex: " + err.what());
            }
        }
        out.push_back(std::move(m));
    }
    return out;
}

bool matches_any(const std::vector<Matcher>& ms, const SourceEntry& e, const std::string& text, bool ignore_options) {
    for (const auto& m : ms)
        if (m.matches(e, text, ignore_options)) return true;
    return false;
}

bool same_ignoring_options(const SourceEntry& a, const SourceEntry& b) {
    SourceEntry x = a, y = b;
    x.options.clear();
    y.options.clear();
    return x.same_as(y);
}

EditOutcome edit_list(const std::optional<std::string>& current, const AptRepoEdit& e, const SourceEntry& repo,
                      const std::string& path) {
    auto f = apt::ListFile::parse(current.value_or(""), path);
    using Kind = apt::ListFile::Kind;
    const auto& lines = f.lines();
    auto line_no = [](size_t i) { return std::to_string(i + 1); };
    if (e.absent) {
        int removed = 0;
        for (size_t i = lines.size(); i-- > 0;)
            if (lines[i].kind == Kind::Entry && lines[i].entry.same_as(repo)) {
                f.remove_line(i);
                ++removed;
            }
        return {f.render(), removed ? "source removed" : "source already absent"};
    }
    auto ms = matchers(e.supersedes);
    std::optional<size_t> present, disabled;
    std::vector<size_t> superseded;
    for (size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        if (l.kind == Kind::Entry && l.entry.same_as(repo)) {
            if (!present) present = i;
        } else if (l.kind == Kind::Entry && matches_any(ms, l.entry, l.text, false)) {
            superseded.push_back(i);
        } else if (l.kind == Kind::Disabled && l.entry.same_as(repo) && !disabled) {
            disabled = i;
        }
    }
    std::vector<std::string> what;
    size_t first_disabled = 0;
    if (!present) {
        if (!superseded.empty()) {
            f.replace_entry(superseded[0], repo);
            what.push_back("line " + line_no(superseded[0]) + " replaced");
            first_disabled = 1;
        } else if (disabled) {
            f.enable(*disabled);
            what.push_back("line " + line_no(*disabled) + " enabled again");
        } else {
            f.append(repo);
            what.push_back("source added");
        }
    }
    for (size_t k = first_disabled; k < superseded.size(); ++k) {
        f.disable(superseded[k]);
        what.push_back("line " + line_no(superseded[k]) + " commented out");
    }
    return {f.render(), what.empty() ? "source already present" : join(what, ", ")};
}

EditOutcome edit_deb822(const std::optional<std::string>& current, const AptRepoEdit& e, const SourceEntry& repo,
                        const std::string& path) {
    auto f = apt::Deb822File::parse(current.value_or(""), path);
    auto covers = [&](const apt::Deb822File::Stanza& s, const SourceEntry& want) {
        for (const auto& x : f.entries(s))
            if (same_ignoring_options(x, want)) return true;
        return false;
    };
    auto single = [&](const apt::Deb822File::Stanza& s, const std::string& why) {
        if (f.entries(s).size() != 1)
            throw TaskError(path + ":" + std::to_string(s.line) + ": the stanza lists several sources (" +
                            std::to_string(f.entries(s).size()) + "); " + why + " only a stanza with one Types, URIs and Suites value");
    };
    if (e.absent) {
        auto stanzas = f.stanzas();
        int removed = 0;
        for (size_t k = stanzas.size(); k-- > 0;) {
            if (!covers(stanzas[k], repo)) continue;
            single(stanzas[k], "state=absent removes");
            f.remove_stanza(stanzas[k]);
            ++removed;
        }
        return {f.render(), removed ? "source removed" : "source already absent"};
    }
    for (const auto& s : f.stanzas())
        if (f.enabled(s) && covers(s, repo)) return {f.render(), "source already present"};
    auto ms = matchers(e.supersedes);
    auto stanzas = f.stanzas();
    for (size_t k = 0; k < stanzas.size(); ++k) {
        bool hit = false;
        for (const auto& x : f.entries(stanzas[k])) hit = hit || matches_any(ms, x, x.render(), true);
        if (!hit || !f.enabled(stanzas[k])) continue;
        single(stanzas[k], "supersedes rewrites");
        int line = stanzas[k].line;
        // Each set_field may add or drop lines: look the stanza up again every time.
        for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
                 {"Types", repo.type}, {"URIs", repo.uri}, {"Suites", repo.suite}, {"Components", join(repo.components, " ")}})
            f.set_field(f.stanzas()[k], name, value);
        return {f.render(), "stanza at line " + std::to_string(line) + " rewritten"};
    }
    for (const auto& s : f.stanzas()) {
        if (f.enabled(s) || !covers(s, repo)) continue;
        f.set_field(s, "Enabled", "yes");
        return {f.render(), "stanza at line " + std::to_string(s.line) + " enabled again"};
    }
    f.append(repo);
    return {f.render(), "source added"};
}

}  // namespace

std::string apt_default_filename(const std::string& repo) {
    auto e = apt::parse_entry(repo, "repo");
    std::string uri = e.uri;
    size_t scheme = uri.find("://");
    if (scheme != std::string::npos) uri = uri.substr(scheme + 3);
    size_t at = uri.find('@');
    if (at != std::string::npos) uri = uri.substr(at + 1);
    std::string out;
    for (char c : uri) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += c;
        else if (!out.empty() && out.back() != '_')
            out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

EditOutcome edit_apt_sources(const std::optional<std::string>& current, const AptRepoEdit& e, const std::string& path) {
    SourceEntry repo = apt::parse_entry(e.repo, "repo");
    return e.deb822 ? edit_deb822(current, e, repo, path) : edit_list(current, e, repo, path);
}

namespace {

// check() -> apply(): the sources changed and update_cache is on, so apt-get
// update runs after the write.
struct UpdateCache {};

class AptRepositoryModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "apt_repository",
                .summary = "Add, move or remove an APT source in a .list or deb822 .sources file, in place",
                .doc =
                    "The file is <sourcesdir>/<filename>.list (filename defaults to the URI's host and path with\n"
                    "other characters than letters and digits turned into '_', like Ansible), or a deb822 file\n"
                    "when filename ends in .sources. Other lines, comments and stanzas keep their bytes.\n"
                    "present: nothing happens when an equivalent source is already active (same type, URI up to a\n"
                    "trailing '/', suite, components and options in any order); a commented-out equivalent line\n"
                    "is enabled again; otherwise the line is appended (a stanza for .sources).\n"
                    "supersedes: lines this repo replaces, each a deb line (compared as above) or a regex of the\n"
                    "line. Unlike Ansible, which would add a second line, the first superseded line is replaced\n"
                    "in place (keeping its indentation and trailing comment) and further ones are commented out;\n"
                    "in a .sources file the matching single-source stanza gets new Types/URIs/Suites/Components.\n"
                    "absent: removes every equivalent active line (a single-source stanza in .sources).\n"
                    "update_cache runs `apt-get update` after the file changed (never when nothing changed).\n"
                    "Example (CloudStack 4.3 upgrade notes, /etc/apt/sources.list.d/cloudstack.list):\n"
                    "  - apt_repository:\n"
                    "      repo: deb http://cloudstack.apt-get.eu/ubuntu precise 4.2\n"
                    "      supersedes: deb http://cloudstack.apt-get.eu/ubuntu precise 4.0\n"
                    "      filename: cloudstack",
                .args =
                    {
                        {.name = "repo",
                         .type = ArgType::String,
                         .required = true,
                         .doc = "the source: deb [options] uri suite components"},
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "present or absent"},
                        {.name = "supersedes",
                         .type = ArgType::List,
                         .doc = "deb lines or regexes of lines this repo replaces in place"},
                        {.name = "filename",
                         .type = ArgType::String,
                         .doc = "file name without .list (default from the URI); ending in .sources means deb822"},
                        {.name = "sourcesdir",
                         .type = ArgType::Path,
                         .default_value = Value("/etc/apt/sources.list.d"),
                         .doc = "directory of the source files"},
                        {.name = "path",
                         .type = ArgType::Path,
                         .doc = "edit this file instead (e.g. /etc/apt/sources.list); .sources means deb822"},
                        {.name = "update_cache",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .aliases = {"update-cache"},
                         .doc = "run apt-get update when the file changed"},
                        {.name = "backup",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "keep the old file as <path>.<pid>.<time>~"},
                    },
                .mutually_exclusive = {{"filename", "path"}},
            };
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    static std::string path_of(const Args& args) {
        if (args.has("path")) return args.str("path");
        std::string dir = args.str("sourcesdir", "/etc/apt/sources.list.d");
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        std::string name = args.has("filename") ? args.str("filename") : apt_default_filename(args.str("repo"));
        if (!ends_with(name, ".list") && !ends_with(name, ".sources")) name += ".list";
        return dir + "/" + name;
    }

    static Args with_path(const Args& args) {
        Value raw = args.raw();
        raw["path"] = Value(path_of(args));
        return Args(raw);
    }

    Plan check(ModuleContext& ctx, const Args& given) const override {
        const Value& repo_arg = given.get("repo");
        try {
            apt::parse_entry(repo_arg.as_string(), repo_arg.mark().known() ? *repo_arg.mark().file : "repo",
                             repo_arg.mark().line, repo_arg.mark().col);
        } catch (const TaskError& err) {
            throw TaskError(err.mark(), "apt_repository: repo: " + std::string(err.what()));
        }
        Args args = with_path(given);
        AptRepoEdit e;
        e.repo = args.str("repo");
        e.absent = args.str("state") == "absent";
        e.supersedes = args.strings("supersedes");
        std::string path = args.str("path");
        e.deb822 = ends_with(path, ".sources");
        Plan plan = plan_file_edit(
            ctx, args, [&](const SharedText& cur) { return edit_apt_sources(cur.to_optional(), e, path); }, !e.absent,
            e.absent ? std::optional<std::string>(path + " does not exist") : std::nullopt);
        bool content_changes = plan.content.has_value();
        if (content_changes && args.flag("update_cache", true)) {
            plan.set_payload(UpdateCache{});
            plan.changes.push_back({"apt cache", "would run apt-get update", {}, {}, false});
        }
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        Value result = apply_file_plan(ctx, plan);
        if (plan.find_payload<UpdateCache>()) {
            Command c;
            c.cmdline = "apt-get update";
            c.env["DEBIAN_FRONTEND"] = "noninteractive";
            CommandResult r = ctx.conn.run(c);
            if (r.rc != 0)
                throw TaskError("apt-get update failed (rc " + std::to_string(r.rc) + "): " + trim(r.err.empty() ? r.out : r.err));
            result["cache_updated"] = Value(r.executed);
        }
        return result;
    }
};

}  // namespace

std::unique_ptr<Module> make_apt_repository_module() { return std::make_unique<AptRepositoryModule>(); }

}  // namespace upkeep
