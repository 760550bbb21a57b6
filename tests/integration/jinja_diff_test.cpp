// Differential test of the Jinja compiler: the corpus in fixtures/jinja (expressions
// and .j2 templates) is rendered by Ansible's own Templar (ansible_render.py, the
// python3-jinja2 that ansible-core uses) and by upkeep, and the results compared:
// expressions as canonical JSON (errors as errors), templates byte for byte.
// Cases where upkeep differs on purpose are listed with the reason in corpus.yml.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

// Python's repr of a float.
std::string float_text(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char buf[64];
    for (int p = 0; p <= 16; ++p) {
        std::snprintf(buf, sizeof buf, "%.*e", p, d);
        if (std::strtod(buf, nullptr) == d) break;
    }
    // buf is "-d.ddde+XX": Python prints fixed notation for exponents -4..15.
    std::string s = buf;
    bool neg = s[0] == '-';
    if (neg) s.erase(0, 1);
    size_t e = s.find('e');
    int exp = std::stoi(s.substr(e + 1));
    std::string digits;
    for (char c : s.substr(0, e))
        if (c != '.') digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out;
    if (exp < -4 || exp >= 16) {
        out = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    } else if (exp >= 0) {
        std::string ip = digits.substr(0, std::min(digits.size(), size_t(exp + 1)));
        ip.append(size_t(exp + 1) - ip.size(), '0');
        std::string fp = digits.size() > size_t(exp + 1) ? digits.substr(exp + 1) : "0";
        out = ip + "." + fp;
    } else {
        out = "0." + std::string(size_t(-exp - 1), '0') + digits;
    }
    return (neg ? "-" : "") + out;
}

// json.dumps(v, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)
std::string canon(const Value& v) {
    switch (v.type()) {
        case Value::Type::Null: return "null";
        case Value::Type::Bool: return v.as_bool() ? "true" : "false";
        case Value::Type::Int: return std::to_string(v.as_int());
        case Value::Type::Double: return float_text(v.as_double());
        case Value::Type::String: return json_string(v.as_string());
        case Value::Type::List: {
            std::string s = "[";
            for (size_t i = 0; i < v.as_list().size(); ++i) s += (i ? ", " : "") + canon(v.as_list()[i]);
            return s + "]";
        }
        case Value::Type::Map: {
            std::string s = "{";
            bool first = true;
            for (const auto& [k, e] : v.as_map()) {
                s += (first ? "" : ", ") + json_string(k) + ": " + canon(e);
                first = false;
            }
            return s + "}";
        }
    }
    return "?";
}

}  // namespace

TEST_CASE("Jinja expressions and templates render as Ansible renders them", "[jinja][ansible][integration]") {
    if (test::sh("/usr/bin/python3 -c 'import ansible, jinja2'").rc != 0)
        FAIL("ansible-core (python3-jinja2) is not installed (bash .ci/setup test)");
    std::string dir = std::string(UPKEEP_TEST_FIXTURES) + "/jinja";
    std::string tdir = dir + "/templates";
    test::TempDir tmp;
    setenv("UPKEEP_DIFF_TEST_ENV", "from-env", 1);
    test::Run r = test::sh("/usr/bin/python3 " + std::string(UPKEEP_TEST_FIXTURES) + "/../support/ansible_render.py " +
                           shell_quote(dir + "/corpus.yml") + " " + shell_quote(tdir) + " > " + tmp / "ansible.json");
    REQUIRE(r.rc == 0);
    Value theirs = parse_yaml(test::read_file(tmp / "ansible.json"), "ansible.json");
    Value corpus = load_yaml_file(dir + "/corpus.yml");
    const Value& vars = corpus.get("vars");
    std::set<std::string> deliberate;
    if (corpus.get("differences").is_map())
        for (const auto& [k, why] : corpus.get("differences").as_map()) deliberate.insert(k);

    LuaEnv lua;
    size_t passed = 0, failed = 0, differ = 0;
    const List& cases = corpus.get("cases").as_list();
    const List& expected = theirs.get("cases").as_list();
    REQUIRE(cases.size() == expected.size());
    for (size_t i = 0; i < cases.size(); ++i) {
        std::string text = cases[i].as_string();
        std::string want = expected[i].has("ok") ? expected[i].get("ok").as_string() : "ERROR";
        std::string got;
        try {
            Value v = lua.render(Value(text), vars);
            // upkeep keeps a single {{ }}'s numbers native; Ansible 2.14 (without
            // jinja2_native) hands back their text. Compare the text.
            if (v.is_int()) v = Value(std::to_string(v.as_int()));
            else if (v.is_double()) v = Value(float_text(v.as_double()));
            got = canon(v);
        } catch (const std::exception& e) {
            got = "ERROR";
            if (want != "ERROR") got += std::string(" (") + e.what() + ")";
        }
        if (got == want) {
            ++passed;
        } else if (deliberate.count(text)) {
            ++differ;
        } else {
            ++failed;
            std::cout << "case " << text << "\n  ansible: " << want << "\n  upkeep:  " << got << "\n";
        }
    }

    size_t tpassed = 0, tfailed = 0;
    set_template_search_path({tdir});
    for (const auto& [name, res] : theirs.get("templates").as_map()) {
        std::string want = res.has("ok") ? res.get("ok").as_string() : "ERROR";
        std::string got;
        Value tvars = vars;
        tvars["template_path"] = Value(tdir + "/" + name);
        try {
            got = lua.render_template(test::read_file(tdir + "/" + name), tvars);
        } catch (const std::exception& e) {
            got = "ERROR";
            if (want != "ERROR") got += std::string(" (") + e.what() + ")";
        }
        if (got == want) {
            ++tpassed;
        } else {
            ++tfailed;
            std::cout << "template " << name << "\n--- ansible:\n" << want << "\n--- upkeep:\n" << got << "\n";
        }
    }
    set_template_search_path({});
    std::cout << "jinja expressions: " << passed << " passed, " << failed << " failed, " << differ
              << " deliberate differences (of " << cases.size() << ")\n"
              << "jinja templates: " << tpassed << " passed, " << tfailed << " failed (of "
              << theirs.get("templates").as_map().size() << ")\n";
    CHECK(cases.size() >= 100);
    CHECK(theirs.get("templates").as_map().size() >= 20);
    CHECK(failed == 0);
    CHECK(tfailed == 0);
}
