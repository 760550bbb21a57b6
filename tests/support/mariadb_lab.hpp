// MariaDbLab: a private MariaDB server for integration tests, in a temp dir, on
// 127.0.0.1 and a free port picked at start (so parallel runs never collide),
// with its own Unix socket. root may connect over the socket without a
// password; the lab also creates a TCP user with a password. Stopped (and its
// data removed) when the lab dies.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

class MariaDbLab {
public:
    // `extra_args` go to mariadbd after the lab's own (e.g. "--log-bin=binlog").
    explicit MariaDbLab(const std::vector<std::string>& extra_args = {});
    ~MariaDbLab();
    MariaDbLab(const MariaDbLab&) = delete;
    MariaDbLab& operator=(const MariaDbLab&) = delete;

    int port() const { return m_port; }
    const std::string& socket() const { return m_socket; }
    const std::string& dir() const { return m_dir.path(); }
    // The TCP account the lab creates: all privileges, reached at 127.0.0.1:port().
    static constexpr const char* k_user = "upkeep";
    static constexpr const char* k_password = "lab-pw-1";

    // Runs statements as root through the mariadb client over the socket;
    // returns the rows tab-separated, one per line, without column names. A
    // failing statement throws std::runtime_error with the client's message.
    std::string sql(const std::string& statements) const;
    // The server's error log.
    std::string log() const;

private:
    TempDir m_dir;
    std::string m_socket;
    int m_port = 0;
    pid_t m_pid = -1;
};

}  // namespace upkeep::test
