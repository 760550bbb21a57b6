// The real jasypt (Debian's libjasypt-java, /usr/share/java/jasypt.jar) driven
// from tests: a tiny Java program, compiled with javac once per test run into a
// temp dir, runs a batch of encryptions/decryptions through
// StandardPBEStringEncryptor (PBEWithMD5AndDES, CloudStack's setting) in one JVM.
#pragma once

#include <string>
#include <vector>

namespace upkeep::test {

struct JasyptOp {
    bool encrypt = true;
    std::string password;
    std::string input;  // the plaintext (UTF-8) or the base64 ciphertext
};

struct JasyptOutcome {
    bool ok = false;
    std::string value;  // the ciphertext or plaintext; on failure the Java exception's class name
};

// Runs every op through Java's jasypt, in order. Values travel hex-encoded, so
// non-ASCII text arrives intact whatever the locale.
std::vector<JasyptOutcome> java_jasypt(const std::vector<JasyptOp>& ops);

}  // namespace upkeep::test
