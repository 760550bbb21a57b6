// replace: replaces every match of a multiline regexp in a file, like sed -i
// 's/x/y/g' but idempotent and with a diff (Ansible's replace).
#include "modules/replace.hpp"

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"

namespace upkeep {

std::string replace_edit(const std::string& text, const ReplaceOptions& o, std::string* msg) {
    std::string local_msg;
    if (!msg) msg = &local_msg;
    size_t from = 0, to = text.size();
    if (o.after || o.before) {
        // Ansible builds one DOTALL pattern: after(?P<subsection>.*?)before, or the
        // greedy form with only one of them; the section is its group.
        std::string pattern;
        if (o.after && o.before) pattern = *o.after + "(?P<subsection>.*?)" + *o.before;
        else if (o.after) pattern = *o.after + "(?P<subsection>.*)";
        else pattern = "(?P<subsection>.*)" + *o.before;
        PyRegexFlags f;
        f.dotall = true;
        PyRegex section = compile_py_regex(pattern, f);
        size_t group = section.group_names.size();
        for (size_t i = 0; i < section.group_names.size(); ++i)
            if (section.group_names[i] == "subsection") group = i + 1;
        PyMatch m;
        if (!py_search(section, text, &m)) {
            *msg = "Pattern for before/after params did not match the given file: " + pattern;
            return text;
        }
        from = m.position(group);
        to = from + m.length(group);
    }
    PyRegexFlags f;
    f.multiline = true;
    PyRegex re = compile_py_regex(o.regexp, f);
    std::string section = text.substr(from, to - from);
    size_t count = 0;
    std::string replaced = py_subn(re, o.replace, section, &count);
    if (count == 0 || replaced == section) {
        *msg = count == 0 ? "no match for regexp '" + o.regexp + "'" : "replacements leave the file unchanged";
        return text;
    }
    *msg = std::to_string(count) + " replacements made";
    return text.substr(0, from) + replaced + text.substr(to);
}

namespace {

class ReplaceModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "replace",
                .summary = "Replace every match of a regexp in a file",
                .doc =
                    "Ansible's replace: a multiline Python-style regexp (^ and $ match at each line) and a\n"
                    "replacement with \\1 or \\g<name> backreferences; after/before limit the edited section.\n"
                    "Example (the seed's sed -i step):\n"
                    "  - replace:\n"
                    "      path: /etc/cloudstack/agent/agent.properties\n"
                    "      regexp: 'com\\.cloud\\.agent\\.resource\\.computing\\.LibvirtComputingResource'\n"
                    "      replace: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource",
                .args =
                    {
                        {.name = "regexp",
                         .type = ArgType::String,
                         .required = true,
                         .doc = "Python regexp, multiline"},
                        {.name = "replace",
                         .type = ArgType::String,
                         .default_value = Value(""),
                         .doc = "replacement; \\1 and \\g<1> refer to groups"},
                        {.name = "after",
                         .type = ArgType::String,
                         .doc = "only edit text after the match of this regexp"},
                        {.name = "before",
                         .type = ArgType::String,
                         .doc = "only edit text before the match of this regexp"},
                        {.name = "encoding",
                         .type = ArgType::String,
                         .default_value = Value("utf-8"),
                         .choices = {"utf-8", "utf8"},
                         .doc = "file encoding (only utf-8)"},
                    },
            };
            for (auto& a : file_edit_args(false)) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        ReplaceOptions o;
        o.regexp = args.str("regexp");
        o.replace = args.str("replace");
        o.after = args.opt_str("after");
        o.before = args.opt_str("before");
        auto edit = [&](const SharedText& cur) {
            EditOutcome out;
            out.content = replace_edit(cur.or_empty(), o, &out.msg);
            return out;
        };
        return plan_file_edit(ctx, args, edit, false);
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_replace_module() { return std::make_unique<ReplaceModule>(); }

}  // namespace upkeep
