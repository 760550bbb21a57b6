#include "engine/cli/pull_command.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/exec/exit_codes.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace fs = std::filesystem;

namespace upkeep {

namespace {

struct GitResult {
    int rc = 0;
    std::string out;  // stdout and stderr
};

// git with these arguments, no shell, never prompting for credentials.
GitResult git(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) throw UserError("pull: cannot create a pipe");
    pid_t pid = ::fork();
    if (pid < 0) throw UserError("pull: cannot start git");
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
        std::vector<char*> argv;
        static char name[] = "git";
        argv.push_back(name);
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execvp("git", argv.data());
        std::fprintf(stderr, "cannot run git: install it (Debian: git)\n");
        ::_exit(127);
    }
    ::close(fds[1]);
    GitResult r;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) r.out.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return r;
}

std::string last_applied_file(const std::string& dir) { return dir + "/.git/upkeep-last-applied"; }

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return trim(ss.str());
}

}  // namespace

int run_pull_command(const PullArgs& a, const std::function<int(const std::string&)>& run_play) {
    try {
        const std::string& dir = a.directory;
        bool have = fs::exists(dir + "/.git");
        std::string before = have ? trim(git({"-C", dir, "rev-parse", "--verify", "-q", "HEAD"}).out) : "";
        if (!have) {
            fs::create_directories(fs::path(dir).parent_path().empty() ? "." : fs::path(dir).parent_path());
            GitResult c = git({"clone", "--quiet", "--no-checkout", "--", a.url, dir});
            if (c.rc != 0) {
                std::error_code ec;
                fs::remove_all(dir, ec);  // a half clone is no checkout
                throw UserError("pull: cannot clone " + a.url + ":\n" + trim(c.out));
            }
        } else {
            GitResult url = git({"-C", dir, "remote", "set-url", "origin", "--", a.url});
            if (url.rc != 0) throw UserError("pull: " + dir + " is not a usable checkout:\n" + trim(url.out));
            GitResult f = git({"-C", dir, "fetch", "--quiet", "--prune", "--tags", "--force", "origin",
                               "+refs/heads/*:refs/remotes/origin/*"});
            if (f.rc != 0)
                throw UserError("pull: fetching " + a.url + " failed; the last good checkout (" +
                                (before.empty() ? "none" : before.substr(0, 12)) + " in " + dir + ") is kept:\n" + trim(f.out));
        }
        // REF: a remote branch, a tag, a commit; HEAD is the remote's default branch.
        std::string commit;
        for (const std::string& candidate : {a.checkout == "HEAD" ? std::string("refs/remotes/origin/HEAD") : "refs/remotes/origin/" + a.checkout,
                                             "refs/tags/" + a.checkout, a.checkout}) {
            GitResult r = git({"-C", dir, "rev-parse", "--verify", "-q", candidate + "^{commit}"});
            if (r.rc == 0) {
                commit = trim(r.out);
                break;
            }
        }
        if (commit.empty()) throw UserError("pull: " + a.url + " has no branch, tag or commit '" + a.checkout + "'");
        std::string applied = fs::exists(last_applied_file(dir)) ? read_text(last_applied_file(dir)) : "";
        if (a.only_if_changed && commit == applied) {
            std::printf("upkeep pull: %s is still %s, applied already: nothing to do\n", a.checkout.c_str(),
                        commit.substr(0, 12).c_str());
            return k_exit_ok;
        }
        GitResult co = git({"-C", dir, "checkout", "--quiet", "--force", "--detach", commit});
        if (co.rc != 0) throw UserError("pull: cannot check out " + commit + ":\n" + trim(co.out));
        git({"-C", dir, "clean", "-ffdxq"});  // exactly the commit's files
        std::printf("upkeep pull: running %s at %s (%s)\n", a.playbook.c_str(), commit.substr(0, 12).c_str(),
                    a.checkout.c_str());
        std::fflush(stdout);
        int rc = run_play(dir + "/" + a.playbook);
        if (rc == k_exit_ok || rc == k_exit_changes) {
            std::ofstream(last_applied_file(dir)) << commit << "\n";
        }
        return rc;
    } catch (const UserError& e) {
        std::fprintf(stderr, "ERROR: %s\n", e.describe().c_str());
        return k_exit_error;
    }
}

}  // namespace upkeep
