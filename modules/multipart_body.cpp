#include "modules/multipart_body.hpp"

#include <random>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"

namespace upkeep {

namespace {

// Python 3.11's mimetypes._types_map_default (strict) and _common_types_default.
const std::map<std::string, std::string>& python_types() {
    static const std::map<std::string, std::string> t = {
        {".3g2", "audio/3gpp2"}, {".3gp", "audio/3gpp"}, {".3gpp", "audio/3gpp"}, {".3gpp2", "audio/3gpp2"},
        {".a", "application/octet-stream"}, {".aac", "audio/aac"}, {".adts", "audio/aac"},
        {".ai", "application/postscript"}, {".aif", "audio/x-aiff"}, {".aifc", "audio/x-aiff"},
        {".aiff", "audio/x-aiff"}, {".ass", "audio/aac"}, {".au", "audio/basic"}, {".avi", "video/x-msvideo"},
        {".avif", "image/avif"}, {".bat", "text/plain"}, {".bcpio", "application/x-bcpio"},
        {".bin", "application/octet-stream"}, {".bmp", "image/bmp"}, {".c", "text/plain"},
        {".cdf", "application/x-netcdf"}, {".cpio", "application/x-cpio"}, {".csh", "application/x-csh"},
        {".css", "text/css"}, {".csv", "text/csv"}, {".dll", "application/octet-stream"},
        {".doc", "application/msword"}, {".dot", "application/msword"}, {".dvi", "application/x-dvi"},
        {".eml", "message/rfc822"}, {".eps", "application/postscript"}, {".etx", "text/x-setext"},
        {".exe", "application/octet-stream"}, {".gif", "image/gif"}, {".gtar", "application/x-gtar"},
        {".h", "text/plain"}, {".h5", "application/x-hdf5"}, {".hdf", "application/x-hdf"}, {".heic", "image/heic"},
        {".heif", "image/heif"}, {".htm", "text/html"}, {".html", "text/html"}, {".ico", "image/vnd.microsoft.icon"},
        {".ief", "image/ief"}, {".jpe", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".jpg", "image/jpeg"},
        {".js", "application/javascript"}, {".json", "application/json"}, {".ksh", "text/plain"},
        {".latex", "application/x-latex"}, {".loas", "audio/aac"}, {".m1v", "video/mpeg"},
        {".m3u", "application/vnd.apple.mpegurl"}, {".m3u8", "application/vnd.apple.mpegurl"},
        {".man", "application/x-troff-man"}, {".me", "application/x-troff-me"}, {".mht", "message/rfc822"},
        {".mhtml", "message/rfc822"}, {".mif", "application/x-mif"}, {".mjs", "application/javascript"},
        {".mov", "video/quicktime"}, {".movie", "video/x-sgi-movie"}, {".mp2", "audio/mpeg"}, {".mp3", "audio/mpeg"},
        {".mp4", "video/mp4"}, {".mpa", "video/mpeg"}, {".mpe", "video/mpeg"}, {".mpeg", "video/mpeg"},
        {".mpg", "video/mpeg"}, {".ms", "application/x-troff-ms"}, {".n3", "text/n3"},
        {".nc", "application/x-netcdf"}, {".nq", "application/n-quads"}, {".nt", "application/n-triples"},
        {".nws", "message/rfc822"}, {".o", "application/octet-stream"}, {".obj", "application/octet-stream"},
        {".oda", "application/oda"}, {".opus", "audio/opus"}, {".p12", "application/x-pkcs12"},
        {".p7c", "application/pkcs7-mime"}, {".pbm", "image/x-portable-bitmap"}, {".pdf", "application/pdf"},
        {".pfx", "application/x-pkcs12"}, {".pgm", "image/x-portable-graymap"}, {".pl", "text/plain"},
        {".png", "image/png"}, {".pnm", "image/x-portable-anymap"}, {".pot", "application/vnd.ms-powerpoint"},
        {".ppa", "application/vnd.ms-powerpoint"}, {".ppm", "image/x-portable-pixmap"},
        {".pps", "application/vnd.ms-powerpoint"}, {".ppt", "application/vnd.ms-powerpoint"},
        {".ps", "application/postscript"}, {".pwz", "application/vnd.ms-powerpoint"}, {".py", "text/x-python"},
        {".pyc", "application/x-python-code"}, {".pyo", "application/x-python-code"}, {".qt", "video/quicktime"},
        {".ra", "audio/x-pn-realaudio"}, {".ram", "application/x-pn-realaudio"}, {".ras", "image/x-cmu-raster"},
        {".rdf", "application/xml"}, {".rgb", "image/x-rgb"}, {".roff", "application/x-troff"},
        {".rtx", "text/richtext"}, {".sgm", "text/x-sgml"}, {".sgml", "text/x-sgml"}, {".sh", "application/x-sh"},
        {".shar", "application/x-shar"}, {".snd", "audio/basic"}, {".so", "application/octet-stream"},
        {".src", "application/x-wais-source"}, {".srt", "text/plain"}, {".sv4cpio", "application/x-sv4cpio"},
        {".sv4crc", "application/x-sv4crc"}, {".svg", "image/svg+xml"}, {".swf", "application/x-shockwave-flash"},
        {".t", "application/x-troff"}, {".tar", "application/x-tar"}, {".tcl", "application/x-tcl"},
        {".tex", "application/x-tex"}, {".texi", "application/x-texinfo"}, {".texinfo", "application/x-texinfo"},
        {".tif", "image/tiff"}, {".tiff", "image/tiff"}, {".tr", "application/x-troff"},
        {".trig", "application/trig"}, {".tsv", "text/tab-separated-values"}, {".txt", "text/plain"},
        {".ustar", "application/x-ustar"}, {".vcf", "text/x-vcard"}, {".vtt", "text/vtt"},
        {".wasm", "application/wasm"}, {".wav", "audio/x-wav"}, {".webm", "video/webm"},
        {".webmanifest", "application/manifest+json"}, {".wiz", "application/msword"}, {".wsdl", "application/xml"},
        {".xbm", "image/x-xbitmap"}, {".xlb", "application/vnd.ms-excel"}, {".xls", "application/vnd.ms-excel"},
        {".xml", "text/xml"}, {".xpdl", "application/xml"}, {".xpm", "image/x-xpixmap"}, {".xsl", "application/xml"},
        {".xwd", "image/x-xwindowdump"}, {".zip", "application/zip"},
    };
    return t;
}

const std::map<std::string, std::string>& python_common_types() {
    static const std::map<std::string, std::string> t = {
        {".jpg", "image/jpg"}, {".mid", "audio/midi"}, {".midi", "audio/midi"}, {".pct", "image/pict"},
        {".pic", "image/pict"}, {".pict", "image/pict"}, {".rtf", "application/rtf"}, {".webp", "image/webp"},
        {".xul", "text/xul"}};
    return t;
}

// posixpath.splitext: the extension of the last component, a leading dot not counting.
std::pair<std::string, std::string> splitext(const std::string& p) {
    size_t slash = p.rfind('/');
    size_t start = slash == std::string::npos ? 0 : slash + 1;
    size_t dot = p.rfind('.');
    if (dot == std::string::npos || dot < start) return {p, ""};
    size_t first = start;
    while (first < p.size() && p[first] == '.') ++first;
    if (dot < first) return {p, ""};
    return {p.substr(0, dot), p.substr(dot)};
}

// email.utils.quote inside double quotes; RFC 2231 (utf-8'') for non-ASCII, as
// email.message's set_param does.
std::string param(const std::string& name, const std::string& value) {
    bool ascii = true;
    for (unsigned char c : value) ascii = ascii && c < 0x80;
    if (!ascii) {
        static const char* hex = "0123456789ABCDEF";
        std::string enc;
        for (unsigned char c : value) {
            if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
                enc += static_cast<char>(c);
            } else {
                enc += '%';
                enc += hex[c >> 4];
                enc += hex[c & 15];
            }
        }
        return name + "*=utf-8''" + enc;
    }
    std::string q;
    for (char c : value) {
        if (c == '\\' || c == '"') q += '\\';
        q += c;
    }
    return name + "=\"" + q + "\"";
}

std::string random_boundary() {
    std::random_device rd;
    std::uniform_int_distribution<uint64_t> d(0, 9223372036854775806ULL);  // random.randrange(sys.maxsize)
    std::string digits = std::to_string(d(rd));
    return std::string(15, '=') + std::string(19 - digits.size(), '0') + digits + "==";
}

// base64.encodebytes: lines of 76 characters, each ending in a newline.
std::string base64_lines(const std::string& data, const std::string& nl) {
    std::string b = base64_encode(data), out;
    for (size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + nl;
    return out;
}

std::string basename(const std::string& p) {
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

std::map<std::string, std::string> parse_mime_types(const std::string& text) {
    std::map<std::string, std::string> out;
    for (const auto& line : split(text, '\n')) {
        std::vector<std::string> words;
        for (const auto& w : split(line, ' '))
            for (const auto& x : split(w, '\t'))
                if (!trim(x).empty()) words.push_back(trim(x));
        for (size_t j = 0; j < words.size(); ++j)
            if (words[j][0] == '#') {
                words.resize(j);
                break;
            }
        for (size_t j = 1; j < words.size(); ++j) out["." + words[j]] = words[0];
    }
    return out;
}

std::string guess_mime_type(const std::string& name, const std::map<std::string, std::string>& host_types) {
    static const std::map<std::string, std::string> suffixes = {{".svgz", ".svg.gz"}, {".tgz", ".tar.gz"}, {".taz", ".tar.gz"},
                                                                {".tz", ".tar.gz"},  {".tbz2", ".tar.bz2"}, {".txz", ".tar.xz"}};
    auto [base, ext] = splitext(name);
    for (auto it = suffixes.find(to_lower(ext)); it != suffixes.end(); it = suffixes.find(to_lower(ext)))
        std::tie(base, ext) = splitext(base + it->second);
    if (ext == ".gz" || ext == ".Z" || ext == ".bz2" || ext == ".xz" || ext == ".br") std::tie(base, ext) = splitext(base);
    ext = to_lower(ext);
    if (auto it = host_types.find(ext); it != host_types.end()) return it->second;
    if (auto it = python_types().find(ext); it != python_types().end()) return it->second;
    if (auto it = python_common_types().find(ext); it != python_common_types().end()) return it->second;
    return "";
}

MultipartBody prepare_multipart(const Value& fields, const std::function<std::string(const std::string&)>& read_file,
                                const std::map<std::string, std::string>& host_types, std::string boundary) {
    if (!fields.is_map()) throw TaskError("failed to parse body as form-multipart: Mapping is required, cannot be type " +
                                          std::string(fields.type_name()));
    if (boundary.empty()) boundary = random_boundary();
    const std::string nl = "\r\n";
    std::vector<std::string> parts;
    std::vector<std::pair<std::string, Value>> sorted(fields.as_map().begin(), fields.as_map().end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [field, value] : sorted) {
        std::string mime, filename, content, headers;
        bool has_content = false;
        if (value.is_string()) {
            mime = "text/plain";
            content = value.as_string();
            has_content = true;
        } else if (value.is_map()) {
            filename = value.get("filename").is_null() ? "" : value.get("filename").to_string();
            has_content = !value.get("content").is_null() && !value.get("content").to_string().empty();
            if (has_content) content = value.get("content").to_string();
            if (filename.empty() && !has_content)
                throw TaskError("failed to parse body as form-multipart: at least one of filename or content must be provided");
            mime = value.get("mime_type").is_null() ? "" : value.get("mime_type").to_string();
            if (mime.empty()) mime = guess_mime_type(filename, host_types);
            if (mime.empty()) mime = "application/octet-stream";
        } else {
            throw TaskError("failed to parse body as form-multipart: value must be a string, or mapping, cannot be type " +
                            std::string(value.type_name()));
        }
        size_t slash = mime.find('/');
        std::string type = slash == std::string::npos ? mime + "/" : mime;
        std::string part;
        if (!has_content && !filename.empty()) {
            // MIMEApplication: base64, its Content-Type replaced by the wanted one.
            part = "Content-Transfer-Encoding: base64" + nl + "Content-Type: " + type + nl;
            content = base64_lines(read_file(filename), nl);
        } else {
            part = "Content-Type: " + type + nl;
        }
        if (content.find('\0') != std::string::npos)
            throw TaskError("form-multipart: the content of field '" + field + "' contains a NUL byte; give it as a filename");
        part += "Content-Disposition: form-data; " + param("name", field);
        if (!filename.empty()) part += "; " + param("filename", basename(filename));
        part += nl + nl + content;
        parts.push_back(part);
    }
    MultipartBody out;
    out.content_type = "multipart/form-data; boundary=\"" + boundary + "\"";
    out.body = "--" + boundary + nl;
    for (size_t i = 0; i < parts.size(); ++i) out.body += (i ? nl + "--" + boundary + nl : "") + parts[i];
    out.body += nl + "--" + boundary + "--" + nl;
    return out;
}

}  // namespace upkeep
