#include "engine/connection/shell_files.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

std::string q(const std::string& s) { return shell_quote(s); }

}  // namespace

std::string octal_mode(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

CommandResult ShellFiles::run_checked(const std::string& script, const std::string& what, const std::string& path,
                                      const std::string& stdin_data) {
    Command c;
    c.cmdline = script;
    c.stdin_data = stdin_data;
    CommandResult r = m_run(c);
    if (r.rc != 0)
        throw TaskError(m_where + ": " + what + " " + path + ": " +
                        (trim(r.err).empty() ? "exit code " + std::to_string(r.rc) : trim(r.err)));
    return r;
}

FileInfo ShellFiles::stat(const std::string& path, bool follow) {
    std::string p = q(path);
    std::string test = follow ? "[ -e " + p + " ]" : "{ [ -e " + p + " ] || [ -L " + p + " ]; }";
    std::string script = "if " + test + "; then stat " + (follow ? "-L " : "") + "-c '%f %u %g %s %U %G' -- " + p +
                         (follow ? "" : " && { readlink -- " + p + " || true; }") + "; else echo missing; fi";
    CommandResult r = run_checked(script, "cannot stat", path);
    FileInfo info;
    if (starts_with(r.out, "missing")) return info;
    std::istringstream in(r.out);
    std::string hex;
    uint64_t size = 0;
    in >> hex >> info.uid >> info.gid >> size >> info.owner >> info.group;
    if (!in) throw TaskError(m_where + ": cannot stat " + path + ": unexpected output '" + trim(r.out) + "'");
    uint32_t raw = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    info.mode = raw & 07777;
    info.size = size;
    switch (raw & 0170000) {
        case 0100000: info.kind = FileInfo::Kind::File; break;
        case 0040000: info.kind = FileInfo::Kind::Dir; break;
        case 0120000: info.kind = FileInfo::Kind::Link; break;
        default: info.kind = FileInfo::Kind::Other;
    }
    if (info.owner == "UNKNOWN") info.owner = std::to_string(info.uid);
    if (info.group == "UNKNOWN") info.group = std::to_string(info.gid);
    if (info.is_link()) {
        std::string rest;
        std::getline(in, rest);  // end of the stat line
        std::getline(in, info.link_target);
    }
    return info;
}

std::optional<std::string> ShellFiles::read_file(const std::string& path) {
    std::string p = q(path);
    Command c;
    c.cmdline = "if [ ! -e " + p + " ]; then exit 3; fi; if [ -d " + p + " ]; then echo 'is a directory' >&2; exit 4; fi; cat -- " + p;
    c.mutating = false;
    CommandResult r = m_run(c);
    if (r.rc == 3) return std::nullopt;
    if (r.rc != 0) throw TaskError(m_where + ": cannot read " + path + ": " + trim(r.err));
    return r.out;
}

WriteResult ShellFiles::write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    std::string s = "set -e; p=" + q(path) + "; if [ -L \"$p\" ]; then p=$(readlink -f -- \"$p\"); fi; " +
                    "if [ -d \"$p\" ]; then echo \"$p is a directory\" >&2; exit 1; fi; " +
                    "t=$(mktemp \"$(dirname -- \"$p\")/.upkeep.XXXXXXXX\"); trap 'rm -f -- \"$t\"' EXIT; " +
                    "cat > \"$t\"; " +
                    "if [ -e \"$p\" ]; then chown --reference=\"$p\" -- \"$t\"; chmod --reference=\"$p\" -- \"$t\"; " +
                    "else chmod 0644 -- \"$t\"; fi; ";
    if (!opts.owner.empty() || !opts.group.empty())
        s += "chown " + q(opts.owner + (opts.group.empty() ? "" : ":" + opts.group)) + " -- \"$t\"; ";
    if (opts.mode) s += "chmod " + octal_mode(*opts.mode) + " -- \"$t\"; ";
    if (opts.backup)
        s += "if [ -e \"$p\" ]; then b=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$p\" \"$b\"; "
             "echo \"backup:$b\"; fi; ";
    // coreutils' sync FILE fsyncs that file (and is harmless where unsupported).
    s += "sync -- \"$t\" 2>/dev/null || true; mv -f -- \"$t\" \"$p\"; trap - EXIT";
    CommandResult r = run_checked(s, "cannot write", path, content);
    WriteResult w;
    for (const auto& line : split(r.out, '\n'))
        if (starts_with(line, "backup:")) w.backup_path = line.substr(7);
    return w;
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
    std::string s = "set -e; p=" + q(path) + "; t=\"$(dirname -- \"$p\")/.upkeep.$$.link\"; rm -f -- \"$t\"; " +
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
