#include "engine/connection/shell_files.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

std::string q(const std::string& s) { return shell_quote(s); }

// Separates a change's own output from the probe that follows it.
constexpr const char* k_reprobe_mark = "UPKEEP-REPROBE-7d2a";

}  // namespace

std::string octal_mode(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

CommandResult ShellFiles::run_checked(const std::string& script, const std::string& what, const std::string& path,
                                      const std::string& stdin_data, bool mutating) {
    if (mutating) m_read_ahead.forget();
    Command c;
    c.cmdline = script;
    c.stdin_data = stdin_data;
    c.mutating = mutating;
    // After a change to `path`, the same command probes it again, with the
    // next task's paths (in a subshell that can neither fail the change nor
    // see its traps): lineinfile after lineinfile on one file is one write
    // each, and the next task finds what it looks at already known.
    std::optional<ShellReadAhead::Request> reprobe;
    if (mutating && m_read_ahead.on()) {
        reprobe = m_read_ahead.request(path, false, 1);
        c.cmdline = "{ " + script + "\n}; printf '%s\\n' " + q(k_reprobe_mark) + "; ( " + ShellReadAhead::script(*reprobe) +
                    " ) || true";
    }
    CommandResult r = m_run(c);
    if (r.rc != 0)
        throw TaskError(m_where + ": " + what + " " + path + ": " +
                        (trim(r.err).empty() ? "exit code " + std::to_string(r.rc) : trim(r.err)));
    if (reprobe) {
        std::string mark = std::string(k_reprobe_mark) + "\n";
        size_t at = r.out.find(mark);
        if (at != std::string::npos) {
            m_read_ahead.take(*reprobe, r.out.substr(at + mark.size()), m_where);
            r.out.erase(at);
        }
    }
    return r;
}

const ProbedPath* ShellFiles::probe(const std::string& path) {
    if (!m_read_ahead.on()) return nullptr;
    if (const ProbedPath* hit = m_read_ahead.cached(path)) return hit;
    ShellReadAhead::Request req = m_read_ahead.request(path, true, ShellReadAhead::k_all_groups);
    Command c;
    c.cmdline = ShellReadAhead::script(req);
    c.mutating = false;
    CommandResult r = m_run(c);
    if (r.rc != 0) return nullptr;  // the plain operations report the error
    if (!m_read_ahead.take(req, r.out, m_where)) return nullptr;
    return m_read_ahead.cached(path);
}

FileInfo ShellFiles::stat(const std::string& path, bool follow) {
    if (const ProbedPath* pr = probe(path)) return follow ? pr->stat : pr->lstat;
    std::string p = q(path);
    std::string test = follow ? "[ -e " + p + " ]" : "{ [ -e " + p + " ] || [ -L " + p + " ]; }";
    std::string script = "if " + test + "; then stat " + (follow ? "-L " : "") + "-c '%f %u %g %s %U %G' -- " + p +
                         (follow ? "" : " && { readlink -- " + p + " || true; }") + "; else echo missing; fi";
    CommandResult r = run_checked(script, "cannot stat", path, "", false);
    FileInfo info;
    if (starts_with(r.out, "missing")) return info;
    std::string first = r.out.substr(0, r.out.find('\n'));
    info = parse_shell_stat_line(first, path, m_where);
    if (info.is_link()) {
        size_t nl = r.out.find('\n');
        std::string rest = nl == std::string::npos ? "" : r.out.substr(nl + 1);
        info.link_target = rest.substr(0, rest.find('\n'));
    }
    return info;
}

std::optional<std::string> ShellFiles::read_file(const std::string& path) {
    if (const ProbedPath* pr = probe(path)) {
        if (!pr->stat.exists() && !pr->lstat.exists()) return std::nullopt;
        if (pr->content) return *pr->content;
    }
    std::string p = q(path);
    Command c;
    // Only a regular file is read (a FIFO would block, a device never end),
    // and never more than the limit (+1 byte to notice an overrun).
    c.cmdline = "if [ ! -e " + p + " ]; then exit 3; fi; if [ -d " + p + " ]; then echo 'is a directory' >&2; exit 4; fi; " +
                "if [ ! -f " + p + " ]; then echo 'refusing to read it: not a regular file' >&2; exit 5; fi; head -c " +
                std::to_string(k_max_read_bytes + 1) + " -- " + p;
    c.mutating = false;
    CommandResult r = m_run(c);
    if (r.rc == 3) return std::nullopt;
    if (r.rc != 0) throw TaskError(m_where + ": cannot read " + path + ": " + trim(r.err));
    if (r.out.size() > k_max_read_bytes)
        throw TaskError(m_where + ": refusing to read " + path + ": larger than " + std::to_string(k_max_read_bytes >> 20) + " MiB");
    return std::move(r.out);
}

std::string stale_temp_cleanup_script(const std::string& dir_var) {
    // Left-overs of a killed run: our own ".upkeep.*" files untouched for an
    // hour (a live write keeps its temp file fresh and renames it at once).
    // The glob, the shell's own, spares the two forks of find and id where
    // there is no candidate at all, which is nearly always.
    return "for _uk_t in \"" + dir_var + "\"/.upkeep.*; do if [ -e \"$_uk_t\" ] || [ -L \"$_uk_t\" ]; then "
           "find \"" + dir_var + "\" -maxdepth 1 -name '.upkeep.*' -user \"$(id -u)\" \\( -type f -o -type l \\) -mmin +60 "
           "-exec rm -f -- {} + 2>/dev/null || true; fi; break; done; ";
}

std::string backup_script(const std::string& file_var) {
    // A unique name: "<path>.<pid>.<stamp>~", then ".<n>~" while taken. The
    // noclobber redirection creates it with O_EXCL (never through a planted
    // link) under umask 077, so it is private until it is complete. $b is set
    // for the EXIT trap, which removes a partial backup (a full disk).
    return "b0=\"" + file_var + ".$$.$(date +%Y-%m-%d@%H:%M:%S)\"; n=0; b=\"$b0~\"; "
           "until (umask 077; set -C; : > \"$b\") 2>/dev/null; do n=$((n+1)); "
           "if [ $n -gt 999 ]; then b=''; echo 'cannot create a backup file' >&2; exit 1; fi; b=\"$b0.$n~\"; done; "
           "cat -- \"" + file_var + "\" > \"$b\"; chown --reference=\"" + file_var + "\" -- \"$b\" 2>/dev/null || true; "
           "chmod --reference=\"" + file_var + "\" -- \"$b\"; touch -r \"" + file_var + "\" -- \"$b\"; ";
}

WriteResult ShellFiles::write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    // The temp file is made by mktemp (random name, O_EXCL, 0600) and gets its
    // final mode with exactly one chmod once it is complete: its content is
    // never readable under a wider mode than the target's.
    std::string s = "set -e; p=" + q(path) + "; ";
    if (opts.follow) s += "if [ -L \"$p\" ]; then p=$(readlink -f -- \"$p\"); fi; ";
    s += "if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then echo \"$p is a directory\" >&2; exit 1; fi; "
         "if [ -e \"$p\" ] && [ ! -f \"$p\" ] && [ ! -L \"$p\" ]; then echo \"refusing to write $p: not a regular file\" >&2; exit 1; fi; "
         "old=''; if [ -f \"$p\" ] && [ ! -L \"$p\" ]; then old=1; fi; "
         "case $p in */*) d=${p%/*}; [ -n \"$d\" ] || d=/;; *) d=.;; esac; " +
         (first_write_in(parent_path(path)) ? stale_temp_cleanup_script("$d") : std::string()) +
         "b=''; t=$(mktemp \"$d/.upkeep.XXXXXXXXXXXX\"); trap 'rm -f -- \"$t\"; [ -z \"$b\" ] || rm -f -- \"$b\"' EXIT; "
         "cat > \"$t\"; ";
    s += "if [ -n \"$old\" ]; then chown --reference=\"$p\" -- \"$t\"; fi; ";
    if (!opts.owner.empty() || !opts.group.empty())
        s += "chown " + q(opts.owner + (opts.group.empty() ? "" : ":" + opts.group)) + " -- \"$t\"; ";
    if (opts.mode) s += "chmod " + octal_mode(*opts.mode) + " -- \"$t\"; ";
    else s += "if [ -n \"$old\" ]; then chmod --reference=\"$p\" -- \"$t\"; else chmod 0644 -- \"$t\"; fi; ";
    if (opts.backup) s += "if [ -n \"$old\" ]; then " + backup_script("$p") + "fi; ";
    // coreutils' sync FILE fsyncs that file (and is harmless where unsupported).
    // mv -T: a link to a directory at $p (follow: false) is replaced, not entered.
    s += "sync -- \"$t\" 2>/dev/null || true; mv -Tf -- \"$t\" \"$p\"; trap - EXIT; [ -z \"$b\" ] || echo \"backup:$b\"";
    CommandResult r = run_checked(s, "cannot write", path, content);
    WriteResult w;
    for (const auto& line : split(r.out, '\n'))
        if (starts_with(line, "backup:")) w.backup_path = line.substr(7);
    return w;
}

std::string ShellFiles::write_temp_file(const std::string& dir, const std::string& content) {
    std::string s = "set -e; t=$(mktemp " + q(dir + "/.upkeep.XXXXXXXXXXXX") + "); cat > \"$t\" || { rm -f -- \"$t\"; exit 1; }; " +
                    "printf '%s' \"$t\"";
    return run_checked(s, "cannot write a temp file in", dir, content).out;
}

void ShellFiles::make_dirs(const std::string& path, std::optional<uint32_t> mode) {
    std::string s = "set -e; q=" + q(path) + "; m=''; while [ ! -d \"$q\" ]; do m=\"$q\n$m\"; q=$(dirname -- \"$q\"); done; " +
                    "printf '%s' \"$m\" | while IFS= read -r x; do [ -z \"$x\" ] || mkdir " +
                    (mode ? "-m " + octal_mode(*mode) + " " : "") + "-- \"$x\"; done";
    run_checked(s, "cannot create directory", path);
}

void ShellFiles::remove(const std::string& path, bool recursive) {
    std::string p = q(path);
    std::string s = recursive ? "rm -rf -- " + p
                              : "if [ -d " + p + " ] && [ ! -L " + p + " ]; then rmdir -- " + p + "; else rm -f -- " + p + "; fi";
    run_checked(s, "cannot remove", path);
}

void ShellFiles::set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                                const std::string& group) {
    std::vector<std::string> parts;
    // chown first: it clears setuid/setgid bits that the chmod may set.
    if (!owner.empty()) parts.push_back("chown " + q(owner) + " -- " + q(path));
    if (!group.empty()) parts.push_back("chgrp " + q(group) + " -- " + q(path));
    if (mode) parts.push_back("chmod " + octal_mode(*mode) + " -- " + q(path));
    if (parts.empty()) return;
    run_checked("set -e; " + join(parts, "; "), "cannot set attributes of", path);
}

void ShellFiles::symlink(const std::string& target, const std::string& path) {
    // A new link under a temp name renamed over the old one: never a moment without it.
    // mktemp -u only picks a random name; ln -s refuses to replace an entry.
    std::string s = "set -e; p=" + q(path) + "; t=$(mktemp -u \"$(dirname -- \"$p\")/.upkeep.XXXXXXXXXXXX\"); " +
                    "ln -s -- " + q(target) + " \"$t\"; mv -Tf -- \"$t\" \"$p\" || { rm -f -- \"$t\"; exit 1; }";
    run_checked(s, "cannot create link", path);
}

std::vector<std::string> ShellFiles::list_dir(const std::string& path) {
    std::string p = q(path.empty() || path.back() == '/' ? path : path + "/");
    Command c;
    c.cmdline = "[ -d " + p + " ] || exit 0; find " + p + " -mindepth 1 -maxdepth 1 -printf '%f\\0'";
    c.mutating = false;
    CommandResult r = m_run(c);
    if (r.rc != 0) throw TaskError(m_where + ": cannot list " + path + ": " + trim(r.err));
    std::vector<std::string> names;
    for (auto& n : split(r.out, '\0'))
        if (!n.empty()) names.push_back(n);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace upkeep
