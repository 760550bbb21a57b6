// Cross-checks the properties parser against java.util.Properties itself: a tiny
// Java program (compiled once with javac) loads each file and prints its
// key=value pairs escaped unambiguously; Document::entries() must give the same
// pairs, for tricky files and for the results of edits.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "modules/formats/properties_doc.hpp"
#include "modules/formats/text_pos.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using properties::Document;

namespace {

const char* k_java = R"(import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class PropsDump {
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e || c == '\\' || c == '=') b.append(String.format("\\u%04X", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
    public static void main(String[] args) throws Exception {
        for (String f : args) {
            Properties p = new Properties();
            try (Reader r = new InputStreamReader(new FileInputStream(f), StandardCharsets.UTF_8)) { p.load(r); }
            System.out.println("== " + f);
            for (String k : p.stringPropertyNames()) System.out.println(esc(k) + "=" + esc(p.getProperty(k)));
        }
    }
}
)";

// The same escaping as the Java side, over UTF-16 code units.
std::string esc(const std::string& s) {
    std::string out;
    char buf[16];
    auto unit = [&](uint32_t u) {
        if (u < 0x20 || u > 0x7e || u == '\\' || u == '=') {
            std::snprintf(buf, sizeof buf, "\\u%04X", u);
            out += buf;
        } else {
            out += static_cast<char>(u);
        }
    };
    for (size_t i = 0; i < s.size();) {
        size_t len = utf8_sequence_length(s, i);
        if (len == 0 && i + 3 <= s.size() && static_cast<unsigned char>(s[i]) == 0xED) len = 3;  // lone surrogate
        REQUIRE(len != 0);
        uint32_t cp = decode_utf8(s, i, len);
        if (cp >= 0x10000) {
            unit(0xD800 + ((cp - 0x10000) >> 10));
            unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            unit(cp);
        }
        i += len;
    }
    return out;
}

// The directory holding the compiled PropsDump.class (compiled once per run).
const std::string& java_dir() {
    static test::TempDir dir;
    static bool compiled = [] {
        test::write_file(dir / "PropsDump.java", k_java);
        auto r = test::sh("cd " + dir.path() + " && javac PropsDump.java");
        INFO(r.out);
        REQUIRE(r.rc == 0);
        return true;
    }();
    (void)compiled;
    return dir.path();
}

// file -> set of "key=value" lines as Java reads them.
std::map<std::string, std::set<std::string>> java_read(const std::vector<std::string>& files) {
    std::string cmd = "java -cp " + java_dir() + " PropsDump";
    for (const auto& f : files) cmd += " " + f;
    auto r = test::sh(cmd);
    INFO(r.out);
    REQUIRE(r.rc == 0);
    std::map<std::string, std::set<std::string>> out;
    std::istringstream in(r.out);
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.rfind("== ", 0) == 0)
            current = line.substr(3);
        else
            out[current].insert(line);
    }
    return out;
}

std::set<std::string> ours(const std::string& text) {
    std::map<std::string, std::string> last;
    auto doc = Document::parse(text, "t");
    for (const auto& e : doc.entries()) last[e.key] = e.value;
    std::set<std::string> out;
    for (const auto& [k, v] : last) {
        CHECK(doc.get(k) == v);
        out.insert(esc(k) + "=" + esc(v));
    }
    return out;
}

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

}  // namespace

TEST_CASE("properties: Document reads files exactly like java.util.Properties", "[java]") {
    test::TempDir tmp;
    std::vector<std::pair<std::string, std::string>> corpus;  // file -> text
    for (const char* name : {"agent.properties", "environment.properties", "db.properties", "crlf.properties",
                             "nonl.properties", "unicode.properties", "tricky.properties"})
        corpus.push_back({name, fixture(name)});
    corpus.push_back({"inline.properties",
                      "a\\\n\\\nb=1\n\\ \\ two.spaces = x\n=empty.key\n:colon.first\nk1 = v\\\\\\\nnext\n"
                      "   \\\n  cont.key=v\r\rlone.cr=1\rk\\u0041\\u0042 = \\u0000x\n\f form.feed = y\n"
                      "esc\\\\\\ aped=z\ntail.ws.cont=a\\\n  \t  \n"});
    // Edited versions: every key of every file set to tricky values, removed, and new keys added.
    const std::vector<std::string> values = {"plain", "  leading spaces", "trailing  ", "tab\tnew\nline\\cr\r",
                                             "= : # ! \\u0041", "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", "",
                                             "ctrl\x01\x7f", "ends with backslash\\"};
    size_t originals = corpus.size();
    for (size_t i = 0; i < originals; ++i) {
        auto doc = Document::parse(corpus[i].second, corpus[i].first);
        auto entries = doc.entries();
        for (size_t k = 0; k < entries.size(); ++k) {
            auto d = Document::parse(corpus[i].second, corpus[i].first);
            d.set(entries[k].key, values[k % values.size()]);
            corpus.push_back({corpus[i].first + ".set" + std::to_string(k), d.render()});
        }
        auto d = Document::parse(corpus[i].second, corpus[i].first);
        for (size_t k = 0; k < entries.size(); k += 2) d.remove(entries[k].key);
        for (size_t v = 0; v < values.size(); ++v) d.set("new key " + std::to_string(v) + values[v], values[v]);
        corpus.push_back({corpus[i].first + ".edited", d.render()});
    }
    std::vector<std::string> files;
    for (size_t i = 0; i < corpus.size(); ++i) {
        std::string f = tmp / ("c" + std::to_string(i) + ".properties");
        test::write_file(f, corpus[i].second);
        files.push_back(f);
    }
    auto java = java_read(files);
    REQUIRE(java.size() == corpus.size());
    for (size_t i = 0; i < corpus.size(); ++i) {
        INFO(corpus[i].first << ":\n" << corpus[i].second);
        CHECK_FALSE(java[files[i]].empty());
        CHECK(ours(corpus[i].second) == java[files[i]]);
    }
}
