// {% extends %}, {% block %} with super() and self, {% call %} with caller():
// rendering (byte-identical to Jinja2 on the corpus: integration/jinja_diff_test)
// and the errors a template author can act on.
#include <catch2/catch.hpp>

#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_env.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

TEST_CASE("jinja: extends, blocks, super, call and their errors", "[lua][template][jinja]") {
    test::TempDir dir;
    test::write_file(dir / "base.j2", "[{% block a %}A{% endblock %}|{% block b %}B{% endblock %}]\n");
    test::write_file(dir / "child.j2", "{% extends 'base.j2' %}{% block b %}b+{{ super() }}{% endblock %}");
    test::write_file(dir / "grand.j2", "{% extends 'child.j2' %}{% block a %}{{ x }}{% endblock %}{% block b %}({{ super() }}){% endblock %}");
    set_template_search_path({dir.path()});
    LuaEnv lua;
    Value vars;
    vars["x"] = Value("X");
    CHECK(lua.render_template(test::read_file(dir / "child.j2"), vars) == "[A|b+B]");
    CHECK(lua.render_template(test::read_file(dir / "grand.j2"), vars) == "[X|(b+B)]");
    // Output before extends stays, output after it is the parent's business.
    CHECK(lua.render_template("pre {% extends 'base.j2' %} lost", vars) == "pre [A|B]");
    CHECK(lua.render_template("{% macro m(t) %}<{{ t }}:{{ caller('v') }}>{% endmacro %}{% call(p) m('t') %}{{ p }}{{ x }}{% endcall %}",
                              vars) == "<t:vX>");
    CHECK_THROWS_WITH(lua.render_template("{% block a %}1{% endblock %}{% block a %}2{% endblock %}", vars),
                      Catch::Contains("block 'a' defined twice"));
    CHECK_THROWS_WITH(lua.render_template("{% block a %}1{% endblock b %}", vars), Catch::Contains("closes block 'a'"));
    CHECK_THROWS_WITH(lua.render_template("{% block a %}{{ super() }}{% endblock %}", vars),
                      Catch::Contains("no parent block called 'a'"));
    CHECK_THROWS_WITH(lua.render_template("{% call x %}{% endcall %}", vars), Catch::Contains("expected a macro call"));
    CHECK_THROWS_WITH(lua.render_template("{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}", vars),
                      Catch::Contains("'caller' is undefined"));
    CHECK_THROWS_WITH(lua.render_template("{% extends 'missing.j2' %}", vars), Catch::Contains("template 'missing.j2' not found"));
    set_template_search_path({});
}
