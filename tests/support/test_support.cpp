#include "tests/support/test_support.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace upkeep::test {

const char* fixtures_dir() { return UPKEEP_TEST_FIXTURES_DIR; }
const char* upkeep_binary_path() { return UPKEEP_BINARY_FILE; }


TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "upkeep-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

bool exists(const std::string& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
}

Run sh(const std::string& cmdline) {
    Run r;
    std::string full = "(" + cmdline + ") 2>&1";
    FILE* p = popen(full.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int st = pclose(p);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

void must(const std::string& cmdline) {
    Run r = sh(cmdline);
    if (r.rc != 0) throw std::runtime_error(cmdline + " failed: " + r.out);
}

Run upkeep(const std::string& args) { return sh(std::string("NO_COLOR=1 ") + UPKEEP_BINARY + " " + args); }

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

int recap_count(const std::string& out, const std::string& host, const std::string& field) {
    size_t at = out.find("\n" + host + " ");
    if (at == std::string::npos) return -1;
    size_t f = out.find(field + "=", at);
    return f == std::string::npos ? -1 : std::stoi(out.substr(f + field.size() + 1));
}

}  // namespace upkeep::test
