#include "engine/plan/path_state.hpp"

#include "engine/util/error.hpp"

namespace upkeep {

Value PathState::to_value() const {
    Value v(Map{});
    v["kind"] = Value(kind);
    if (!mode.empty()) v["mode"] = Value(mode);
    if (!owner.empty()) v["owner"] = Value(owner);
    if (!group.empty()) v["group"] = Value(group);
    if (!sha256.empty()) v["sha256"] = Value(sha256);
    if (!link_target.empty()) v["link_target"] = Value(link_target);
    return v;
}

PathState PathState::from_value(const Value& v) {
    auto s = [&](const char* k) { return v.get(k).is_null() ? std::string() : v.get(k).to_string(); };
    return PathState{s("kind"), s("mode"), s("owner"), s("group"), s("sha256"), s("link_target")};
}

PathState read_path_state(Connection& conn, const std::string& path) {
    FileInfo fi = conn.stat(path, false);
    PathState st;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", fi.mode & 07777);
    switch (fi.kind) {
        case FileInfo::Kind::Missing: st.kind = "absent"; return st;
        case FileInfo::Kind::File: st.kind = "file"; break;
        case FileInfo::Kind::Dir: st.kind = "directory"; break;
        case FileInfo::Kind::Link:
            st.kind = "link";
            st.link_target = fi.link_target;
            return st;
        case FileInfo::Kind::Other: st.kind = fi.special.empty() ? "special" : fi.special; break;
    }
    st.mode = mode;
    st.owner = fi.owner;
    st.group = fi.group;
    if (fi.kind == FileInfo::Kind::File) {
        std::optional<std::string> bytes = conn.read_file(path);
        st.sha256 = bytes ? sha256_hex(*bytes) : "";
    }
    return st;
}

std::string describe_difference(const PathState& planned, const PathState& now) {
    if (planned.kind != now.kind) {
        if (now.kind == "absent") return "it no longer exists";
        if (planned.kind == "absent") return "it exists now (a " + now.kind + ")";
        return "it was a " + planned.kind + ", now a " + now.kind;
    }
    if (planned.sha256 != now.sha256) return "its content changed";
    if (planned.link_target != now.link_target) return "the link now points to " + now.link_target;
    if (planned.mode != now.mode) return "mode " + planned.mode + " -> " + now.mode;
    if (planned.owner != now.owner) return "owner " + planned.owner + " -> " + now.owner;
    if (planned.group != now.group) return "group " + planned.group + " -> " + now.group;
    return "";
}

}  // namespace upkeep
