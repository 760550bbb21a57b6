// Differential tests against Ansible for the modules roles use most: blockinfile
// (trees byte for byte, changed/failed per task, two passes for idempotence) and
// stat (the reported fields). Same pattern as ansible_diff_test.cpp: one
// ansible-playbook -c local run on one fresh directory, our modules (check, then
// apply) on another.
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
const auto snapshot = test::tree_snapshot;

struct DiffTask {
    std::string module;
    std::string args;  // YAML; @D@ stands for the directory under test
};

const std::vector<DiffTask>& block_tasks() {
    static const std::vector<DiffTask> t = {
        {"blockinfile", "path: @D@/hosts\nblock: |\n  10.0.0.5 db1\n  10.0.0.6 db2\n"},
        {"blockinfile", "path: @D@/hosts\nblock: |\n  10.0.0.5 db1\n  10.0.0.7 db3\n"},
        {"blockinfile", "path: @D@/sshd\nblock: 'Match User x'\ninsertafter: '^#?PermitRootLogin'\nmarker: '# {mark} users'\n"},
        {"blockinfile", "path: @D@/sshd\nblock: 'top'\ninsertbefore: BOF\nmarker_begin: START\nmarker_end: STOP\n"},
        {"blockinfile", "path: @D@/sshd\nblock: 'before port'\ninsertbefore: '^Port'\nmarker: '## {mark} p'\n"},
        {"blockinfile", "path: @D@/nonl\nblock: 'after no newline'\n"},
        {"blockinfile", "path: @D@/new.conf\nblock: 'created'\ncreate: true\nmode: '0600'\n"},
        {"blockinfile", "path: @D@/missing.conf\nblock: 'x'\n"},
        {"blockinfile", "path: @D@/hosts\nstate: absent\nmarker: '# {mark} nothing here'\n"},
        {"blockinfile", "path: @D@/old\nblock: ''\n"},
        {"blockinfile", "path: @D@/old\nstate: absent\nmarker: '# {mark} OLD'\n"},
        {"blockinfile", "path: @D@/absent.conf\nstate: absent\n"},
        {"blockinfile", "path: @D@/absent.conf\nstate: absent\ncreate: true\n"},
    };
    return t;
}

void seed(const std::string& d) {
    test::write_file(d + "/hosts", "127.0.0.1 localhost\n");
    test::write_file(d + "/sshd", "Port 22\n#PermitRootLogin yes\nPermitRootLogin no\nUsePAM yes\n");
    test::write_file(d + "/nonl", "last line without newline");
    test::write_file(d + "/old", "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n# BEGIN OLD\nx\n# END OLD\n");
    test::write_file(d + "/stat/file.txt", "some bytes\n");
    ::chmod((d + "/stat/file.txt").c_str(), 0640);
    fs::create_directories(d + "/stat/dir");
    ::chmod((d + "/stat/dir").c_str(), 0750);
    fs::create_symlink("file.txt", d + "/stat/link");
    test::write_file(d + "/stat/suid", "");
    ::chmod((d + "/stat/suid").c_str(), 04755);
}

// The stat fields compared, in this order, one line per stat task.
const char* k_stat_fields[] = {"exists", "isdir", "isreg", "islnk", "mode", "size", "checksum", "pw_name",
                               "lnk_target", "isuid", "xusr", "rgrp", "woth"};

const std::vector<std::string>& stat_tasks() {
    static const std::vector<std::string> t = {
        "path: @D@/stat/file.txt\n",
        "path: @D@/stat/dir\n",
        "path: @D@/stat/link\n",
        "path: @D@/stat/link\nfollow: true\n",
        "path: @D@/stat/suid\nchecksum_algorithm: sha256\n",
        "path: @D@/stat/nothing\n",
        "path: @D@/stat/file.txt\nget_checksum: false\n",
    };
    return t;
}

std::string py_str(const Value& v) {
    if (v.is_null()) return "-";
    if (v.is_bool()) return v.as_bool() ? "True" : "False";
    return v.to_string();
}

}  // namespace

TEST_CASE("blockinfile and stat match Ansible", "[ansible][integration][blockinfile][stat]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    test::TempDir work;
    std::string ans = work / "ansible", ours = work / "ours", pb = work / "playbook";
    seed(ans);
    seed(ours);
    const size_t n = block_tasks().size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            play += "    - blockinfile:\n" + indent(substitute(block_tasks()[i].args, ans), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    for (size_t i = 0; i < stat_tasks().size(); ++i)
        play += "    - stat:\n" + indent(substitute(stat_tasks()[i], ans), "        ") + "      register: s" +
                std::to_string(i) + "\n";
    play += "    - copy:\n        dest: " + pb + "/flags.txt\n        content: \"{% for i in range(" + std::to_string(2 * n) +
            ") %}{{ lookup('vars', 'r' ~ i).changed | default(false) }} {{ lookup('vars', 'r' ~ i).failed | "
            "default(false) }}\\n{% endfor %}\"\n";
    std::string fields = "[";
    for (const char* f : k_stat_fields) fields += std::string(fields.size() > 1 ? "," : "") + "'" + f + "'";
    fields += "]";
    play += "    - copy:\n        dest: " + pb + "/stat.txt\n        content: \"{% for i in range(" +
            std::to_string(stat_tasks().size()) + ") %}{% set st = lookup('vars', 's' ~ i).stat %}{% for f in " + fields +
            " %}{{ st[f] | default('-') }} {% endfor %}.\\n{% endfor %}\"\n";  // '.': trim_blocks eats a newline right after a tag
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

    LocalConnection conn("local");
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, pb};
    auto run_ours = [&](const std::string& module, const std::string& yaml, bool& changed, bool& failed) {
        const Module* m = find_module(module);
        REQUIRE(m);
        changed = failed = false;
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
        return result;
    };
    size_t agree = 0;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            bool changed, failed;
            std::string yaml = substitute(block_tasks()[i].args, ours);
            run_ours("blockinfile", yaml, changed, failed);
            std::string mine = std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False");
            INFO("pass " << pass + 1 << ", task " << i << ": " << yaml);
            CHECK(mine == flags[pass * n + i]);
            agree += mine == flags[pass * n + i];
        }
    INFO(test::read_file(pb + "/stat.txt"));
    std::vector<std::string> theirs;
    for (const auto& l : split(test::read_file(pb + "/stat.txt"), '\n'))
        if (!l.empty()) theirs.push_back(l.substr(0, l.size() - 1));
    REQUIRE(theirs.size() == stat_tasks().size());
    for (size_t i = 0; i < stat_tasks().size(); ++i) {
        bool changed, failed;
        Value r = run_ours("stat", substitute(stat_tasks()[i], ours), changed, failed);
        std::string line;
        for (const char* f : k_stat_fields) line += py_str(r.get("stat").get(f)) + " ";
        INFO("stat task " << i << ": " << stat_tasks()[i]);
        CHECK_FALSE(changed);
        CHECK(line == theirs[i]);
        agree += line == theirs[i];
    }
    auto a = snapshot(ans), o = snapshot(ours);
    for (const auto& [path, desc] : a) {
        INFO(path);
        CHECK(o[path] == desc);
        agree += o[path] == desc;
    }
    CHECK(a.size() == o.size());
    WARN("blockinfile/stat vs Ansible: " << agree << " of " << 2 * n + stat_tasks().size() + a.size() << " agree");
}
