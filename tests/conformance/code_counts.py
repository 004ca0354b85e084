"""Measure a few things about the code of the repository it is run in (a
measuring tool, not a test; nothing runs it but a person):

(a) the longest templated strings (Jinja) in set_fact values and in msg /
    fail_msg under roles/ and playbooks/: the characters of the string value
    as YAML gives it (a folded or literal block counts whole), top 10;
(a2) the longest single Jinja expressions (``{{ ... }}`` or ``{% ... %}``,
    white space folded) in the same strings, top 10;
(b) how many lines under roles/ match ``^\\s*kubeconfig:``;
(c) the line count of each file in plugins/module_utils, largest first.

    python tests/conformance/code_counts.py [REPO]

REPO defaults to the git checkout of the current directory (else this
script's). Plain Python and PyYAML only.
"""
import os
import re
import subprocess
import sys

import yaml

SET_FACT = ("set_fact", "ansible.builtin.set_fact", "ansible.legacy.set_fact")
MESSAGE_KEYS = ("msg", "fail_msg")
JINJA = ("{{", "{%")
EXPRESSION = re.compile(r"{{.*?}}|{%.*?%}", re.S)
KUBECONFIG_LINE = re.compile(r"^\s*kubeconfig:")
TOP = 10


def repo_root(argv):
    if len(argv) > 1:
        return os.path.abspath(argv[1])
    try:
        return subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def files_under(root, top, suffixes=None):
    """Files below root/top (hidden directories left out), sorted."""
    found = []
    for directory, dirs, names in os.walk(os.path.join(root, top)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(directory, n) for n in sorted(names) if suffixes is None or n.endswith(suffixes)]
    return found


def templated_strings(node, key):
    """(key, line, value) of every templated string scalar in a YAML node."""
    if isinstance(node, yaml.ScalarNode):
        if isinstance(node.value, str) and any(j in node.value for j in JINJA):
            yield key, node.start_mark.line + 1, node.value
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from templated_strings(item, "%s[%d]" % (key, i))
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from templated_strings(v, "%s.%s" % (key, k.value))


def measured(node):
    """(key, line, value) of the templated strings that (a) measures in a YAML node."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from measured(item)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value in SET_FACT and isinstance(v, yaml.MappingNode):
                for fact, value in v.value:
                    yield from templated_strings(value, "set_fact %s" % fact.value)
            elif k.value in MESSAGE_KEYS:
                yield from templated_strings(v, k.value)
            else:
                yield from measured(v)


def longest_jinja(root, whole=True):
    found, unread = [], []
    for path in files_under(root, "roles", (".yml", ".yaml")) + files_under(root, "playbooks", (".yml", ".yaml")):
        rel = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                docs = list(yaml.compose_all(f))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            unread.append("%s (%s)" % (rel, type(exc).__name__))
            continue
        for doc in docs:
            for key, line, value in measured(doc):
                parts = [value] if whole else [" ".join(e.split()) for e in EXPRESSION.findall(value)]
                found += [(len(part), "%s:%d" % (rel, line), key) for part in parts]
    found.sort(key=lambda f: (-f[0], f[1]))
    return found, unread


def longest_expressions(root):
    """(length, where, key) of every Jinja expression in the measured strings."""
    found, dummy = longest_jinja(root, whole=False)
    return found


def kubeconfig_lines(root):
    count = 0
    for path in files_under(root, "roles"):
        with open(path, encoding="utf-8", errors="replace") as f:
            count += sum(1 for line in f if KUBECONFIG_LINE.match(line))
    return count


def module_utils_lines(root):
    counts = []
    for path in files_under(root, os.path.join("plugins", "module_utils")):
        if "__pycache__" in path:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            counts.append((len(f.read().splitlines()), os.path.relpath(path, root)))
    counts.sort(key=lambda c: (-c[0], c[1]))
    return counts


def main(argv):
    root = repo_root(argv)
    print("repository: %s" % root)
    found, unread = longest_jinja(root)
    print("\n(a) longest templated strings in set_fact values and msg/fail_msg, roles/ and playbooks/ "
          "(%d found; top %d):" % (len(found), TOP))
    for length, where, key in found[:TOP]:
        print("  %5d  %s  %s" % (length, where, key))
    for rel in unread:
        print("  not read: %s" % rel)
    expressions = longest_expressions(root)
    print("\n(a2) longest single Jinja expressions in those strings (%d found; top %d):" % (len(expressions), TOP))
    for length, where, key in expressions[:TOP]:
        print("  %5d  %s  %s" % (length, where, key))
    print("\n(b) lines under roles/ matching ^\\s*kubeconfig: %d" % kubeconfig_lines(root))
    counts = module_utils_lines(root)
    print("\n(c) lines of each file in plugins/module_utils, largest first (%d files, %d lines):"
          % (len(counts), sum(c[0] for c in counts)))
    for lines, rel in counts:
        print("  %5d  %s" % (lines, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
