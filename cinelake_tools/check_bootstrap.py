"""Checks that each Lambda bootstrap is an arm64 executable small enough for Lambda.

    python3 -m cinelake_tools.check_bootstrap [--max-mib N] BOOTSTRAP...

The deploy workflow runs it between `sam build` and `sam deploy`. Lambda refuses a
package over 250 MB unzipped, and the functions are declared arm64, so an x86 binary
or a dev-profile one (debug info, several hundred MB) would fail only at deploy or at
the first invocation. The limit here leaves room under Lambda's. Exits 1 naming each
file that fails, 0 when all pass. Standard library only (the workflow runs it on the
runner's python3, from the repository's root).
"""

import argparse
import struct
import sys
from pathlib import Path

# Lambda's limit is 250 MB (262,144,000 bytes) unzipped, layers included; a binary
# that grows past this one has room to be looked at before it reaches Lambda's.
DEFAULT_MAX_MIB = 200

ELF_MAGIC = b"\x7fELF"
ELF_64 = 2
LITTLE_ENDIAN = 1
EM_AARCH64 = 183
MACHINES = {3: "x86 (32-bit)", 40: "ARM (32-bit)", 62: "x86-64", EM_AARCH64: "aarch64"}


def problems(path, max_bytes):
    """What is wrong with one bootstrap, in words (empty when it passes)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(20)
    except OSError as e:
        return [f"cannot be read ({e.strerror})"]
    found = []
    if head[:4] != ELF_MAGIC:
        return ["is not an ELF executable"]
    if head[4] != ELF_64 or head[5] != LITTLE_ENDIAN:
        found.append("is not a 64-bit little-endian ELF")
    else:
        machine = struct.unpack_from("<H", head, 18)[0]
        if machine != EM_AARCH64:
            name = MACHINES.get(machine, f"machine {machine}")
            found.append(f"is built for {name}, not aarch64 (the functions are arm64)")
    if size > max_bytes:
        found.append(
            f"is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB allowed "
            "(Lambda refuses 250 MB unzipped; is it a release build, stripped?)"
        )
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bootstraps", nargs="+", type=Path)
    ap.add_argument("--max-mib", type=float, default=DEFAULT_MAX_MIB)
    args = ap.parse_args(argv)
    failed = False
    for path in args.bootstraps:
        found = problems(path, args.max_mib * 2**20)
        if found:
            failed = True
            for p in found:
                print(f"{path}: {p}", file=sys.stderr)
        else:
            print(f"{path}: aarch64 ELF, {path.stat().st_size / 2**20:.1f} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
