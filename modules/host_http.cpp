#include "modules/host_http.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

const char* k_begin = "@@UPKEEP-CURL@@";
const char* k_end = "@@UPKEEP-CURL-END@@";

// A double-quoted string of curl's config syntax.
std::string config_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
        }
    }
    return out + "\"";
}

std::string http_date(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

void refuse_newlines(const std::string& what, const std::string& s) {
    if (s.find_first_of("\r\n") != std::string::npos) throw TaskError(what + " must not contain a line break");
}

}  // namespace

std::string HttpResponse::msg() const {
    if (status == -1) return "Request failed: " + error;
    if (status >= 200 && status < 300) {
        auto it = headers.find("content-length");
        return "OK (" + (it == headers.end() ? std::string("unknown") : it->second) + " bytes)";
    }
    return "HTTP Error " + std::to_string(status) + ": " + reason;
}

namespace {

// The request as curl's config (read from stdin, so no URL, header or credential
// ever shows in the host's process list).
std::string curl_config(const HttpRequest& req) {
    refuse_newlines("url", req.url);
    std::string cfg;
    cfg += "url = " + config_quote(req.url) + "\n";
    cfg += "silent\nshow-error\n";
    cfg += "connect-timeout = " + std::to_string(req.timeout) + "\n";
    // Ansible's timeout is per socket operation: a stalled transfer fails, a long one does not.
    cfg += "speed-limit = 1\nspeed-time = " + std::to_string(std::max<int64_t>(req.timeout, 1)) + "\n";
    cfg += "user-agent = " + config_quote(req.user_agent) + "\n";
    cfg += "dump-header = \"/dev/stderr\"\n";
    cfg += std::string("write-out = ") +
           config_quote(std::string("%{stderr}\n") + k_begin + "%{http_code} %{size_download}\n%{url_effective}\n%{header_json}\n" + k_end + "\n") +
           "\n";
    if (req.method == "HEAD") cfg += "head\n";
    else if (req.method != "GET" && !(req.method == "POST" && (req.body || !req.body_file.empty())))
        cfg += "request = " + config_quote(req.method) + "\n";
    if (req.body) {
        // curl's config is C text: a NUL would cut the body short without a word.
        if (req.body->find('\0') != std::string::npos) throw TaskError("the request body contains a NUL byte");
        cfg += "data-raw = " + config_quote(*req.body) + "\n";
    } else if (!req.body_file.empty()) {
        cfg += "data-binary = " + config_quote("@" + req.body_file) + "\n";
    }
    for (const auto& [k, v] : req.headers) {
        refuse_newlines("header " + k, k + v);
        cfg += "header = " + config_quote(k + ": " + v) + "\n";
    }
    if (!req.username.empty() || !req.password.empty()) cfg += "user = " + config_quote(req.username + ":" + req.password) + "\n";
    if (!req.validate_certs) cfg += "insecure\n";
    if (!req.use_proxy) cfg += "noproxy = \"*\"\n";
    if (req.follow_redirects) cfg += "location\nmax-redirs = 50\n";
    if (req.decompress) cfg += "compressed\n";
    if (!req.ca_path.empty()) cfg += "cacert = " + config_quote(req.ca_path) + "\n";
    if (!req.client_cert.empty()) cfg += "cert = " + config_quote(req.client_cert) + "\n";
    if (!req.client_key.empty()) cfg += "key = " + config_quote(req.client_key) + "\n";
    if (req.if_modified_since) cfg += "time-cond = " + config_quote(http_date(*req.if_modified_since)) + "\n";
    return cfg;
}

// Status, effective URL, headers, reason phrase and curl's error from what curl wrote
// to stderr (the dumped headers, then the write-out block between the markers).
void parse_curl_stderr(const CommandResult& r, HttpResponse& out) {
    size_t b = r.err.rfind(k_begin), e = r.err.rfind(k_end);
    std::string meta = b != std::string::npos && e != std::string::npos && e > b ? r.err.substr(b + std::strlen(k_begin), e - b - std::strlen(k_begin)) : "";
    std::string rest = b == std::string::npos ? r.err : r.err.substr(0, b) + (e == std::string::npos ? "" : r.err.substr(e + std::strlen(k_end)));
    std::vector<std::string> lines = split(meta, '\n');
    if (!lines.empty()) out.status = std::atoi(lines[0].c_str());
    if (out.status == 0) out.status = -1;
    if (lines.size() > 1) out.effective_url = lines[1];
    if (lines.size() > 2) {
        std::string json;
        for (size_t i = 2; i < lines.size(); ++i) json += lines[i] + "\n";
        try {
            Value h = parse_yaml(json, "<response headers>");
            if (h.is_map())
                for (const auto& [k, v] : h.as_map())
                    out.headers[to_lower(k)] = v.is_list() && !v.as_list().empty() ? v.as_list().back().to_string() : v.to_string();
        } catch (const std::exception&) {
        }
    }
    // The reason phrase of the last status line in the dumped headers.
    for (const auto& l : split(rest, '\n')) {
        if (starts_with(l, "HTTP/")) {
            size_t sp = l.find(' ');
            size_t sp2 = sp == std::string::npos ? sp : l.find(' ', sp + 1);
            out.reason = sp2 == std::string::npos ? "" : trim(l.substr(sp2 + 1));
        }
        if (starts_with(l, "curl: (")) out.error = trim(l);
    }
    if (out.status == -1 && out.error.empty()) out.error = trim(rest).empty() ? "curl exited with " + std::to_string(r.rc) : trim(rest);
}

}  // namespace

HttpResponse http_on_host(Connection& conn, const HttpRequest& req) {
    Command c;
    std::string cfg = curl_config(req);
    c.cmdline = "command -v curl >/dev/null 2>&1 || { echo 'curl is not installed on the host' >&2; exit 127; }; curl --config -";
    c.stdin_data = cfg;
    c.mutating = req.mutating;
    auto start = std::chrono::steady_clock::now();
    CommandResult r = conn.run(c);
    HttpResponse out;
    out.elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
    if (!r.executed) {
        out.executed = false;
        return out;
    }
    if (r.rc == 127 && r.err.find("curl is not installed") != std::string::npos)
        throw TaskError("get_url/uri run curl on the host, and curl is not installed there (apt-get install curl)");
    parse_curl_stderr(r, out);
    out.body = std::move(r.out);
    return out;
}

std::vector<ArgSpec> http_args(int64_t default_timeout) {
    return {
        {.name = "url",
         .type = ArgType::String,
         .required = true,
         .doc = "http://, https:// or ftp:// URL, fetched by the host"},
        {.name = "headers", .type = ArgType::Map, .doc = "extra request headers"},
        {.name = "url_username",
         .type = ArgType::String,
         .aliases = {"username", "user"},
         .doc = "user for HTTP basic auth"},
        {.name = "url_password",
         .type = ArgType::String,
         .aliases = {"password"},
         .secret = true,
         .doc = "password for HTTP basic auth (secret)"},
        {.name = "force_basic_auth",
         .type = ArgType::Bool,
         .default_value = Value(false),
         .doc = "accepted: curl sends basic auth at once"},
        {.name = "validate_certs",
         .type = ArgType::Bool,
         .default_value = Value(true),
         .doc = "verify the server's TLS certificate"},
        {.name = "use_proxy",
         .type = ArgType::Bool,
         .default_value = Value(true),
         .doc = "false: ignore the host's *_proxy variables"},
        {.name = "http_agent",
         .type = ArgType::String,
         .default_value = Value("ansible-httpget"),
         .doc = "User-Agent header"},
        {.name = "timeout",
         .type = ArgType::Int,
         .default_value = Value(default_timeout),
         .doc = "seconds to connect, and of a stalled transfer"},
        {.name = "ca_path", .type = ArgType::Path, .doc = "CA bundle on the host"},
        {.name = "client_cert", .type = ArgType::Path, .doc = "client certificate (PEM) on the host"},
        {.name = "client_key", .type = ArgType::Path, .doc = "client key (PEM) on the host"},
        {.name = "decompress",
         .type = ArgType::Bool,
         .default_value = Value(true),
         .doc = "decompress a compressed response"},
        {.name = "use_gssapi",
         .type = ArgType::Bool,
         .default_value = Value(false),
         .doc = "not supported (false only)"},
        {.name = "use_netrc",
         .type = ArgType::Bool,
         .default_value = Value(true),
         .doc = "accepted; curl reads no .netrc here"},
        {.name = "unredirected_headers",
         .type = ArgType::List,
         .default_value = Value(List{}),
         .doc = "accepted; not supported"},
    };
}

HttpRequest http_request_from(const Args& args) {
    HttpRequest r;
    r.url = args.str("url");
    if (args.get("headers").is_map())
        for (const auto& [k, v] : args.get("headers").as_map()) r.headers.emplace_back(k, v.to_string());
    r.username = args.str("url_username");
    r.password = args.str("url_password");
    r.validate_certs = args.flag("validate_certs", true);
    r.use_proxy = args.flag("use_proxy", true);
    r.user_agent = args.str("http_agent", "ansible-httpget");
    r.timeout = args.integer("timeout", 10);
    r.ca_path = args.str("ca_path");
    r.client_cert = args.str("client_cert");
    r.client_key = args.str("client_key");
    r.decompress = args.flag("decompress", true);
    if (args.flag("use_gssapi")) throw TaskError("use_gssapi is not supported");
    return r;
}

std::string content_disposition_filename(const std::string& header) {
    PyRegex re = compile_py_regex("filename\\s*=\\s*(?:\"([^\"]*)\"|([^;\\s]+))", PyRegexFlags{false, false, true});
    PyMatch m;
    if (!py_search(re, header, &m)) return "";
    std::string name = m[1].matched ? m.str(1) : m.str(2);
    name = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
    return name == "." || name == ".." ? "" : name;
}

std::string url_filename(const std::string& url) {
    std::string u = url.substr(0, url.find_first_of("?#"));
    size_t scheme = u.find("://");
    std::string path = scheme == std::string::npos ? u : u.substr(u.find('/', scheme + 3) == std::string::npos ? u.size() : u.find('/', scheme + 3));
    std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    return name.empty() ? "index.html" : name;
}

}  // namespace upkeep
