#include "engine/virt/libvirt_client.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <sstream>

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

// libvirt prints every error to stderr by default; upkeep reports them itself.
void ignore_error(void*, virErrorPtr) {}

void init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        virInitialize();
        virSetErrorFunc(nullptr, ignore_error);
        // A restart closes the daemon's end of our sockets; libvirt's next write
        // must fail with EPIPE (which it reports), not kill the whole run.
        std::signal(SIGPIPE, SIG_IGN);
    });
}

// libvirt's last error of this thread, for messages.
std::string last_error(const std::string& what) {
    virErrorPtr e = virGetLastError();
    std::string msg = what;
    if (e && e->message) msg += ": " + std::string(e->message);
    virResetLastError();
    return msg;
}

virConnectPtr conn_of(void* p) { return static_cast<virConnectPtr>(p); }

const char* state_name(int state) {
    switch (state) {
        case VIR_DOMAIN_RUNNING: return "running";
        case VIR_DOMAIN_BLOCKED: return "blocked";
        case VIR_DOMAIN_PAUSED: return "paused";
        case VIR_DOMAIN_SHUTDOWN: return "shutdown";
        case VIR_DOMAIN_SHUTOFF: return "shutoff";
        case VIR_DOMAIN_CRASHED: return "crashed";
        case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
        default: return "nostate";
    }
}

// Refuses every credential request: upkeep never prompts in the middle of a run.
int no_credentials(virConnectCredentialPtr, unsigned int, void*) { return -1; }

}  // namespace

std::string libvirt_version_text(unsigned long long v) {
    return std::to_string(v / 1000000) + "." + std::to_string((v / 1000) % 1000) + "." + std::to_string(v % 1000);
}

int compare_dotted_versions(const std::string& a, const std::string& b) {
    std::istringstream sa(a), sb(b);
    while (sa.good() || sb.good()) {
        long x = 0, y = 0;
        std::string pa, pb;
        if (std::getline(sa, pa, '.')) x = std::strtol(pa.c_str(), nullptr, 10);
        if (std::getline(sb, pb, '.')) y = std::strtol(pb.c_str(), nullptr, 10);
        if (x != y) return x < y ? -1 : 1;
        if (pa.empty() && pb.empty()) break;
    }
    return 0;
}

LibvirtClient::LibvirtClient(const std::string& uri) : m_uri(uri) {
    init_once();
    int cred_types[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT, VIR_CRED_ECHOPROMPT};
    virConnectAuth auth{cred_types, sizeof(cred_types) / sizeof(cred_types[0]), no_credentials, nullptr};
    m_conn = virConnectOpenAuth(uri.c_str(), &auth, 0);
    if (!m_conn) throw TaskError(last_error("cannot connect to libvirt at " + uri));
}

LibvirtClient::~LibvirtClient() {
    if (m_conn) virConnectClose(conn_of(m_conn));
}

std::string LibvirtClient::lib_version() {
    unsigned long v = 0;
    if (virConnectGetLibVersion(conn_of(m_conn), &v) < 0) throw TaskError(last_error("libvirt version query failed"));
    return libvirt_version_text(v);
}

std::string LibvirtClient::hypervisor() {
    const char* type = virConnectGetType(conn_of(m_conn));
    if (!type) throw TaskError(last_error("libvirt hypervisor query failed"));
    std::string out = type;
    unsigned long v = 0;
    if (virConnectGetVersion(conn_of(m_conn), &v) == 0 && v) out += " " + libvirt_version_text(v);
    virResetLastError();
    return out;
}

std::vector<LibvirtDomain> LibvirtClient::domains() {
    virDomainPtr* list = nullptr;
    int n = virConnectListAllDomains(conn_of(m_conn), &list, 0);
    if (n < 0) throw TaskError(last_error("listing libvirt domains failed"));
    std::vector<LibvirtDomain> out;
    for (int i = 0; i < n; ++i) {
        LibvirtDomain d;
        if (const char* name = virDomainGetName(list[i])) d.name = name;
        char uuid[VIR_UUID_STRING_BUFLEN] = {0};
        if (virDomainGetUUIDString(list[i], uuid) == 0) d.uuid = uuid;
        int state = 0, reason = 0;
        if (virDomainGetState(list[i], &state, &reason, 0) == 0) d.state = state_name(state);
        d.active = virDomainIsActive(list[i]) == 1;
        d.id = d.active ? static_cast<int>(virDomainGetID(list[i])) : -1;
        virDomainFree(list[i]);
        out.push_back(std::move(d));
    }
    free(list);
    virResetLastError();
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

bool LibvirtClient::answers() {
    unsigned long v = 0;
    bool ok = virConnectGetLibVersion(conn_of(m_conn), &v) == 0;
    virResetLastError();
    return ok;
}

}  // namespace upkeep
