#include "engine/exec/path_hints.hpp"

#include <cctype>

#include "engine/lua/lua_pool.hpp"

namespace upkeep {

namespace {

void collect(const std::vector<Task>& tasks, size_t from, size_t max, std::vector<const Task*>& out) {
    for (size_t i = from; i < tasks.size() && out.size() < max; ++i) {
        const Task& t = tasks[i];
        if (t.is_include) return;
        if (t.is_block) {
            collect(t.block, 0, max, out);
            continue;
        }
        out.push_back(&t);
    }
}

// Whether every {{ }} of `text` is side-effect free to render early: names,
// dots, numeric indexes and filters without arguments. Without parentheses
// and quotes no lookup, query or function can be called; no {% %} at all.
bool plain_template(const std::string& text) {
    if (text.find("{%") != std::string::npos || text.find("{#") != std::string::npos) return false;
    size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string::npos) {
        size_t end = text.find("}}", pos);
        if (end == std::string::npos) return false;
        for (size_t i = pos + 2; i < end; ++i) {
            unsigned char c = static_cast<unsigned char>(text[i]);
            if (!std::isalnum(c) && c != '_' && c != '.' && c != '|' && c != ' ' && c != '[' && c != ']') return false;
        }
        pos = end + 2;
    }
    return true;
}

}  // namespace

std::vector<const Task*> upcoming_tasks(const std::vector<Task>& tasks, size_t index, size_t max) {
    std::vector<const Task*> out;
    collect(tasks, index + 1, max, out);
    return out;
}

std::vector<std::vector<std::string>> hinted_paths(const std::vector<const Task*>& upcoming, const Value& vars) {
    std::vector<std::vector<std::string>> by_task;
    for (const Task* t : upcoming) {
        std::vector<std::string> paths;
        // Another host's files, or one path per item: nothing to announce here.
        if (t->delegate_to.is_null() && t->loop.is_null() && t->args.is_map()) {
            for (const char* key : {"path", "dest", "creates", "removes"}) {
                const Value& raw = t->args.get(key);
                if (!raw.is_string() || !plain_template(raw.as_string())) continue;
                try {
                    Value v = lua_lease()->render(raw, vars);
                    if (v.is_string() && !v.as_string().empty() && v.as_string()[0] == '/') paths.push_back(v.as_string());
                } catch (const std::exception&) {
                    // Not renderable yet: no hint.
                }
            }
        }
        by_task.push_back(std::move(paths));
    }
    return by_task;
}

}  // namespace upkeep
