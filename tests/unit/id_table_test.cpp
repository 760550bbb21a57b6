// engine/connection/id_table: a host's /etc/passwd or /etc/group as names and
// ids, shared between connections whose file has the same bytes.
#include <catch2/catch.hpp>

#include "engine/connection/id_table.hpp"

using namespace upkeep;

TEST_CASE("id table: names and ids as getpwnam/getpwuid read the file", "[id_table]") {
    auto t = IdTable::of(
        "root:x:0:0:root:/root:/bin/bash\n"
        "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
        "broken line\n"
        "nonum:x::5\n"
        "junk:x:12ab:5\n"
        "huge:x:99999999999:1\n"
        "toor:x:0:0:second root:/root:/bin/sh\n"
        "cloud:x:1001:1001::/home/cloud:/bin/sh");  // no final newline
    CHECK(t->name(0) == "root");  // the first of two names for one id
    CHECK(t->id("toor") == 0u);
    CHECK(t->id("cloud") == 1001u);
    CHECK(t->name(1) == "daemon");
    CHECK_FALSE(t->id("nonum").has_value());
    CHECK_FALSE(t->id("junk").has_value());
    CHECK_FALSE(t->id("huge").has_value());
    CHECK_FALSE(t->name(4242).has_value());
    CHECK(t->size() == 3);  // ids 0, 1, 1001
    CHECK(IdTable::of("")->size() == 0);  // a host without the file: numbers stay numbers
}

TEST_CASE("id table: hosts with byte-identical files share one table, others get their own", "[id_table]") {
    std::string image = "root:x:0:0::/root:/bin/sh\ncloud:x:1001:1001::/home/cloud:/bin/sh\n";
    auto a = IdTable::of(image);
    auto b = IdTable::of(std::string(image));
    CHECK(a.get() == b.get());
    auto c = IdTable::of(image + "extra:x:1002:1002::/:/bin/sh\n");
    CHECK(c.get() != a.get());
    CHECK(c->id("extra") == 1002u);
    CHECK_FALSE(a->id("extra").has_value());
    // A table no connection holds is made again, with the same answers.
    c.reset();
    auto d = IdTable::of(image + "extra:x:1002:1002::/:/bin/sh\n");
    CHECK(d->id("extra") == 1002u);
}
