#include "modules/formats/pkg_query.hpp"

#include <set>
#include <sstream>

#include "engine/util/strings.hpp"

namespace upkeep::pkg {

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    for (auto& l : split(text, '\n')) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        out.push_back(std::move(l));
    }
    return out;
}

// The section kind of a dnf/yum table heading, or false for headings that
// list no package operations (module streams, groups).
bool section_kind(const std::string& heading, PkgOp::Kind& kind) {
    std::string h = to_lower(heading);
    for (const char* skip : {"module", "group", "environment"})
        if (h.find(skip) != std::string::npos) return false;
    if (starts_with(h, "reinstall")) kind = PkgOp::Kind::Reinstall;
    else if (starts_with(h, "install")) kind = PkgOp::Kind::Install;
    else if (starts_with(h, "upgrad") || starts_with(h, "updat")) kind = PkgOp::Kind::Upgrade;
    else if (starts_with(h, "downgrad")) kind = PkgOp::Kind::Downgrade;
    else if (starts_with(h, "remov") || starts_with(h, "erasing")) kind = PkgOp::Kind::Remove;
    else return false;
    return true;
}

}  // namespace

std::string op_summary(const PkgOp& op) {
    switch (op.kind) {
        case PkgOp::Kind::Install:
            return "install " + op.name + (op.new_version.empty() ? "" : " " + op.new_version) +
                   (op.replaces.empty() ? "" : " (replacing " + join(op.replaces, ", ") + ")");
        case PkgOp::Kind::Reinstall:
            return "reinstall " + op.name + (op.new_version.empty() ? "" : " " + op.new_version);
        case PkgOp::Kind::Upgrade:
        case PkgOp::Kind::Downgrade: {
            std::string verb = op.kind == PkgOp::Kind::Upgrade ? "upgrade " : "downgrade ";
            if (op.old_version.empty()) return verb + op.name + " to " + op.new_version;
            return verb + op.name + " " + op.old_version + " -> " + op.new_version;
        }
        case PkgOp::Kind::Remove:
            return "remove " + op.name;
    }
    return op.name;
}

const char* const k_dpkg_query_format = "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n";

InstalledMap parse_dpkg_query(const std::string& out) {
    InstalledMap m;
    for (const auto& line : lines_of(out)) {
        auto f = split(line, '\t');
        if (f.size() < 4 || f[3].size() < 2) continue;
        // The second letter of db:Status-Abbrev is the current state: installed,
        // or installed with triggers awaiting/pending. Config-files,
        // half-installed and unpacked packages still need an install.
        char st = f[3][1];
        if (st != 'i' && st != 'W' && st != 't') continue;
        m.emplace(f[0], f[2]);
    }
    return m;
}

std::vector<PkgOp> parse_apt_simulation(const std::string& out) {
    std::vector<PkgOp> ops;
    std::set<std::string> downgraded;
    bool in_downgrades = false;
    for (const auto& line : lines_of(out)) {
        if (in_downgrades) {
            if (starts_with(line, " ")) {
                for (auto& w : words(line)) downgraded.insert(w);
                continue;
            }
            in_downgrades = false;
        }
        if (starts_with(line, "The following packages will be DOWNGRADED")) {
            in_downgrades = true;
            continue;
        }
        bool inst = starts_with(line, "Inst "), remv = starts_with(line, "Remv ") || starts_with(line, "Purg ");
        if (!inst && !remv) continue;
        std::string rest = line.substr(5);
        size_t sp = rest.find(' ');
        PkgOp op;
        op.name = rest.substr(0, sp);
        rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
        if (starts_with(rest, "[")) {
            size_t close = rest.find(']');
            op.old_version = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
            rest = close == std::string::npos ? "" : trim(rest.substr(close + 1));
        }
        if (remv) {
            op.kind = PkgOp::Kind::Remove;
        } else {
            // "(1.1 Debian:12/stable [amd64])": the version, the release, the arch.
            if (starts_with(rest, "(")) {
                size_t close = rest.find(')');
                auto inner = words(rest.substr(1, close == std::string::npos ? std::string::npos : close - 1));
                if (!inner.empty()) op.new_version = inner[0];
                if (inner.size() > 1 && starts_with(inner.back(), "[") && ends_with(inner.back(), "]"))
                    op.arch = inner.back().substr(1, inner.back().size() - 2);
            }
            op.kind = op.old_version.empty() ? PkgOp::Kind::Install : PkgOp::Kind::Upgrade;
        }
        ops.push_back(std::move(op));
    }
    for (auto& op : ops)
        if (op.kind == PkgOp::Kind::Upgrade && downgraded.count(op.name)) op.kind = PkgOp::Kind::Downgrade;
    return ops;
}

const char* const k_rpm_query_format = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n";

InstalledMap parse_rpm_query(const std::string& out) {
    InstalledMap m;
    for (const auto& line : lines_of(out)) {
        auto f = split(line, '\t');
        if (f.size() < 4) continue;
        std::string version = (f[1].empty() || f[1] == "0" || f[1] == "(none)") ? f[2] : f[1] + ":" + f[2];
        m.emplace(f[0], version);
    }
    return m;
}

std::vector<PkgOp> parse_dnf_transaction(const std::string& out) {
    std::vector<PkgOp> ops;
    bool in_section = false;
    PkgOp::Kind kind = PkgOp::Kind::Install;
    std::string pending_name;  // a name too long for its column wraps its row
    for (const auto& line : lines_of(out)) {
        if (line.empty() || !starts_with(line, " ")) {
            in_section = false;
            pending_name.clear();
            std::string t = trim(line);
            if (ends_with(t, ":") && section_kind(t, kind)) in_section = true;
            continue;
        }
        if (!in_section) continue;
        auto w = words(line);
        if (w.empty()) continue;
        if (w[0] == "replacing") {
            // "replacing  cloud-client.noarch 3.0.7-1": the row above obsoletes it.
            if (w.size() >= 3 && !ops.empty()) {
                std::string name = w[1].substr(0, w[1].rfind('.'));
                ops.back().replaces.push_back(name + " " + w[2]);
            }
            continue;
        }
        if (w.size() == 1) {
            pending_name = w[0];
            continue;
        }
        if (!pending_name.empty()) {
            w.insert(w.begin(), pending_name);
            pending_name.clear();
        }
        if (w.size() < 4) continue;
        PkgOp op;
        op.kind = kind;
        op.name = w[0];
        op.arch = w[1];
        (kind == PkgOp::Kind::Remove ? op.old_version : op.new_version) = w[2];
        ops.push_back(std::move(op));
    }
    return ops;
}

bool is_glob(const std::string& name) { return name.find_first_of("*?[") != std::string::npos; }

std::string tail_lines(const std::string& text, size_t lines) {
    std::vector<std::string> kept;
    for (auto& l : lines_of(text))
        if (!trim(l).empty()) kept.push_back(l);
    if (kept.size() > lines) kept.erase(kept.begin(), kept.end() - static_cast<long>(lines));
    return join(kept, "\n");
}

}  // namespace upkeep::pkg
