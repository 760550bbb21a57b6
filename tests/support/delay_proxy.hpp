// bench/delayproxy.py in front of one lab host: a slow link on loopback (this
// kernel has no netem). Forwards `listen` to `target` with a fixed one-way
// delay; killed with the object.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

class DelayProxy {
public:
    DelayProxy(const std::string& listen, const std::string& target, int one_way_ms) {
        m_pid = ::fork();
        if (m_pid == 0) {
            std::string ms = std::to_string(one_way_ms);
            std::string script = std::string(fixtures_dir()) + "/../../bench/delayproxy.py";
            ::execlp("python3", "python3", script.c_str(), listen.c_str(), target.c_str(), ms.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Until it listens.
        std::string host = listen.substr(0, listen.rfind(':')), port = listen.substr(listen.rfind(':') + 1);
        for (int i = 0; i < 100 && sh("exec 3<>/dev/tcp/" + host + "/" + port).rc != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ~DelayProxy() {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    DelayProxy(const DelayProxy&) = delete;
    DelayProxy& operator=(const DelayProxy&) = delete;

private:
    pid_t m_pid = -1;
};

}  // namespace upkeep::test
