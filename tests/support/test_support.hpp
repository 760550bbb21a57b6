// Helpers shared by the tests: temporary directories, running the upkeep binary,
// reading and writing files.
#pragma once

#include <string>

namespace upkeep::test {

// Where the fixtures and the built binary are. Only test_support.cpp is compiled
// with these paths, so the other test files do not embed the checkout's location
// (their objects stay the same across checkouts, which keeps ccache useful).
const char* fixtures_dir();
const char* upkeep_binary_path();

// A fresh directory under $TMPDIR, removed (recursively) when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& rel) const { return m_path + "/" + rel; }

private:
    std::string m_path;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);  // creates parent dirs
bool exists(const std::string& path);

struct Run {
    int rc = 0;
    std::string out;  // stdout and stderr, interleaved
};
// Runs a shell command line, capturing its output.
Run sh(const std::string& cmdline);
// Runs a shell command line; throws (with its output) when it exits non-zero.
void must(const std::string& cmdline);
// Runs the upkeep binary with the given arguments (a shell-quoted string).
Run upkeep(const std::string& args);
// A count from the PLAY RECAP line of `host` in upkeep's output (field: ok, changed,
// failed, ...), -1 when the host or the field is not there.
int recap_count(const std::string& out, const std::string& host, const std::string& field);
// How often `what` occurs in `text`, occurrences not overlapping.
size_t count_of(const std::string& text, const std::string& what);

}  // namespace upkeep::test

#define UPKEEP_TEST_FIXTURES (::upkeep::test::fixtures_dir())
#define UPKEEP_BINARY (::upkeep::test::upkeep_binary_path())
