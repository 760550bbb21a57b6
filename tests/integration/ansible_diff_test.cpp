// Differential test against Ansible: the same lineinfile/replace/copy/file/template tasks
// run by ansible-playbook on one fresh directory and by our modules (check, then
// apply) on another; the resulting trees (bytes, modes, link targets) and every
// task's changed/failed flag must be equal. All tasks run twice, so the second
// pass also proves both sides idempotent. One ansible run keeps this to seconds.
//
// Deliberate differences, not exercised here but covered by unit tests:
// - lineinfile keeps "\r\n" endings of CRLF files (Ansible writes "\n" for the
//   replaced or added line), and adds the missing newline when inserting after a
//   last line that has none (Ansible glues the lines together).
// - file state=touch on an existing file changes nothing (Ansible updates the
//   times and always reports changed): checked below on the second pass.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "engine/connection/local_connection.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/diff_tree.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
namespace fs = std::filesystem;

namespace {

using test::substitute;
using test::indent;

struct DiffTask {
    std::string module;
    std::string args;  // YAML; @D@ stands for the directory under test
    bool ansible_always_changed = false;  // a deliberate difference on the second pass
};

const std::vector<DiffTask>& tasks() {
    static const std::vector<DiffTask> t = {
        // lineinfile
        {"lineinfile", "path: @D@/f1.conf\nregexp: '^a='\nline: a=9\n"},
        {"lineinfile", "path: @D@/f1.conf\nregexp: '^b='\nline: b=5\nfirstmatch: true\n"},
        {"lineinfile", "path: @D@/f1.conf\nline: c=3\n"},
        {"lineinfile", "path: @D@/f3.conf\nline: added=1\n"},
        {"lineinfile", "path: @D@/f2.conf\nline: new=1\ninsertafter: '^\\[main\\]'\n"},
        {"lineinfile", "path: @D@/f2.conf\nline: top=1\ninsertbefore: BOF\n"},
        {"lineinfile", "path: @D@/f2.conf\nline: before_other=1\ninsertbefore: '^\\[other\\]'\n"},
        {"lineinfile", "path: @D@/f2.conf\nregexp: '^(y)=\\d+$'\nline: '\\1=7'\nbackrefs: true\n"},
        {"lineinfile", "path: @D@/f2.conf\nregexp: '^nomatch'\nline: 'z=1'\nbackrefs: true\n"},
        {"lineinfile", "path: @D@/f1.conf\nstate: absent\nregexp: '^c='\n"},
        {"lineinfile", "path: @D@/f4.conf\nstate: absent\nline: dup\n"},
        {"lineinfile", "path: @D@/new.conf\nline: created=1\ncreate: true\n"},
        {"lineinfile", "path: @D@/f1.conf\nline: a=9\nmode: '0600'\n"},
        {"lineinfile", "path: @D@/f1.conf\nsearch_string: 'b='\nline: b=6\n"},
        {"lineinfile", "path: @D@/f5.conf\nline: port=9\ninsertafter: '^#port'\nfirstmatch: true\n"},
        {"lineinfile", "path: @D@/f5.conf\nregexp: '^#?listen'\nline: listen=1\n"},
        // replace
        {"replace",
         "path: @D@/agent.properties\nregexp: 'com\\.cloud\\.agent\\.resource\\.computing\\.LibvirtComputingResource'\n"
         "replace: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n"},
        {"replace", "path: @D@/f6.conf\nregexp: '^(\\w+)=1$'\nreplace: '\\1=one'\nafter: '\\[s\\]'\n"},
        {"replace", "path: @D@/f6.conf\nregexp: '^(?P<k>\\w+)=2$'\nreplace: '\\g<k>=two'\nbefore: '\\[t\\]'\n"},
        {"replace", "path: @D@/f6.conf\nregexp: 'absent-pattern'\nreplace: x\n"},
        {"replace", "path: @D@/f6.conf\nregexp: '\\s+$'\nreplace: ''\n"},
        // copy
        {"copy", "content: \"hello\\n\"\ndest: @D@/copy1.txt\nmode: '0640'\n"},
        {"copy", "content: \"hello\\n\"\ndest: @D@/copy1.txt\n"},
        {"copy", "src: src.txt\ndest: @D@/\n"},
        {"copy", "src: @D@/f1.conf\ndest: @D@/f1.copy\nremote_src: true\n"},
        {"copy", "content: other\ndest: @D@/copy1.txt\nforce: false\n"},
        {"copy", "content: \"hello\\n\"\ndest: @D@/copy1.txt\nmode: '0600'\n"},
        {"copy", "content: \"x\"\ndest: @D@/copy2.txt\n"},
        {"copy", "src: tree\ndest: @D@/treecopy/\n"},
        {"copy", "src: tree/\ndest: @D@/flat\n"},
        // file
        {"file", "path: @D@/d1/d2\nstate: directory\nmode: '0750'\n"},
        {"file", "path: @D@/d1\nstate: directory\nmode: '0755'\n"},
        {"file", "path: @D@/sub\nstate: directory\nrecurse: true\nmode: 'u=rwX,g=rX,o='\n"},
        {"file", "path: @D@/link1\nstate: link\nsrc: f1.conf\n"},
        {"file", "path: @D@/link2\nstate: link\nsrc: @D@/f2.conf\n"},
        {"file", "path: @D@/copy2.txt\nstate: absent\n"},
        {"file", "path: @D@/touch1\nstate: touch\nmode: '0600'\n", true},
        {"file", "path: @D@/never-there\nstate: absent\n"},
        {"file", "path: @D@/f3.conf\nstate: file\nmode: '0604'\n"},
        {"file", "path: @D@/d1/d2\nstate: absent\n"},
        // template
        {"template", "src: t1.j2\ndest: @D@/t1.conf\nmode: '0640'\n"},
        {"template", "src: t2.conf.j2\ndest: @D@/\n"},
        {"template", "src: t1.j2\ndest: @D@/f4.conf\nforce: false\n"},
        {"template", "src: t2.conf.j2\ndest: @D@/f6.conf\n"},
    };
    return t;
}

void seed(const std::string& d) {
    test::write_file(d + "/f1.conf", "a=1\nb=2\na=3\nb=4\n");
    test::write_file(d + "/f2.conf", "[main]\nx=1\n[other]\ny=2\n");
    test::write_file(d + "/f3.conf", "no newline");
    test::write_file(d + "/f4.conf", "keep\ndup\nkeep2\ndup\n");
    test::write_file(d + "/f5.conf", "#port=1\n#port=2\n#listen=0\nother\n");
    test::write_file(d + "/f6.conf", "a=1\nb=2  \n[s]\nc=1\nd=2\n[t]\ne=1   \nf=2\n");
    test::write_file(d + "/agent.properties",
                     "guid=x\nresource=com.cloud.agent.resource.computing.LibvirtComputingResource\n");
    test::write_file(d + "/sub/a.txt", "a");
    test::write_file(d + "/sub/deeper/b.txt", "b");
    ::chmod((d + "/sub/deeper/b.txt").c_str(), 0755);
}

// A description of a tree: relative path -> kind, mode, content or link target.
std::map<std::string, std::string> snapshot(const std::string& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        std::string rel = e.path().string().substr(root.size());
        struct stat st;
        REQUIRE(::lstat(e.path().c_str(), &st) == 0);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        if (S_ISLNK(st.st_mode)) {
            std::string target = fs::read_symlink(e.path()).string();
            if (starts_with(target, root)) target = "@D@" + target.substr(root.size());
            out[rel] = "link -> " + target;
        }
        else if (S_ISDIR(st.st_mode)) out[rel] = std::string("dir ") + mode;
        else out[rel] = std::string("file ") + mode + " " + json_quote(test::read_file(e.path().string()));
    }
    return out;
}

}  // namespace

TEST_CASE("lineinfile, replace, copy, file and template match Ansible byte for byte", "[ansible][integration]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    test::TempDir work;
    std::string ans = work / "ansible", ours = work / "ours", pb = work / "playbook";
    seed(ans);
    seed(ours);
    test::write_file(pb + "/files/src.txt", "from the controller\n");
    test::write_file(pb + "/templates/t1.j2",
                     "# {{ ansible_managed }} ({{ template_path | basename }})\n"
                     "{% set ports = {'http': 80, 'https': 443} %}\n"
                     "{% for name, port in ports | dictsort %}\n"
                     "{{ loop.index }}: {{ name }} = {{ port }}{{ ',' if not loop.last }}\n"
                     "{% endfor %}\n"
                     "{%- macro kv(k, v='none') -%}{{ k }}={{ v }}{%- endmacro %}\n"
                     "{{ kv('a') }} {{ kv('b', 2) }}\n\n");
    test::write_file(pb + "/t2.conf.j2", "{% raw %}{{ literal }}{% endraw %}\n{{ [3, 1, 2] | sort | join(' ') }}\n");
    test::write_file(pb + "/files/tree/a.txt", "a\n");
    test::write_file(pb + "/files/tree/sub/b.sh", "#!/bin/sh\n");
    ::chmod((pb + "/files/tree/sub/b.sh").c_str(), 0700);

    // Two passes of every task; then one task writes "changed failed" per task.
    const size_t n = tasks().size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    for (size_t pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < n; ++i) {
            play += "    - " + tasks()[i].module + ":\n" + indent(substitute(tasks()[i].args, ans), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    }
    play += "    - copy:\n        dest: " + pb + "/flags.txt\n        content: \"{% for i in range(" +
            std::to_string(2 * n) +
            ") %}{{ lookup('vars', 'r' ~ i).changed | default(false) }} {{ lookup('vars', 'r' ~ i).failed | "
            "default(false) }}\\n{% endfor %}\"\n";
    test::write_file(pb + "/site.yml", play);
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    std::vector<std::string> flags;
    for (const auto& l : split(test::read_file(pb + "/flags.txt"), '\n'))
        if (!l.empty()) flags.push_back(l);
    REQUIRE(flags.size() == 2 * n);
    // The comparison means something only if Ansible changed most things on the first pass.
    size_t ansible_changed = 0;
    for (size_t i = 0; i < n; ++i) ansible_changed += starts_with(flags[i], "True ");
    CHECK(ansible_changed > n / 2);

    LocalConnection conn("local");
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, pb};
    for (size_t pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < n; ++i) {
            const DiffTask& t = tasks()[i];
            std::string yaml = substitute(t.args, ours);
            const Module* m = find_module(t.module);
            REQUIRE(m);
            bool changed = false, failed = false;
            std::string error;
            try {
                Args a = validate_args(m->spec(), parse_yaml(yaml, "task.yml"));
                Plan p = m->check(ctx, a);
                changed = p.changed();
                if (changed) m->apply(ctx, a, p);
            } catch (const TaskError& e) {  // the module failed; a failure in apply keeps changed, as the executor does
                failed = true;
                error = e.what();
            } catch (const std::exception& e) {
                failed = true;
                changed = false;
                error = e.what();
            }
            std::string mine = std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False");
            std::string theirs = flags[pass * n + i];
            if (pass == 1 && t.ansible_always_changed) theirs = "False" + theirs.substr(theirs.find(' '));
            INFO("pass " << pass + 1 << ", task " << i << ": " << t.module << " " << yaml << error);
            CHECK(mine == theirs);
        }
    }
    auto a = snapshot(ans), o = snapshot(ours);
    CHECK(a.size() > 15);
    for (const auto& [path, desc] : a) {
        INFO(path);
        CHECK(o.count(path) == 1);
        if (o.count(path)) CHECK(o[path] == desc);
    }
    for (const auto& [path, desc] : o) {
        INFO(path);
        CHECK(a.count(path) == 1);
    }
}
