// ProxyCommand from ansible_ssh_common_args against a real sshd (issue 14.9):
// the connection goes through the command (a small stdin/stdout <-> TCP
// forwarder), never directly, and unsupported options refuse the connection.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// A loopback address where nothing listens on `port`: connecting directly fails.
std::string silent_address(int port) {
    for (int n = 249; n > 2; --n) {
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

// Forwards stdin/stdout to a TCP address, and notes each use in a log file.
constexpr const char* k_forwarder = R"(import os, socket, sys, threading
host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(log, "a") as f:
    f.write("via %s:%d for %s\n" % (host, port, sys.argv[4]))
s = socket.create_connection((host, port))
def up():
    while True:
        b = os.read(0, 65536)
        if not b:
            s.shutdown(socket.SHUT_WR)
            return
        s.sendall(b)
threading.Thread(target=up, daemon=True).start()
while True:
    b = s.recv(65536)
    if not b:
        break
    os.write(1, b)
)";

}  // namespace

TEST_CASE("ssh: ProxyCommand in ansible_ssh_common_args carries the connection", "[ssh][integration][hostile]") {
    SshdLab lab;
    TempDir d;
    write_file(d / "fwd.py", k_forwarder);
    std::string log = d / "proxy.log";
    std::string ghost = silent_address(2222);
    // The inventory names an address nothing listens on; only the proxy knows
    // the way to the real sshd (as a bastion would).
    write_file(d / "known_hosts", "[" + ghost + "]:2222 " + lab.host_public_key(0) + "\n");
    Value vars;
    vars["ansible_host"] = Value(ghost);
    vars["ansible_port"] = Value(2222);
    vars["ansible_user"] = Value("root");
    vars["ansible_ssh_private_key_file"] = Value(lab.client_key());
    vars["ansible_ssh_common_args"] =
        Value("-o ControlMaster=auto -o UserKnownHostsFile=" + d / "known_hosts" + " -o 'ProxyCommand=/usr/bin/python3 " +
              d / "fwd.py" + " " + lab.address(0) + " 2222 " + log + " %h:%p'");
    SshOptions cli;
    cli.ssh_config_file = "none";
    SshConnection c(ssh_options_from_vars("bastioned", vars, cli));
    CHECK(c.run(Command{"echo through"}).out == "through\n");
    CHECK(read_file(log) == "via " + lab.address(0) + ":2222 for " + ghost + ":2222\n");

    // Without the proxy the same host is unreachable: the test proves the path.
    vars["ansible_ssh_common_args"] = Value("-o UserKnownHostsFile=" + d / "known_hosts");
    CHECK_THROWS_AS(SshConnection(ssh_options_from_vars("bastioned", vars, cli)).connect(), ConnectionError);

    // An option upkeep cannot honour stops before any connection is made.
    vars["ansible_ssh_common_args"] = Value("-o DynamicForward=1080");
    CHECK_THROWS_WITH(ssh_options_from_vars("bastioned", vars, cli),
                      Catch::Contains("ssh option 'DynamicForward=1080' is not supported"));
}
