// An HTTP(S) server for tests (tests/support/http_lab.py) on a loopback address:
// started by the test, stopped (by its own pid) when the object goes away.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

class HttpLab {
public:
    // Serves `dir` on `addr` (a 127.x address); with cert/key files, HTTPS.
    HttpLab(const std::string& addr, const std::string& dir, const std::string& cert = "", const std::string& key = "")
        : m_addr(addr) {
        std::string script = std::string(fixtures_dir()) + "/../support/http_lab.py";
        std::string portfile = m_tmp.path() + "/port";
        m_pid = ::fork();
        if (m_pid == 0) {
            if (cert.empty())
                ::execlp("python3", "python3", script.c_str(), addr.c_str(), portfile.c_str(), dir.c_str(), (char*)nullptr);
            else
                ::execlp("python3", "python3", script.c_str(), addr.c_str(), portfile.c_str(), dir.c_str(), cert.c_str(),
                         key.c_str(), (char*)nullptr);
            ::_exit(127);
        }
        for (int i = 0; i < 200 && !exists(portfile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
        if (!exists(portfile)) {
            stop();
            throw std::runtime_error("http_lab.py did not start on " + addr);
        }
        m_port = std::stoi(read_file(portfile));
    }
    ~HttpLab() { stop(); }
    HttpLab(const HttpLab&) = delete;
    HttpLab& operator=(const HttpLab&) = delete;

    int port() const { return m_port; }
    // "http://127.0.77.3:41234" (or https).
    std::string base(bool tls = false) const { return std::string(tls ? "https" : "http") + "://" + m_addr + ":" + std::to_string(m_port); }

    void stop() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGTERM);
        int st = 0;
        ::waitpid(m_pid, &st, 0);
        m_pid = -1;
    }

private:
    TempDir m_tmp;
    std::string m_addr;
    pid_t m_pid = -1;
    int m_port = 0;
};

}  // namespace upkeep::test
