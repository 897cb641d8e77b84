"""Minimal parser of the first plot header of an 8-bit (ngspice) RAW file.

Shared by the baseline scripts of `cargo xtask bench`. Only what the
benchmark files need: one real plot, ngspice binary or ASCII.
"""


def read_header(f, limit=1 << 20):
    """Returns (fields, variables, data_offset, encoding) of the first plot."""
    head = f.read(limit)
    for marker, encoding in ((b"Binary:\n", "binary"), (b"Values:\n", "ascii")):
        at = head.find(marker)
        if at >= 0:
            break
    else:
        raise ValueError("no Binary:/Values: line in the first MiB (UTF-16 or not a RAW file?)")
    text = head[:at].decode("latin-1")
    fields = {}
    variables = []
    in_vars = False
    for line in text.splitlines():
        if in_vars and line.startswith(("\t", " ")):
            parts = line.split()
            variables.append(parts[1])
            continue
        in_vars = False
        key, _, value = line.partition(":")
        if key == "Variables":
            in_vars = True
        else:
            fields[key.strip()] = value.strip()
    nvars = int(fields["No. Variables"])
    if len(variables) != nvars:
        raise ValueError(f"{len(variables)} variable lines for No. Variables: {nvars}")
    if "complex" in fields.get("Flags", "").lower():
        raise ValueError("complex plots are not handled by this baseline")
    return fields, variables, at + len(marker), encoding
