// uri: talks to a web service from the host (Ansible's uri), with curl on the
// host (see host_http.hpp). GET and HEAD change nothing, so they run in the dry
// run too and report ok; any other method changes the service: the plan says
// "would run" (reported changed, like command: Ansible reports changed: false
// for a POST, use changed_when to get that) and apply() makes the request.
// With `dest` the body is written to a file on the host like copy (changed only
// when the bytes differ; Ansible rewrites it every time).
#include <algorithm>
#include <fstream>

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/host_http.hpp"
#include "modules/multipart_body.hpp"

namespace upkeep {

namespace {

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else if (c == ' ') out += '+';
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

bool safe_method(const std::string& m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

class UriModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "uri",
                .summary = "Call a web service from the host",
                .doc =
                    "Ansible's uri. The host makes the request (curl on the host). Returns status, url, msg,\n"
                    "redirected, elapsed, the response headers (lower case, '-' as '_': content_type...),\n"
                    "json (for a JSON answer), content (with return_content). A status not in status_code\n"
                    "fails the task. GET/HEAD/OPTIONS run in --check; other methods are reported changed\n"
                    "(would run in --check).\n"
                    "Example:\n"
                    "  - uri:\n"
                    "      url: http://127.0.0.1:8080/client/api?command=listZones&response=json\n"
                    "      return_content: true\n"
                    "    register: zones",
                .args = http_args(30),
                .mutually_exclusive = {{"body", "src"}},
            };
            m.args.push_back({.name = "method",
                              .type = ArgType::String,
                              .default_value = Value("GET"),
                              .doc = "HTTP method, upper case"});
            m.args.push_back({.name = "body",
                              .type = ArgType::Any,
                              .doc = "request body; a map/list with body_format json or form-urlencoded"});
            m.args.push_back({.name = "body_format",
                              .type = ArgType::String,
                              .default_value = Value("raw"),
                              .choices = {"form-multipart", "form-urlencoded", "json", "raw"},
                              .doc = "how body is encoded (sets Content-Type); form-multipart: a map of text fields and "
                                     "{filename, content, mime_type} parts"});
            m.args.push_back({.name = "src",
                              .type = ArgType::Path,
                              .doc = "send this file as the body (controller files/, or the host with remote_src)"});
            m.args.push_back({.name = "remote_src",
                              .type = ArgType::Bool,
                              .default_value = Value(false),
                              .doc = "src and form-multipart filenames are on the host, not the controller"});
            m.args.push_back({.name = "status_code",
                              .type = ArgType::List,
                              .default_value = Value(List{Value(200)}),
                              .doc = "accepted status codes"});
            m.args.push_back({.name = "return_content",
                              .type = ArgType::Bool,
                              .default_value = Value(false),
                              .doc = "put the body in `content`"});
            m.args.push_back({.name = "follow_redirects",
                              .type = ArgType::String,
                              .default_value = Value("safe"),
                              .choices = {"all", "no", "none", "safe", "urllib2", "yes"},
                              .doc = "safe: only for GET/HEAD"});
            m.args.push_back({.name = "dest", .type = ArgType::Path, .doc = "write the body to this file on the host"});
            m.args.push_back(
                {.name = "creates", .type = ArgType::Path, .doc = "skip when this path exists on the host"});
            m.args.push_back(
                {.name = "removes", .type = ArgType::Path, .doc = "skip unless this path exists on the host"});
            m.args.push_back({.name = "backup",
                              .type = ArgType::Bool,
                              .default_value = Value(false),
                              .doc = "dest: keep the old file"});
            for (auto& a : file_attr_args()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string method = args.str("method");
        if (!py_fullmatch(compile_py_regex("[A-Z]+"), method))
            throw TaskError("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
        Plan p;
        if (args.has("creates") && ctx.conn.stat(args.str("creates"), false).exists()) {
            p.result["stdout"] = Value("skipped, since '" + args.str("creates") + "' exists");
            p.msg = p.result.get("stdout").as_string();
            return p;
        }
        if (args.has("removes") && !ctx.conn.stat(args.str("removes"), false).exists()) {
            p.result["stdout"] = Value("skipped, since '" + args.str("removes") + "' does not exist");
            p.msg = p.result.get("stdout").as_string();
            return p;
        }
        HttpRequest req = request(ctx, args, method);
        if (!safe_method(method)) {
            p.unpredictable = true;
            p.changes.push_back({args.str("url"), "would run " + method, std::nullopt, std::nullopt, false});
            // The response is only known once the request ran: apply() writes it.
            if (args.has("dest"))
                p.changes.push_back({args.str("dest"), "response written after the " + method, std::nullopt,
                                     std::nullopt, false});
            p.msg = method + " " + args.str("url");
            return p;
        }
        HttpResponse r = http_on_host(ctx.conn, req);
        p.result = result(args, r);
        if (!args.has("dest") || r.status == 304) return p;
        Value res = p.result;
        Plan fp = plan_dest(ctx, args, std::move(r.body));
        fp.result = res;
        fp.result["path"] = Value(args.str("dest"));
        return fp;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        // A safe method with dest planned a file write; anything else runs the request.
        if (plan.find_payload<FileEditPayload>()) return apply_file_plan(ctx, plan);
        HttpRequest req = request(ctx, args, args.str("method"));
        req.mutating = true;
        HttpResponse r = http_on_host(ctx.conn, req);
        if (!r.executed) return Value();
        Value out = result(args, r);  // a status not asked for fails here, before dest is written
        // As Ansible: the body goes to dest for any method, 304 (nothing new) aside.
        if (args.has("dest") && r.status != 304) {
            Plan write = plan_dest(ctx, args, std::move(r.body));
            if (write.changed()) apply_file_plan(ctx, write);
            out["path"] = Value(args.str("dest"));
        }
        return out;
    }

private:
    // The response body as dest's new content, with dest's mode/owner/group/backup.
    static Plan plan_dest(ModuleContext& ctx, const Args& args, std::string body) {
        Value raw = args.raw();
        raw["path"] = Value(args.str("dest"));
        return plan_file_content(ctx, Args(raw), args.str("dest"), std::move(body), "response written");
    }

    static std::string read_controller(const ModuleContext& ctx, const std::string& name) {
        std::string path = find_controller_file(ctx, "files", name);
        std::ifstream in(path, std::ios::binary);
        if (!in) throw TaskError("Could not find or access '" + name + "'");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    static HttpRequest request(ModuleContext& ctx, const Args& args, const std::string& method) {
        HttpRequest req = http_request_from(args);
        req.method = method;
        std::string follow = args.str("follow_redirects");
        req.follow_redirects = follow == "all" || follow == "yes" || follow == "urllib2" || (follow == "safe" && safe_method(method));
        bool has_type = false;
        for (const auto& [k, v] : req.headers) has_type = has_type || to_lower(k) == "content-type";
        std::string format = args.str("body_format");
        if (args.has("body")) {
            const Value& body = args.get("body");
            if (format == "json") {
                req.body = body.is_string() ? body.as_string() : body.to_json(true);
                if (!has_type) req.headers.emplace_back("Content-Type", "application/json");
            } else if (format == "form-urlencoded") {
                if (body.is_map()) {
                    std::vector<std::string> parts;
                    for (const auto& [k, v] : body.as_map()) parts.push_back(url_encode(k) + "=" + url_encode(v.to_string()));
                    req.body = join(parts, "&");
                } else {
                    req.body = body.to_string();
                }
                if (!has_type) req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
            } else if (format == "form-multipart") {
                // The files' bytes: on the controller (Ansible's action plugin sends them
                // over first), or on the host with remote_src; the MIME types as the
                // host's Python would guess them (its /etc/mime.types).
                bool remote = args.flag("remote_src");
                auto read = [&](const std::string& f) {
                    if (!remote) return read_controller(ctx, f);
                    auto b = ctx.conn.read_file(f);
                    if (!b) throw TaskError("failed to parse body as form-multipart: [Errno 2] No such file or directory: '" + f + "'");
                    return *b;
                };
                auto mime = ctx.conn.read_file("/etc/mime.types");
                MultipartBody mp = prepare_multipart(body, read, parse_mime_types(mime.value_or("")));
                req.body = mp.body;
                std::erase_if(req.headers, [](const auto& h) { return to_lower(h.first) == "content-type"; });
                req.headers.emplace_back("Content-Type", mp.content_type);
            } else {
                req.body = body.to_string();
            }
        } else if (args.has("src")) {
            std::string src = args.str("src");
            if (args.flag("remote_src")) {
                if (!ctx.conn.stat(src, true).is_file()) throw TaskError("failed to read " + src + ": no such file on the host");
                req.body_file = ctx.conn.command_path(src);  // curl reads it there: any bytes
            } else {
                req.body = read_controller(ctx, src);
                if (req.body->find('\0') != std::string::npos)
                    throw TaskError("uri: " + src + " holds NUL bytes, which cannot travel in curl's config from the "
                                    "controller; copy it to the host and use remote_src: true");
            }
        }
        return req;
    }

    // Ansible's result: status, url, msg, redirected, elapsed, headers as keys, json, content.
    static Value result(const Args& args, const HttpResponse& r) {
        Value out;
        for (const auto& [k, v] : r.headers) {
            std::string key = to_lower(k);
            for (auto& c : key)
                if (c == '-') c = '_';
            out[key] = Value(v);
        }
        std::string url = args.str("url");
        out["url"] = Value(r.effective_url.empty() ? url : r.effective_url);
        out["redirected"] = Value(!r.effective_url.empty() && r.effective_url != url);
        out["status"] = Value(static_cast<int64_t>(r.status));
        out["msg"] = Value(r.msg());
        out["elapsed"] = Value(r.elapsed);
        out["cookies"] = Value(Map{});
        out["cookies_string"] = Value("");
        std::string type = r.headers.count("content-type") ? to_lower(r.headers.at("content-type")) : "";
        std::string sub = type.substr(0, type.find(';'));
        sub = sub.substr(sub.find('/') == std::string::npos ? sub.size() : sub.find('/') + 1);
        if (sub.find('+') != std::string::npos) sub = sub.substr(sub.find('+') + 1);
        bool maybe_json = sub == "json" || sub == "javascript";
        std::vector<int64_t> codes;
        for (const auto& c : args.get("status_code").is_list() ? args.get("status_code").as_list() : List{args.get("status_code")})
            codes.push_back(c.is_int() ? c.as_int() : std::atoll(c.to_string().c_str()));
        bool ok = std::find(codes.begin(), codes.end(), r.status) != codes.end();
        if (maybe_json) {
            try {
                if (!trim(r.body).empty()) out["json"] = parse_yaml(r.body, "<response>");
            } catch (const std::exception&) {
            }
        }
        if (args.flag("return_content")) out["content"] = Value(r.body);
        if (!ok) {
            std::vector<std::string> list;
            for (int64_t c : codes) list.push_back(std::to_string(c));
            out.as_map_mut().erase("cookies");  // Ansible's failure result has none
            out.as_map_mut().erase("cookies_string");
            std::string msg = "Status code was " + std::to_string(r.status) + " and not [" + join(list, ", ") + "]: " + r.msg();
            out["msg"] = Value(msg);  // registered as Ansible's, in place of the response's own
            throw TaskError(msg, out);
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_uri_module() { return std::make_unique<UriModule>(); }

}  // namespace upkeep
