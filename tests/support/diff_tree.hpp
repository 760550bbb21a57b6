#pragma once
// Shared by the differential tests against ansible-playbook: the same playbook text
// is written for two directories (@D@ stands for the one under test), and the
// resulting trees are compared entry by entry.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

// What the executor registers when a module fails (TaskError): the result fields so
// far, the failure's own, msg and failed.
inline Value failure_result(const Value& so_far, const TaskError& e) {
    Value r = so_far.is_map() ? so_far : Value(Map{});
    if (e.result().is_map()) r = merge_maps(r, e.result());
    if (r.get("msg").is_null()) r["msg"] = Value(e.what());
    r["failed"] = Value(true);
    return r;
}

// `s` with every @D@ replaced by `dir`.
inline std::string substitute(std::string s, const std::string& dir) {
    for (size_t p; (p = s.find("@D@")) != std::string::npos;) s.replace(p, 3, dir);
    return s;
}

// Every line of `text` prefixed with `pad` (to nest YAML under a task key).
inline std::string indent(const std::string& text, const std::string& pad) {
    std::string out;
    for (const auto& l : split_lines_keep(text)) out += pad + l;
    return out;
}

// Path under `root` -> "link -> target" / "dir MODE" / "file MODE <bytes as JSON>".
inline std::map<std::string, std::string> tree_snapshot(const std::string& root) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        std::string rel = e.path().string().substr(root.size());
        struct stat st;
        REQUIRE(::lstat(e.path().c_str(), &st) == 0);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        if (S_ISLNK(st.st_mode)) out[rel] = "link -> " + fs::read_symlink(e.path()).string();
        else if (S_ISDIR(st.st_mode)) out[rel] = std::string("dir ") + mode;
        else out[rel] = std::string("file ") + mode + " " + json_quote(read_file(e.path().string()));
    }
    return out;
}

}  // namespace upkeep::test
