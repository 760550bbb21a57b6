#!/usr/bin/python3
"""Reads a JUnit XML file with junitparser (Debian python3-junitparser), the
parser many CI tools use, and prints one line per test case:
    SUITE|CLASSNAME|NAME|RESULT|TYPE|MESSAGE|TEXT-FIRST-LINE
then a TOTAL line with the suite counters as junitparser reads them. Exits 1
(with the reason) when the file does not parse or a counter disagrees with the
cases: the test asserts on this output."""
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
tests = failures = errors = skipped = 0
for suite in xml:
    counted = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in suite:
        counted["tests"] += 1
        kind, typ, msg, text = "passed", "", "", ""
        for r in case.result:
            if isinstance(r, Failure):
                kind = "failure"; counted["failures"] += 1
            elif isinstance(r, Error):
                kind = "error"; counted["errors"] += 1
            elif isinstance(r, Skipped):
                kind = "skipped"; counted["skipped"] += 1
            typ, msg, text = r.type or "", r.message or "", (r.text or "")
        print("|".join([suite.name, case.classname, case.name, kind, typ, msg, text.split("\n")[0]]))
    for key, value in counted.items():
        if getattr(suite, key) != value:
            sys.exit(f"suite {suite.name}: {key}={getattr(suite, key)} but {value} cases")
    tests += suite.tests; failures += suite.failures; errors += suite.errors; skipped += suite.skipped
print(f"TOTAL tests={tests} failures={failures} errors={errors} skipped={skipped}")
