// properties: edits one key of a Java .properties file in place, losslessly.
#include "modules/config_edits.hpp"


#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/properties_doc.hpp"

namespace upkeep {

std::string mask_enc_values(const std::string& text) {
    std::string out;
    size_t at = 0;
    for (;;) {
        size_t b = text.find("ENC(", at);
        if (b == std::string::npos) break;
        size_t e = text.find_first_of(")\r\n", b + 4);
        if (e == std::string::npos || text[e] != ')') break;
        out.append(text, at, b + 4 - at);
        out += k_masked;
        at = e;
    }
    out.append(text, at, std::string::npos);
    return out;
}

namespace {

// Python-style group references (\1) become ECMAScript ones ($1).
// "$1" (the Java/ECMAScript spelling) and "\\1" both insert group 1: turn the
// former into the latter for py_subn's Python templates.
std::string to_py_template(const std::string& replace) {
    std::string out;
    for (size_t i = 0; i < replace.size(); ++i) {
        if (replace[i] == '$' && i + 1 < replace.size() && std::isdigit(static_cast<unsigned char>(replace[i + 1]))) {
            out += '\\';
            continue;
        }
        out += replace[i];
    }
    return out;
}

}  // namespace

EditOutcome edit_properties(const std::optional<std::string>& current, const PropertiesEdit& e,
                            const std::string& path) {
    auto doc = properties::Document::parse(current.value_or(""), path);
    std::string msg;
    if (e.absent) {
        const std::string& key = *e.key;
        msg = doc.remove(key) ? "key '" + key + "' removed" : "key '" + key + "' already absent";
    } else if (e.regexp) {
        PyRegex re = compile_py_regex(*e.regexp);
        std::string fmt = to_py_template(e.replace);
        auto entries = doc.entries();
        int changed = 0;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (e.key && entries[i].key != *e.key) continue;
            std::string v = py_subn(re, fmt, entries[i].value, nullptr);
            if (doc.set_entry_value(i, v)) ++changed;
        }
        std::string what = e.key ? "key '" + *e.key + "'" : "values";
        msg = changed ? std::to_string(changed) + " value" + (changed == 1 ? "" : "s") + " rewritten by regexp"
                      : "no " + what + " matched the regexp with a different result";
    } else {
        const std::string& key = *e.key;
        auto have = doc.get(key);
        if (e.only_if_absent && have)
            msg = "key '" + key + "' already present (only_if_absent)";
        else if (doc.set(key, *e.value))
            msg = have ? "key '" + key + "' changed" : "key '" + key + "' added";
        else
            msg = "key '" + key + "' already set";
    }
    return {doc.render(), msg};
}

namespace {

class PropertiesModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "properties",
                .summary = "Set, rewrite or remove keys of a Java .properties file without reformatting it",
                .doc =
                    "Edits only the entry it touches: comments, blank lines, key order, separators (=, : or\n"
                    "space), spacing, continuation lines of other entries, CRLF and the encoding stay as they are.\n"
                    "Java's grammar is followed exactly (java.util.Properties.load). A new key is appended as\n"
                    "key=value. Values are written escaped as Java needs (leading space, backslash, \\t \\n ...);\n"
                    "non-ASCII stays UTF-8 unless the file already uses \\uXXXX escapes. A key may appear twice:\n"
                    "the last one wins (like Java) and is the one edited; state=absent removes all.\n"
                    "Secrets: values written as ENC(...) (Jasypt, db.properties) are masked in the diff as\n"
                    "ENC(********); messages never contain values.\n"
                    "Examples (CloudStack 4.3 upgrade notes):\n"
                    "  - name: the KVM agent class moved package\n"
                    "    properties:\n"
                    "      path: /etc/cloudstack/agent/agent.properties\n"
                    "      regexp: '^com\\.cloud\\.agent\\.resource\\.computing\\.LibvirtComputingResource$'\n"
                    "      replace: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n"
                    "  - name: environment.properties has paths.script (if not, add the line)\n"
                    "    properties:\n"
                    "      path: /etc/cloudstack/agent/environment.properties\n"
                    "      key: paths.script\n"
                    "      value: /usr/share/cloudstack-common\n"
                    "      only_if_absent: true",
                .args =
                    {
                        {.name = "key", .type = ArgType::String, .doc = "the property key (decoded form)"},
                        {.name = "value", .type = ArgType::String, .doc = "the wanted value (decoded form)"},
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "absent removes every occurrence of key"},
                        {.name = "regexp",
                         .type = ArgType::String,
                         .doc = "rewrite values matching this (Python) regex (of key, or of every key when key is "
                                "omitted)"},
                        {.name = "replace",
                         .type = ArgType::String,
                         .default_value = Value(""),
                         .doc = "replacement for regexp; $1 or \\1 insert groups"},
                        {.name = "only_if_absent",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "add key=value only when the key is missing; never change an existing value"},
                    },
                .mutually_exclusive = {{"value", "regexp"}},
                .required_one_of = {{"key", "regexp"}},
            };
            for (auto& a : file_edit_args(true)) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        PropertiesEdit e;
        e.key = args.opt_str("key");
        e.value = args.opt_str("value");
        e.absent = args.str("state") == "absent";
        e.regexp = args.opt_str("regexp");
        e.replace = args.str("replace");
        e.only_if_absent = args.flag("only_if_absent");
        const Mark& at = args.raw().mark();
        if (e.absent && !e.key) throw TaskError(at, "properties: state=absent needs key");
        if (!e.absent && !e.regexp && !e.value)
            throw TaskError(at, "properties: state=present needs value (or regexp and replace)");
        if (e.only_if_absent && e.regexp) throw TaskError(at, "properties: only_if_absent does not go with regexp");
        std::string path = args.str("path");
        Plan plan = plan_file_edit(
            ctx, args, [&](const SharedText& cur) { return edit_properties(cur.to_optional(), e, path); },
            args.flag("create"), e.absent ? std::optional<std::string>(path + " does not exist") : std::nullopt);
        std::vector<std::string> secrets;
        if (args.get("value").secret()) secrets.push_back(args.str("value"));
        for (auto& c : plan.changes) {
            if (!c.after) continue;
            std::string before = c.before ? mask_secrets(mask_enc_values(*c.before), secrets) : "";
            std::string after = mask_secrets(mask_enc_values(*c.after), secrets);
            // When the change hides entirely inside a secret the diff would look empty: mask it all.
            if (before == after || !secrets.empty()) c.secret = true;
            if (c.before) c.before = before;
            c.after = after;
        }
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_properties_module() { return std::make_unique<PropertiesModule>(); }

}  // namespace upkeep
