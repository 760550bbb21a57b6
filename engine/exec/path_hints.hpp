// Read-ahead hints (issue 12): on a slow link the connection fetches, with a
// probe it makes anyway, what the coming tasks will look at. The executor
// tells it which paths those are: the remote-path arguments of the next few
// tasks, rendered with the current task's variables. A hint is only a hint: a
// wrong or missing one costs a stat or a round trip, never a wrong answer.
#pragma once

#include <string>
#include <vector>

#include "engine/playbook/playbook.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// The module tasks that follow tasks[index] in the same list (a block's own
// tasks included), at most `max` of them. Includes and what follows them are
// not looked into: they are only known when they run.
std::vector<const Task*> upcoming_tasks(const std::vector<Task>& tasks, size_t index, size_t max = 8);

// For each upcoming task, the absolute paths its path/dest/creates/removes
// arguments name. A template is rendered only when it is plain variable
// references and argument-less filters ("{{ d }}/etc"): rendering early must
// not run anything (a lookup, a password file) that the task itself would run
// once. A template that does not render (a variable registered later) gives
// no hint.
std::vector<std::vector<std::string>> hinted_paths(const std::vector<const Task*>& upcoming, const Value& vars);

}  // namespace upkeep
