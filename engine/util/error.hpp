// The error types of the engine. Recoverable failures are exceptions that the
// executor catches at one boundary per host and task, so a failure of one host
// never stops another; main() holds the single top-level catch for the rest.
#pragma once

#include <stdexcept>
#include <string>

#include "engine/value/mark.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// Something the user wrote is wrong (playbook, inventory, arguments, expressions).
// Rendered as "file:line:col: message" plus the source line and a caret when known.
class UserError : public std::runtime_error {
public:
    UserError(Mark mark, const std::string& msg) : std::runtime_error(msg), m_mark(std::move(mark)) {}
    explicit UserError(const std::string& msg) : std::runtime_error(msg) {}
    const Mark& mark() const { return m_mark; }
    // Full text with location, source line and caret when the file is readable.
    std::string describe() const;

private:
    Mark m_mark;
};

// A Value had the wrong type for what was asked of it.
class TypeError : public UserError {
public:
    using UserError::UserError;
};

// A task failed on a host: the one way a module fails (ARCHITECTURE.md, Decisions).
// It carries, when there are any, the result fields Ansible registers with such a
// failure (rc, stdout, status_code, elapsed...: `register`, `failed_when` and
// `until` read them) and where in the playbook the offending value was written.
// The executor turns it into the task's failed result in one place.
class TaskError : public std::runtime_error {
public:
    explicit TaskError(const std::string& msg) : std::runtime_error(msg) {}
    TaskError(Mark mark, const std::string& msg) : std::runtime_error(msg), m_mark(std::move(mark)) {}
    // `result`: the module's result fields (a map) as they stand at the failure.
    TaskError(const std::string& msg, Value result) : std::runtime_error(msg), m_result(std::move(result)) {}
    const Mark& mark() const { return m_mark; }
    const Value& result() const { return m_result; }

private:
    Mark m_mark;
    Value m_result;
};

// The host cannot be reached or the connection broke: the host is UNREACHABLE.
class ConnectionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A module broke its contract (e.g. apply did not converge). A bug, not a user error.
class ContractError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace upkeep
