// blockinfile: keeps a block of lines between marker lines in a file (Ansible's
// blockinfile, same markers, same placement rules, same messages).
#include "modules/blockinfile.hpp"

#include <regex>

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"

namespace upkeep {

namespace {

// Python's bytes.splitlines(keepends=True): \n, \r\n and \r end a line.
std::vector<std::string> split_keep(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out.push_back(s.substr(start, i + 1 - start));
            start = i + 1;
        }
    }
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
}

std::string with_mark(const std::string& marker, const std::string& mark) {
    std::string out = marker;
    for (size_t p; (p = out.find("{mark}")) != std::string::npos;) out.replace(p, 6, mark);
    return out;
}

bool ends_with_nl(const std::string& s) { return !s.empty() && s.back() == '\n'; }

}  // namespace

std::string blockinfile_edit(const SharedText& original, const BlockOptions& o, std::string* msg) {
    std::vector<std::string> lines = original ? split_keep(*original) : std::vector<std::string>{};
    std::optional<std::string> after = o.insertafter, before = o.insertbefore;
    if (!after && !before) after = "EOF";
    std::optional<PyRegex> re;
    if (after && *after != "EOF") re = compile_py_regex(*after);
    else if (before && *before != "BOF") re = compile_py_regex(*before);

    std::string m0 = with_mark(o.marker, o.marker_begin) + "\n", m1 = with_mark(o.marker, o.marker_end) + "\n";
    std::vector<std::string> blocklines;
    if (o.present && !o.block.empty()) {
        std::string block = ends_with_nl(o.block) ? o.block : o.block + "\n";
        blocklines.push_back(m0);
        for (auto& l : split_keep(block)) blocklines.push_back(l);
        blocklines.push_back(m1);
    }
    std::optional<size_t> n0, n1;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] == m0) n0 = i;
        if (lines[i] == m1) n1 = i;
    }
    size_t at = 0;
    if (!n0 || !n1) {
        if (re) {
            // The last line matching the regexp (Ansible's loop keeps the last hit).
            std::optional<size_t> hit;
            for (size_t i = 0; i < lines.size(); ++i)
                if (py_search(*re, lines[i])) hit = i;
            at = !hit ? lines.size() : after ? *hit + 1 : *hit;
        } else {
            at = before ? 0 : lines.size();  // BOF / EOF
        }
    } else if (*n0 < *n1) {
        lines.erase(lines.begin() + static_cast<long>(*n0), lines.begin() + static_cast<long>(*n1) + 1);
        at = *n0;
    } else {
        lines.erase(lines.begin() + static_cast<long>(*n1), lines.begin() + static_cast<long>(*n0) + 1);
        at = *n1;
    }
    if (at > 0 && !ends_with_nl(lines[at - 1])) lines[at - 1] += "\n";
    lines.insert(lines.begin() + static_cast<long>(at), blocklines.begin(), blocklines.end());
    std::string result;
    for (const auto& l : lines) result += l;
    if (original && *original == result) *msg = "";
    else if (!original) *msg = "File created";
    else if (blocklines.empty()) *msg = "Block removed";
    else *msg = "Block inserted";
    return result;
}

namespace {

class BlockinfileModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "blockinfile",
                .summary = "Insert, update or remove a block of lines between marker lines",
                .doc =
                    "Ansible's blockinfile: the block sits between '# BEGIN ANSIBLE MANAGED BLOCK' and\n"
                    "'# END ANSIBLE MANAGED BLOCK' (marker, marker_begin, marker_end); a new block goes at\n"
                    "EOF, or after/before the last line matching insertafter/insertbefore (or BOF).\n"
                    "Example:\n"
                    "  - blockinfile:\n"
                    "      path: /etc/hosts\n"
                    "      block: |\n"
                    "        10.0.0.5 db1\n"
                    "        10.0.0.6 db2",
                .args =
                    {
                        {.name = "block",
                         .type = ArgType::String,
                         .default_value = Value(""),
                         .aliases = {"content"},
                         .doc = "the lines (empty: remove the block)"},
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "absent removes the block"},
                        {.name = "marker",
                         .type = ArgType::String,
                         .default_value = Value("# {mark} ANSIBLE MANAGED BLOCK"),
                         .doc = "marker line template; {mark} becomes marker_begin / marker_end"},
                        {.name = "marker_begin",
                         .type = ArgType::String,
                         .default_value = Value("BEGIN"),
                         .doc = "{mark} of the first marker"},
                        {.name = "marker_end",
                         .type = ArgType::String,
                         .default_value = Value("END"),
                         .doc = "{mark} of the last marker"},
                        {.name = "insertafter",
                         .type = ArgType::String,
                         .doc = "regexp or EOF: where a new block goes"},
                        {.name = "insertbefore",
                         .type = ArgType::String,
                         .doc = "regexp or BOF: where a new block goes"},
                    },
                .mutually_exclusive = {{"insertafter", "insertbefore"}},
            };
            for (auto& a : file_edit_args(true)) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        BlockOptions o;
        o.block = args.str("block");
        o.marker = args.str("marker");
        o.marker_begin = args.str("marker_begin");
        o.marker_end = args.str("marker_end");
        o.present = args.str("state") == "present";
        o.insertafter = args.opt_str("insertafter");
        o.insertbefore = args.opt_str("insertbefore");
        auto edit = [&](const SharedText& cur) {
            EditOutcome out;
            out.content = blockinfile_edit(cur, o, &out.msg);
            return out;
        };
        std::string path = args.str("path");
        // As Ansible: a missing file fails unless create is set (even for state=absent,
        // which then has nothing to remove).
        if (!o.present && args.flag("create")) return plan_file_edit(ctx, args, edit, false, "File " + path + " not present");
        return plan_file_edit(ctx, args, edit, args.flag("create"));
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_blockinfile_module() { return std::make_unique<BlockinfileModule>(); }

}  // namespace upkeep
