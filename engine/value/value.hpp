// Value: the one dynamic type that carries playbook data, variables, module
// arguments and results through the engine (null/bool/int/double/string/list/map),
// plus where it came from (a Mark) and whether it is a secret to be masked.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/value/mark.hpp"

namespace upkeep {

class Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value>;

class Value {
public:
    enum class Type { Null, Bool, Int, Double, String, List, Map };

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : m_data(b) {}
    Value(int i) : m_data(static_cast<int64_t>(i)) {}
    Value(int64_t i) : m_data(i) {}
    Value(double d) : m_data(d) {}
    Value(const char* s) : m_data(std::string(s)) {}
    Value(std::string s) : m_data(std::move(s)) {}
    Value(List l) : m_data(std::make_shared<List>(std::move(l))) {}
    Value(Map m) : m_data(std::make_shared<Map>(std::move(m))) {}

    Type type() const { return static_cast<Type>(m_data.index()); }
    const char* type_name() const;

    bool is_null() const { return type() == Type::Null; }
    bool is_bool() const { return type() == Type::Bool; }
    bool is_int() const { return type() == Type::Int; }
    bool is_double() const { return type() == Type::Double; }
    bool is_number() const { return is_int() || is_double(); }
    bool is_string() const { return type() == Type::String; }
    bool is_list() const { return type() == Type::List; }
    bool is_map() const { return type() == Type::Map; }

    // Accessors throw TypeError (with the mark) when the type does not match.
    bool as_bool() const;
    int64_t as_int() const;
    double as_double() const;
    const std::string& as_string() const;
    const List& as_list() const;
    const Map& as_map() const;
    // Mutable access copies the shared container first (copy-on-write), so
    // values handed to other hosts' threads are never changed under them.
    List& as_list_mut();
    Map& as_map_mut();

    // Loose conversions the way playbook authors expect them:
    // "yes"/"true"/"on"/"1" are true; numbers render without trailing zeros.
    bool truthy() const;
    std::string to_string() const;  // scalars as text, containers as JSON

    // Map helpers: get() returns a null Value when the key is absent.
    const Value* find(const std::string& key) const;
    const Value& get(const std::string& key) const;
    bool has(const std::string& key) const { return find(key) != nullptr; }
    Value& operator[](const std::string& key);  // turns a null into a map

    bool operator==(const Value& other) const;
    bool operator!=(const Value& other) const { return !(*this == other); }

    const Mark& mark() const { return m_mark; }
    Value& set_mark(Mark m) {
        m_mark = std::move(m);
        return *this;
    }
    // Where each key of a map was written (YAML maps only); falls back to the map's mark.
    Mark key_mark(const std::string& key) const;
    void set_key_marks(std::shared_ptr<const std::map<std::string, Mark>> marks) { m_key_marks = std::move(marks); }

    // A secret value is masked in every output: console, diff, reports.
    bool secret() const { return m_secret; }
    Value& set_secret(bool s = true) {
        m_secret = s;
        return *this;
    }
    // True if this value or anything inside it is secret.
    bool contains_secret() const;

    // Untrusted: the value came from a managed host (facts, command output, file
    // contents, module results) or was computed from such a value. It is data:
    // never rendered as a template nor evaluated as an expression (Ansible's
    // AnsibleUnsafe). Copies keep the mark; set_untrusted() marks the value and
    // everything inside it, so elements taken out of a list or map keep it too.
    bool untrusted() const { return m_untrusted; }
    Value& set_untrusted();

    // JSON rendering (compact); secrets are rendered masked unless reveal is true.
    std::string to_json(bool reveal = false) const;

private:
    std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<List>,
                 std::shared_ptr<Map>>
        m_data;
    Mark m_mark;
    std::shared_ptr<const std::map<std::string, Mark>> m_key_marks;
    bool m_secret = false;
    bool m_untrusted = false;
};

// The text shown wherever a secret would be.
inline constexpr const char* k_masked = "********";

// Merge b into a: maps merge recursively only when `deep`, otherwise b's keys replace a's.
Value merge_maps(const Value& a, const Value& b, bool deep = false);

}  // namespace upkeep
