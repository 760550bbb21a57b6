#include "engine/exec/facts.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// POSIX sh only. $UPKEEP_ROOT is set by the sandbox connection (a directory
// tree posing as a host) and empty everywhere else.
const char* k_fact_script = R"SH(R="${UPKEEP_ROOT:-}"
echo "kernel=$(uname -r)"
echo "architecture=$(uname -m)"
echo "system=$(uname -s)"
if [ -n "$R" ] && [ -r "$R/etc/hostname" ]; then echo "hostname=$(head -n1 "$R/etc/hostname")";
else echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"; fi
if [ -r "$R/etc/os-release" ]; then sed -n 's/^\(ID\|ID_LIKE\|NAME\|VERSION_ID\|VERSION_CODENAME\|PRETTY_NAME\)=/os_\1=/p' "$R/etc/os-release";
elif [ -r "$R/etc/redhat-release" ]; then echo "os_redhat_release=$(head -n1 "$R/etc/redhat-release")"; fi
if [ -f "$R/var/lib/dpkg/status" ] && command -v apt-get >/dev/null 2>&1; then echo "pkg_mgr=apt-get";
else for pm in dnf yum apt-get zypper apk; do if command -v "$pm" >/dev/null 2>&1; then echo "pkg_mgr=$pm"; break; fi; done; fi
if [ -d "$R/run/systemd/system" ]; then echo "service_mgr=systemd";
elif [ -x "$R/usr/sbin/service" ] || command -v service >/dev/null 2>&1; then echo "service_mgr=service";
else echo "service_mgr=unknown"; fi
echo "user_id=$(id -un)"
echo "user_uid=$(id -u)"
echo "python_free=true"
)SH";

std::string unquote(std::string v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    return v;
}

std::string family_of(const std::string& id, const std::string& like) {
    std::string all = " " + id + " " + like + " ";
    for (const char* rh : {" rhel ", " centos ", " fedora ", " rocky ", " almalinux ", " ol ", " ovirt-node "})
        if (all.find(rh) != std::string::npos) return "RedHat";
    for (const char* d : {" debian ", " ubuntu "})
        if (all.find(d) != std::string::npos) return "Debian";
    if (all.find(" suse ") != std::string::npos || all.find(" opensuse ") != std::string::npos) return "Suse";
    if (all.find(" alpine ") != std::string::npos) return "Alpine";
    return id.empty() ? "unknown" : id;
}

}  // namespace

Value parse_facts(const std::string& output) {
    Map raw;
    for (const auto& line : split(output, '\n')) {
        size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        raw[line.substr(0, eq)] = Value(unquote(trim(line.substr(eq + 1))));
    }
    auto get = [&](const char* k) { return raw.count(k) ? raw[k].as_string() : std::string(); };
    Value f(Map{});
    f["kernel"] = Value(get("kernel"));
    f["architecture"] = Value(get("architecture"));
    f["system"] = Value(get("system"));
    f["hostname"] = Value(split(get("hostname"), '.')[0]);
    f["fqdn"] = Value(get("hostname"));
    std::string id = to_lower(get("os_ID")), like = to_lower(get("os_ID_LIKE"));
    if (id.empty() && !get("os_redhat_release").empty()) id = "rhel";
    f["distribution"] = Value(get("os_NAME").empty() ? id : get("os_NAME"));
    f["distribution_id"] = Value(id);
    std::string version = get("os_VERSION_ID");
    f["distribution_version"] = Value(version);
    f["distribution_major_version"] = Value(split(version, '.')[0]);
    f["distribution_release"] = Value(get("os_VERSION_CODENAME"));
    f["os_family"] = Value(family_of(id, like));
    std::string pm = get("pkg_mgr");
    f["pkg_mgr"] = Value(pm == "apt-get" ? "apt" : pm.empty() ? "unknown" : pm);
    f["service_mgr"] = Value(get("service_mgr"));
    f["user_id"] = Value(get("user_id"));
    f["user_uid"] = Value(get("user_uid").empty() ? Value() : Value(static_cast<int64_t>(std::stoll(get("user_uid")))));
    f["python_free"] = Value(true);
    return f;
}

Value gather_facts(Connection& conn) {
    Command c;
    c.cmdline = k_fact_script;
    c.mutating = false;
    CommandResult r = conn.run(c);
    if (r.rc != 0) throw TaskError("gathering facts failed (rc " + std::to_string(r.rc) + "): " + trim(r.err));
    // Every fact is the host's own text (os-release, hostname...): data, never a template.
    return parse_facts(r.out).set_untrusted();
}

}  // namespace upkeep
