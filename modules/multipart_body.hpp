// uri's body_format: form-multipart, built as Ansible's prepare_multipart builds it
// (module_utils/urls.py, Python's email package with the HTTP policy): parts in
// sorted field order, a text field as text/plain, a file part (read from
// `filename`) base64-encoded with Content-Transfer-Encoding, `content` sent as is,
// the MIME type from `mime_type` or guessed from the file name as Python's
// mimetypes guesses it (the host's /etc/mime.types, then Python's own table), and
// a boundary of Python's shape (=============== + 19 digits + ==).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

struct MultipartBody {
    std::string content_type;  // multipart/form-data; boundary="..."
    std::string body;
};

// ext (".txt", lower case) -> type, from mime.types text (later lines win, as Python reads it).
std::map<std::string, std::string> parse_mime_types(const std::string& text);

// Python's mimetypes.guess_type(name, strict=False)[0], with `host_types` (the host's
// /etc/mime.types) over Python's built-in table; "" when unknown.
std::string guess_mime_type(const std::string& name, const std::map<std::string, std::string>& host_types);

// `fields` is uri's body map. `read_file(filename)` gives a file part's bytes.
// `boundary` "" picks a random one. Throws TaskError as Ansible fails.
MultipartBody prepare_multipart(const Value& fields, const std::function<std::string(const std::string&)>& read_file,
                                const std::map<std::string, std::string>& host_types, std::string boundary = "");

}  // namespace upkeep
