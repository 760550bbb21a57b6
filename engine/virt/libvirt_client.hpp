// LibvirtClient: a connection to a libvirt daemon through the libvirt C API
// (libvirt.so), used by the libvirt_* modules to read the daemon's version and
// domains and to tell when a restarted daemon answers again. No virsh output is
// parsed anywhere: every fact comes from the API.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace upkeep {

struct LibvirtDomain {
    std::string name;
    std::string uuid;
    int id = -1;        // -1 when not running
    std::string state;  // running, paused, shutoff...
    bool active = false;
};

class LibvirtClient {
public:
    // Opens `uri` (qemu:///system, qemu+libssh://..., test:///default). Never
    // prompts: credentials must come from the URI (keyfile, socket). Throws
    // TaskError with libvirt's own message when the daemon does not answer.
    explicit LibvirtClient(const std::string& uri);
    ~LibvirtClient();
    LibvirtClient(const LibvirtClient&) = delete;
    LibvirtClient& operator=(const LibvirtClient&) = delete;

    const std::string& uri() const { return m_uri; }
    // The daemon's libvirt version ("9.0.0"), virConnectGetLibVersion.
    std::string lib_version();
    // The hypervisor driver and its version ("QEMU 7.2.0"; version may be empty).
    std::string hypervisor();
    // Every domain the daemon knows, running or defined, sorted by name.
    std::vector<LibvirtDomain> domains();
    // True while the daemon behind this connection still answers a call.
    bool answers();

private:
    std::string m_uri;
    void* m_conn = nullptr;  // virConnectPtr, kept opaque to spare includers libvirt.h
};

// "9000000" style numbers from libvirt as "9.0.0".
std::string libvirt_version_text(unsigned long long v);
// Compares two dotted versions numerically: <0, 0, >0.
int compare_dotted_versions(const std::string& a, const std::string& b);

}  // namespace upkeep
