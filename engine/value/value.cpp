#include "engine/value/value.hpp"

#include <cmath>
#include <cstdio>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::string Mark::to_string() const {
    if (!known()) return "";
    std::string s = *file;
    if (line > 0) s += ":" + std::to_string(line);
    if (col > 0) s += ":" + std::to_string(col);
    return s;
}

const char* Value::type_name() const {
    switch (type()) {
        case Type::Null: return "null";
        case Type::Bool: return "bool";
        case Type::Int: return "int";
        case Type::Double: return "float";
        case Type::String: return "string";
        case Type::List: return "list";
        case Type::Map: return "map";
    }
    return "?";
}

namespace {
[[noreturn]] void type_error(const Value& v, const char* wanted) {
    throw TypeError(v.mark(), std::string("expected a ") + wanted + ", got a " + v.type_name() +
                                  (v.is_string() && !v.secret() ? " '" + v.as_string() + "'" : ""));
}
}  // namespace

bool Value::as_bool() const {
    if (is_bool()) return std::get<bool>(m_data);
    if (is_string()) {
        std::string s = to_lower(as_string());
        if (s == "yes" || s == "true" || s == "on" || s == "1" || s == "y") return true;
        if (s == "no" || s == "false" || s == "off" || s == "0" || s == "n" || s.empty()) return false;
    }
    if (is_int()) return as_int() != 0;
    type_error(*this, "boolean");
}

int64_t Value::as_int() const {
    if (is_int()) return std::get<int64_t>(m_data);
    if (is_double()) return static_cast<int64_t>(std::get<double>(m_data));
    if (is_string()) {
        const std::string& s = as_string();
        try {
            size_t pos = 0;
            int base = (s.size() > 1 && s[0] == '0' && s.find_first_not_of("01234567") == std::string::npos) ? 8 : 10;
            int64_t v = std::stoll(s, &pos, base);
            if (pos == s.size()) return v;
        } catch (const std::exception&) {
        }
    }
    type_error(*this, "integer");
}

double Value::as_double() const {
    if (is_double()) return std::get<double>(m_data);
    if (is_int()) return static_cast<double>(std::get<int64_t>(m_data));
    if (is_string()) {
        try {
            size_t pos = 0;
            double v = std::stod(as_string(), &pos);
            if (pos == as_string().size()) return v;
        } catch (const std::exception&) {
        }
    }
    type_error(*this, "number");
}

const std::string& Value::as_string() const {
    if (!is_string()) type_error(*this, "string");
    return std::get<std::string>(m_data);
}

const List& Value::as_list() const {
    if (!is_list()) type_error(*this, "list");
    return *std::get<std::shared_ptr<List>>(m_data);
}

const Map& Value::as_map() const {
    if (!is_map()) type_error(*this, "map");
    return *std::get<std::shared_ptr<Map>>(m_data);
}

List& Value::as_list_mut() {
    if (!is_list()) type_error(*this, "list");
    auto& p = std::get<std::shared_ptr<List>>(m_data);
    if (p.use_count() > 1) p = std::make_shared<List>(*p);
    return *p;
}

Map& Value::as_map_mut() {
    if (!is_map()) type_error(*this, "map");
    auto& p = std::get<std::shared_ptr<Map>>(m_data);
    if (p.use_count() > 1) p = std::make_shared<Map>(*p);
    return *p;
}

bool Value::truthy() const {
    switch (type()) {
        case Type::Null: return false;
        case Type::Bool: return std::get<bool>(m_data);
        case Type::Int: return as_int() != 0;
        case Type::Double: return as_double() != 0.0;
        case Type::String: {
            std::string s = to_lower(as_string());
            return !(s.empty() || s == "false" || s == "no" || s == "off" || s == "0" || s == "n");
        }
        case Type::List: return !as_list().empty();
        case Type::Map: return !as_map().empty();
    }
    return false;
}

static std::string format_double(double d) {
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f", d);
        return buf;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    // Shortest representation that round-trips.
    for (int prec = 1; prec <= 17; ++prec) {
        char b2[64];
        std::snprintf(b2, sizeof b2, "%.*g", prec, d);
        if (std::stod(b2) == d) return b2;
    }
    return buf;
}

std::string Value::to_string() const {
    switch (type()) {
        case Type::Null: return "";
        case Type::Bool: return std::get<bool>(m_data) ? "True" : "False";
        case Type::Int: return std::to_string(std::get<int64_t>(m_data));
        case Type::Double: return format_double(std::get<double>(m_data));
        case Type::String: return std::get<std::string>(m_data);
        default: return to_json(true);
    }
}

const Value* Value::find(const std::string& key) const {
    if (!is_map()) return nullptr;
    const Map& m = as_map();
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
}

const Value& Value::get(const std::string& key) const {
    static const Value k_null;
    const Value* v = find(key);
    return v ? *v : k_null;
}

Value& Value::operator[](const std::string& key) {
    if (is_null()) m_data = std::make_shared<Map>();
    return as_map_mut()[key];
}

Mark Value::key_mark(const std::string& key) const {
    if (m_key_marks) {
        auto it = m_key_marks->find(key);
        if (it != m_key_marks->end()) return it->second;
    }
    return m_mark;
}

bool Value::operator==(const Value& o) const {
    if (is_number() && o.is_number()) {
        if (is_int() && o.is_int()) return as_int() == o.as_int();
        return as_double() == o.as_double();
    }
    if (type() != o.type()) return false;
    switch (type()) {
        case Type::Null: return true;
        case Type::Bool: return std::get<bool>(m_data) == std::get<bool>(o.m_data);
        case Type::String: return as_string() == o.as_string();
        case Type::List: return as_list() == o.as_list();
        case Type::Map: return as_map() == o.as_map();
        default: return false;
    }
}

namespace {

// True when v and everything inside it already carry the untrusted mark, so
// marking again would only copy shared containers for nothing.
bool all_untrusted(const Value& v) {
    if (!v.untrusted()) return false;
    if (v.is_list())
        for (const Value& e : v.as_list())
            if (!all_untrusted(e)) return false;
    if (v.is_map())
        for (const auto& [k, e] : v.as_map())
            if (!all_untrusted(e)) return false;
    return true;
}

}  // namespace

Value& Value::set_untrusted() {
    if (all_untrusted(*this)) return *this;
    m_untrusted = true;
    if (is_list())
        for (Value& e : as_list_mut()) e.set_untrusted();
    else if (is_map())
        for (auto& [k, e] : as_map_mut()) e.set_untrusted();
    return *this;
}

bool Value::contains_secret() const {
    if (m_secret) return true;
    if (is_list())
        for (const auto& v : as_list())
            if (v.contains_secret()) return true;
    if (is_map())
        for (const auto& [k, v] : as_map())
            if (v.contains_secret()) return true;
    return false;
}

std::string Value::to_json(bool reveal) const {
    if (m_secret && !reveal) return json_quote(k_masked);
    switch (type()) {
        case Type::Null: return "null";
        case Type::Bool: return std::get<bool>(m_data) ? "true" : "false";
        case Type::Int: return std::to_string(std::get<int64_t>(m_data));
        case Type::Double: {
            double d = std::get<double>(m_data);
            return std::isfinite(d) ? format_double(d) : "null";
        }
        case Type::String: return json_quote(as_string());
        case Type::List: {
            std::string s = "[";
            bool first = true;
            for (const auto& v : as_list()) {
                if (!first) s += ", ";
                first = false;
                s += v.to_json(reveal);
            }
            return s + "]";
        }
        case Type::Map: {
            std::string s = "{";
            bool first = true;
            for (const auto& [k, v] : as_map()) {
                if (!first) s += ", ";
                first = false;
                s += json_quote(k) + ": " + v.to_json(reveal);
            }
            return s + "}";
        }
    }
    return "null";
}

Value merge_maps(const Value& a, const Value& b, bool deep) {
    if (!a.is_map()) return b.is_map() ? b : Value(Map{});
    if (!b.is_map()) return a;
    Value out = a;
    Map& m = out.as_map_mut();
    for (const auto& [k, v] : b.as_map()) {
        auto it = m.find(k);
        if (deep && it != m.end() && it->second.is_map() && v.is_map())
            it->second = merge_maps(it->second, v, true);
        else
            m[k] = v;
    }
    return out;
}

}  // namespace upkeep
