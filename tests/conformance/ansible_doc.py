"""ansible-doc renders every module and lookup of the collection and every role's
argument spec, with no warning or error.

ansible-doc exits 0 when a plugin is not found or its documentation does
not parse (it only warns), so this checks its output: each name rendered,
nothing on stderr. Needs ANSIBLE_COLLECTIONS_PATH to find dce5.skoala (the
Makefile sets it).
"""
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), "ansible-doc")


def plugins(directory):
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(ROOT, "plugins", directory, "*.py")) if not p.endswith("__init__.py"))


def names():
    roles = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                   for p in glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "main.yml")))
    return plugins("modules"), roles


def render(kind, items, banner):
    """Problems rendering the given plugins of one type with ansible-doc."""
    fqcns = ["dce5.skoala." + n for n in items]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run([ANSIBLE_DOC, "-t", kind] + fqcns, env=env, text=True, check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    problems = []
    if proc.returncode:
        problems.append("ansible-doc -t %s exited %d" % (kind, proc.returncode))
    if proc.stderr.strip():
        problems.append("ansible-doc -t %s: %s" % (kind, proc.stderr.strip()))
    problems += ["%s %s: not rendered" % (kind, f) for f in fqcns if (banner % f) not in proc.stdout]
    return problems


def main():
    modules, roles = names()
    lookups = plugins("lookup")
    problems = (render("module", modules, "> MODULE %s ") + render("lookup", lookups, "> LOOKUP %s ")
                + render("role", roles, "> ROLE: *%s* "))
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("ansible-doc: %d modules, %d lookups and %d roles render" % (len(modules), len(lookups), len(roles)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
