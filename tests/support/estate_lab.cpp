#include "tests/support/estate_lab.hpp"

#include <sys/stat.h>

#include <future>
#include <regex>

#include "engine/util/strings.hpp"
#include "tests/support/json_values.hpp"

namespace upkeep::test {

EstateLab::EstateLab(int hosts, std::vector<std::string> services)
    : m_lab(SshdLab::Options{.hosts = hosts, .own_root = true}), m_services(std::move(services)) {
    ::chmod(m_dir.path().c_str(), 0755);
    write_file(m_dir / "known_hosts", read_file(m_lab.known_hosts()));
}

EstateLab::~EstateLab() {
    if (m_services.empty()) return;
    std::string line = "for s in " + join(m_services, " ") + "; do [ -x /etc/init.d/$s ] && /etc/init.d/$s stop; done; true";
    for (int i = 0; i < m_lab.size(); ++i) {
        try {
            try_run(i, line);
        } catch (const std::exception&) {
            // a host that is down has no daemon left to stop
        }
    }
}

SshConnection& EstateLab::conn(int host) {
    std::lock_guard<std::mutex> lock(m_conns_mutex);
    auto& c = m_conns[host];
    if (!c) {
        c = std::make_unique<SshConnection>(m_lab.options(host));
        c->connect();
    }
    return *c;
}

void EstateLab::forget_login(int host) {
    std::lock_guard<std::mutex> lock(m_conns_mutex);
    m_conns.erase(host);
}

std::string EstateLab::run(int host, const std::string& line) {
    CommandResult r = try_run(host, line);
    INFO(line << "\n" << r.out << r.err);
    REQUIRE(r.rc == 0);
    return r.out;
}

CommandResult EstateLab::try_run(int host, const std::string& line) {
    Command cmd;
    cmd.cmdline = line;
    return conn(host).run(cmd);
}

CommandResult EstateLab::run_fresh(int host, const std::string& line) {
    SshConnection c(m_lab.options(host));
    c.connect();
    Command cmd;
    cmd.cmdline = line;
    return c.run(cmd);
}

void EstateLab::put(int host, const std::string& path, const std::string& content) {
    conn(host).make_dirs(path.substr(0, path.rfind('/')), std::nullopt);
    conn(host).write_file(path, content, WriteOptions{});
}

std::string EstateLab::get(int host, const std::string& path) { return conn(host).read_file(path).value_or("<missing>"); }

std::string EstateLab::rpm_version(int host, const std::string& pkg) {
    return trim(try_run(host, "rpm -q --qf '%{VERSION}' " + pkg).out);
}

std::string EstateLab::deb_version(int host, const std::string& pkg) {
    return trim(try_run(host, "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' " + pkg + " 2>/dev/null").out);
}

void EstateLab::pose_as_centos(int host, const std::string& repo_url) {
    put(host, "/etc/os-release", "NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n");
    put(host, "/etc/dnf/vars/releasever", "7\n");
    if (!repo_url.empty())
        put(host, "/etc/yum.repos.d/cloudstack.repo", "[apache-cloudstack]\nname=Apache CloudStack\nbaseurl=" + repo_url +
                                                          "\nenabled=1\ngpgcheck=0\nmetadata_expire=0\n");
}

std::string EstateLab::inventory_head() const {
    return "all:\n  vars:\n"
           "    ansible_port: " + std::to_string(m_lab.port()) + "\n"
           "    ansible_user: root\n"
           "    ansible_ssh_private_key_file: " + m_lab.client_key() + "\n";
}

void EstateLab::write_inventory(const std::string& yaml) { write_file(m_dir / "inventory.yml", yaml); }

Run EstateLab::play(const std::string& flags) {
    return upkeep::test::upkeep("play " + std::string(UPKEEP_TEST_FIXTURES) + "/../../playbooks/site.yml -i " +
                                m_dir / "inventory.yml" + " --known-hosts " + m_dir / "known_hosts" + " -T 10 " + flags);
}

std::string dnf_install_line(const std::string& packages) {
    return ": > /root/.bashrc; rm -f /var/lib/dpkg/status; rm -f /etc/yum.repos.d/debian*.repo; "
           "dnf -q -y --disablerepo='*' --enablerepo=apache-cloudstack install " + packages + " >/dev/null";
}

std::string apt_install_line(const std::string& apt_line, const std::string& packages) {
    return ": > /root/.bashrc; rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; "
           "echo '" + apt_line + "' > /etc/apt/sources.list.d/cloudstack.list; "
           "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + packages + " >/dev/null";
}

std::string init_script(const std::string& name, const std::string& exe, const std::string& on_start) {
    return "#!/bin/sh\n"
           "pidfile=/var/run/" + name + ".pid\n"
           "running() { [ -f $pidfile ] && kill -0 \"$(cat $pidfile)\" 2>/dev/null; }\n"
           "case \"$1\" in\n"
           "  start) running && exit 0\n" +
           on_start +
           "    setsid " + exe + " 900 >/dev/null 2>&1 </dev/null & echo $! > $pidfile ;;\n"
           "  stop) running && kill \"$(cat $pidfile)\"; rm -f $pidfile ;;\n"
           "  restart) \"$0\" stop; \"$0\" start ;;\n"
           "  status) running ;;\n"
           "  *) exit 2 ;;\n"
           "esac\n";
}

int recap(const std::string& out, const std::string& host, const std::string& field) {
    std::regex re("\n" + host + R"(\s+: .*)" + field + R"(=(\d+))");
    std::smatch m;
    if (!std::regex_search(out, m, re)) return -1;
    return std::stoi(m[1]);
}

namespace {

// Calls `each(host, task name, result)` for every host result in a --report-json.
void for_each_result(const std::string& report_path,
                     const std::function<void(const std::string&, const std::string&, const Value&)>& each) {
    std::vector<Value> doc = parse_json_values(read_file(report_path));
    REQUIRE(doc.size() == 1);
    for (const auto& play : doc[0].get("plays").as_list())
        for (const auto& task : play.get("tasks").as_list())
            for (const auto& [host, r] : task.get("hosts").as_map()) each(host, task.get("name").as_string(), r);
}

}  // namespace

std::set<std::string> changed_pairs(const std::string& report_path) {
    std::set<std::string> pairs;
    for_each_result(report_path, [&](const std::string& host, const std::string& task, const Value& r) {
        if (r.has("changed") && r.get("changed").as_bool()) pairs.insert(host + " | " + task);
    });
    return pairs;
}

std::map<std::string, std::string> depends_on_pairs(const std::string& report_path) {
    std::map<std::string, std::string> pairs;
    for_each_result(report_path, [&](const std::string& host, const std::string& task, const Value& r) {
        if (r.has("depends_on")) pairs[host + " | " + task] = r.get("depends_on").as_string();
    });
    return pairs;
}

std::string missing_from(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::string out;
    for (const auto& x : a)
        if (!b.count(x)) out += "  " + x + "\n";
    return out.empty() ? "  (none)\n" : out;
}

void check_converged(EstateLab& estate, const std::vector<std::string>& hosts) {
    for (const char* flags : {"--check", ""}) {
        Run r = estate.play(flags);
        INFO("upkeep play site.yml " << flags << "\n" << r.out);
        CHECK(r.rc == 0);
        for (const auto& h : hosts) {
            INFO(h);
            CHECK(recap(r.out, h, "changed") == 0);
        }
    }
}

std::vector<CommandResult> concurrently(const std::vector<std::function<CommandResult()>>& jobs) {
    std::vector<std::future<CommandResult>> running;
    for (const auto& j : jobs) running.push_back(std::async(std::launch::async, j));
    std::vector<CommandResult> out;
    for (auto& r : running) out.push_back(r.get());
    return out;
}

void require_all(const std::vector<CommandResult>& results) {
    for (size_t i = 0; i < results.size(); ++i) {
        INFO("setup job " << i << " (rc " << results[i].rc << "):\n" << results[i].out << results[i].err);
        REQUIRE(results[i].rc == 0);
    }
}

}  // namespace upkeep::test
