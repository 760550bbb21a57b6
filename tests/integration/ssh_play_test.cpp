// End-to-end over SSH: the real upkeep binary runs playbooks against real
// OpenSSH daemons on loopback (tests/support/sshd_lab), with the inventory
// giving each host's address, port, user and key, as an operator would.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// An unprivileged login with /bin/sh: root's ~/.bashrc on this image sources
// pyenv, which costs ~100 ms per command and measures nothing of ours.
constexpr const char* k_user = "upkeep-e2e";

// A run's view: for every task, which hosts it changed (or would change), and
// the recap numbers per host.
struct Outcome {
    int rc = 0;
    std::string out;
    std::map<std::string, std::set<std::string>> changed;  // task -> hosts
    std::map<std::string, std::set<std::string>> unreachable;

    int recap(const std::string& host, const std::string& field) const {
        std::regex re("\n" + host + R"(\s+: .*)" + field + R"(=(\d+))");
        std::smatch m;
        if (!std::regex_search(out, m, re)) return -1;
        return std::stoi(m[1]);
    }
};

Outcome parse(const Run& r) {
    Outcome o;
    o.rc = r.rc;
    o.out = r.out;
    std::string task;
    std::regex task_re(R"(^(?:TASK|RUNNING HANDLER) \[(.*)\])");
    std::regex host_re(R"(^(changed|UNREACHABLE!?|unreachable|fatal): \[([^\]]+)\])");
    for (const auto& line : split(r.out, '\n')) {
        std::smatch m;
        if (std::regex_search(line, m, task_re)) {
            task = m[1];
        } else if (std::regex_search(line, m, host_re)) {
            std::string kind = m[1];
            if (kind == "changed") o.changed[task].insert(m[2]);
            else if (starts_with(to_lower(kind), "unreachable")) o.unreachable[task].insert(m[2]);
            else if (line.find("UNREACHABLE") != std::string::npos) o.unreachable[task].insert(m[2]);
        }
    }
    return o;
}

// A playbook + inventory for the hosts of a lab.
struct Fleet {
    SshdLab& lab;
    TempDir dir;
    std::string user;

    Fleet(SshdLab& l, std::string u, const std::string& extra_vars = "") : lab(l), user(std::move(u)) {
        ::chmod(dir.path().c_str(), 0755);
        std::string inv = "[fleet]\n";
        for (int i = 0; i < lab.size(); ++i) inv += "h" + std::to_string(i) + " ansible_host=" + lab.address(i) + "\n";
        inv += "\n[fleet:vars]\nansible_port=" + std::to_string(lab.port()) + "\nansible_user=" + user +
               "\nansible_ssh_private_key_file=" + lab.client_key() + "\n" + extra_vars;
        write_file(dir / "inventory.ini", inv);
        write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    }
    void add_host(const std::string& line) {
        std::string inv = read_file(dir / "inventory.ini");
        inv.insert(inv.find("\n\n"), "\n" + line);
        write_file(dir / "inventory.ini", inv);
    }
    void playbook(const std::string& yml) { write_file(dir / "site.yml", yml); }
    std::string command(const std::string& flags) const {
        return "play " + shell_quote(dir / "site.yml") + " -i " + shell_quote(dir / "inventory.ini") +
               " --known-hosts " + shell_quote(dir / "known_hosts") + " --verify-convergence -f 10 -T 5 " + flags;
    }
    Outcome play(const std::string& flags = "") const { return parse(upkeep::test::upkeep(command(flags))); }
    // A connection of the test's own, to look at a host's files.
    SshConnection connect(int i) const { return SshConnection(lab.options(i, user)); }
};

std::string fingerprint_of(const std::string& pubkey_line) {
    TempDir d;
    write_file(d / "k.pub", pubkey_line + "\n");
    auto parts = split(sh("ssh-keygen -lf " + shell_quote(d / "k.pub") + " -E sha256").out, ' ');
    return parts.size() > 1 ? parts[1] : "";
}

// An address of 127.0.0.0/8 on which nothing listens on `port`.
std::string silent_address(int port) {
    for (int n = 250; n > 2; --n) {
        std::string a = "127.0.0." + std::to_string(n);
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, a.c_str(), &sa.sin_addr);
        bool taken = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        ::close(fd);
        if (!taken) return a;
    }
    throw std::runtime_error("no silent address");
}

std::vector<std::string> upkeep_temps(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (starts_with(e.path().filename().string(), ".upkeep.")) out.push_back(e.path().string());
    return out;
}

// A directory the test user owns, for playbooks that write as that user.
std::string user_dir(const TempDir& d, const std::string& name) {
    std::string p = d / name;
    fs::create_directories(p);
    sh("chown " + shell_quote(k_user) + " " + shell_quote(p));
    return p;
}

// The file modules and command over SSH, with one path per host under `root`.
const char* k_converge_playbook = R"(
- hosts: fleet
  gather_facts: false
  vars:
    d: "{{ root }}/{{ inventory_hostname }}"
  tasks:
    - name: app dir
      file: path={{ d }}/etc state=directory mode=0755
    - name: config
      copy:
        dest: "{{ d }}/etc/app.conf"
        content: "# managed\nname={{ inventory_hostname }}\nport=8080\n"
        force: false  # a seed: the tasks below edit it
    - name: port
      lineinfile: path={{ d }}/etc/app.conf regexp=^port= line=port=9090
    - name: extra line
      lineinfile: path={{ d }}/etc/app.conf line=log=info
    - name: tighten mode
      file: path={{ d }}/etc/app.conf mode=0640
    - name: initialise once
      command: touch {{ d }}/initialised
      args:
        creates: "{{ d }}/initialised"
)";

}  // namespace

TEST_CASE("ssh e2e: dry run predicts, the first run converges 4 hosts, the second changes nothing", "[ssh-e2e]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 4, .users = {k_user}});
    Fleet f(lab, k_user);
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    std::string root = user_dir(data, "hosts");
    f.playbook(std::string(k_converge_playbook));
    std::string flags = "-e root=" + root;

    Outcome dry = f.play(flags + " --check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    for (int i = 0; i < 4; ++i) CHECK(dry.recap("h" + std::to_string(i), "changed") == 6);
    CHECK(dry.out.find("+port=9090") != std::string::npos);
    CHECK(dry.out.find("+name=h2") != std::string::npos);
    // The dry run wrote nothing on any host.
    CHECK(fs::is_empty(root));

    Outcome first = f.play(flags);
    INFO(first.out);
    REQUIRE(first.rc == 0);
    CHECK(first.changed == dry.changed);  // the dry run predicted exactly what changed
    CHECK(first.changed.size() == 6);
    for (int i = 0; i < 4; ++i) {
        std::string h = "h" + std::to_string(i), conf = root + "/" + h + "/etc/app.conf";
        CHECK(first.recap(h, "changed") == 6);
        CHECK(read_file(conf) == "# managed\nname=" + h + "\nport=9090\nlog=info\n");
        // As the remote side sees it: the login user's file, mode 0640.
        SshConnection c = f.connect(i);
        FileInfo st = c.stat(conf);
        CHECK(st.mode == 0640);
        CHECK(st.owner == k_user);
        CHECK(c.stat(root + "/" + h + "/initialised").is_file());
        CHECK(upkeep_temps(root + "/" + h + "/etc").empty());
    }

    Outcome second = f.play(flags);
    INFO(second.out);
    CHECK(second.rc == 0);
    CHECK(second.changed.empty());
    for (int i = 0; i < 4; ++i) CHECK(second.recap("h" + std::to_string(i), "changed") == 0);

    // A dry run of a converged fleet predicts nothing either. Run from the
    // inventory's directory with relative paths, as an operator types it.
    Outcome audit = parse(sh("cd " + shell_quote(f.dir.path()) + " && NO_COLOR=1 " + UPKEEP_BINARY +
                             " play site.yml -i inventory.ini --known-hosts known_hosts --check --diff " + flags));
    INFO(audit.out);
    CHECK(audit.rc == 0);
    CHECK(audit.recap("h3", "ok") == 6);
    CHECK(audit.changed.empty());
}

TEST_CASE("ssh e2e: hosts with their own root filesystem, same paths, written as root", "[ssh-e2e]") {
    // Copy-on-write roots: every host has its own /etc; the real one stays untouched.
    SshdLab lab(SshdLab::Options{.hosts = 3, .own_root = true});
    Fleet f(lab, "root");
    const std::string dir = "/etc/upkeep-e2e-" + std::to_string(::getpid());
    f.playbook(R"(
- hosts: fleet
  gather_facts: true
  tasks:
    - file: path=)" + dir + R"( state=directory mode=0750
    - copy:
        dest: )" + dir + R"(/host.conf
        content: "host={{ inventory_hostname }} hostname={{ ansible_hostname }}\n"
        mode: "0600"
    - lineinfile: path=)" + dir + R"(/other.conf line=extra=1 create=true
)");
    Outcome first = f.play();
    INFO(first.out);
    REQUIRE(first.rc == 0);
    CHECK_FALSE(fs::exists(dir));  // the test machine's own /etc is not a host
    for (int i = 0; i < 3; ++i) {
        SshConnection c = f.connect(i);
        CHECK(c.read_file(dir + "/host.conf") ==
              "host=h" + std::to_string(i) + " hostname=lab-host" + std::to_string(i) + "\n");
        CHECK(c.read_file(dir + "/other.conf") == "extra=1\n");
        FileInfo st = c.stat(dir + "/host.conf");
        CHECK(st.mode == 0600);
        CHECK(st.owner == "root");
        CHECK(c.stat(dir).mode == 0750);
    }
    Outcome second = f.play();
    CHECK(second.rc == 0);
    CHECK(second.changed.empty());
}

TEST_CASE("ssh e2e: a changed host key makes that host unreachable, the others finish", "[ssh-e2e]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 3, .users = {k_user}});
    Fleet f(lab, k_user);
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    std::string root = user_dir(data, "hosts");
    f.playbook(std::string(k_converge_playbook));

    // h1's recorded key is another key: an impostor, or a reinstalled host.
    TempDir keys;
    sh("ssh-keygen -q -t ed25519 -N '' -f " + shell_quote(keys / "other"));
    std::string other = trim(sh("cut -d' ' -f1-2 " + shell_quote(keys / "other.pub")).out);
    std::string kh = read_file(f.dir / "known_hosts");
    std::string real_line = "[" + lab.address(1) + "]:" + std::to_string(lab.port()) + " " + lab.host_public_key(1);
    REQUIRE(kh.find(real_line) != std::string::npos);
    kh.replace(kh.find(real_line), real_line.size(),
               "[" + lab.address(1) + "]:" + std::to_string(lab.port()) + " " + other);
    write_file(f.dir / "known_hosts", kh);

    Outcome o = f.play("-e root=" + root);
    INFO(o.out);
    CHECK(o.rc == 4);
    CHECK(o.recap("h1", "unreachable") == 1);
    CHECK(o.out.find(fingerprint_of(other)) != std::string::npos);                  // what we expected
    CHECK(o.out.find(fingerprint_of(lab.host_public_key(1))) != std::string::npos);  // what it offered
    CHECK(o.out.find("has changed") != std::string::npos);
    CHECK_FALSE(fs::exists(root + "/h1"));
    for (const char* h : {"h0", "h2"}) {
        CHECK(o.recap(h, "changed") == 6);
        CHECK(o.recap(h, "unreachable") == 0);
        CHECK(fs::exists(root + "/" + std::string(h) + "/initialised"));
    }
    // The known_hosts file was not "fixed" behind the operator's back.
    CHECK(read_file(f.dir / "known_hosts") == kh);
}

TEST_CASE("ssh e2e: an unknown host is refused by default, accept-new records it", "[ssh-e2e]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 3, .users = {k_user}});
    Fleet f(lab, k_user);
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    std::string root = user_dir(data, "hosts");
    f.playbook(std::string(k_converge_playbook));
    std::string name = "[" + lab.address(2) + "]:" + std::to_string(lab.port());
    std::string kh;
    for (const auto& line : split(read_file(f.dir / "known_hosts"), '\n'))
        if (!line.empty() && !starts_with(line, name)) kh += line + "\n";
    write_file(f.dir / "known_hosts", kh);

    Outcome strict = f.play("-e root=" + root);
    INFO(strict.out);
    CHECK(strict.rc == 4);
    CHECK(strict.recap("h2", "unreachable") == 1);
    CHECK(strict.out.find("unknown") != std::string::npos);
    CHECK(strict.out.find(fingerprint_of(lab.host_public_key(2))) != std::string::npos);
    CHECK(strict.recap("h0", "changed") == 6);
    CHECK(read_file(f.dir / "known_hosts") == kh);

    Outcome accept = f.play("-e root=" + root + " --host-key-checking accept-new");
    INFO(accept.out);
    CHECK(accept.rc == 0);
    CHECK(accept.recap("h2", "changed") == 6);
    CHECK(accept.recap("h0", "changed") == 0);
    // Recorded: exactly h2's real key, under its [addr]:port name, the others kept.
    std::string recorded = read_file(f.dir / "known_hosts");
    CHECK(starts_with(recorded, kh));
    CHECK(recorded.find(lab.host_public_key(2)) != std::string::npos);
    Outcome again = f.play("-e root=" + root);  // strict again: now known
    CHECK(again.rc == 0);
    CHECK(again.changed.empty());
}

TEST_CASE("ssh e2e: a closed port is unreachable at once, the others finish", "[ssh-e2e]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 2, .users = {k_user}});
    Fleet f(lab, k_user);
    f.add_host("dead ansible_host=" + silent_address(lab.port()));
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    std::string root = user_dir(data, "hosts");
    f.playbook(std::string(k_converge_playbook));
    auto t0 = Clock::now();
    Outcome o = f.play("-e root=" + root);
    auto took = Clock::now() - t0;
    INFO(o.out);
    CHECK(o.rc == 4);
    CHECK(o.recap("dead", "unreachable") == 1);
    CHECK(o.out.find("connection refused") != std::string::npos);
    CHECK(o.recap("h0", "changed") == 6);
    CHECK(o.recap("h1", "changed") == 6);
    // Refused is not a timeout: no waiting for -T 5.
    CHECK(took < std::chrono::seconds(4));
}

TEST_CASE("ssh e2e: sshd killed mid-run: that host is unreachable, nothing half-written, the others finish",
          "[ssh-e2e]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 4, .users = {k_user}});
    Fleet f(lab, k_user);
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    std::string root = user_dir(data, "hosts");
    // A big source file: its SFTP write takes long enough to be cut in the middle.
    std::string big(48 * 1024 * 1024, 'b');
    write_file(f.dir / "files/big.bin", big);
    f.playbook(R"(
- hosts: fleet
  gather_facts: false
  vars:
    d: "{{ root }}/{{ inventory_hostname }}"
  tasks:
    - name: started
      copy: dest={{ d }}/started content=yes
    - name: slow command
      command: sleep 2
    - name: big file over the old one
      copy: src=big.bin dest={{ d }}/big/big.bin
    - name: done
      copy: dest={{ d }}/done content=yes
)");
    // The old files belong to the login user but keep group root, which that
    // user is not in: the replacement cannot keep the group, and (as in
    // Ansible) that must not fail the write.
    for (int i = 0; i < 4; ++i) {
        std::string d = user_dir(data, "hosts/h" + std::to_string(i) + "/big");
        write_file(d + "/big.bin", "old\n");
        sh("chown -R " + shell_quote(k_user) + " " + shell_quote(root));
    }
    auto run = std::async(std::launch::async, [&] { return f.play("-e root=" + root); });

    // h1 dies during `sleep 2` (all hosts are past "started" then), h2 during
    // the big write (its temp file is growing).
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!fs::exists(root + "/h1/started") && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    lab.kill_host(1);
    bool cut = false;
    while (!cut && Clock::now() < deadline && run.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        for (const auto& t : upkeep_temps(root + "/h2/big")) {
            std::error_code ec;
            if (fs::file_size(t, ec) > 0 && !ec) cut = true;
        }
        if (!cut) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    lab.kill_host(2);
    Outcome o = run.get();
    INFO(o.out);
    CHECK(cut);
    CHECK(o.rc == 4);
    CHECK(o.recap("h1", "unreachable") == 1);
    CHECK(o.recap("h2", "unreachable") == 1);
    CHECK(o.unreachable["slow command"] == std::set<std::string>{"h1"});
    CHECK(o.unreachable["big file over the old one"] == std::set<std::string>{"h2"});
    CHECK(o.out.find("connection lost during write") != std::string::npos);
    // The old file is whole: the new bytes only ever went to a temp file.
    CHECK(read_file(root + "/h1/big/big.bin") == "old\n");
    CHECK(read_file(root + "/h2/big/big.bin") == "old\n");
    CHECK_FALSE(fs::exists(root + "/h1/done"));
    CHECK_FALSE(fs::exists(root + "/h2/done"));
    for (const char* h : {"h0", "h3"}) {
        std::string d = root + "/" + h;
        CHECK(o.recap(h, "failed") == 0);
        CHECK(o.recap(h, "unreachable") == 0);
        CHECK(fs::file_size(d + "/big/big.bin") == big.size());
        CHECK(f.connect(h[1] - '0').stat(d + "/big/big.bin").owner == k_user);
        CHECK(fs::exists(d + "/done"));
        CHECK(upkeep_temps(d + "/big").empty());
    }
}

TEST_CASE("ssh e2e: become via sudo with the inventory's password writes a root-owned file atomically",
          "[ssh-e2e][become]") {
    const std::string password = "Sud0-e2e-pa55word";
    TestUser user(k_user, password);
    SudoersEntry sudoers("upkeep-e2e", std::string("Defaults:") + k_user + " lecture=never\n" + k_user + " ALL=(ALL) ALL");
    SshdLab lab(SshdLab::Options{.hosts = 2, .users = {k_user}});
    Fleet f(lab, k_user, "ansible_become=true\nansible_become_password=" + password + "\n");
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    // Only root may write here.
    std::string root = data / "etc";
    fs::create_directories(root);
    ::chmod(root.c_str(), 0755);
    f.playbook(R"(
- hosts: fleet
  gather_facts: true
  tasks:
    - name: who
      command: id -un
      register: who
      changed_when: false
    - assert:
        that: who.stdout == "root"
    - name: secret config
      copy:
        dest: "{{ root }}/{{ inventory_hostname }}.conf"
        content: "token={{ token }}\n"
        mode: "0640"
        owner: root
        group: root
)");
    Outcome first = f.play("-e root=" + root + " -e token=one -vvv --diff");
    INFO(first.out);
    REQUIRE(first.rc == 0);
    CHECK(first.changed["secret config"] == std::set<std::string>{"h0", "h1"});
    CHECK(first.out.find(password) == std::string::npos);
    for (const char* h : {"h0", "h1"}) {
        std::string p = root + "/" + std::string(h) + ".conf";
        struct stat st{};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        CHECK(st.st_uid == 0);
        CHECK(st.st_gid == 0);
        CHECK((st.st_mode & 07777) == 0640);
        CHECK(read_file(p) == "token=one\n");
    }
    // A change replaces the file by rename (a new inode), never by rewriting it in place.
    struct stat before{};
    ::stat((root + "/h0.conf").c_str(), &before);
    Outcome second = f.play("-e root=" + root + " -e token=two");
    INFO(second.out);
    CHECK(second.rc == 0);
    CHECK(second.out.find(password) == std::string::npos);
    struct stat after{};
    ::stat((root + "/h0.conf").c_str(), &after);
    CHECK(after.st_ino != before.st_ino);
    CHECK(after.st_uid == 0);
    CHECK((after.st_mode & 07777) == 0640);
    CHECK(read_file(root + "/h0.conf") == "token=two\n");
    CHECK(upkeep_temps(root).empty());
    Outcome third = f.play("-e root=" + root + " -e token=two");
    CHECK(third.rc == 0);
    CHECK(third.changed.empty());
}
