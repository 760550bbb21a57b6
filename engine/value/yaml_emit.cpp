// Value -> YAML text for debug output and reports. Loading is libfyaml's job
// (yaml.cpp); yaml-cpp's emitter stays here because it only ever sees our own data.
#include <yaml-cpp/yaml.h>

#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {
void emit(YAML::Emitter& e, const Value& v, bool reveal) {
    if (v.secret() && !reveal) {
        e << k_masked;
        return;
    }
    switch (v.type()) {
        case Value::Type::Null: e << YAML::Null; break;
        case Value::Type::Bool: e << v.as_bool(); break;
        case Value::Type::Int: e << v.as_int(); break;
        case Value::Type::Double: e << v.as_double(); break;
        case Value::Type::String: e << v.as_string(); break;
        case Value::Type::List:
            e << YAML::BeginSeq;
            for (const auto& x : v.as_list()) emit(e, x, reveal);
            e << YAML::EndSeq;
            break;
        case Value::Type::Map:
            e << YAML::BeginMap;
            for (const auto& [k, x] : v.as_map()) {
                e << YAML::Key << k << YAML::Value;
                emit(e, x, reveal);
            }
            e << YAML::EndMap;
            break;
    }
}
}  // namespace

std::string to_yaml(const Value& v, bool reveal) {
    YAML::Emitter e;
    emit(e, v, reveal);
    return e.c_str();
}

}  // namespace upkeep
