// HostState: everything the executor keeps for one host during a run.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "engine/connection/connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/exec/become_keywords.hpp"
#include "engine/report/reporter.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct HostState {
    std::string name;
    Value inventory_vars;  // from the inventory (groups < host), magic vars included
    Value facts;           // gathered facts (ansible_facts), null until gathered
    Value play_vars;       // inventory + facts + play vars + vars_files, rendered (per play)
    Value runtime_vars = Value(Map{});
    // Names whose play value is a role default (no higher layer set them): a role's
    // task may replace them with its own role's default.
    std::set<std::string> default_keys;  // register and set_fact, above play vars
    // The variables the connection is made from (inventory < play vars < -e,
    // as in Ansible) and the connection settings among them: a play that
    // changes them gets a new connection.
    Value conn_vars;
    std::string conn_key;
    BecomeKeywords play_become;         // the play's become keywords (conn is opened with them)
    ConnectionPtr conn;                 // opened on first use, reused for every task
    // Tasks or blocks whose become settings differ from the play's: one more connection
    // per setting (keyed like conn_key), opened on first use; the run lock stays with conn.
    std::map<std::string, ConnectionPtr> become_conns;
    std::unique_ptr<PlannedConnection> planned;  // dry-run overlay (--check), kept across plays
    bool connected = false;
    bool failed = false;       // out of the play (a task failed)
    bool unreachable = false;  // out of the run
    bool ended = false;        // meta: end_host / end_play
    std::set<std::string> notified;  // handler names and listen topics
    HostStats stats;

    bool active() const { return !failed && !unreachable && !ended; }
};

}  // namespace upkeep
