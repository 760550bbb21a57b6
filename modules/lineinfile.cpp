// lineinfile: makes sure one line is in a file (or that matching lines are not),
// with Ansible's semantics: the last regexp match is replaced (firstmatch: the
// first), otherwise the line goes after/before an anchor or at the end.
#include "modules/lineinfile.hpp"

#include <deque>
#include <string_view>
#include <vector>

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// The edit works on views into the file's bytes: a 10 MB file is not copied into
// a vector of line strings (and again into their bodies) to change one line.
// Lines that the edit creates are owned by `Lines::made` (a deque: stable addresses).
struct Lines {
    std::vector<std::string_view> views;  // each line with its terminator
    std::deque<std::string> made;         // storage of new or replaced lines

    std::string_view make(std::string s) {
        made.push_back(std::move(s));
        return made.back();
    }
    std::string join() const { return concat(views); }
};

// A line without its terminator (Ansible's rstrip(b'\r\n')).
std::string_view body(std::string_view l) {
    size_t end = l.find_last_not_of("\r\n");
    return end == std::string_view::npos ? std::string_view() : l.substr(0, end + 1);
}

std::string_view terminator(std::string_view l) { return l.substr(body(l).size()); }

bool ends_in_newline(const std::vector<std::string_view>& lines) {
    return lines.empty() || lines.back().back() == '\n' || lines.back().back() == '\r';
}

// The line ending for added lines: the file's own when its first line has one.
std::string file_eol(const std::vector<std::string_view>& lines) {
    for (auto l : lines) {
        std::string_view t = terminator(l);
        if (!t.empty()) return t == "\r\n" ? "\r\n" : "\n";
    }
    return "\n";
}

std::string absent_edit(const std::string& text, const std::vector<std::string_view>& lines, const LineinfileOptions& o,
                        std::string* msg) {
    std::optional<PyRegex> re;
    if (o.regexp) re = compile_py_regex(*o.regexp);
    std::string out;
    out.reserve(text.size());
    size_t removed = 0;
    for (auto l : lines) {
        bool hit;
        if (re) hit = py_search(*re, body(l));
        else if (o.search_string) hit = l.find(*o.search_string) != std::string_view::npos;
        else hit = body(l) == *o.line;
        if (hit) ++removed;
        else out.append(l);
    }
    *msg = removed ? std::to_string(removed) + " line(s) removed" : "line already absent";
    return out;
}

// Where state=present's line goes: the line to replace (a regexp/search_string hit,
// else an identical line), or the insertafter/insertbefore anchor's position.
struct LineSearch {
    std::optional<PyRegex> re;
    std::optional<std::string> after, before;
    long found = -1, insert_at = -1;
    bool matched = false;  // found by regexp or search_string (not by equality)
    PyMatch match;         // the regexp's match, refers into the found line's body
};

LineSearch search_lines(const std::vector<std::string_view>& lines, const LineinfileOptions& o) {
    LineSearch ls;
    const std::string& line = *o.line;
    ls.after = o.insertafter;
    ls.before = o.insertbefore;
    if (!ls.after && !ls.before) ls.after = "EOF";
    std::optional<PyRegex> anchor;
    if (o.regexp) ls.re = compile_py_regex(*o.regexp);
    if (ls.after && *ls.after != "BOF" && *ls.after != "EOF") anchor = compile_py_regex(*ls.after);
    else if (ls.before && *ls.before != "BOF") anchor = compile_py_regex(*ls.before);

    if (ls.re || o.search_string) {
        for (size_t i = 0; i < lines.size(); ++i) {
            bool hit = ls.re ? py_search(*ls.re, body(lines[i])) : lines[i].find(*o.search_string) != std::string_view::npos;
            if (!hit) continue;
            ls.found = static_cast<long>(i);
            ls.matched = true;
            if (o.firstmatch) break;
        }
        if (ls.matched && ls.re) py_search(*ls.re, body(lines[static_cast<size_t>(ls.found)]), &ls.match);
    }
    if (!ls.matched) {
        for (size_t i = 0; i < lines.size(); ++i) {
            std::string_view b = body(lines[i]);
            if (b == line) {
                ls.found = static_cast<long>(i);
            } else if (anchor && py_search(*anchor, b)) {
                ls.insert_at = ls.after ? static_cast<long>(i) + 1 : static_cast<long>(i);
                if (o.firstmatch) break;
            }
        }
    }
    return ls;
}

// The found line becomes the line (with backrefs expanded), keeping its terminator.
std::string replace_found(const std::string& text, Lines& lines, const LineSearch& ls, const LineinfileOptions& o,
                          const std::string& eol, std::string* msg) {
    std::string new_line = o.backrefs && ls.matched ? py_expand(*ls.re, ls.match, *o.line) : *o.line;
    std::string_view& cur = lines.views[static_cast<size_t>(ls.found)];
    std::string term(terminator(cur));
    if (term.empty() || term.back() != '\n') term = eol;
    if (new_line.empty() || new_line.back() != '\n') new_line += term;
    if (cur == new_line) {
        *msg = "line already present";
        return text;
    }
    cur = lines.make(std::move(new_line));
    *msg = "line replaced";
    return lines.join();
}

// No line to replace: insert at BOF, EOF, or next to the anchor.
std::string insert_line(const std::string& text, Lines& lines, const LineSearch& ls, const std::string& line,
                        const std::string& eol, std::string* msg) {
    auto& v = lines.views;
    auto ensure_last_newline = [&] {
        if (!ends_in_newline(v)) v.back() = lines.make(std::string(v.back()) + eol);
    };
    if ((ls.before && *ls.before == "BOF") || (ls.after && *ls.after == "BOF")) {
        v.insert(v.begin(), lines.make(line + eol));
    } else if ((ls.after && *ls.after == "EOF") || ls.insert_at == -1) {
        if (!v.empty()) ensure_last_newline();
        v.push_back(lines.make(line + eol));
    } else if (ls.after) {
        // Ansible would glue the line onto a last line without a newline; we add the newline.
        size_t at = static_cast<size_t>(ls.insert_at);
        if (body(v[at == v.size() ? at - 1 : at]) == line) {
            *msg = "line already present";
            return text;
        }
        if (at == v.size()) {
            ensure_last_newline();
            v.push_back(lines.make(line + eol));
        } else {
            v.insert(v.begin() + static_cast<long>(at), lines.make(line + eol));
        }
    } else {
        v.insert(v.begin() + ls.insert_at, lines.make(line + eol));
    }
    *msg = "line added";
    return lines.join();
}

}  // namespace

std::string lineinfile_edit(const std::string& text, const LineinfileOptions& o, std::string* msg) {
    std::string local_msg;
    if (!msg) msg = &local_msg;
    if (o.regexp && o.search_string) throw TaskError("lineinfile: regexp and search_string are mutually exclusive");
    if (o.insertafter && o.insertbefore) throw TaskError("lineinfile: insertafter and insertbefore are mutually exclusive");
    Lines lines;
    lines.views = split_lines_view(text);
    if (!o.present) {
        if (!o.regexp && !o.search_string && !o.line)
            throw TaskError("lineinfile: one of line, search_string or regexp is required with state=absent");
        return absent_edit(text, lines.views, o, msg);
    }
    if (!o.line) throw TaskError("lineinfile: line is required with state=present");
    if (o.backrefs && !o.regexp) throw TaskError("lineinfile: regexp is required with backrefs=true");

    LineSearch ls = search_lines(lines.views, o);
    std::string eol = file_eol(lines.views);
    if (ls.found != -1) return replace_found(text, lines, ls, o, eol, msg);
    if (o.backrefs) {
        // Without a match there is nothing to fill the backreferences with.
        *msg = "no line matches regexp '" + *o.regexp + "' (backrefs: nothing to do)";
        return text;
    }
    return insert_line(text, lines, ls, *o.line, eol, msg);
}

namespace {

class LineinfileModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "lineinfile",
                .summary = "Ensure a line is in a file, or replace the line a regexp matches",
                .doc =
                    "Ansible's lineinfile. The last line matching `regexp` is replaced (`firstmatch: true`: the\n"
                    "first); without a match `line` goes after `insertafter` / before `insertbefore`, or at the end.\n"
                    "Example:\n"
                    "  - lineinfile:\n"
                    "      path: /etc/cloudstack/agent/agent.properties\n"
                    "      regexp: '^resource='\n"
                    "      line: resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource",
                .args =
                    {
                        {.name = "state",
                         .type = ArgType::String,
                         .default_value = Value("present"),
                         .choices = {"present", "absent"},
                         .doc = "present or absent"},
                        {.name = "regexp",
                         .type = ArgType::String,
                         .aliases = {"regex"},
                         .doc = "Python regexp to look for in every line"},
                        {.name = "search_string",
                         .type = ArgType::String,
                         .doc = "literal string to look for in every line"},
                        {.name = "line",
                         .type = ArgType::String,
                         .aliases = {"value"},
                         .doc = "the line to insert or replace"},
                        {.name = "insertafter",
                         .type = ArgType::String,
                         .doc = "regexp, EOF or BOF: where a new line goes"},
                        {.name = "insertbefore",
                         .type = ArgType::String,
                         .doc = "regexp or BOF: where a new line goes"},
                        {.name = "backrefs",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "expand \\1 in line; no match: no change"},
                        {.name = "firstmatch",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "use the first match, not the last"},
                    },
                .mutually_exclusive = {{"insertbefore", "insertafter"},
                                       {"regexp", "search_string"},
                                       {"backrefs", "search_string"}},
            };
            for (auto& a : file_edit_args(true)) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        LineinfileOptions o;
        o.present = args.str("state") == "present";
        o.regexp = args.opt_str("regexp");
        o.search_string = args.opt_str("search_string");
        o.line = args.opt_str("line");
        o.insertafter = args.opt_str("insertafter");
        o.insertbefore = args.opt_str("insertbefore");
        o.backrefs = args.flag("backrefs");
        o.firstmatch = args.flag("firstmatch");
        auto edit = [&](const SharedText& cur) {
            EditOutcome out;
            out.content = lineinfile_edit(cur.or_empty(), o, &out.msg);
            return out;
        };
        if (!o.present) return plan_file_edit(ctx, args, edit, false, std::string("file not present"));
        return plan_file_edit(ctx, args, edit, args.flag("create"));
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        return apply_file_plan(ctx, plan);
    }
};

}  // namespace

std::unique_ptr<Module> make_lineinfile_module() { return std::make_unique<LineinfileModule>(); }

}  // namespace upkeep
