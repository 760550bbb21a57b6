#include "engine/module/controller_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

// What makes two reads the same bytes: the same file, unchanged since.
using FileVersion = std::tuple<std::string, dev_t, ino_t, off_t, int64_t, int64_t>;

struct Cache {
    std::mutex mutex;
    std::map<FileVersion, std::weak_ptr<const SharedText::Buffer>> entries;
};

Cache& cache() {
    static Cache c;
    return c;
}

[[noreturn]] void fail(const std::string& path, int err) {
    throw TaskError("cannot read src " + path + ": " + std::strerror(err));
}

// One read straight into a buffer of the file's size, from the descriptor that
// was stat'ed (the version key and the bytes describe the same file).
std::shared_ptr<const SharedText::Buffer> read_all(int fd, const std::string& path, size_t size) {
    std::string out(size, '\0');
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::read(fd, out.data() + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, errno);
        if (n == 0) break;  // shrank while we read: keep what is there
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    // A file that grew while we read: take the rest too (a log, a file being written).
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, errno);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return std::make_shared<const SharedText::Buffer>(std::move(out));
}

}  // namespace

SharedText read_controller_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail(path, errno);
    if (S_ISDIR(st.st_mode)) throw TaskError("cannot read src " + path + ": it is a directory");
    FileVersion key{path, st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    // Read under the lock: 300 hosts asking for the same file at once must wait for
    // the one read rather than each read a copy (a page-cache read of 10 MB takes
    // milliseconds; the lock is held for nothing else).
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto& slot = c.entries[key];
    if (auto held = slot.lock()) return SharedText(held);
    auto bytes = read_all(fd, path, S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0);
    slot = bytes;
    // Forget versions nobody holds any more, so the map does not grow per edit.
    for (auto it = c.entries.begin(); it != c.entries.end();) {
        if (it->second.expired()) it = c.entries.erase(it);
        else ++it;
    }
    return SharedText(bytes);
}

}  // namespace upkeep
