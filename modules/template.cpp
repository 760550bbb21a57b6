// template: renders a Jinja2 template from the controller (engine/lua: compiled
// to Lua, rendered as Ansible renders it: trim_blocks, trailing newlines kept) and
// puts the bytes at `dest` with copy's plumbing (mode/owner/group, backup,
// validate, exact before/after for --diff, atomic write).
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

namespace fs = std::filesystem;

// Ansible's search path for templates: each base (the roles' paths in
// `ansible_search_path`, then the playbook's directory) as <base>/templates, then
// <base>. Roles hook in by setting `ansible_search_path`.
std::vector<std::string> search_bases(const ModuleContext& ctx) {
    std::vector<std::string> bases;
    const Value& sp = ctx.vars.get("ansible_search_path");
    if (sp.is_list())
        for (const Value& b : sp.as_list()) bases.push_back(b.to_string());
    bases.push_back(ctx.playbook_dir.empty() ? "." : ctx.playbook_dir);
    return bases;
}

std::string find_template(const std::string& src, const std::vector<std::string>& bases) {
    if (!src.empty() && src[0] == '/') {
        if (fs::is_regular_file(src)) return src;
        throw TaskError("could not find template src '" + src + "'");
    }
    std::string tried;
    for (const std::string& base : bases)
        for (const std::string& cand : {base + "/templates/" + src, base + "/" + src}) {
            if (fs::is_regular_file(cand)) return cand;
            tried += (tried.empty() ? "" : ", ") + cand;
        }
    throw TaskError("could not find template src '" + src + "' (tried " + tried + ")");
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TaskError("cannot read template " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Restores the thread's search path when rendering is done.
struct SearchPathScope {
    std::vector<std::string> saved = template_search_path();
    explicit SearchPathScope(std::vector<std::string> dirs) { set_template_search_path(std::move(dirs)); }
    ~SearchPathScope() { set_template_search_path(saved); }
};

class TemplateModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "template",
                .summary = "Render a Jinja2 template from the controller to a file on the host",
                .doc =
                    "Ansible's template. `src` is found in <playbook dir>/templates, then the playbook\n"
                    "directory (and in each role's templates/ when run from a role). The template sees the\n"
                    "host's variables plus template_path, template_fullpath, template_src, template_host,\n"
                    "template_uid and ansible_managed; {% include %} searches the same directories.\n"
                    "Example:\n"
                    "  - template:\n"
                    "      src: agent.properties.j2\n"
                    "      dest: /etc/cloudstack/agent/agent.properties\n"
                    "      mode: \"0640\"\n"
                    "      backup: true",
                .args =
                    {
                        {.name = "src",
                         .type = ArgType::Path,
                         .required = true,
                         .doc = "the template on the controller"},
                        {.name = "dest",
                         .type = ArgType::Path,
                         .required = true,
                         .aliases = {"path"},
                         .doc = "where the rendered file goes"},
                        {.name = "force",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "replace a file whose content differs; false: only create"},
                        {.name = "backup",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "keep the old file as a backup"},
                        {.name = "validate",
                         .type = ArgType::String,
                         .doc = "command to check the new file; %s is the file"},
                        {.name = "mode", .type = ArgType::Mode, .doc = "permissions, octal or symbolic"},
                        {.name = "owner", .type = ArgType::String, .doc = "owner name or uid"},
                        {.name = "group", .type = ArgType::String, .doc = "group name or gid"},
                        {.name = "follow",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "accepted for compatibility"},
                    },
            };
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string dest = args.str("dest");
        std::vector<std::string> bases = search_bases(ctx);
        std::string src = find_template(args.str("src"), bases);
        std::string full = fs::absolute(src).lexically_normal().string();

        FileInfo dest_info = ctx.conn.stat(dest, true);
        if (dest_info.is_dir() || ends_with(dest, "/")) {
            while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
            dest += "/" + fs::path(args.str("src")).filename().string();  // as Ansible: the name stays
            dest_info = ctx.conn.stat(dest, true);
        }
        std::string parent = parent_path(dest);
        if (parent != "." && !ctx.conn.stat(parent, true).is_dir())
            throw TaskError("destination directory " + parent + " does not exist");
        if (dest_info.exists() && !args.flag("force")) {
            Plan p;
            p.msg = "file already exists (force: false)";
            p.result["dest"] = Value(dest);
            return p;
        }

        Value vars = ctx.vars;
        vars["template_path"] = Value(full);
        vars["template_fullpath"] = Value(full);
        vars["template_src"] = Value(args.str("src"));
        vars["template_destpath"] = Value(dest);
        vars["template_host"] = Value(host_name());
        vars["template_uid"] = Value(user_name(full));
        if (!vars.has("ansible_managed")) vars["ansible_managed"] = Value("Ansible managed");

        // {% include %} and lookup('template') look where Ansible looks.
        std::vector<std::string> dirs;
        for (const std::string& b : bases) {
            dirs.push_back(b + "/templates");
            dirs.push_back(b);
        }
        dirs.push_back(fs::path(full).parent_path().string());
        std::string text = read_text(src);
        std::string content;
        bool secret = false;
        {
            SearchPathScope scope(dirs);
            Mark mark;
            mark.file = std::make_shared<const std::string>(full);
            mark.line = 1;
            mark.col = 1;
            content = lua_lease()->render_template(text, vars, mark, &secret);
        }

        Value raw = args.raw();
        raw["path"] = Value(dest);
        Args effective(raw);
        Plan plan = plan_file_content(ctx, effective, dest, std::move(content), "rendered from " + args.str("src"));
        // A template that read a secret shows no diff (README, "Secrets").
        if (secret)
            for (Change& c : plan.changes) c.secret = true;
        plan.result["dest"] = Value(dest);
        plan.result["src"] = Value(full);
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        Value out = apply_file_plan(ctx, plan);
        out["dest"] = Value(plan.payload<FileEditPayload>().path);
        return out;
    }

private:
    static std::string host_name() {
        char buf[256] = {0};
        if (gethostname(buf, sizeof buf - 1) != 0) return "";
        return buf;
    }
    // The template file's owner's name, as Ansible's template_uid.
    static std::string user_name(const std::string& path) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) return "";
        if (struct passwd* pw = getpwuid(st.st_uid)) return pw->pw_name;
        return std::to_string(st.st_uid);
    }
};

}  // namespace

std::unique_ptr<Module> make_template_module() { return std::make_unique<TemplateModule>(); }

}  // namespace upkeep
