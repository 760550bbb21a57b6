// Differential test against Ansible for find, slurp, fetch and wait_for (files,
// and ports on 127.0.77.7): the
// same tasks through `ansible-playbook -c local` on one seeded tree and through
// our modules on an identical one; the registered results (paths, stat fields,
// counts, base64 content, match groups, changed flags over two passes) and the
// fetched controller trees must agree.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/local_connection.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/http_lab.hpp"
#include "tests/support/diff_tree.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
namespace fs = std::filesystem;

namespace {

using test::indent;

struct DiffTask {
    std::string module;
    std::string args;  // YAML; @D@ stands for the directory under test
};

const std::vector<DiffTask>& tasks() {
    static const std::vector<DiffTask> t = {
        {"find", "paths: @D@/t\n"},
        {"find", "paths: @D@/t\npatterns: '*.conf'\nrecurse: true\n"},
        {"find", "paths: @D@/t\npatterns: '*.conf'\nrecurse: true\nhidden: true\ndepth: 2\n"},
        {"find", "paths: @D@/t\npatterns: ['*.conf', '*.log']\nexcludes: 'b*'\nrecurse: true\n"},
        {"find", "paths: @D@/t\npatterns: '^[a-c]\\..*'\nuse_regex: true\n"},
        {"find", "paths: @D@/t\nexcludes: '.*\\.log$'\nuse_regex: true\n"},
        {"find", "paths: @D@/t\nfile_type: directory\nrecurse: true\n"},
        {"find", "paths: @D@/t\nfile_type: any\nhidden: true\n"},
        {"find", "paths: @D@/t\nfile_type: link\n"},
        {"find", "paths: @D@/t\nsize: 1k\nrecurse: true\n"},
        {"find", "paths: @D@/t\nsize: -10b\n"},
        {"find", "paths: @D@/t\nage: 2d\nrecurse: true\n"},
        {"find", "paths: @D@/t\nage: -1d\n"},
        {"find", "paths: @D@/t\ncontains: 'port=\\d+$'\nrecurse: true\n"},
        {"find", "paths: @D@/t\ncontains: 'name'\nread_whole_file: true\n"},
        {"find", "paths: @D@/t\npatterns: a.conf\nget_checksum: true\n"},
        {"find", "paths: [@D@/t/a.conf, @D@/nowhere, @D@/t/sub]\n"},
        // ~ and $VARS, expanded on the host (HOME and UPKEEP_T_DIR are each side's tree);
        // an unknown user and an unset variable stay as written.
        {"find", "paths: ~/t\npatterns: '*.conf'\n"},
        {"find", "paths: ['$UPKEEP_T_DIR/t/sub', '${UPKEEP_T_DIR}/t', '~upkeep-no-such-user/t', '$UPKEEP_T_UNSET/t']\n"},
        {"slurp", "src: @D@/t/a.conf\n"},
        {"slurp", "src: @D@/t/bin.dat\n"},
        {"slurp", "src: @D@/t/none\n"},
        {"slurp", "src: @D@/t/sub\n"},
        {"wait_for", "path: @D@/t/app.log\nsearch_regex: 'port (?P<port>\\d+) \\((\\w+)\\)'\ntimeout: 3\n"},
        {"wait_for", "path: @D@/t/none\nstate: absent\ntimeout: 3\n"},
        {"wait_for", "path: @D@/t/none\ntimeout: 1\n"},
        {"wait_for", "host: 127.0.77.7\nport: @P@\ntimeout: 3\n"},
        {"wait_for", "host: 127.0.77.7\nport: 1\nstate: stopped\ntimeout: 3\n"},
        {"wait_for", "host: 127.0.77.7\nport: 1\ntimeout: 1\n"},
        {"fetch", "src: @D@/t/a.conf\ndest: @D@/fetched\n"},
        {"fetch", "src: @D@/t/b.conf\ndest: @D@/flat/\nflat: true\n"},
        {"fetch", "src: @D@/t/b.conf\ndest: @D@/flat/renamed.conf\nflat: true\n"},
        {"fetch", "src: @D@/t/none\ndest: @D@/fetched\nfail_on_missing: false\n"},
        {"fetch", "src: @D@/t/none\ndest: @D@/fetched\n"},
        {"fetch", "src: @D@/t/sub\ndest: @D@/fetched\n"},
    };
    return t;
}

void seed(const std::string& d) {
    test::write_file(d + "/t/a.conf", "port=1\nname=x\n");
    test::write_file(d + "/t/b.conf", "name=y\r\nport=22\r\n");
    test::write_file(d + "/t/c.log", std::string(2000, 'z'));
    test::write_file(d + "/t/app.log", "booting\nlistening on port 8443 (tls)\n");
    test::write_file(d + "/t/bin.dat", std::string("\0\x01\xff\xfe", 4));
    test::write_file(d + "/t/.hidden.conf", "port=5\n");
    test::write_file(d + "/t/sub/deep.conf", "port=3\n");
    test::write_file(d + "/t/sub/deeper/x.conf", "x\n");
    test::write_file(d + "/t/.hdir/visible.conf", "v\n");
    ::chmod((d + "/t/a.conf").c_str(), 0640);
    fs::create_symlink("a.conf", d + "/t/link.conf");
    test::must("touch -d '3 days ago' " + d + "/t/a.conf " + d + "/t/sub/deep.conf");
}

int g_port = 0;  // an open port on 127.0.77.7 (an HttpLab of the test)

std::string substitute(std::string s, const std::string& dir) {
    for (size_t p; (p = s.find("@D@")) != std::string::npos;) s.replace(p, 3, dir);
    for (size_t p; (p = s.find("@P@")) != std::string::npos;) s.replace(p, 3, std::to_string(g_port));
    return s;
}

std::string py(const Value& v) {
    if (v.is_null()) return "None";
    if (v.is_bool()) return v.as_bool() ? "True" : "False";
    if (v.is_list()) {
        std::vector<std::string> parts;
        for (const auto& x : v.as_list()) parts.push_back(py(x));
        return "[" + join(parts, ",") + "]";
    }
    return v.to_string();
}

// One line per task, written by Ansible's template and computed here the same way.
// Find: sorted "path mode isreg isdir islnk size nlink pw_name checksum" entries.
const char* k_line =
    "{% set r = lookup('vars', 'r' ~ i) %}{{ r.changed | default(false) }} {{ r.failed | default(false) }}"
    "{% if r.files is defined %} {{ r.matched }} {{ r.examined }} {{ r.msg }} {{ r.skipped_paths | list | map('replace', D, '') | sort | list }}"
    "{% for f in r.files | sort(attribute='path') %} {{ f.path | replace(D, '') }}:{{ f.mode }}:{{ f.isreg }}:{{ f.isdir }}:"
    "{{ f.islnk }}:{{ f.size }}:{{ f.nlink }}:{{ f.pw_name }}:{{ f.checksum | default('-') }}{% endfor %}{% endif %}"
    "{% if r.content is defined %} {{ r.content }} {{ r.encoding }}{% endif %}"
    "{% if r.match_groups is defined %} {{ r.match_groups | list }} {{ r.match_groupdict | dictsort }}{% endif %}"
    "{% if r.elapsed is defined and r.failed | default(false) %} {{ r.msg | replace(D, '') }}{% endif %}"
    ".\\n";

std::string our_line(const Value& r, bool changed, bool failed, const std::string& d) {
    auto strip = [&](std::string s) {
        for (size_t p; (p = s.find(d)) != std::string::npos;) s.erase(p, d.size());
        return s;
    };
    std::string line = std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False");
    if (r.has("files")) {
        std::vector<std::string> skipped;
        for (const auto& [k, v] : r.get("skipped_paths").as_map()) skipped.push_back("'" + strip(k) + "'");
        line += " " + r.get("matched").to_string() + " " + r.get("examined").to_string() + " " + r.get("msg").to_string() + " [" +
                join(skipped, ", ") + "]";
        std::vector<std::pair<std::string, std::string>> files;  // sorted by path, as Jinja's sort(attribute='path')
        for (const auto& f : r.get("files").as_list())
            files.emplace_back(strip(f.get("path").as_string()), " " + strip(f.get("path").as_string()) + ":" + f.get("mode").as_string() + ":" + py(f.get("isreg")) + ":" +
                            py(f.get("isdir")) + ":" + py(f.get("islnk")) + ":" + py(f.get("size")) + ":" + py(f.get("nlink")) + ":" +
                            f.get("pw_name").as_string() + ":" + (f.has("checksum") ? f.get("checksum").as_string() : "-"));
        std::sort(files.begin(), files.end());
        for (const auto& f : files) line += f.second;
    }
    if (r.has("content")) line += " " + r.get("content").as_string() + " " + r.get("encoding").as_string();
    if (r.has("match_groups")) {
        std::vector<std::string> g, gd;
        for (const auto& x : r.get("match_groups").as_list()) g.push_back("'" + x.to_string() + "'");
        for (const auto& [k, v] : r.get("match_groupdict").as_map()) gd.push_back("('" + k + "', '" + v.to_string() + "')");
        line += " [" + join(g, ", ") + "] [" + join(gd, ", ") + "]";
    }
    if (r.has("elapsed") && failed) line += " " + strip(r.get("msg").to_string());
    return line;
}

std::map<std::string, std::string> snapshot(const std::string& root) {
    std::map<std::string, std::string> out;
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        std::string rel = e.path().string().substr(root.size());
        if (e.is_directory()) out[rel] = "dir";
        else out[rel] = json_quote(test::read_file(e.path().string()));
    }
    return out;
}

}  // namespace

TEST_CASE("find, slurp, fetch and wait_for match Ansible", "[ansible][integration][find][slurp][fetch][wait_for]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    test::TempDir work;
    std::string ans = work / "ansible", ours = work / "ours", pb = work / "playbook";
    seed(ans);
    seed(ours);
    test::HttpLab lab("127.0.77.7", work.path());
    g_port = lab.port();
    const size_t n = tasks().size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    // Read-only modules run once; fetch twice (the second pass must change nothing).
    auto runs = [&](size_t pass, size_t i) { return pass == 0 || tasks()[i].module == "fetch"; };
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            if (!runs(pass, i)) continue;
            play += "    - " + tasks()[i].module + ":\n" + indent(substitute(tasks()[i].args, ans), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    std::string indices;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i)
            if (runs(pass, i)) indices += (indices.empty() ? "" : ",") + std::to_string(pass * n + i);
    play += "    - copy:\n        dest: " + pb + "/results.txt\n        content: \"{% for i in [" + indices + "] %}" + k_line +
            "{% endfor %}\"\n      vars:\n        D: " + ans + "\n";
    test::write_file(pb + "/site.yml", play);
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && HOME=" + shell_quote(ans) + " UPKEEP_T_DIR=" + shell_quote(ans) +
                             " ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    std::vector<std::string> theirs;
    for (const auto& l : split(test::read_file(pb + "/results.txt"), '\n'))
        if (!l.empty()) theirs.push_back(l.substr(0, l.size() - 1));
    size_t line = 0;

    LocalConnection conn("local");
    Value vars;
    vars["inventory_hostname"] = Value("localhost");
    ModuleContext ctx{conn, vars, nullptr, pb};
    // Our side's host environment (the local connection's commands inherit it).
    struct Env {
        std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
        explicit Env(const std::string& d) {
            ::setenv("HOME", d.c_str(), 1);
            ::setenv("UPKEEP_T_DIR", d.c_str(), 1);
        }
        ~Env() {
            ::setenv("HOME", home.c_str(), 1);
            ::unsetenv("UPKEEP_T_DIR");
        }
    } env(ours);
    size_t agree = 0;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            if (!runs(pass, i)) continue;
            REQUIRE(line < theirs.size());
            const Module* m = find_module(tasks()[i].module);
            REQUIRE(m);
            std::string yaml = substitute(tasks()[i].args, ours);
            bool changed = false, failed = false;
            Value result;
            try {
                Args a = validate_args(m->spec(), parse_yaml(yaml, "task.yml"));
                Plan p = m->check(ctx, a);
                result = p.result;
                changed = p.changed();
                if (changed) m->apply(ctx, a, p);
            } catch (const TaskError& e) {  // the module failed: its result fields stay registered
                failed = true;
                result = test::failure_result(result, e);
            } catch (const std::exception& e) {
                failed = true;
                UNSCOPED_INFO(e.what());
            }
            std::string mine = our_line(result, changed, failed, ours);
            INFO("pass " << pass + 1 << ", task " << i << ": " << tasks()[i].module << " " << yaml);
            CHECK(mine == theirs[line]);
            agree += mine == theirs[line];
            ++line;
        }
    CHECK(line == theirs.size());
    size_t trees = 0;
    for (const char* sub : {"/fetched", "/flat"}) {
        auto a = snapshot(ans + sub), o = snapshot(ours + sub);
        std::map<std::string, std::string> a2;
        for (const auto& [k, v] : a) {
            std::string key = k;
            for (size_t p; (p = key.find(ans)) != std::string::npos;) key.replace(p, ans.size(), ours);
            a2[key] = v;
        }
        INFO(sub);
        CHECK(a2 == o);
        trees += a2 == o;
    }
    WARN("find/slurp/fetch/wait_for vs Ansible: " << agree << " of " << line << " results and " << trees << " of 2 fetched trees agree");
}
