#include <catch2/catch.hpp>

#include <cstdlib>

#include "engine/connection/become.hpp"
#include "engine/connection/known_hosts.hpp"
#include "engine/connection/ssh_options.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using HKC = SshOptions::HostKeyChecking;

namespace {

SshOptions no_config() {
    SshOptions d;
    d.ssh_config_file = "none";
    return d;
}

}  // namespace

TEST_CASE("ssh options: defaults come from the inventory name", "[ssh][options]") {
    SshOptions o = ssh_options_from_vars("web1", Value(), no_config());
    CHECK(o.host_name == "web1");
    CHECK(o.address == "web1");
    CHECK(o.port == 22);
    CHECK(!o.user.empty());
    CHECK(o.host_key_checking == HKC::Strict);
    CHECK_FALSE(o.become);
}

TEST_CASE("ssh options: ansible_* variables", "[ssh][options]") {
    Value vars = parse_yaml(R"(
ansible_host: 127.0.0.5
ansible_port: "2222"
ansible_user: deploy
ansible_ssh_private_key_file: /keys/id
ansible_password: s3cret
ansible_become: yes
ansible_become_method: su
ansible_become_user: postgres
ansible_become_pass: b3come
)",
                            "host_vars.yml");
    SshOptions o = ssh_options_from_vars("db1", vars, no_config());
    CHECK(o.host_name == "db1");
    CHECK(o.address == "127.0.0.5");
    CHECK(o.port == 2222);
    CHECK(o.user == "deploy");
    CHECK(o.identity_files == std::vector<std::string>{"/keys/id"});
    CHECK(o.password == "s3cret");
    CHECK(o.become);
    CHECK(o.become_method == "su");
    CHECK(o.become_user == "postgres");
    CHECK(o.become_password == "b3come");
}

TEST_CASE("ssh options: aliases ansible_ssh_pass and ansible_become_password", "[ssh][options]") {
    Value vars = parse_yaml("ansible_ssh_pass: a\nansible_become_password: b\nansible_port: 2201\n", "v.yml");
    SshOptions o = ssh_options_from_vars("h", vars, no_config());
    CHECK(o.password == "a");
    CHECK(o.become_password == "b");
    CHECK(o.port == 2201);
}

TEST_CASE("ssh options: a bad port points at the variable", "[ssh][options]") {
    Value vars = parse_yaml("ansible_port: twenty\n", "inv.yml");
    try {
        ssh_options_from_vars("h", vars, no_config());
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "inv.yml:1:15");
        CHECK(std::string(e.what()).find("'twenty' is not a port number") != std::string::npos);
    }
}

TEST_CASE("ssh options: an unsupported become method is a user error", "[ssh][options]") {
    Value vars = parse_yaml("ansible_become_method: doas\n", "inv.yml");
    CHECK_THROWS_AS(ssh_options_from_vars("h", vars, no_config()), UserError);
}

TEST_CASE("ssh options: OpenSSH arguments in ansible_ssh_common_args", "[ssh][options]") {
    Value vars = parse_yaml(R"(
ansible_ssh_common_args: "-o StrictHostKeyChecking=accept-new -o 'UserKnownHostsFile /tmp/kh' -o ConnectTimeout=3 -i /k1 -p 2223 -J jump@127.0.0.8:2202"
ansible_ssh_extra_args: "-o StrictHostKeyChecking=no -o IdentityFile=/k2 -o User=ops"
)",
                            "v.yml");
    SshOptions o = ssh_options_from_vars("h", vars, no_config());
    // For OpenSSH the first value wins: common_args come before extra_args.
    CHECK(o.host_key_checking == HKC::AcceptNew);
    CHECK(o.known_hosts_file == "/tmp/kh");
    CHECK(o.connect_timeout_s == 3);
    CHECK(o.port == 2223);
    CHECK(o.proxy_jump == "jump@127.0.0.8:2202");
    CHECK(o.user == "ops");
    CHECK(o.identity_files == std::vector<std::string>{"/k1", "/k2"});
}

TEST_CASE("ssh options: variables beat arguments, arguments beat cli defaults", "[ssh][options]") {
    SshOptions cli = no_config();
    cli.user = "cliuser";
    cli.port = 2000;
    Value vars = parse_yaml("ansible_ssh_common_args: -p 2001 -l arguser\nansible_port: 2002\n", "v.yml");
    SshOptions o = ssh_options_from_vars("h", vars, cli);
    CHECK(o.port == 2002);
    CHECK(o.user == "arguser");
    SshOptions only_cli = ssh_options_from_vars("h", Value(), cli);
    CHECK(only_cli.port == 2000);
    CHECK(only_cli.user == "cliuser");
}

TEST_CASE("ssh options: StrictHostKeyChecking spellings", "[ssh][options]") {
    CHECK(parse_host_key_checking("yes") == HKC::Strict);
    CHECK(parse_host_key_checking("ask") == HKC::Strict);
    CHECK(parse_host_key_checking("accept-new") == HKC::AcceptNew);
    CHECK(parse_host_key_checking("no") == HKC::Off);
    CHECK(parse_host_key_checking("off") == HKC::Off);
    CHECK_THROWS_AS(parse_host_key_checking("maybe"), UserError);
    Value vars = parse_yaml("ansible_host_key_checking: false\n", "v.yml");
    CHECK(ssh_options_from_vars("h", vars, no_config()).host_key_checking == HKC::Off);
}

TEST_CASE("ssh options: a missing argument value is an error with the variable's mark", "[ssh][options]") {
    Value vars = parse_yaml("ansible_ssh_common_args: -o\n", "inv.yml");
    try {
        ssh_options_from_vars("h", vars, no_config());
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "inv.yml:1:26");
        CHECK(std::string(e.what()).find("-o needs a value") != std::string::npos);
    }
}

TEST_CASE("ssh options: ~/.ssh/config Host blocks through libssh", "[ssh][options]") {
    test::TempDir dir;
    std::string cfg = dir / "config";
    test::write_file(cfg, R"(Host web1
  HostName 127.0.0.7
  User deploy
  Port 2201
  IdentityFile /keys/web
  ProxyJump jumper@127.0.0.8:2202

Host 127.0.0.9
  User nine

Host *
  User fallback
)");
    SshOptions d;
    d.ssh_config_file = cfg;
    SshOptions o = ssh_options_from_vars("web1", Value(), d);
    CHECK(o.address == "127.0.0.7");
    CHECK(o.user == "deploy");
    CHECK(o.port == 2201);
    CHECK(o.identity_files == std::vector<std::string>{"/keys/web"});
    CHECK(o.proxy_jump == "jumper@127.0.0.8:2202");

    // The config is looked up by ansible_host, and explicit variables win.
    Value vars = parse_yaml("ansible_host: 127.0.0.9\n", "v.yml");
    CHECK(ssh_options_from_vars("db", vars, d).user == "nine");
    Value vars2 = parse_yaml("ansible_user: root\nansible_port: 2299\n", "v.yml");
    SshOptions o2 = ssh_options_from_vars("web1", vars2, d);
    CHECK(o2.user == "root");
    CHECK(o2.port == 2299);
    CHECK(o2.address == "127.0.0.7");

    // Host * applies to everything else.
    CHECK(ssh_options_from_vars("other", Value(), d).user == "fallback");

    // -F in the arguments picks the file.
    Value vars3 = parse_yaml("ansible_ssh_common_args: -F " + cfg + "\n", "v.yml");
    CHECK(ssh_options_from_vars("web1", vars3, no_config()).address == "127.0.0.7");
}

TEST_CASE("ssh options: shell word splitting", "[ssh][options]") {
    CHECK(split_shell_words(R"(-o 'A B' "c \"d\"" e\ f)") == std::vector<std::string>{"-o", "A B", "c \"d\"", "e f"});
    CHECK_THROWS_AS(split_shell_words("'open"), UserError);
}

TEST_CASE("ssh options: endpoints", "[ssh][options]") {
    auto e = parse_ssh_endpoint("bob@127.0.0.3:2222");
    CHECK(e.user == "bob");
    CHECK(e.host == "127.0.0.3");
    CHECK(e.port == 2222);
    auto v6 = parse_ssh_endpoint("[::1]:22");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 22);
    CHECK(parse_ssh_endpoint("jump").port == 0);
    CHECK(known_hosts_name("127.0.0.5", 2222) == "[127.0.0.5]:2222");
    CHECK(known_hosts_name("host", 22) == "host");
}

TEST_CASE("become: the password never goes into the command line", "[ssh][become]") {
    BecomeCommand b = wrap_become("/bin/sh -c 'id -un'", BecomeSpec{"sudo", "postgres", "pa55word"});
    CHECK(b.cmdline.find("pa55word") == std::string::npos);
    CHECK(b.cmdline.rfind("sudo -S -p '" + b.prompt + "' -H -u postgres -- /bin/sh -c ", 0) == 0);
    CHECK(b.prompt.find('%') == std::string::npos);

    BecomeCommand nopw = wrap_become("true", BecomeSpec{"sudo", "root", ""});
    CHECK(nopw.cmdline.rfind("sudo -n ", 0) == 0);

    BecomeCommand su = wrap_become("true", BecomeSpec{"su", "app", "x"});
    CHECK(su.cmdline.rfind("su -s /bin/sh -c ", 0) == 0);
    CHECK(su.cmdline.find(" app") != std::string::npos);
    CHECK(su.prompt_is_su);
    CHECK_THROWS_AS(wrap_become("true", BecomeSpec{"sudo", "root", "a\nb"}), TaskError);
}

TEST_CASE("become: the payload announces itself before running", "[ssh][become]") {
    BecomeCommand b = wrap_become("echo out; cat", BecomeSpec{"sudo", "root", "pw"});
    std::string payload = b.cmdline.substr(b.cmdline.find("/bin/sh -c ") + 11);
    test::Run r = test::sh("echo data | /bin/sh -c " + payload + " 2>&1");
    CHECK(r.out == b.marker + "\nout\ndata\n");
}

TEST_CASE("become: prompts are recognized in stderr", "[ssh][become]") {
    BecomeCommand sudo = wrap_become("true", BecomeSpec{"sudo", "root", "pw"});
    std::string err = "lecture\n" + sudo.prompt;
    auto [b, e] = find_become_prompt(sudo, err, 0);
    CHECK(b == 8);
    CHECK(e == err.size());
    CHECK(find_become_prompt(sudo, "nothing", 0).first == std::string::npos);

    BecomeCommand su = wrap_become("true", BecomeSpec{"su", "app", "pw"});
    std::string su_err = "Password: ";
    auto [sb, se] = find_become_prompt(su, su_err, 0);
    CHECK(sb == 0);
    CHECK(se == su_err.size());
    CHECK(find_become_prompt(su, "Passw", 0).first == std::string::npos);  // incomplete yet
}

TEST_CASE("ssh options: ProxyCommand is kept, unsupported options are refused by name", "[ssh][options][hostile]") {
    Value vars = parse_yaml(R"(
ansible_ssh_common_args: "-C -o ControlMaster=auto -o ControlPersist=60s -o 'ProxyCommand=nc -q0 %h %p' -o ForwardAgent=no"
ansible_ssh_extra_args: "-o PasswordAuthentication=no -o IdentitiesOnly=yes"
)",
                            "v.yml");
    SshOptions o = ssh_options_from_vars("h", vars, no_config());
    CHECK(o.proxy_command == "nc -q0 %h %p");
    CHECK(o.proxy_jump.empty());
    CHECK_FALSE(o.password_auth);
    CHECK(o.identities_only);

    auto refused = [](const std::string& args) -> std::string {
        Value v = parse_yaml("ansible_ssh_extra_args: \"" + args + "\"\n", "inv.yml");
        try {
            ssh_options_from_vars("h", v, no_config());
        } catch (const UserError& e) {
            return e.mark().to_string() + ": " + e.what();
        }
        return "";
    };
    CHECK_THAT(refused("-o LocalForward=8080:127.0.0.1:80"), Catch::Contains("ssh option 'LocalForward=8080:127.0.0.1:80' is not supported"));
    CHECK_THAT(refused("-o ForwardAgent=yes"), Catch::Contains("'ForwardAgent=yes' is not supported"));
    CHECK_THAT(refused("-o Ciphers=aes128-ctr"), Catch::StartsWith("inv.yml:1:"));
    CHECK_THAT(refused("-A"), Catch::Contains("ssh argument '-A' is not supported"));
    CHECK_THAT(refused("-L 8080:127.0.0.1:80"), Catch::Contains("'-L' is not supported"));
    CHECK_THAT(refused("stray"), Catch::Contains("unexpected ssh argument 'stray'"));
    CHECK_THAT(refused("-J a@b -o 'ProxyCommand=nc %h %p'"), Catch::Contains("both ProxyJump and ProxyCommand"));

    // The first of common_args / extra_args wins, as for OpenSSH; "none" turns it off.
    Value both = parse_yaml("ansible_ssh_common_args: -J jump\nansible_ssh_extra_args: -o ProxyCommand=nc\n", "v.yml");
    SshOptions b = ssh_options_from_vars("h", both, no_config());
    CHECK(b.proxy_jump == "jump");
    CHECK(b.proxy_command.empty());
}
