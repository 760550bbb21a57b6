#include "engine/util/py_regex.hpp"
#include "engine/value/yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/vault/vault.hpp"

namespace upkeep {

namespace {

Mark mark_of(const std::shared_ptr<const std::string>& file, const YAML::Mark& m) {
    Mark out;
    out.file = file;
    if (m.line >= 0) out.line = m.line + 1;
    if (m.column >= 0) out.col = m.column + 1;
    return out;
}

Value typed_scalar(const std::string& s) {
    static const PyRegex k_int = compile_py_regex(R"([-+]?(0|[1-9][0-9_]*))");
    static const PyRegex k_octal = compile_py_regex(R"(0o?[0-7]+)");
    static const PyRegex k_hex = compile_py_regex(R"(0x[0-9a-fA-F]+)");
    static const PyRegex k_float = compile_py_regex(R"([-+]?([0-9][0-9_]*)?\.[0-9]*([eE][-+]?[0-9]+)?)");
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
    std::string l = to_lower(s);
    if (l == "true" || l == "yes" || l == "on") return Value(true);
    if (l == "false" || l == "no" || l == "off") return Value(false);
    try {
        if (py_fullmatch(k_int, s)) {
            std::string digits;
            for (char c : s)
                if (c != '_') digits += c;
            return Value(static_cast<int64_t>(std::stoll(digits)));
        }
        if (py_fullmatch(k_octal, s)) {
            std::string d = s.substr(s[1] == 'o' ? 2 : 1);
            return Value(static_cast<int64_t>(std::stoll(d, nullptr, 8)));
        }
        if (py_fullmatch(k_hex, s)) return Value(static_cast<int64_t>(std::stoll(s.substr(2), nullptr, 16)));
        if (s != "." && py_fullmatch(k_float, s)) return Value(std::stod(s));
    } catch (const std::exception&) {
        // out of range: keep as string
    }
    return Value(s);
}

Value convert(const YAML::Node& n, const std::shared_ptr<const std::string>& file) {
    Mark mark = mark_of(file, n.Mark());
    Value out;
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: out = Value(); break;
        case YAML::NodeType::Scalar: {
            const std::string& tag = n.Tag();
            if (tag == "!" || tag == "!unsafe" || tag == "tag:yaml.org,2002:str")
                out = Value(n.Scalar());
            else if (tag == "!secret")  // our marker: the value is masked in every output
                out = Value(n.Scalar()).set_secret();
            else if (tag == "!vault" || tag == "!encrypted/pkcs1-oaep")  // decrypted now; a secret from here on
                out = Value(vault_decrypt(n.Scalar(), mark)).set_secret();
            else
                out = typed_scalar(n.Scalar());
            break;
        }
        case YAML::NodeType::Sequence: {
            List l;
            l.reserve(n.size());
            for (const auto& item : n) l.push_back(convert(item, file));
            out = Value(std::move(l));
            break;
        }
        case YAML::NodeType::Map: {
            Map m;
            auto key_marks = std::make_shared<std::map<std::string, Mark>>();
            for (const auto& kv : n) {
                std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
                if (key == "<<") {  // YAML merge key: merged maps do not override explicit keys
                    Value merged = convert(kv.second, file);
                    auto add = [&](const Value& v) {
                        if (!v.is_map()) return;
                        for (const auto& [k, val] : v.as_map()) m.emplace(k, val);
                    };
                    if (merged.is_list())
                        for (const auto& v : merged.as_list()) add(v);
                    else
                        add(merged);
                    continue;
                }
                if (m.count(key))
                    throw UserError(mark_of(file, kv.first.Mark()), "duplicate key '" + key + "'");
                m[key] = convert(kv.second, file);
                (*key_marks)[key] = mark_of(file, kv.first.Mark());
            }
            out = Value(std::move(m));
            out.set_key_marks(std::move(key_marks));
            break;
        }
    }
    out.set_mark(mark);
    return out;
}

}  // namespace

Value parse_yaml(const std::string& text, const std::string& filename) {
    auto file = std::make_shared<const std::string>(filename);
    try {
        YAML::Node root = YAML::Load(text);
        return convert(root, file);
    } catch (const YAML::Exception& e) {
        throw UserError(mark_of(file, e.mark), e.msg);
    }
}

Value load_yaml_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot read file");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (!is_vault_text(text)) return parse_yaml(text, path);
    // A vault-encrypted file (vars_files, group_vars, role vars): every value in it is a secret.
    auto file = std::make_shared<const std::string>(path);
    Value v = parse_yaml(vault_decrypt(text, Mark{file, 1, 1}), path);
    mark_secret(v);
    return v;
}

void mark_secret(Value& v) {
    if (v.is_list()) {
        for (auto& x : v.as_list_mut()) mark_secret(x);
    } else if (v.is_map()) {
        for (auto& [k, x] : v.as_map_mut()) mark_secret(x);
    } else if (!v.is_null()) {
        v.set_secret(true);
    }
}

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
