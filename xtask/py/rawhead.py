"""Minimal parser of the first plot header of a RAW file.

Shared by the baseline scripts of `cargo xtask bench`. Only what the
benchmark files need: one real plot, ngspice binary or ASCII (8-bit header),
or LTspice binary (UTF-16LE header; f64 time and f32 traces unless `double`;
point-major, or variable-major with the `fastaccess` flag).
"""

MARKERS = (("Binary:\n", "binary"), ("Values:\n", "ascii"))


def read_layout(f, limit=1 << 20):
    """Returns a dict of the first plot: fields, names, offset (of the data),
    encoding ('binary' or 'ascii'), dtypes (numpy type strings, one per
    variable), fastaccess (bool) and ltspice (bool)."""
    head = f.read(limit)
    utf16 = len(head) > 1 and head[0] != 0 and head[1] == 0
    if utf16:
        text_all = head[: len(head) // 2 * 2].decode("utf-16-le", errors="replace")
        width = 2
    else:
        text_all = head.decode("latin-1")
        width = 1
    for marker, encoding in MARKERS:
        at = text_all.find(marker)
        if at >= 0:
            break
    else:
        raise ValueError("no Binary:/Values: line in the first MiB (not a RAW file?)")
    fields = {}
    names = []
    in_vars = False
    for line in text_all[:at].splitlines():
        if in_vars and line.startswith(("\t", " ")):
            names.append(line.split()[1])
            continue
        in_vars = False
        key, _, value = line.partition(":")
        if key == "Variables":
            in_vars = True
        else:
            fields[key.strip()] = value.strip()
    nvars = int(fields["No. Variables"])
    if len(names) != nvars:
        raise ValueError(f"{len(names)} variable lines for No. Variables: {nvars}")
    flags = fields.get("Flags", "").lower().split()
    if "complex" in flags:
        raise ValueError("complex plots are not handled by this baseline")
    ltspice = utf16 or "ltspice" in fields.get("Command", "").lower()
    if ltspice and "double" not in flags:
        dtypes = ["<f8"] + ["<f4"] * (nvars - 1)
    else:
        dtypes = ["<f8"] * nvars
    return {
        "fields": fields,
        "names": names,
        "offset": (at + len(marker)) * width,
        "encoding": encoding,
        "dtypes": dtypes,
        "fastaccess": "fastaccess" in flags,
        "ltspice": ltspice,
    }


def read_header(f, limit=1 << 20):
    """Returns (fields, variables, data_offset, encoding) of the first plot."""
    h = read_layout(f, limit)
    return h["fields"], h["names"], h["offset"], h["encoding"]
