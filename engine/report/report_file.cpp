#include "engine/report/report_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the byte there starts none
// (stray continuation bytes, overlong forms, surrogates, code points past U+10FFFF).
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = at(i);
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return 0;
    if (i + n > s.size()) return 0;
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return n;
}

std::string directory_of(const std::string& path) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    return dir.empty() ? "." : dir;
}

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char k_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (int i = 0; i < 12; ++i) s += k_chars[rng() % (sizeof k_chars - 1)];
    return s;
}

[[noreturn]] void fail(const char* kind, const std::string& path, const std::string& what, int err) {
    std::string noun = std::string(kind) == "plan" ? "plan" : std::string(kind) + " report";
    throw UserError("cannot write the " + noun + " " + path + ": " + what + ": " + std::strerror(err));
}

// A new temp file next to `path`, created exclusively and mode 0600 from the start.
std::pair<int, std::string> create_temp(const std::string& path, const char* kind) {
    std::string base = std::filesystem::path(path).filename().string();
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string tmp = directory_of(path) + "/." + base + ".upkeep." + random_suffix();
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) return {fd, tmp};
        if (errno != EEXIST) fail(kind, path, "cannot create a file in " + directory_of(path), errno);
    }
    fail(kind, path, "cannot create a temp file", EEXIST);
}

// The process umask without changing it (umask() would change it for every thread
// for a moment): Linux reports it in /proc/self/status.
mode_t current_umask() {
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        unsigned mask = 022;
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
        std::fclose(f);
        return static_cast<mode_t>(mask);
    }
    return 022;
}

}  // namespace

namespace {
std::string valid_utf8(std::string_view text, const char* escape) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t n = utf8_sequence_length(text, i);
        if (n == 0) {
            char buf[8];
            std::snprintf(buf, sizeof buf, escape, static_cast<unsigned char>(text[i]));
            out += buf;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}
}  // namespace

std::string json_text_valid_utf8(std::string_view text) { return valid_utf8(text, "\\\\x%02x"); }
std::string text_valid_utf8(std::string_view text) { return valid_utf8(text, "\\x%02x"); }

void check_report_path_writable(const std::string& path, const char* kind) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw UserError("cannot write the " + std::string(std::string(kind) == "plan" ? "plan" : std::string(kind) + " report") +
                        " " + path + ": it is a directory");
    auto [fd, tmp] = create_temp(path, kind);
    ::close(fd);
    ::unlink(tmp.c_str());
}

void write_report_file(const std::string& path, const std::string& content, const char* kind) {
    // Not a structured binding: clang 14 (clang-tidy) cannot capture one in a lambda.
    auto created = create_temp(path, kind);
    int fd = created.first;
    const std::string& tmp = created.second;
    auto abandon = [&](const std::string& what) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(kind, path, what, err);
    };
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            abandon("write failed");
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd, 0666 & ~current_umask()) != 0) abandon("chmod failed");
    if (::fsync(fd) != 0) abandon("fsync failed");
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail(kind, path, "close failed", err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail(kind, path, "rename failed", err);
    }
}

}  // namespace upkeep
