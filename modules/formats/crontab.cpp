#include "modules/formats/crontab.hpp"

#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

const std::string k_marker = "#Ansible: ";

// Python's str.splitlines() for the ASCII line boundaries.
std::vector<std::string> py_splitlines(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\x1c' || c == '\x1d' || c == '\x1e') {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string strip_crlf(std::string s) {
    while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.erase(0, 1);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.pop_back();
    return s;
}

bool is_marker(const std::string& l) { return starts_with(l, k_marker); }

// re.sub('#Ansible: ', '', l): every occurrence goes.
std::string marker_name(std::string l) {
    for (size_t p; (p = l.find(k_marker)) != std::string::npos;) l.erase(p, k_marker.size());
    return l;
}

std::string comment(const std::optional<std::string>& name) { return k_marker + (name ? *name : "None"); }

// Python's lines[i - 1]: index -1 is the last line.
const std::string& prev(const std::vector<std::string>& lines, size_t i) {
    return i == 0 ? lines.back() : lines[i - 1];
}

class Tab {
public:
    std::vector<std::string> lines;

    // CronTab.find_job: [comment, line] or, for a job line found without its marker,
    // [comment, line, true] after inserting the marker.
    std::vector<std::string> find_job(const std::string& name, const std::optional<std::string>& job) {
        std::optional<std::string> c;
        for (const auto& l : lines) {
            if (c) {
                if (*c == name) return {*c, l};
                c.reset();
            } else if (is_marker(l)) {
                c = marker_name(l);
            }
        }
        if (job) {
            for (size_t i = 0; i < lines.size(); ++i) {
                if (lines[i] != *job) continue;
                if (!is_marker(prev(lines, i))) {
                    lines.insert(lines.begin() + static_cast<long>(i), comment(name));
                    return {lines[i], lines[i + 1], "true"};
                }
                if (!name.empty() && prev(lines, i) == comment(std::nullopt)) {
                    (i == 0 ? lines.back() : lines[i - 1]) = comment(name);
                    return {prev(lines, i), lines[i], "true"};
                }
            }
        }
        return {};
    }

    // CronTab._update_job: the line after each marker of `name` is replaced (or, for
    // a removal, dropped with the marker).
    void update_job(const std::string& name, const std::optional<std::string>& job) {
        std::string m = comment(name);
        std::vector<std::string> out;
        bool pending = false;
        for (const auto& l : lines) {
            if (pending) {
                if (job) {
                    out.push_back(m);
                    out.push_back(*job);
                }
                pending = false;
            } else if (l == m) {
                pending = true;
            } else {
                out.push_back(l);
            }
        }
        lines = std::move(out);
    }

    std::optional<size_t> find_env(const std::string& name) const {
        for (size_t i = 0; i < lines.size(); ++i)
            if (starts_with(lines[i], name + "=")) return i;
        return std::nullopt;
    }

    void update_env(const std::string& name, const std::optional<std::string>& decl) {
        std::vector<std::string> out;
        for (const auto& l : lines) {
            if (!starts_with(l, name + "=")) out.push_back(l);
            else if (decl) out.push_back(*decl);
        }
        lines = std::move(out);
    }

    bool is_empty() const {
        for (const auto& l : lines)
            if (!trim(l).empty()) return false;
        return true;
    }

    std::string render() const {
        std::string r = join(lines, "\n");
        if (!r.empty()) {
            while (!r.empty() && (r.back() == '\r' || r.back() == '\n')) r.pop_back();
            r += "\n";
        }
        return r;
    }
};

std::string cron_line(const CronRequest& r) {
    std::string job = strip_crlf(*r.job);
    std::string prefix = r.disabled ? "#" : "";
    std::string user = r.cron_file ? " " + (r.user ? *r.user : std::string("None")) : "";
    if (r.special_time) return prefix + "@" + *r.special_time + user + " " + job;
    return prefix + r.minute + " " + r.hour + " " + r.day + " " + r.month + " " + r.weekday + user + " " + job;
}

}  // namespace

std::string crontab_existing(const std::string& raw, bool user_crontab) {
    if (!user_crontab) return raw;
    static const PyRegex h1 = compile_py_regex(R"(# DO NOT EDIT THIS FILE - edit the master and reinstall.)");
    static const PyRegex h2 = compile_py_regex(R"(# \(/tmp/.*installed on.*\))");
    static const PyRegex h3 = compile_py_regex(R"(# \(.*version.*\))");
    std::string existing = raw;
    size_t count = 0;
    for (const auto& l : py_splitlines(raw)) {
        bool header = count <= 2 && (py_match(h1, l) || py_match(h2, l) || py_match(h3, l));
        ++count;
        if (!header) continue;
        // re.sub(re.escape(l) + '[\r\n]?', '', n_existing, 1)
        size_t p = existing.find(l);
        if (p == std::string::npos) continue;
        size_t len = l.size();
        if (p + len < existing.size() && (existing[p + len] == '\r' || existing[p + len] == '\n')) ++len;
        existing.erase(p, len);
    }
    return existing;
}

CronOutcome cron_edit(const std::string& existing, const CronRequest& req) {
    CronOutcome out;
    Tab tab;
    for (const auto& l : py_splitlines(existing)) tab.lines.push_back(l);
    bool any_time = req.minute != "*" || req.hour != "*" || req.day != "*" || req.month != "*" || req.weekday != "*";
    if (req.special_time && any_time) throw TaskError("You must specify time and date fields or special time.");
    if (req.present) {
        if (req.cron_file && !req.user) throw TaskError("To use cron_file=... parameter you must specify user=... as well");
        if (!req.job) throw TaskError("You must specify 'job' to install a new cron job or variable");
        if ((req.insertafter || req.insertbefore) && !req.env)
            throw TaskError("Insertafter and insertbefore parameters are valid only with env=yes");
    }
    bool changed = false;
    if (req.env) {
        if (req.name.find(' ') != std::string::npos) throw TaskError("Invalid name for environment variable");
        std::string decl = req.name + "=\"" + (req.job ? *req.job : std::string("None")) + "\"";
        std::optional<size_t> old = tab.find_env(req.name);
        if (req.present) {
            if (!old) {
                if (!req.insertafter && !req.insertbefore) {
                    tab.lines.insert(tab.lines.begin(), decl);
                } else {
                    std::string other = req.insertafter ? *req.insertafter : *req.insertbefore;
                    std::optional<size_t> at = tab.find_env(other);
                    if (!at) throw TaskError("Variable named '" + other + "' not found.");
                    tab.lines.insert(tab.lines.begin() + static_cast<long>(*at + (req.insertafter ? 1 : 0)), decl);
                }
                changed = true;
            } else if (tab.lines[*old] != decl) {
                tab.update_env(req.name, decl);
                changed = true;
            }
        } else if (old) {
            tab.update_env(req.name, std::nullopt);
            changed = true;
        }
    } else if (req.present) {
        std::string j = *req.job;
        if (strip_crlf(j).find_first_of("\r\n") != std::string::npos) out.warnings.push_back("Job should not contain line breaks");
        std::string line = cron_line(req);
        std::vector<std::string> old = tab.find_job(req.name, line);
        if (old.empty()) {
            tab.lines.push_back(comment(req.name));
            tab.lines.push_back(line);
            changed = true;
        }
        if (!old.empty() && old[1] != line) {
            tab.update_job(req.name, line);
            changed = true;
        }
        if (old.size() > 2) {
            tab.update_job(req.name, line);
            changed = true;
        }
    } else {
        std::vector<std::string> old = tab.find_job(req.name, std::nullopt);
        if (!old.empty()) {
            tab.update_job(req.name, std::nullopt);
            changed = true;
            if (req.cron_file && tab.is_empty()) {
                out.changed = true;
                out.remove_file = true;
                return out;
            }
        }
    }
    // A crontab without its final newline is rewritten even when nothing else changes.
    if (!changed && !existing.empty() && existing.back() != '\r' && existing.back() != '\n') changed = true;
    out.changed = changed;
    out.content = tab.render();
    for (const auto& l : tab.lines) {
        if (is_marker(l)) out.jobs.push_back(marker_name(l));
        // ^\S+= : some non-space characters, then '=' (before any space); the name is
        // what precedes the first '='.
        std::string head = l.substr(0, l.find_first_of(" \t\r\n\f\v"));
        if (head.find('=', 1) != std::string::npos) out.envs.push_back(l.substr(0, l.find('=')));
    }
    return out;
}

}  // namespace upkeep
