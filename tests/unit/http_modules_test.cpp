// get_url and uri against a real HTTP(S) server started here on 127.0.77.3
// (tests/support/http_lab.py): the host (the sandbox) runs curl; downloads,
// checksums, conditional GETs, headers, status codes, redirects, JSON, TLS
// verification on by default, and the dry run (exact bytes, POSTs not sent).
#include <sys/stat.h>

#include <filesystem>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"
#include "modules/host_http.hpp"
#include "tests/support/http_lab.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {
const char* k_addr = "127.0.77.3";
}

TEST_CASE("get_url downloads on the host: mode, idempotence, checksums, dest dirs, force", "[get_url]") {
    test::TempDir www;
    test::write_file(www / "a.txt", "hello\n");
    test::write_file(www / "SHA256SUMS", digest_hex("sha256", "hello\n") + "  a.txt\n" + std::string(64, '0') + "  other.txt\n");
    test::HttpLab lab(k_addr, www.path());
    test::Sandbox box;
    test::must("mkdir -p " + box.local("/srv"));
    std::string url = lab.base() + "/files/a.txt";

    Value r;
    Plan p = box.converge("get_url", "url: " + url + "\ndest: /srv/a.txt\nmode: '0600'\n", &r);
    REQUIRE(p.changed());
    CHECK(*p.changes[0].after == "hello\n");
    CHECK(test::read_file(box.local("/srv/a.txt")) == "hello\n");
    struct stat st;
    REQUIRE(::stat(box.local("/srv/a.txt").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(p.result.get("status_code").as_int() == 200);
    CHECK(p.result.get("checksum_src").as_string() == digest_hex("sha1", "hello\n"));
    CHECK(p.result.get("checksum_dest").is_null());
    CHECK(p.result.get("msg").as_string() == "OK (6 bytes)");
    CHECK(r.get("mode").as_string() == "0600");
    // Unchanged on the server: the conditional GET answers 304.
    CHECK(box.check("get_url", "url: " + url + "\ndest: /srv/a.txt\n").result.get("status_code").as_int() == 304);

    std::string sum = "sha256:" + digest_hex("sha256", "hello\n");
    Plan same = box.check("get_url", "url: " + url + "\ndest: /srv/a.txt\nchecksum: '" + sum + "'\n");
    CHECK_FALSE(same.changed());
    CHECK(same.msg == "file already exists");
    box.converge("get_url", "url: " + url + "\ndest: /srv/b.txt\nchecksum: 'sha256:" + lab.base() + "/files/SHA256SUMS'\n");
    CHECK(test::read_file(box.local("/srv/b.txt")) == "hello\n");
    test::Failure bad = test::failure_of(
        [&] { box.check("get_url", "url: " + url + "\ndest: /srv/c.txt\nchecksum: 'sha256:" + std::string(64, 'a') + "'\n"); });
    CHECK_THAT(bad.msg, Catch::StartsWith("The checksum for /srv/c.txt did not match aaaa"));
    CHECK_FALSE(test::exists(box.local("/srv/c.txt")));  // checked before anything is written
    CHECK_THROWS_WITH(box.check("get_url", "url: " + url + "\ndest: /srv/c.txt\nchecksum: 'sha256'\n"),
                      Catch::Contains("<algorithm>:<checksum>"));

    // A directory dest takes the URL's file name, or Content-Disposition's.
    box.converge("get_url", "url: " + url + "\ndest: /srv/\n");
    Plan named = box.converge("get_url", "url: " + lab.base() + "/disposition\ndest: /srv\n");
    CHECK(named.result.get("dest").as_string() == "/srv/named.txt");
    CHECK(test::read_file(box.local("/srv/named.txt")) == "named\n");

    // The server's file changes (and is newer): fetched again, exact diff.
    test::write_file(www / "a.txt", "hello again\n");
    test::must("touch -d '+1 hour' " + (www / "a.txt"));
    Plan newer = box.converge("get_url", "url: " + url + "\ndest: /srv/a.txt\n");
    REQUIRE(newer.changed());
    CHECK(*newer.changes[0].before == "hello\n");
    CHECK(*newer.changes[0].after == "hello again\n");
    test::write_file(www / "a.txt", "third\n");
    test::must("touch -d '-2 days' " + (www / "a.txt"));  // older than dest: only force fetches it
    CHECK_FALSE(box.check("get_url", "url: " + url + "\ndest: /srv/a.txt\n").changed());
    CHECK(box.converge("get_url", "url: " + url + "\ndest: /srv/a.txt\nforce: true\n").changed());
    CHECK(test::read_file(box.local("/srv/a.txt")) == "third\n");

    test::Failure missing = test::failure_of([&] { box.check("get_url", "url: " + lab.base() + "/files/none\ndest: /srv/none\n"); });
    CHECK(missing.msg == "Request failed");
    CHECK(missing.result.get("status_code").as_int() == 404);
    CHECK(test::failure_of([&] { box.check("get_url", "url: " + url + "\ndest: /nodir/x\n"); }).msg ==
          "Destination /nodir does not exist");

    // Headers and basic auth reach the server (through curl's stdin config, not argv).
    // (Not converge: the echo differs the second time, it shows the If-Modified-Since header.)
    std::string echo_task = "url: " + lab.base() + "/echo\ndest: /srv/echo.json\nheaders:\n  X-Token: abc\nurl_username: u\nurl_password: 's3cret\"x'\n";
    box.apply("get_url", echo_task, box.check("get_url", echo_task));
    std::string echo = test::read_file(box.local("/srv/echo.json"));
    CHECK_THAT(echo, Catch::Contains("\"x-token\": \"abc\""));
    CHECK_THAT(echo, Catch::Contains("\"authorization\": \"Basic " + base64_encode("u:s3cret\"x") + "\""));
    CHECK_THAT(echo, Catch::Contains("\"user-agent\": \"ansible-httpget\""));

    // Dry run: the plan has the bytes, nothing is written.
    PlannedConnection planned(box.conn());
    ModuleContext dry{planned, box.vars, nullptr, box.root()};
    Args a = test::Sandbox::args("get_url", "url: " + url + "\ndest: /srv/dry.txt\n");
    const Module& m = test::Sandbox::module("get_url");
    Plan dp = m.check(dry, a);
    REQUIRE(dp.changed());
    CHECK(*dp.changes[0].after == "third\n");
    m.apply(dry, a, dp);
    CHECK_FALSE(test::exists(box.local("/srv/dry.txt")));

    lab.stop();
    test::Failure refused = test::failure_of([&] { box.check("get_url", "url: " + url + "\ndest: /srv/a.txt\nforce: true\n"); });
    CHECK_THAT(refused.msg, Catch::StartsWith("Request failed: curl: (7)"));
}

TEST_CASE("get_url and uri verify TLS certificates unless told not to", "[get_url][uri]") {
    test::TempDir www, pki;
    test::write_file(www / "a.txt", "secure\n");
    test::must("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + std::string(k_addr) + " -addext subjectAltName=IP:" +
               k_addr + " -keyout " + (pki / "key.pem") + " -out " + (pki / "cert.pem") + " 2>/dev/null");
    test::HttpLab lab(k_addr, www.path(), pki / "cert.pem", pki / "key.pem");
    test::Sandbox box;
    test::must("mkdir -p " + box.local("/srv"));
    std::string url = lab.base(true) + "/files/a.txt";
    test::Failure refused = test::failure_of([&] { box.check("get_url", "url: " + url + "\ndest: /srv/a.txt\n"); });
    CHECK_THAT(refused.msg, Catch::Contains("certificate"));
    box.converge("get_url", "url: " + url + "\ndest: /srv/a.txt\nvalidate_certs: false\n");
    CHECK(test::read_file(box.local("/srv/a.txt")) == "secure\n");
    // With the CA given, verification passes.
    CHECK(box.check("uri", "url: " + url + "\nca_path: " + (pki / "cert.pem") + "\n").result.get("status").as_int() == 200);
    CHECK(test::failure_of([&] { box.check("uri", "url: " + url + "\n"); }).result.get("status").as_int() == -1);
}

TEST_CASE("uri: JSON, content, status codes, redirects, bodies, dry run", "[uri]") {
    test::TempDir www;
    test::write_file(www / "a.txt", "hello\n");
    test::HttpLab lab(k_addr, www.path());
    test::Sandbox box;
    std::string b = lab.base();

    Plan p = box.check("uri", "url: " + b + "/json\n");
    CHECK_FALSE(p.changed());
    CHECK(p.result.get("status").as_int() == 200);
    CHECK(p.result.get("json").get("zones").as_list()[0].get("name").as_string() == "z1");
    CHECK(p.result.get("content_type").as_string() == "application/json; charset=utf-8");
    CHECK_FALSE(p.result.has("content"));
    CHECK(box.check("uri", "url: " + b + "/files/a.txt\nreturn_content: true\n").result.get("content").as_string() == "hello\n");

    test::Failure err = test::failure_of([&] { box.check("uri", "url: " + b + "/status/500\n"); });
    CHECK(err.result.get("status").as_int() == 500);
    CHECK(err.msg == "Status code was 500 and not [200]: HTTP Error 500: Internal Server Error");
    CHECK_FALSE(box.check("uri", "url: " + b + "/status/404\nstatus_code: [200, 404]\n").result.get("failed").truthy());

    Plan redirected = box.check("uri", "url: " + b + "/redirect\n");
    CHECK(redirected.result.get("status").as_int() == 200);
    CHECK(redirected.result.get("redirected").as_bool());
    CHECK(redirected.result.get("url").as_string() == b + "/files/a.txt");
    Plan stay = box.check("uri", "url: " + b + "/redirect\nfollow_redirects: none\nstatus_code: 302\n");
    CHECK(stay.result.get("status").as_int() == 302);
    CHECK(stay.result.get("location").as_string() == "/files/a.txt");

    // A POST changes the service: planned as would run, made by apply() only.
    std::string post = "url: " + b + "/echo\nmethod: POST\nbody_format: json\nbody:\n  name: z2\n  ids: [1, 2]\n";
    Plan pp = box.check("uri", post);
    REQUIRE(pp.changed());
    CHECK(pp.unpredictable);
    PlannedConnection planned(box.conn());
    ModuleContext dry{planned, box.vars, nullptr, box.root()};
    CHECK(test::Sandbox::module("uri").apply(dry, test::Sandbox::args("uri", post), pp).is_null());
    CHECK(planned.would_run().size() == 1);
    Value sent = box.apply("uri", post, pp);
    CHECK(sent.get("json").get("method").as_string() == "POST");
    CHECK(sent.get("json").get("headers").get("content-type").as_string() == "application/json");
    CHECK(sent.get("json").get("body").as_string() == "{\"ids\": [1, 2], \"name\": \"z2\"}");
    Value form = box.apply("uri", "url: " + b + "/echo\nmethod: PUT\nbody_format: form-urlencoded\nbody:\n  a: 'x y'\n  b: '&'\n", pp);
    CHECK(form.get("json").get("method").as_string() == "PUT");
    CHECK(form.get("json").get("body").as_string() == "a=x+y&b=%26");

    CHECK(box.check("uri", "url: " + b + "/json\ncreates: /\n").msg == "skipped, since '/' exists");
    CHECK_THROWS_WITH(box.check("uri", "url: " + b + "/json\nmethod: get\n"), Catch::Contains("single word in uppercase"));
    // dest: the body as a file, changed only when the bytes differ.
    test::must("mkdir -p " + box.local("/srv"));
    CHECK(box.converge("uri", "url: " + b + "/json\ndest: /srv/zones.json\n").changed());
    CHECK_THAT(test::read_file(box.local("/srv/zones.json")), Catch::StartsWith("{\"zones\""));
}

TEST_CASE("uri: dest takes the response of any method, written once the request ran", "[uri]") {
    test::TempDir www;
    test::Sandbox box;
    test::HttpLab lab(k_addr, www.path());
    test::must("mkdir -p " + box.local("/srv"));
    std::string task = "url: " + lab.base() + "/echo\nmethod: POST\nbody: hi\ndest: /srv/echo.json\nmode: '0600'\n";
    Plan p = box.check("uri", task);
    // The dry run names the file it will write, not only the request.
    REQUIRE(p.changes.size() == 2);
    CHECK(p.changes[1].target == "/srv/echo.json");
    CHECK(p.changes[1].summary == "response written after the POST");
    CHECK_FALSE(std::filesystem::exists(box.local("/srv/echo.json")));
    Value r = box.apply("uri", task, p);
    CHECK(r.get("path").as_string() == "/srv/echo.json");
    CHECK_THAT(test::read_file(box.local("/srv/echo.json")), Catch::Contains("\"method\": \"POST\""));
    struct stat st;
    REQUIRE(::stat(box.local("/srv/echo.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    // A status not asked for fails before anything is written.
    std::string bad = "url: " + lab.base() + "/status/500\nmethod: POST\ndest: /srv/err.txt\n";
    CHECK_THROWS_WITH(box.apply("uri", bad, box.check("uri", bad)), Catch::Contains("Status code was 500"));
    CHECK_FALSE(std::filesystem::exists(box.local("/srv/err.txt")));
}
