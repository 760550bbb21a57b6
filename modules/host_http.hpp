// HTTP requests made BY THE HOST, as Ansible's get_url and uri make them (the
// module runs there): curl runs on the host over its connection and the answer
// comes back through the connection. The whole request (URL, headers,
// credentials, body) travels to curl on stdin as a curl config file
// (`curl --config -`), so nothing secret appears in the host's argv.
// TLS certificates are verified unless validate_certs: false.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/module/args.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct HttpRequest {
    std::string url;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> body;
    std::string body_file;  // or: the body is this file on the host (as the host's commands see the path)
    std::string username, password;
    bool validate_certs = true;
    bool use_proxy = true;
    bool follow_redirects = true;
    bool decompress = true;
    int64_t timeout = 10;
    std::string user_agent = "ansible-httpget";
    std::string ca_path, client_cert, client_key;
    std::optional<int64_t> if_modified_since;  // epoch seconds: a conditional GET (304 when not newer)
    // A request that changes nothing on the other side (GET/HEAD) runs in the
    // dry run too; anything else is "would run" there (Command::mutating).
    bool mutating = false;
};

struct HttpResponse {
    bool executed = true;  // false: the dry run recorded the request instead of making it
    int status = -1;       // -1: no HTTP answer (connection refused, TLS failure...)
    std::string reason;    // the status line's text ("Not Found")
    std::string body;
    std::string effective_url;
    std::map<std::string, std::string> headers;  // lower-case names, last value wins
    std::string error;                           // curl's message when status is -1
    int64_t elapsed = 0;                         // seconds
    // Ansible's `msg`: "OK (N bytes)", "HTTP Error 404: Not Found", "Request failed: ...".
    std::string msg() const;
};

HttpResponse http_on_host(Connection& conn, const HttpRequest& req);

// The request arguments get_url and uri share (Ansible's url_argument_spec).
std::vector<ArgSpec> http_args(int64_t default_timeout);
// Fills the shared fields of a request from those arguments.
HttpRequest http_request_from(const Args& args);

// "attachment; filename=\"x.tgz\"" -> "x.tgz"; "" when there is none.
std::string content_disposition_filename(const std::string& header);
// The last path segment of a URL without query ("http://h/a/b.tgz?x=1" -> "b.tgz"), or "index.html".
std::string url_filename(const std::string& url);

}  // namespace upkeep
