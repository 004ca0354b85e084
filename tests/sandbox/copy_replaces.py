"""Copy the replace directives of an upstream go.mod into a wrapper go.mod.

Go ignores replace lines of dependencies, so a module that builds only with
its own replaces (helm-diff, charts-syncer) needs them in the wrapper.
Local-path replaces (``=> ./x``) cannot apply outside the upstream tree and
are skipped.
"""
import re
import subprocess
import sys

LINE = re.compile(r"^\s*(\S+)(\s+\S+)?\s+=>\s+(\S+)(\s+(\S+))?\s*$")


def replaces(text):
    block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].rstrip()
        if line.startswith("replace ("):
            block = True
            continue
        if block and line.strip() == ")":
            block = False
            continue
        if line.startswith("replace "):
            line = line[len("replace "):]
        elif not block:
            continue
        m = LINE.match(line)
        if not m:
            continue
        old, old_v, new, dummy, new_v = m.groups()
        if new.startswith("."):
            continue
        left = old + ("@" + old_v.strip() if old_v else "")
        right = new + ("@" + new_v if new_v else "")
        yield f"{left}={right}"


def main(upstream, wrapper):
    with open(upstream, encoding="utf-8") as f:
        for rep in replaces(f.read()):
            subprocess.run(["go", "mod", "edit", f"-replace={rep}", wrapper], check=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
