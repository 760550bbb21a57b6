// ini_file: sets or removes options and sections of an INI file in place,
// losslessly (Ansible's ini_file arguments and value algorithm).
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/ini_doc.hpp"

namespace upkeep {

EditOutcome edit_ini(const std::optional<std::string>& current, const IniEdit& e, const std::string& path) {
    ini::ParseOptions po;
    po.allow_no_value = e.allow_no_value;
    auto doc = ini::Document::parse(current.value_or(""), path, po);
    ini::Format fmt;
    fmt.assignment = e.no_extra_spaces ? "=" : " = ";
    std::string where = e.section ? "section [" + *e.section + "]" : "the top of the file";
    std::string msg;
    if (e.absent) {
        if (e.option) {
            std::optional<std::vector<std::string>> filter;
            if (e.values_given) filter = e.values;
            msg = doc.remove_option(e.section, *e.option, filter) ? "option '" + *e.option + "' removed"
                                                                   : "option '" + *e.option + "' already absent";
        } else {
            msg = doc.remove_section(*e.section) ? "section [" + *e.section + "] removed"
                                                 : "section [" + *e.section + "] already absent";
        }
        return {doc.render(), msg};
    }
    bool had_section = doc.has_section(e.section);
    if (!e.option) {
        msg = had_section ? where + " already present" : (doc.add_section(*e.section), where + " added");
        return {doc.render(), msg};
    }
    auto before = doc.get_all(e.section, *e.option);
    std::vector<std::string> values = e.values;
    if (!e.values_given && !e.allow_no_value) values = {""};
    bool changed = doc.set_values(e.section, *e.option, values, e.exclusive, fmt, e.allow_no_value);
    if (!changed)
        msg = "option '" + *e.option + "' already set in " + where;
    else if (!had_section)
        msg = where + " and option '" + *e.option + "' added";
    else if (before.empty())
        msg = "option '" + *e.option + "' added to " + where;
    else
        msg = "option '" + *e.option + "' changed in " + where;
    return {doc.render(), msg};
}

namespace {

class IniFileModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "ini_file",
                .summary = "Set or remove options and sections of an INI file without reformatting it",
                .doc =
                    "Ansible's ini_file, but lossless: only the value of an edited option changes (its key,\n"
                    "the spacing around '=' and any continuation indentation stay), comments are never touched\n"
                    "(unlike Ansible, a commented-out '#option=' is not uncommented), other lines keep their bytes,\n"
                    "CRLF and a missing final newline are kept. A new option goes after the last option of its\n"
                    "section (before the section's trailing blank lines and comments); a new section goes at\n"
                    "the end. Values are compared stripped, so ignore_spaces is always in effect for unchanged\n"
                    "values. `values` gives a key several lines (multi-valued keys); `exclusive` (default true)\n"
                    "removes lines of the key with other values. A value with newlines is written as indented\n"
                    "continuation lines (configparser/dnf style).\n"
                    "Example (CloudStack 4.3 upgrade notes, /etc/yum.repos.d/cloudstack.repo):\n"
                    "  - ini_file:\n"
                    "      path: /etc/yum.repos.d/cloudstack.repo\n"
                    "      section: apache-cloudstack\n"
                    "      option: baseurl\n"
                    "      value: http://cloudstack.apt-get.eu/rhel/4.2/\n"
                    "      no_extra_spaces: true",
                .args =
                    {
                        {.name = "section",
                         .type = ArgType::String,
                         .doc = "the section; omitted or null means the options before the first section"},
                        {.name = "option",
                         .type = ArgType::String,
                         .aliases = {"key"},
                         .doc = "the option; omitted: the whole section is added or removed"},
                        {.name = "value", .type = ArgType::String, .doc = "the value of option"},
                        {.name = "values", .type = ArgType::List, .doc = "several values: one line of option each"},
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "absent removes the option (only the given values, if any) or the section"},
                        {.name = "exclusive",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "remove lines of option whose value is not among the wanted ones"},
                        {.name = "no_extra_spaces",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "write new lines as key=value instead of key = value"},
                        {.name = "allow_no_value",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "accept options without '=' (a bare key)"},
                        {.name = "ignore_spaces",
                         .type = ArgType::Bool,
                         .default_value = Value(true),
                         .doc = "accepted for Ansible compatibility; spacing never counts as a change"},
                    },
                .mutually_exclusive = {{"value", "values"}},
            };
            for (auto a : file_edit_args(true)) {
                if (a.name == "create") a.default_value = Value(true);  // as Ansible
                m.args.push_back(a);
            }
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        IniEdit e;
        e.section = args.opt_str("section");
        e.option = args.opt_str("option");
        e.absent = args.str("state") == "absent";
        e.exclusive = args.flag("exclusive", true);
        e.no_extra_spaces = args.flag("no_extra_spaces");
        e.allow_no_value = args.flag("allow_no_value");
        if (args.has("values")) {
            e.values = args.strings("values");
            e.values_given = true;
        } else if (args.has("value")) {
            e.values = {args.str("value")};
            e.values_given = true;
        }
        const Mark& at = args.raw().mark();
        if (!e.option && !e.section) throw TaskError(at, "ini_file: give section, option or both");
        std::string path = args.str("path");
        Plan plan = plan_file_edit(
            ctx, args, [&](const SharedText& cur) { return edit_ini(cur.to_optional(), e, path); },
            args.flag("create", true), e.absent ? std::optional<std::string>(path + " does not exist") : std::nullopt);
        if (args.get("value").secret() || args.get("values").contains_secret())
            for (auto& c : plan.changes) c.secret = c.secret || c.after.has_value();
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_ini_file_module() { return std::make_unique<IniFileModule>(); }

}  // namespace upkeep
