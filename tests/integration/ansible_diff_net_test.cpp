// Differential test against Ansible for get_url, uri and unarchive: the same
// tasks (two passes, for idempotence) through `ansible-playbook -c local` and
// through our modules, against one HTTP server started here on 127.0.77.5
// (tests/support/http_lab.py). Registered results (changed, failed, status,
// msg, json, dest, handler, files) and the resulting trees (bytes and modes)
// must agree. Not compared: uri with POST (Ansible reports changed: false, we
// report a request that changes the service as changed) and member mtimes (so
// Ansible's tar handler reports keep_newer's kept file as changed on every run).
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/local_connection.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/host_data.hpp"
#include "modules/multipart_body.hpp"
#include "modules/registry.hpp"
#include "tests/support/http_lab.hpp"
#include "tests/support/diff_tree.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
namespace fs = std::filesystem;

namespace {

using test::indent;
const auto snapshot = test::tree_snapshot;

struct DiffTask {
    std::string module;
    std::string args;  // YAML; @D@ is the directory under test, @U@ the server's base URL
    // An intended difference in `changed`: Ansible writes a download whose checksum
    // does not match, then deletes it and reports changed; we check before writing.
    bool changed_differs = false;
    // The same, on the second pass only: Ansible's tar handler compares mtimes (tar
    // --diff) and reports a kept newer file as a change on every run.
    bool changed_differs_second = false;
};

const std::vector<DiffTask>& tasks() {
    static const std::vector<DiffTask> t = {
        {"get_url", "url: '@U@/files/a.txt'\ndest: '@D@/dl/a.txt'\nmode: '0600'\n"},
        {"get_url", "url: '@U@/files/a.txt'\ndest: '@D@/dl/b.txt'\nchecksum: 'sha256:@SUM@'\n"},
        {"get_url", "url: '@U@/files/a.txt'\ndest: '@D@/dl/c.txt'\nchecksum: 'sha256:0000000000000000000000000000000000000000000000000000000000000000'\n", true},
        {"get_url", "url: '@U@/files/a.txt'\ndest: '@D@/dl/'\n"},
        {"get_url", "url: '@U@/disposition'\ndest: '@D@/dl'\n"},
        {"get_url", "url: '@U@/files/none.txt'\ndest: '@D@/dl/none.txt'\n"},
        {"get_url", "url: '@U@/files/a.txt'\ndest: '@D@/nodir/a.txt'\n"},
        {"uri", "url: '@U@/json'\n"},
        {"uri", "url: '@U@/files/a.txt'\nreturn_content: true\n"},
        {"uri", "url: '@U@/status/404'\nstatus_code: [200, 404]\n"},
        {"uri", "url: '@U@/status/500'\n"},
        {"uri", "url: '@U@/redirect'\n"},
        {"uri", "url: '@U@/redirect'\nfollow_redirects: none\nstatus_code: 302\n"},
        {"uri", "url: '@U@/json'\ncreates: '@D@/dl'\n"},
        // What the server received (src, form-multipart): compared as the server parsed
        // it (the multipart boundary is random on both sides). POST/PUT: changed differs.
        {"uri", "url: '@U@/summary'\nmethod: POST\nsrc: upload.txt\n", true},
        {"uri", "url: '@U@/summary'\nmethod: PUT\nsrc: '@D@/upload.bin'\nremote_src: true\n", true},
        // dest with a POST: the response written once the request ran (as Ansible, any method).
        {"uri", "url: '@U@/summary'\nmethod: POST\nsrc: upload.txt\ndest: '@D@/dl/post.json'\nmode: '0600'\n"},
        {"uri", "url: '@U@/summary'\nmethod: POST\nbody_format: form-multipart\nbody:\n  text: 'hello w\u00f6rld'\n"
                "  zfile: {filename: upload.txt}\n  inline: {content: 'inline text', filename: fake.json}\n"
                "  typed: {content: '{\"a\": 1}', mime_type: application/json}\n  archive: {filename: app.tar.gz}\n", true},
        {"uri", "url: '@U@/summary'\nmethod: POST\nbody_format: form-multipart\nremote_src: true\n"
                "body:\n  blob: {filename: '@D@/upload.bin'}\n  \"f\\u00e9ld\": {filename: '@D@/na\u00efve \"q\".txt'}\n", true},
        {"unarchive", "src: app.tar.gz\ndest: '@D@/x'\nlist_files: true\n"},
        {"unarchive", "src: app.zip\ndest: '@D@/y'\nlist_files: true\nexclude: ['app/README']\n"},
        {"unarchive", "src: '@D@/app.tgz'\ndest: '@D@/z'\nremote_src: true\nmode: 'u=rwX,g=rX,o='\n"},
        {"unarchive", "src: app.tar.gz\ndest: '@D@/nodir'\n"},
        // keep_newer: kt/kz hold a newer app.conf (kept, with its mode) and an older
        // README (replaced); the archive's members are two days old.
        {"unarchive", "src: app.tar.gz\ndest: '@D@/kt'\nkeep_newer: true\n", false, true},
        {"unarchive", "src: app.zip\ndest: '@D@/kz'\nkeep_newer: true\n"},
    };
    return t;
}

std::string substitute(std::string s, const std::map<std::string, std::string>& subs) {
    for (const auto& [k, v] : subs)
        for (size_t p; (p = s.find(k)) != std::string::npos;) s.replace(p, k.size(), v);
    return s;
}

std::string py(const Value& v) {
    if (v.is_null()) return "None";
    if (v.is_bool()) return v.as_bool() ? "True" : "False";
    return v.to_string();
}

// One line per task: flags and the fields `register:` users read most.
const char* k_line =
    "{% set r = lookup('vars', 'r' ~ i) %}{{ r.changed | default(false) }} {{ r.failed | default(false) }}"
    " {{ r.status | default(r.status_code | default('-')) }} {{ (r.msg | default('-')) | replace(U, '') | replace(D, '') }}"
    " {{ (r.dest | default('-')) | replace(D, '') }} {{ r.json.count | default('-') }} {{ r.redirected | default('-') }}"
    " {{ (r.url | default('-')) | replace(U, '') }} {{ r.content | default('-') | trim }} {{ r.handler | default('-') }}"
    " {{ r.files | default([]) | sort | join(',') }} {{ r.content_type | default('-') }} {{ r.json.summary | default('-') }}.\\n";

std::string our_line(const Value& r, bool changed, bool failed, const std::string& u, const std::string& d) {
    auto strip = [&](std::string s) { return substitute(s, {{u, ""}, {d, ""}}); };
    auto or_dash = [&](const Value& v) { return v.is_null() ? std::string("-") : py(v); };
    std::vector<std::string> files;
    if (r.get("files").is_list())
        for (const auto& f : r.get("files").as_list()) files.push_back(f.to_string());
    // Jinja's sort ignores case.
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) { return to_lower(a) < to_lower(b); });
    Value status = r.has("status") ? r.get("status") : r.get("status_code");
    return std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False") + " " + or_dash(status) + " " +
           strip(or_dash(r.get("msg"))) + " " + strip(or_dash(r.get("dest"))) + " " + or_dash(r.get("json").get("count")) + " " +
           or_dash(r.get("redirected")) + " " + strip(or_dash(r.get("url"))) + " " + trim(or_dash(r.get("content"))) + " " +
           or_dash(r.get("handler")) + " " + join(files, ",") + " " + or_dash(r.get("content_type")) + " " +
           or_dash(r.get("json").get("summary"));
}

void seed(const std::string& d, const std::string& files) {
    for (const char* sub : {"/dl", "/x", "/y", "/z"}) fs::create_directories(d + sub);
    test::must("cp " + files + "/app.tar.gz " + d + "/app.tgz");
    test::write_file(d + "/upload.bin", std::string("\0\x01binary\xff\r\n\0", 12));
    test::write_file(d + "/na\xc3\xafve \"q\".txt", "naive\n");
    for (const char* sub : {"/kt", "/kz"}) {
        test::write_file(d + sub + "/app/conf/app.conf", "port=9999 (the operator's, newer)\n");
        ::chmod((d + sub + "/app/conf/app.conf").c_str(), 0600);
        test::write_file(d + sub + "/app/README", "old readme\n");
        test::must("touch -d '5 days ago' " + d + sub + "/app/README");
    }
}

}  // namespace

TEST_CASE("get_url, uri and unarchive match Ansible", "[ansible][integration][get_url][uri][unarchive]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    test::TempDir work;
    std::string ans = work / "ansible", ours = work / "ours", pb = work / "playbook", www = work / "www";
    test::write_file(www + "/a.txt", "hello\n");
    std::string src = work / "src";
    test::write_file(src + "/app/bin/run.sh", "#!/bin/sh\necho run\n");
    test::write_file(src + "/app/conf/app.conf", "port=8080\n");
    test::write_file(src + "/app/README", "readme\n");
    ::chmod((src + "/app/bin/run.sh").c_str(), 0755);
    ::chmod((src + "/app/conf/app.conf").c_str(), 0640);
    test::must("find " + src + " -exec touch -d '2 days ago' {} +");
    test::write_file(pb + "/files/upload.txt", "line one\nline two \xe2\x82\xac\n");
    test::must("mkdir -p " + pb + "/files && cd " + src + " && tar -czf " + pb + "/files/app.tar.gz app && zip -qr " + pb + "/files/app.zip app");
    seed(ans, pb + "/files");
    seed(ours, pb + "/files");
    test::HttpLab lab("127.0.77.5", www);
    std::string sum = digest_hex("sha256", "hello\n");

    const size_t n = tasks().size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    // uri only reads here: it runs once; get_url and unarchive twice (idempotence).
    auto runs = [&](size_t pass, size_t i) { return pass == 0 || tasks()[i].module != "uri"; };
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            if (!runs(pass, i)) continue;
            play += "    - " + tasks()[i].module + ":\n" +
                    indent(substitute(tasks()[i].args, {{"@D@", ans}, {"@U@", lab.base()}, {"@SUM@", sum}}), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    std::string indices;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i)
            if (runs(pass, i)) indices += (indices.empty() ? "" : ",") + std::to_string(pass * n + i);
    play += "    - copy:\n        dest: " + pb + "/results.txt\n        content: \"{% for i in [" + indices + "] %}" +
            k_line + "{% endfor %}\"\n      vars:\n        D: " + ans + "\n        U: " + lab.base() + "\n";
    test::write_file(pb + "/site.yml", play);
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    std::vector<std::string> theirs;
    for (const auto& l : split(test::read_file(pb + "/results.txt"), '\n'))
        if (!l.empty()) theirs.push_back(l.substr(0, l.size() - 1));
    size_t line = 0;

    LocalConnection conn("local");
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, pb};
    size_t agree = 0;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            if (!runs(pass, i)) continue;
            REQUIRE(line < theirs.size());
            const Module* m = find_module(tasks()[i].module);
            REQUIRE(m);
            std::string yaml = substitute(tasks()[i].args, {{"@D@", ours}, {"@U@", lab.base()}, {"@SUM@", sum}});
            bool changed = false, failed = false;
            Value result;
            try {
                Args a = validate_args(m->spec(), parse_yaml(yaml, "task.yml"));
                Plan p = m->check(ctx, a);
                result = p.result;
                changed = p.changed();
                if (changed) {
                    Value applied = m->apply(ctx, a, p);
                    if (tasks()[i].module == "uri" && applied.is_map()) result = applied;  // the request's answer
                }
            } catch (const TaskError& e) {  // the module failed: its result fields stay registered
                failed = true;
                result = test::failure_result(result, e);
            } catch (const std::exception& e) {
                failed = true;
                result["msg"] = Value(e.what());
            }
            if (tasks()[i].changed_differs || (pass == 1 && tasks()[i].changed_differs_second)) changed = !changed;
            std::string mine = our_line(result, changed, failed, lab.base(), ours);
            INFO("pass " << pass + 1 << ", task " << i << ": " << tasks()[i].module << " " << yaml);
            CHECK(mine == theirs[line]);
            agree += mine == theirs[line];
            ++line;
        }
    CHECK(line == theirs.size());
    size_t trees = 0;
    for (const char* sub : {"/dl", "/x", "/y", "/z", "/kt", "/kz"}) {
        INFO(sub);
        bool same = snapshot(ans + sub) == snapshot(ours + sub);
        CHECK(snapshot(ans + sub) == snapshot(ours + sub));
        trees += same;
    }
    WARN("get_url/uri/unarchive vs Ansible: " << agree << " of " << line << " results and " << trees << " of 6 trees agree");
}

// The multipart body itself, byte for byte: Ansible's prepare_multipart (its
// module_utils, run by the machine's Python with the boundary fixed) and ours, on
// the same fields (text, a file part read from disk, inline content with a guessed
// and with an explicit MIME type, names needing quoting and RFC 2231).
TEST_CASE("uri form-multipart bodies are byte-identical to Ansible's prepare_multipart", "[ansible][integration][uri]") {
    test::TempDir work;
    const std::string boundary = "===============0000000000000000042==";
    test::write_file(work / "data.bin", std::string("\0\x01 some bytes \xff", 15) + std::string(200, 'x'));
    test::write_file(work / "py.py", "import json, sys, email.generator\n"
                                     "email.generator.Generator._make_boundary = classmethod(lambda cls, text=None: '" + boundary + "')\n"
                                     "from ansible.module_utils.urls import prepare_multipart\n"
                                     "ct, body = prepare_multipart(json.load(open(sys.argv[1])))\n"
                                     "sys.stdout.buffer.write(ct.encode() + b'\\n' + body)\n");
    const std::string fields = "{\"b\": \"text \\u00e9\", \"a\": {\"filename\": \"" + work / "data.bin" + "\"},"
                               " \"c\": {\"content\": \"x\", \"filename\": \"f.tar.gz\"}, \"d\": {\"content\": \"{}\", \"mime_type\": \"application/json\"},"
                               " \"q\\\"\": {\"content\": \"y\", \"filename\": \"caf\\u00e9 \\\"1\\\".txt\"}, \"e\": {\"content\": \"z\", \"filename\": \"x.unknownext\"}}";
    test::write_file(work / "fields.json", fields);
    test::Run py = test::sh("/usr/bin/python3 " + work / "py.py " + work / "fields.json");
    INFO(py.out);
    REQUIRE(py.rc == 0);
    std::map<std::string, std::string> types = parse_mime_types(test::exists("/etc/mime.types") ? test::read_file("/etc/mime.types") : "");
    MultipartBody ours = prepare_multipart(parse_yaml(fields, "fields.json"),
                                           [](const std::string& f) { return test::read_file(f); }, types, boundary);
    CHECK(ours.content_type + "\n" + ours.body == py.out);
}
