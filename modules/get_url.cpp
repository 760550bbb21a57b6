// get_url: downloads a URL to a file on the host (Ansible's get_url). The host
// fetches it (curl over the connection, see host_http.hpp), so the URL is
// resolved and reached from the host's network as with Ansible; the bytes come
// back through the connection, the plan carries them (exact diff, checksum
// verified BEFORE anything is written) and apply() writes them atomically with
// mode/owner/group/backup like copy. An existing dest is only fetched again
// with force, a mismatching checksum, or when the server says it is newer
// (If-Modified-Since, as Ansible sends it).
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"
#include "modules/host_http.hpp"

namespace upkeep {

namespace {

struct Checksum {
    std::string algo, hex;
};

class GetUrlModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "get_url",
                .summary = "Download a file from HTTP, HTTPS or FTP to the host",
                .doc =
                    "Ansible's get_url. The host downloads (curl on the host; see ARCHITECTURE.md), TLS\n"
                    "certificates verified unless validate_certs: false. checksum: 'sha256:<hex>' or\n"
                    "'sha256:<url of a checksum file>' is checked before the file is written.\n"
                    "Returns dest, url, status_code, checksum_src, checksum_dest, md5sum, msg, elapsed.\n"
                    "Example:\n"
                    "  - get_url:\n"
                    "      url: https://download.example.org/cloudstack/systemvm.qcow2\n"
                    "      dest: /var/lib/cloudstack/systemvm.qcow2\n"
                    "      checksum: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae'\n"
                    "      mode: '0644'",
                .args = http_args(10),
            };
            m.args.push_back({.name = "dest",
                              .type = ArgType::Path,
                              .required = true,
                              .doc = "file, or directory (the name comes from the server or URL)"});
            m.args.push_back({.name = "force",
                              .type = ArgType::Bool,
                              .default_value = Value(false),
                              .doc = "download even when dest exists"});
            m.args.push_back({.name = "checksum",
                              .type = ArgType::String,
                              .default_value = Value(""),
                              .doc = "<algorithm>:<hex or URL of a checksum file>"});
            m.args.push_back({.name = "backup",
                              .type = ArgType::Bool,
                              .default_value = Value(false),
                              .doc = "keep the old file as <path>.<pid>.<time>~"});
            m.args.push_back(
                {.name = "tmp_dest", .type = ArgType::Path, .doc = "accepted; the bytes go through the connection"});
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string url = args.str("url"), dest = args.str("dest");
        HttpRequest base = http_request_from(args);
        Value res;
        res["url"] = Value(url);
        res["dest"] = Value(dest);
        res["checksum_dest"] = Value();
        res["checksum_src"] = Value();
        res["elapsed"] = Value(0);
        std::optional<Checksum> sum = parse_checksum(ctx, base, args.str("checksum"), url);
        bool force = args.flag("force");
        FileInfo info = ctx.conn.stat(dest, true);
        bool dest_is_dir = info.is_dir();
        std::optional<int64_t> since;
        if (!dest_is_dir && info.exists()) {
            bool mismatch = false;
            if (!force && sum) {
                std::optional<std::string> have = ctx.conn.read_file(dest);
                mismatch = !have || digest_hex(sum->algo, *have) != sum->hex;
                if (!mismatch) return plan_existing_file(ctx, args, dest, info, res);
            }
            if (mismatch) force = true;
            if (!force) since = host_mtime(ctx, dest);
        }
        HttpRequest req = base;
        req.if_modified_since = since;
        HttpResponse r = http_on_host(ctx.conn, req);
        res["elapsed"] = Value(r.elapsed);
        if (r.status == 304) {
            Plan p;
            p.msg = r.msg();
            p.result = res;
            p.result["status_code"] = Value(304);
            p.result["msg"] = Value(p.msg);
            return p;
        }
        if (r.status == -1) return failed(res, r.msg());
        if (r.status != 200 && !starts_with(url, "file:/") && !starts_with(url, "ftp:/")) {
            res["status_code"] = Value(r.status);
            res["response"] = Value(r.msg());
            return failed(res, "Request failed");
        }
        return plan_download(ctx, args, std::move(r), dest, dest_is_dir, info, sum, res);
    }

    Value apply(ModuleContext& ctx, const Args&, const Plan& plan) const override {
        Value out = apply_file_plan(ctx, plan);
        add_file_attrs(ctx, out, plan.payload<FileEditPayload>().path);
        return out;
    }

    // Ansible adds the file's attributes to the result (exit_json's path info).
    static void add_file_attrs(ModuleContext& ctx, Value& res, const std::string& path) {
        FileInfo i = ctx.conn.stat(path, true);
        if (!i.exists()) return;
        res["mode"] = Value(format_mode(i.mode & 07777));
        res["owner"] = Value(i.owner);
        res["group"] = Value(i.group);
        res["uid"] = Value(static_cast<int64_t>(i.uid));
        res["gid"] = Value(static_cast<int64_t>(i.gid));
        res["size"] = Value(static_cast<int64_t>(i.size));
        res["state"] = Value(i.is_dir() ? "directory" : "file");
    }

private:
    // dest is there with the wanted checksum: nothing to download, only its attributes.
    static Plan plan_existing_file(ModuleContext& ctx, const Args& args, const std::string& dest, const FileInfo& info,
                                   const Value& res) {
        Plan p;
        plan_attributes(p, args_for(args, dest), dest, info);
        p.msg = p.changed() ? "file already exists but file attributes changed" : "file already exists";
        p.result = res;
        p.result["msg"] = Value(p.msg);
        if (!p.changed()) add_file_attrs(ctx, p.result, dest);
        return p;
    }

    // The downloaded body as the planned content of dest (a file named by the server
    // or the URL when dest is a directory), checked against the checksum first.
    static Plan plan_download(ModuleContext& ctx, const Args& args, HttpResponse r, std::string dest, bool dest_is_dir,
                              FileInfo info, const std::optional<Checksum>& sum, Value res) {
        std::string url = args.str("url");
        if (dest_is_dir) {
            std::string name = content_disposition_filename(r.headers.count("content-disposition") ? r.headers.at("content-disposition") : "");
            if (name.empty()) name = url_filename(r.effective_url.empty() ? url : r.effective_url);
            while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
            dest += "/" + name;
            res["dest"] = Value(dest);
            info = ctx.conn.stat(dest, true);
        }
        res["checksum_src"] = Value(digest_hex("sha1", r.body));
        if (info.exists()) {
            std::optional<std::string> have = ctx.conn.read_file(dest);
            if (have) res["checksum_dest"] = Value(digest_hex("sha1", *have));
        } else {
            std::string parent = dest.substr(0, dest.find_last_of('/'));
            if (!parent.empty() && !ctx.conn.stat(parent, true).is_dir()) return failed(res, "Destination " + parent + " does not exist");
        }
        if (sum) {
            std::string got = digest_hex(sum->algo, r.body);
            if (got != sum->hex)
                return failed(res, "The checksum for " + dest + " did not match " + sum->hex + "; it was " + got + ".");
        }
        Args eff = args_for(args, dest);
        std::string md5 = digest_hex("md5", r.body);
        Plan p = plan_file_content(ctx, eff, dest, std::move(r.body), "downloaded (content replaced)");
        Value merged = res;
        merged["status_code"] = Value(r.status);
        merged["md5sum"] = Value(md5);
        merged["msg"] = Value(r.msg());
        merged["path"] = Value(dest);
        p.result = merged;
        p.msg = p.changed() ? "download " + url + " to " + dest : r.msg();
        if (!p.changed()) add_file_attrs(ctx, p.result, dest);
        return p;
    }

    // A failure with Ansible's result fields (status_code, url, dest...) for `register`.
    [[noreturn]] static Plan failed(const Value& res, const std::string& msg) { throw TaskError(msg, res); }

    // The module's args with path = dest (the shared file plumbing's name).
    static Args args_for(const Args& args, const std::string& dest) {
        Value raw = args.raw();
        raw["path"] = Value(dest);
        return Args(raw);
    }

    static int64_t host_mtime(ModuleContext& ctx, const std::string& path) {
        Command c;
        c.mutating = false;
        c.cmdline = "stat -c %Y -- " + shell_quote(ctx.conn.command_path(path));
        CommandResult r = ctx.conn.run(c);
        return r.rc == 0 ? std::atoll(r.out.c_str()) : 0;
    }

    // "sha256:abc..." or "sha256:http://.../SHA256SUMS" (the line naming the URL's file).
    static std::optional<Checksum> parse_checksum(ModuleContext& ctx, const HttpRequest& base, const std::string& text,
                                                  const std::string& url) {
        if (text.empty()) return std::nullopt;
        size_t colon = text.find(':');
        if (colon == std::string::npos) throw TaskError("The checksum parameter has to be in format <algorithm>:<checksum>");
        Checksum c{to_lower(text.substr(0, colon)), text.substr(colon + 1)};
        if (c.hex.find("://") != std::string::npos) {
            HttpRequest req = base;
            req.url = c.hex;
            req.if_modified_since.reset();
            HttpResponse r = http_on_host(ctx.conn, req);
            if (r.status != 200) throw TaskError("Request failed for the checksum file " + c.hex + ": " + r.msg());
            std::string filename = url_filename(url);
            std::vector<std::string> lines;
            for (auto l : split(r.body, '\n')) lines.push_back(l);
            if (!lines.empty() && lines.back().empty()) lines.pop_back();
            std::optional<std::string> found;
            if (lines.size() == 1 && lines[0].find(' ') == std::string::npos && !trim(lines[0]).empty()) found = trim(lines[0]);
            else
                for (const auto& l : lines) {
                    size_t sp = l.find(' ');
                    if (sp == std::string::npos) continue;
                    std::string name = l.substr(sp + 1);
                    if (!name.empty() && (name[0] == ' ' || name[0] == '*')) name = name.substr(1);
                    while (!name.empty() && (name[0] == '.' || name[0] == '/')) name = name.substr(1);
                    if (name == filename) {
                        found = l.substr(0, sp);
                        break;
                    }
                }
            if (!found) throw TaskError("Unable to find a checksum for file '" + filename + "' in '" + c.hex + "'");
            c.hex = *found;
        }
        std::string clean;
        for (char ch : c.hex)
            if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') clean += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (clean.empty() || clean.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw TaskError("The checksum format is invalid");
        c.hex = clean;
        digest_hex(c.algo, "");  // an unknown algorithm fails here, before any download
        return c;
    }
};

}  // namespace

std::unique_ptr<Module> make_get_url_module() { return std::make_unique<GetUrlModule>(); }

}  // namespace upkeep
