// SharedText: a file's bytes, immutable and shared by reference count, or none.
//
// Why: one file's content travels from where it is read (the controller's src,
// the host) through the module's plan (the diff's before/after), the dry-run
// overlay (the planned file) and the reports. Held as std::string each hand-over
// was a copy: a 10 MB copy cost ~100 MB per host (issue 7.15). Shared, the bytes
// exist once per distinct content, and one controller file copied to 300 hosts is
// held once (see controller_file.hpp), whatever the number of hosts.
//
// The interface is std::optional<std::string>'s (bool test, *, ->, value(),
// reset()), so code that read an optional reads this unchanged. Never mutated
// after construction: safe to share between worker threads.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace upkeep {

class SharedText {
public:
    // The shared bytes, with their SHA-256 computed at most once (1,000 hosts
    // comparing against one 10 MB src hash it once, not 1,000 times).
    struct Buffer {
        explicit Buffer(std::string b) : bytes(std::move(b)) {}
        const std::string bytes;
        mutable std::once_flag sha_once;
        mutable std::string sha;
    };

    SharedText() = default;
    SharedText(std::nullopt_t) {}
    SharedText(std::string s) : m_p(std::make_shared<const Buffer>(std::move(s))) {}
    SharedText(const char* s) : SharedText(std::string(s)) {}
    SharedText(std::optional<std::string> s) {
        if (s) m_p = std::make_shared<const Buffer>(std::move(*s));
    }
    // Adopts a buffer someone else already shares (a cached controller file).
    explicit SharedText(std::shared_ptr<const Buffer> p) : m_p(std::move(p)) {}
    const std::shared_ptr<const Buffer>& buffer() const { return m_p; }

    explicit operator bool() const { return m_p != nullptr; }
    bool has_value() const { return m_p != nullptr; }
    const std::string& operator*() const { return m_p->bytes; }
    const std::string* operator->() const { return &m_p->bytes; }
    const std::string& value() const {
        if (!m_p) throw std::bad_optional_access();
        return m_p->bytes;
    }
    // Lowercase hex SHA-256 of the bytes ("" when there are none), computed once per buffer.
    const std::string& sha256() const;
    void reset() { m_p.reset(); }
    // The bytes, or an empty string when there are none: a reference, never a copy
    // (value_or("") would copy a 10 MB file to read it).
    const std::string& or_empty() const {
        static const std::string empty;
        return m_p ? m_p->bytes : empty;
    }
    // A private copy, for code that needs a std::optional (rare: prefer the reference).
    std::optional<std::string> to_optional() const {
        return m_p ? std::optional<std::string>(m_p->bytes) : std::nullopt;
    }
    // True when both name the very same bytes (no comparison of content).
    bool same_buffer(const SharedText& o) const { return m_p == o.m_p; }

    friend bool operator==(const SharedText& a, const SharedText& b) {
        if (a.m_p == b.m_p) return true;
        if (!a.m_p || !b.m_p) return false;
        return a.m_p->bytes == b.m_p->bytes;
    }
    friend bool operator==(const SharedText& a, const std::string& b) { return a.m_p && a.m_p->bytes == b; }
    friend bool operator==(const SharedText& a, const char* b) { return a.m_p && a.m_p->bytes == b; }
    friend bool operator==(const SharedText& a, std::nullopt_t) { return !a.m_p; }
    friend bool operator==(const SharedText& a, const std::optional<std::string>& b) {
        if (!a.m_p || !b) return !a.m_p && !b;
        return a.m_p->bytes == *b;
    }

private:
    std::shared_ptr<const Buffer> m_p;
};

}  // namespace upkeep
