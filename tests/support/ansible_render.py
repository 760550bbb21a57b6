#!/usr/bin/python3
# Renders the differential corpus with Ansible's own Templar (ansible-core 2.14,
# Jinja2 as Ansible configures it) and prints one JSON result per case.
# Usage: ansible_render.py corpus.yml templates_dir
# Output: {"cases": [{"ok": canonical} | {"error": msg}], "templates": {name: {"ok": text} | {"error": msg}}}
import json
import os
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)


def main():
    corpus = yaml.safe_load(open(sys.argv[1]))
    tdir = sys.argv[2]
    loader = DataLoader()
    loader.set_basedir(tdir)
    variables = dict(corpus["vars"])
    templar = Templar(loader=loader, variables=variables)
    out = {"cases": [], "templates": {}}
    for case in corpus["cases"]:
        try:
            out["cases"].append({"ok": canon(templar.template(case))})
        except Exception as e:  # undefined names, type errors: the case fails
            out["cases"].append({"error": str(e).splitlines()[0] if str(e) else type(e).__name__})
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".j2") or name.startswith("_"):
            continue
        text = open(os.path.join(tdir, name), encoding="utf-8").read()
        tvars = dict(variables)
        tvars["template_path"] = os.path.join(tdir, name)
        templar.available_variables = tvars
        try:
            res = templar.do_template(text, preserve_trailing_newlines=True, escape_backslashes=False)
            out["templates"][name] = {"ok": res}
        except Exception as e:
            out["templates"][name] = {"error": str(e).splitlines()[0]}
    json.dump(out, sys.stdout)


main()
