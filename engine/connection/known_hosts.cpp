#include "engine/connection/known_hosts.hpp"

#include <fstream>
#include <memory>
#include <vector>

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

using KeyPtr = std::unique_ptr<ssh_key_struct, void (*)(ssh_key)>;

// Fingerprints of the keys recorded for `name` in one file, of the same type
// as the offered key when there are such (else all of them): libssh reports
// "changed" without telling which entry it compared against.
void recorded_fingerprints(const std::string& file, const std::string& name, ssh_key offered,
                           std::vector<std::string>& same_type, std::vector<std::string>& other_type) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        struct ssh_knownhosts_entry* entry = nullptr;
        if (ssh_known_hosts_parse_line(name.c_str(), line.c_str(), &entry) != SSH_OK || !entry) continue;
        std::string fp = key_fingerprint(entry->publickey);
        bool same = ssh_key_type(entry->publickey) == ssh_key_type(offered);
        ssh_knownhosts_entry_free(entry);
        if (fp.empty()) continue;
        (same ? same_type : other_type).push_back(fp);
    }
}

// A known_hosts line with a marker ("@revoked", "@cert-authority") whose host
// patterns match `name`.
struct MarkedLine {
    std::string marker, file;
    KeyPtr key{nullptr, ssh_key_free};
};

std::vector<MarkedLine> marked_lines(const std::string& file, const std::string& name) {
    std::vector<MarkedLine> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] != '@') continue;
        size_t end = line.find_first_of(" \t", start);
        if (end == std::string::npos) continue;
        std::string marker = line.substr(start, end - start);
        size_t rest = line.find_first_not_of(" \t", end);
        if (rest == std::string::npos) continue;
        // The rest is an ordinary line: libssh matches its host patterns
        // (wildcards, hashed names) and decodes its key.
        struct ssh_knownhosts_entry* entry = nullptr;
        if (ssh_known_hosts_parse_line(name.c_str(), line.c_str() + rest, &entry) != SSH_OK || !entry) continue;
        MarkedLine m;
        m.marker = marker;
        m.file = file;
        m.key.reset(entry->publickey);
        entry->publickey = nullptr;
        ssh_knownhosts_entry_free(entry);
        out.push_back(std::move(m));
    }
    return out;
}

constexpr const char* k_global_known_hosts = "/etc/ssh/ssh_known_hosts";

}  // namespace

std::string known_hosts_name(const std::string& host, int port) {
    if (port == 22) return host;
    return "[" + host + "]:" + std::to_string(port);
}

std::string key_fingerprint(ssh_key key) {
    unsigned char* hash = nullptr;
    size_t len = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) return "";
    char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    ssh_clean_pubkey_hash(&hash);
    if (!fp) return "";
    std::string out = fp;
    ssh_string_free_char(fp);
    return out;
}

HostKeyVerdict verify_host_key(ssh_session session, const std::string& host, int port,
                               const std::string& known_hosts_file, SshOptions::HostKeyChecking policy) {
    std::string name = known_hosts_name(host, port);
    ssh_key raw = nullptr;
    if (ssh_get_server_publickey(session, &raw) != SSH_OK || !raw)
        throw ConnectionError(name + ": the server offered no host key");
    KeyPtr offered(raw, ssh_key_free);
    std::string offered_fp = key_fingerprint(offered.get());

    // A revoked key is refused whatever the policy, as OpenSSH does.
    bool has_ca = false;
    for (const std::string& file : {known_hosts_file, std::string(k_global_known_hosts)}) {
        for (const auto& m : marked_lines(file, name)) {
            if (m.marker == "@revoked" && ssh_key_cmp(m.key.get(), offered.get(), SSH_KEY_CMP_PUBLIC) == 0)
                throw ConnectionError("host key for " + name + " (" + offered_fp + ") is marked @revoked in " + m.file +
                                      ": refusing to connect");
            if (m.marker == "@cert-authority") has_ca = true;
        }
    }

    HostKeyVerdict verdict;
    switch (ssh_session_is_known_server(session)) {
        case SSH_KNOWN_HOSTS_OK: return verdict;
        case SSH_KNOWN_HOSTS_CHANGED:
        case SSH_KNOWN_HOSTS_OTHER: {
            std::vector<std::string> same, other;
            recorded_fingerprints(known_hosts_file, name, offered.get(), same, other);
            recorded_fingerprints(k_global_known_hosts, name, offered.get(), same, other);
            const auto& expected = same.empty() ? other : same;
            std::string exp = expected.empty() ? "a different key" : expected.front();
            for (size_t i = 1; i < expected.size(); ++i) exp += " or " + expected[i];
            std::string what = "host key for " + name + " has changed: expected " + exp + ", offered " + offered_fp +
                               " (known hosts file " + known_hosts_file + ")";
            if (policy == SshOptions::HostKeyChecking::Off) {
                // OpenSSH's StrictHostKeyChecking=no: go on, but loudly, and
                // never hand a password to what may be a man in the middle.
                verdict.changed = true;
                verdict.warning = "REMOTE HOST IDENTIFICATION HAS CHANGED! " + what +
                                  ". Someone could be eavesdropping (man-in-the-middle attack). Host key checking "
                                  "is off, so the connection goes on with password and keyboard-interactive "
                                  "authentication disabled; fix known_hosts and turn checking back on";
                return verdict;
            }
            throw ConnectionError(what + "; if the host was reinstalled, remove its line and connect again");
        }
        case SSH_KNOWN_HOSTS_NOT_FOUND:
        case SSH_KNOWN_HOSTS_UNKNOWN:
            if (policy == SshOptions::HostKeyChecking::Off) return verdict;
            if (policy == SshOptions::HostKeyChecking::AcceptNew && !has_ca) {
                if (ssh_session_update_known_hosts(session) != SSH_OK)
                    throw ConnectionError(name + ": cannot record the host key in " + known_hosts_file + ": " +
                                          ssh_get_error(session));
                return verdict;
            }
            if (has_ca)
                // A host vouched for by a CA must not be silently pinned to
                // whatever key it offers today (accept-new) either.
                throw ConnectionError("host key for " + name + " (offered " + offered_fp + ") is vouched for only by a " +
                                      "@cert-authority line, and upkeep does not verify host certificates: add the " +
                                      "host's own key to " + known_hosts_file);
            throw ConnectionError("host key for " + name + " is unknown (offered " + offered_fp + ", not in " +
                                  known_hosts_file + "); add it to known_hosts, or allow new hosts with " +
                                  "StrictHostKeyChecking=accept-new");
        case SSH_KNOWN_HOSTS_ERROR:
        default:
            if (policy == SshOptions::HostKeyChecking::Off) return verdict;
            throw ConnectionError(name + ": cannot check the host key against " + known_hosts_file + ": " +
                                  ssh_get_error(session));
    }
}

}  // namespace upkeep
