"""Copies the host's boto3, and everything it requires, into one folder: the SDK that fx's
Python instances find after their code and layers, as /var/runtime holds it on Lambda.

Run by the emulator, once per Python version, with the interpreter that runs the runtime:
`python3.11 python_sdk.py DEST PACKAGE...`. Standard library only. Exit codes: 0 done (DEST
holds the packages, compiled, and the file .fx-sdk naming their versions); 2 a package is not
installed for this interpreter (the one line on stdout says which); 1 anything else.
"""
import compileall
import os
import re
import shutil
import sys
from importlib import metadata


def key(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def requirement(text):
    """('urllib3', conditional) from 'urllib3 (<3,>=1.25.4) ; python_version >= "3.10"';
    None for an extra's requirement, which the packages never import unasked."""
    spec, _, marker = text.partition(';')
    if 'extra' in marker:
        return None
    name = re.match(r'\s*([A-Za-z0-9][A-Za-z0-9._-]*)', spec)
    return (name.group(1), bool(marker.strip())) if name else None


def closure(roots):
    """The distributions `roots` need, by name: a requirement under a marker (one Python
    version's) is taken when it is installed, and skipped when it is not."""
    found, todo = {}, [(r, False) for r in roots]
    while todo:
        name, conditional = todo.pop()
        if key(name) in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if conditional:
                continue
            print(f'missing {name}')
            sys.exit(2)
        found[key(name)] = dist
        for req in dist.requires or []:
            r = requirement(req)
            if r:
                todo.append(r)
    return found


def top_level_files(dist):
    """What an installation without a RECORD (a Debian package's egg-info) holds: its
    top-level modules, found where an import would find them."""
    import importlib.util
    try:
        names = (dist.read_text('top_level.txt') or '').split()
    except OSError:
        names = []
    for name in names or [dist.metadata['Name']]:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            continue
        origin = spec.origin
        root = os.path.dirname(origin) if spec.submodule_search_locations else origin
        base = os.path.dirname(root)
        if os.path.isdir(root):
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if d != '__pycache__']
                for f in files:
                    full = os.path.join(folder, f)
                    yield full, os.path.relpath(full, base)
        else:
            yield root, os.path.basename(root)


def files_of(dist):
    if dist.files is None:
        yield from top_level_files(dist)
        return
    for f in dist.files:
        rel = str(f)
        parts = rel.replace('\\', '/').split('/')
        # Scripts in ../../bin and compiled files (compiled again below, for this layout).
        if os.path.isabs(rel) or '..' in parts or '__pycache__' in parts or rel.endswith('.pyc'):
            continue
        yield str(dist.locate_file(f)), rel


def main():
    dest, roots = sys.argv[1], sys.argv[2:] or ['boto3']
    dists = closure(roots)
    for dist in dists.values():
        for src, rel in files_of(dist):
            if not os.path.isfile(src):
                continue
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            shutil.copy2(src, out)
    # The instance's copy is read-only: without bytecode beside it, every cold start would
    # compile botocore again.
    if not compileall.compile_dir(dest, quiet=2):
        print('cannot compile the copied packages')
        sys.exit(1)
    with open(os.path.join(dest, '.fx-sdk'), 'w') as f:
        for k in sorted(dists):
            f.write(f"{dists[k].metadata['Name']} {dists[k].version}\n")


if __name__ == '__main__':
    main()
