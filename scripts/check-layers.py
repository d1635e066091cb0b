#!/usr/bin/env python3
"""Fails the build when a folder of core/ includes one it does not link.

Each folder of core/ is a library of its own (CMakeLists.txt, FX_LAYERS) that links only the
folders listed before it, so the graph has no cycle by construction. The linker alone would not
notice an include of a folder that is not linked (every library ends up in the same
executables): this check does. Run by the build (target fx_layers) with the same table:

    check-layers.py ROOT STAMP util: usage:util store:usage,util ...
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"core/([a-z_0-9]+)/', re.M)


def main():
    root, stamp, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    deps, order = {}, []
    errors = []
    for spec in specs:
        name, _, listed = spec.partition(":")
        wanted = [d for d in listed.split(",") if d]
        for d in wanted:
            if d not in deps:
                errors.append(f"FX_LAYERS: {name} links {d}, which is not listed before it "
                              "(a folder links only folders below it: reorder, or break the cycle)")
        closure = set(wanted)
        for d in wanted:
            closure |= deps.get(d, set())
        deps[name] = closure
        order.append(name)
    core = os.path.join(root, "core")
    for folder in sorted(os.listdir(core)):
        path = os.path.join(core, folder)
        if not os.path.isdir(path):
            continue
        if folder not in deps:
            errors.append(f"core/{folder}/ is not in FX_LAYERS (CMakeLists.txt): add it with the "
                          "folders it links")
            continue
        allowed = deps[folder] | {folder}
        for dirpath, _, files in os.walk(path):
            for f in sorted(files):
                if not f.endswith((".h", ".cpp")):
                    continue
                file = os.path.join(dirpath, f)
                text = open(file, encoding="utf-8", errors="replace").read()
                for m in INCLUDE.finditer(text):
                    if m.group(1) not in allowed:
                        line = text.count("\n", 0, m.start()) + 1
                        rel = os.path.relpath(file, root)
                        errors.append(
                            f"{rel}:{line}: includes core/{m.group(1)}/, but core/{folder}/ links "
                            f"only {', '.join(sorted(deps[folder])) or 'nothing'} (CMakeLists.txt "
                            "FX_LAYERS): move the code down a layer, or link the folder if that "
                            "makes no cycle")
    if errors:
        for e in errors:
            print(f"fx layers: error: {e}", file=sys.stderr)
        sys.exit(1)
    with open(stamp, "w") as out:
        out.write(" ".join(order) + "\n")


if __name__ == "__main__":
    main()
