#include "engine/exec/become_keywords.hpp"

namespace upkeep {

BecomeKeywords become_keywords(const Play& play, const Task* task) {
    BecomeKeywords k{play.become, play.become_user, play.become_method};
    if (!task) return k;
    if (task->become.has_value()) k.become = task->become;
    if (!task->become_user.empty()) k.user = task->become_user;
    if (!task->become_method.empty()) k.method = task->become_method;
    return k;
}

Value with_become_keywords(const Value& conn_vars, const BecomeKeywords& k) {
    Value v = conn_vars.is_map() ? conn_vars : Value(Map{});
    if (k.become.has_value() && !v.has("ansible_become")) v["ansible_become"] = Value(*k.become);
    if (!k.user.empty() && !v.has("ansible_become_user")) v["ansible_become_user"] = Value(k.user);
    if (!k.method.empty() && !v.has("ansible_become_method")) v["ansible_become_method"] = Value(k.method);
    return v;
}

}  // namespace upkeep
