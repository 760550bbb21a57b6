// find: lists files on the host by name pattern, type, age, size and content
// (Ansible's find), never changes anything. One `find -printf` per path runs on
// the host (GNU findutils, present on every Debian/RHEL host) and returns every
// entry's lstat fields; the filters (fnmatch or Python regexps, age, size,
// contains) are applied here with Ansible's exact rules, including its quirks:
// a hidden directory is not listed but its visible contents are, `examined`
// counts one level past `depth`, `excludes` only act together with patterns.
#include <map>

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"

namespace upkeep {

namespace {

constexpr size_t k_fields = 16;  // per entry in the -printf format below

struct Entry {
    std::string path;  // as Ansible names it: normpath(root + name)
    std::string name;
    char type = 'f';    // find's %y: f d l p s c b
    char target = 'f';  // %Y: type after following a link (os.walk sorts links to dirs as dirs)
    uint32_t mode = 0;
    int64_t uid = 0, gid = 0, size = 0, inode = 0, dev = 0, nlink = 0;
    std::string user, group;
    double atime = 0, mtime = 0, ctime = 0;
    int depth = 0;
};

std::string normpath(const std::string& p) {
    std::vector<std::string> parts;
    for (const auto& s : split(p, '/')) {
        if (s.empty() || s == ".") continue;
        if (s == ".." && !parts.empty() && parts.back() != "..") parts.pop_back();
        else if (s != ".." || p.empty() || p[0] != '/') parts.push_back(s);
    }
    std::string out = (!p.empty() && p[0] == '/' ? "/" : "") + join(parts, "/");
    return out.empty() ? "." : out;
}

// Python's os.walk order (top-down: a directory's files, then its directories,
// then each directory's walk) rebuilt from find's pre-order listing.
std::vector<Entry> walk_order(std::vector<Entry> all) {
    std::map<std::string, std::vector<size_t>> children;
    for (size_t i = 0; i < all.size(); ++i) {
        const std::string& p = all[i].path;
        children[p.substr(0, p.find_last_of('/'))].push_back(i);
    }
    std::vector<Entry> out;
    std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int guard) {
        auto it = children.find(dir);
        if (it == children.end() || guard > 4096) return;
        std::vector<size_t> files, dirs;
        for (size_t i : it->second) (all[i].target == 'd' ? dirs : files).push_back(i);
        for (size_t i : files) out.push_back(all[i]);
        for (size_t i : dirs) out.push_back(all[i]);
        for (size_t i : dirs) walk(all[i].path, guard + 1);
    };
    if (!all.empty()) {
        // The root is the parent of the shallowest entries.
        std::string root = all.front().path.substr(0, all.front().path.find_last_of('/'));
        walk(root, 0);
    }
    return out;
}

// "2d", "-3h", "90" -> seconds; "1k", "-2m" -> bytes (Ansible's units).
int64_t with_unit(const std::string& arg, const std::string& text, const std::map<char, int64_t>& units) {
    PyRegex re = compile_py_regex("^(-?\\d+)([a-z])?$");
    PyMatch m;
    std::string t = to_lower(text);
    if (!py_match(re, t, &m) || (m[2].matched && !units.count(m.str(2)[0]))) throw TaskError("failed to process " + arg);
    int64_t n = std::stoll(m.str(1));
    return m[2].matched ? n * units.at(m.str(2)[0]) : n;
}

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!n || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
        i += n;
    }
    return true;
}

class FindModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "find",
            .summary = "Find files on the host by name, type, age, size or content",
            .doc =
                "Ansible's find, read-only. Returns files (a list of dicts with path and Ansible's stat\n"
                "fields: mode, isdir, isreg, islnk, uid, gid, pw_name, size, inode, atime, mtime, ctime...),\n"
                "matched, examined, skipped_paths. Needs GNU find on the host. `~` and $VARS in paths\n"
                "are not expanded.\n"
                "Example:\n"
                "  - find:\n"
                "      paths: /var/log/cloudstack\n"
                "      patterns: '*.log.*'\n"
                "      age: 4w\n"
                "      recurse: true\n"
                "    register: old_logs",
            .args =
                {
                    {.name = "paths",
                     .type = ArgType::List,
                     .required = true,
                     .aliases = {"name", "path"},
                     .doc = "directories to search"},
                    {.name = "patterns",
                     .type = ArgType::List,
                     .default_value = Value(List{}),
                     .aliases = {"pattern"},
                     .doc = "shell globs (or Python regexps with use_regex) the basename must match"},
                    {.name = "excludes",
                     .type = ArgType::List,
                     .aliases = {"exclude"},
                     .doc = "globs/regexps that drop a match"},
                    {.name = "contains",
                     .type = ArgType::String,
                     .doc = "Python regexp a line must match (re.match per line) for a file to be listed"},
                    {.name = "read_whole_file",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "contains: re.search the whole file instead of matching lines"},
                    {.name = "file_type",
                     .type = ArgType::String,
                     .default_value = Value("file"),
                     .choices = {"any", "directory", "file", "link"},
                     .doc = "which kind of entry to list"},
                    {.name = "age", .type = ArgType::String, .doc = "at least this old (s m h d w); negative: at most"},
                    {.name = "age_stamp",
                     .type = ArgType::String,
                     .default_value = Value("mtime"),
                     .choices = {"atime", "ctime", "mtime"},
                     .doc = "which time age compares"},
                    {.name = "size",
                     .type = ArgType::String,
                     .doc = "at least this big (b k m g t); negative: at most"},
                    {.name = "recurse",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "descend into directories"},
                    {.name = "hidden",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "list names starting with a dot"},
                    {.name = "follow",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "descend into linked directories"},
                    {.name = "get_checksum",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "sha1 of each listed file"},
                    {.name = "use_regex",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "patterns are Python regexps (re.match)"},
                    {.name = "depth",
                     .type = ArgType::Int,
                     .doc = "deepest level listed with recurse (1: the path's entries)"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        bool use_regex = args.flag("use_regex");
        std::vector<std::string> patterns = args.strings("patterns");
        if (patterns.empty()) patterns.push_back(use_regex ? ".*" : "*");
        std::vector<std::string> excludes = args.has("excludes") ? args.strings("excludes") : std::vector<std::string>{};
        std::vector<PyRegex> pat_re, exc_re;
        if (use_regex) {
            for (const auto& p : patterns) pat_re.push_back(compile_py_regex(p));
            for (const auto& e : excludes) exc_re.push_back(compile_py_regex(e));
        }
        auto name_ok = [&](const std::string& name) {
            for (size_t i = 0; i < patterns.size(); ++i) {
                if (!(use_regex ? py_match(pat_re[i], name) : py_fnmatch(name, patterns[i]))) continue;
                for (size_t k = 0; k < excludes.size(); ++k)
                    if (use_regex ? py_match(exc_re[k], name) : py_fnmatch(name, excludes[k])) return false;
                return true;
            }
            return false;
        };
        std::optional<int64_t> age, size;
        if (args.has("age"))
            age = with_unit("age", args.str("age"), {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}});
        if (args.has("size"))
            size = with_unit("size", args.str("size"),
                             {{'b', 1}, {'k', 1024}, {'m', 1024ll << 10}, {'g', 1024ll << 20}, {'t', 1024ll << 30}});
        std::optional<PyRegex> contains;
        if (args.has("contains")) contains = compile_py_regex(args.str("contains"));
        std::string age_stamp = args.str("age_stamp");
        std::string file_type = args.str("file_type");
        int64_t depth = args.integer("depth", 0);
        double now = host_now(ctx.conn);

        List files;
        Map skipped;
        int64_t examined = 0;
        for (const auto& npath : args.strings("paths")) {
            std::vector<Entry> entries;
            std::string partial;
            std::string error = list_entries(ctx, args, npath, depth, entries, partial);
            if (!error.empty()) {
                skipped[npath] = Value(error);
                continue;
            }
            if (!partial.empty()) skipped[npath] = Value(partial);
            examined += static_cast<int64_t>(entries.size());
            for (const Entry& e : entries) {
                if (depth > 0 && e.depth > depth) continue;
                if (!args.flag("hidden") && e.name[0] == '.') continue;
                bool want = file_type == "any" || (file_type == "directory" && e.type == 'd') ||
                            (file_type == "file" && e.type == 'f') || (file_type == "link" && e.type == 'l');
                if (!want || !name_ok(e.name)) continue;
                double stamp = age_stamp == "atime" ? e.atime : age_stamp == "ctime" ? e.ctime : e.mtime;
                if (age && !(*age >= 0 ? now - stamp >= static_cast<double>(*age)
                                       : now - stamp <= static_cast<double>(-*age)))
                    continue;
                if (size && e.type == 'f' && !(*size >= 0 ? e.size >= *size : e.size <= -*size)) continue;
                std::optional<std::string> bytes;
                if (file_type == "file" && contains) {
                    bytes = ctx.conn.read_file(e.path);
                    if (!bytes || !content_ok(*contains, *bytes, args.flag("read_whole_file"))) continue;
                }
                Value r = stat_fields(e);
                if (e.type == 'f' && args.flag("get_checksum")) {
                    if (!bytes) bytes = ctx.conn.read_file(e.path);
                    if (bytes) r["checksum"] = Value(digest_hex("sha1", *bytes));
                }
                files.push_back(std::move(r));
            }
        }
        Plan p;
        p.result["matched"] = Value(static_cast<int64_t>(files.size()));
        p.result["files"] = Value(std::move(files));
        p.result["examined"] = Value(examined);
        p.result["skipped_paths"] = Value(std::move(skipped));
        p.msg = p.result.get("skipped_paths").as_map().empty() ? "All paths examined"
                                                                 : "Not all paths examined, check warnings for details";
        p.result["msg"] = Value(p.msg);
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }

private:
    // Lists the entries under `npath` (in os.walk's order); returns why the path
    // was skipped, or "".
    static std::string list_entries(ModuleContext& ctx, const Args& args, const std::string& npath, int64_t depth,
                                    std::vector<Entry>& out, std::string& partial) {
        if (!ctx.conn.stat(npath, true).is_dir()) return "'" + npath + "' is not a directory";
        std::string host_path = ctx.conn.command_path(npath);
        Command c;
        c.mutating = false;
        c.cmdline = std::string("LC_ALL=C find ") + (args.flag("follow") ? "-L " : "-P ") + shell_quote(host_path) +
                    " -mindepth 1";
        if (!args.flag("recurse")) c.cmdline += " -maxdepth 1";
        else if (depth > 0) c.cmdline += " -maxdepth " + std::to_string(depth + 1);
        c.cmdline += " -printf '%p\\0%y\\0%Y\\0%m\\0%U\\0%G\\0%u\\0%g\\0%s\\0%i\\0%D\\0%n\\0%A@\\0%T@\\0%C@\\0%d\\0'";
        CommandResult r = ctx.conn.run(c);
        if (r.rc != 0 && r.out.empty()) return trim(r.err).empty() ? "find failed (rc " + std::to_string(r.rc) + ")" : trim(r.err);
        // An unreadable subdirectory: like Ansible, the entries found so far are kept
        // and the path is reported in skipped_paths.
        if (r.rc != 0) partial = trim(r.err).substr(0, trim(r.err).find('\n'));
        std::vector<std::string> f;
        size_t start = 0;
        for (size_t i = 0; i < r.out.size(); ++i)
            if (r.out[i] == '\0') {
                f.push_back(r.out.substr(start, i - start));
                start = i + 1;
            }
        std::vector<Entry> all;
        for (size_t i = 0; i + k_fields <= f.size(); i += k_fields) {
            Entry e;
            std::string p = f[i];
            if (starts_with(p, host_path)) p = npath + p.substr(host_path.size());
            e.path = normpath(p);
            e.name = e.path.substr(e.path.find_last_of('/') + 1);
            e.type = f[i + 1].empty() ? '?' : f[i + 1][0];
            e.target = f[i + 2].empty() ? '?' : f[i + 2][0];
            e.mode = static_cast<uint32_t>(std::stoul(f[i + 3], nullptr, 8));
            e.uid = std::stoll(f[i + 4]);
            e.gid = std::stoll(f[i + 5]);
            // find prints the number when no name resolves; Ansible says "".
            e.user = f[i + 6] == f[i + 4] ? "" : f[i + 6];
            e.group = f[i + 7] == f[i + 5] ? "" : f[i + 7];
            e.size = std::stoll(f[i + 8]);
            e.inode = std::stoll(f[i + 9]);
            e.dev = std::stoll(f[i + 10]);
            e.nlink = std::stoll(f[i + 11]);
            e.atime = std::strtod(f[i + 12].c_str(), nullptr);
            e.mtime = std::strtod(f[i + 13].c_str(), nullptr);
            e.ctime = std::strtod(f[i + 14].c_str(), nullptr);
            e.depth = std::stoi(f[i + 15]);
            all.push_back(std::move(e));
        }
        // Over an overlay (the dry run's planned state) the listing comes from the
        // connection, so files planned by earlier tasks are found and removed ones
        // are not; the host's listing only lends the fields a FileInfo lacks.
        if (&ctx.conn.underlying() != &ctx.conn) all = overlay_listing(ctx, args, npath, depth, all);
        out = walk_order(std::move(all));
        return "";
    }

    static std::vector<Entry> overlay_listing(ModuleContext& ctx, const Args& args, const std::string& npath, int64_t depth,
                                              const std::vector<Entry>& host) {
        std::map<std::string, const Entry*> by_path;
        for (const Entry& e : host) by_path[e.path] = &e;
        int max_depth = !args.flag("recurse") ? 1 : depth > 0 ? static_cast<int>(depth) + 1 : 4096;
        std::vector<Entry> out;
        std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int level) {
            for (const auto& name : ctx.conn.list_dir(dir)) {
                Entry e;
                e.path = normpath(dir + "/" + name);
                e.name = name;
                e.depth = level;
                FileInfo fi = ctx.conn.stat(e.path, false);
                using K = FileInfo::Kind;
                e.type = fi.kind == K::File ? 'f' : fi.kind == K::Dir ? 'd' : fi.kind == K::Link ? 'l'
                         : fi.special == "FIFO" ? 'p' : fi.special == "socket" ? 's' : fi.special == "block device" ? 'b' : 'c';
                bool dir_like = fi.is_dir() || (fi.is_link() && ctx.conn.stat(e.path, true).is_dir());
                e.target = dir_like ? 'd' : e.type;
                e.mode = fi.mode;
                e.uid = fi.uid;
                e.gid = fi.gid;
                e.user = fi.owner == std::to_string(fi.uid) ? "" : fi.owner;
                e.group = fi.group == std::to_string(fi.gid) ? "" : fi.group;
                e.size = static_cast<int64_t>(fi.size);
                if (auto it = by_path.find(e.path); it != by_path.end() && it->second->type == e.type) {
                    const Entry& h = *it->second;
                    e.inode = h.inode;
                    e.dev = h.dev;
                    e.nlink = h.nlink;
                    e.atime = h.atime;
                    e.mtime = h.mtime;
                    e.ctime = h.ctime;
                } else {
                    e.nlink = 1;  // planned, not on the host yet: its times are now
                    e.atime = e.mtime = e.ctime = host_now(ctx.conn);
                }
                out.push_back(e);
                bool descend = fi.is_dir() || (args.flag("follow") && dir_like);
                if (descend && level < max_depth) walk(e.path, level + 1);
            }
        };
        walk(npath, 1);
        return out;
    }

    // Ansible's contentfilter: the file read as UTF-8 text with universal
    // newlines (undecodable: no match), re.match per line or re.search on all.
    static bool content_ok(const PyRegex& re, std::string text, bool whole) {
        if (!valid_utf8(text)) return false;
        std::string norm;
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\r') {
                norm += '\n';
                if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            } else {
                norm += text[i];
            }
        }
        if (whole) return py_search(re, norm);
        for (const auto& line : split_lines_keep(norm))
            if (py_match(re, line)) return true;
        return false;
    }

    static Value stat_fields(const Entry& e) {
        Value r;
        r["path"] = Value(e.path);
        r["mode"] = Value(format_mode(e.mode & 07777));
        r["isdir"] = Value(e.type == 'd');
        r["ischr"] = Value(e.type == 'c');
        r["isblk"] = Value(e.type == 'b');
        r["isreg"] = Value(e.type == 'f');
        r["isfifo"] = Value(e.type == 'p');
        r["islnk"] = Value(e.type == 'l');
        r["issock"] = Value(e.type == 's');
        r["uid"] = Value(e.uid);
        r["gid"] = Value(e.gid);
        r["size"] = Value(e.size);
        r["inode"] = Value(e.inode);
        r["dev"] = Value(e.dev);
        r["nlink"] = Value(e.nlink);
        r["atime"] = Value(e.atime);
        r["mtime"] = Value(e.mtime);
        r["ctime"] = Value(e.ctime);
        r["pw_name"] = Value(e.user);
        r["gr_name"] = Value(e.group);
        const char* bits[] = {"xoth", "woth", "roth", "xgrp", "wgrp", "rgrp", "xusr", "wusr", "rusr"};
        for (int i = 0; i < 9; ++i) r[bits[i]] = Value((e.mode >> i & 1) != 0);
        r["isuid"] = Value((e.mode & 04000) != 0);
        r["isgid"] = Value((e.mode & 02000) != 0);
        return r;
    }
};

}  // namespace

std::unique_ptr<Module> make_find_module() { return std::make_unique<FindModule>(); }

}  // namespace upkeep
