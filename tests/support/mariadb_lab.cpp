#include "tests/support/mariadb_lab.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep::test {
namespace {

// A port the kernel considers free on 127.0.0.1 right now.
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("cannot find a free port on 127.0.0.1");
    int port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

}  // namespace

MariaDbLab::MariaDbLab(const std::vector<std::string>& extra_args) : m_socket(m_dir / "mysqld.sock"), m_port(free_port()) {
    std::string data = m_dir / "data";
    // A private temp dir for the installer and the server: in the shared /tmp
    // a parallel test's cleanup once took the installer's temp file.
    std::string tmp = m_dir / "tmp";
    std::filesystem::create_directories(tmp);
    auto init = sh("TMPDIR=" + shell_quote(tmp) + " mariadb-install-db --no-defaults --datadir=" + shell_quote(data) +
                   " --tmpdir=" + shell_quote(tmp) +
                   " --user=root --skip-test-db --auth-root-authentication-method=socket");
    if (init.rc != 0) throw std::runtime_error("mariadb-install-db failed: " + init.out);
    std::vector<std::string> argv = {"/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + data,
                                     "--socket=" + m_socket, "--port=" + std::to_string(m_port),
                                     "--bind-address=127.0.0.1", "--pid-file=" + (m_dir / "mariadbd.pid"), "--tmpdir=" + tmp,
                                     "--log-error=" + (m_dir / "error.log"), "--user=root", "--skip-name-resolve",
                                     "--innodb-buffer-pool-size=16M"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // The server's own start-up chatter goes to a file, not the test's output.
        int fd = ::open((m_dir / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    m_pid = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        if (sh("mariadb-admin --no-defaults --socket=" + shell_quote(m_socket) + " -uroot ping >/dev/null 2>&1").rc == 0)
            break;
        int st = 0;
        if (::waitpid(m_pid, &st, WNOHANG) == m_pid) {
            m_pid = -1;
            throw std::runtime_error("mariadbd exited: " + log());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &st, 0);
            m_pid = -1;
            throw std::runtime_error("mariadbd did not answer within 30 s: " + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    sql(std::string("CREATE USER '") + k_user + "'@'127.0.0.1' IDENTIFIED BY '" + k_password + "';" +
        "GRANT ALL ON *.* TO '" + k_user + "'@'127.0.0.1';");
}

MariaDbLab::~MariaDbLab() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    int st = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (::waitpid(m_pid, &st, WNOHANG) != m_pid) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string MariaDbLab::sql(const std::string& statements) const {
    TempDir tmp;
    write_file(tmp / "in.sql", statements);
    auto r = sh("mariadb --no-defaults --socket=" + shell_quote(m_socket) + " -uroot --batch --skip-column-names < " +
                shell_quote(tmp / "in.sql"));
    if (r.rc != 0) throw std::runtime_error("SQL failed: " + r.out);
    return r.out;
}

std::string MariaDbLab::log() const {
    std::string path = m_dir / "error.log";
    return exists(path) ? read_file(path) : "";
}

}  // namespace upkeep::test
