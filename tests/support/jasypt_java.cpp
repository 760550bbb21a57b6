#include "tests/support/jasypt_java.hpp"

#include <sstream>
#include <stdexcept>

#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {
namespace {

const char* k_jar = "/usr/share/java/jasypt.jar";

const char* k_java = R"(import java.io.*;
import java.nio.charset.StandardCharsets;
import org.jasypt.encryption.pbe.StandardPBEStringEncryptor;

public class JasyptBatch {
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }
    static String unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split(" ", -1);
            StandardPBEStringEncryptor e = new StandardPBEStringEncryptor();
            e.setAlgorithm("PBEWithMD5AndDES");
            try {
                e.setPassword(unhex(f[1]));
                String input = unhex(f[2]);
                String r = f[0].equals("E") ? e.encrypt(input) : e.decrypt(input);
                System.out.println("OK " + hex(r.getBytes(StandardCharsets.UTF_8)));
            } catch (Exception ex) {
                System.out.println("ERR " + ex.getClass().getSimpleName());
            }
        }
    }
}
)";

std::string hex(const std::string& s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return out;
}

std::string unhex(const std::string& s) {
    std::string out;
    for (size_t i = 0; i + 1 < s.size(); i += 2) out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
    return out;
}

// The directory holding JasyptBatch.class, compiled on first use.
const std::string& class_dir() {
    static TempDir dir;
    static bool compiled = [] {
        write_file(dir / "JasyptBatch.java", k_java);
        auto r = sh("cd " + shell_quote(dir.path()) + " && javac -cp " + k_jar + " JasyptBatch.java");
        if (r.rc != 0) throw std::runtime_error("javac JasyptBatch.java failed: " + r.out);
        return true;
    }();
    (void)compiled;
    return dir.path();
}

}  // namespace

std::vector<JasyptOutcome> java_jasypt(const std::vector<JasyptOp>& ops) {
    const std::string& dir = class_dir();
    std::string input;
    for (const auto& op : ops) input += std::string(op.encrypt ? "E " : "D ") + hex(op.password) + " " + hex(op.input) + "\n";
    TempDir tmp;
    write_file(tmp / "ops.txt", input);
    auto r = sh("java -cp " + shell_quote(dir) + ":" + k_jar + " JasyptBatch < " + shell_quote(tmp / "ops.txt"));
    if (r.rc != 0) throw std::runtime_error("java JasyptBatch failed: " + r.out);
    std::vector<JasyptOutcome> out;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (starts_with(line, "OK "))
            out.push_back({true, unhex(line.substr(3))});
        else if (starts_with(line, "ERR "))
            out.push_back({false, line.substr(4)});
    }
    if (out.size() != ops.size()) throw std::runtime_error("java JasyptBatch answered " + std::to_string(out.size()) +
                                                           " of " + std::to_string(ops.size()) + ": " + r.out);
    return out;
}

}  // namespace upkeep::test
