"""The module rules of docs/architecture.md (§2), checked on the sources of lib/pando.

Fails (exit 1) on:
  - an include of another module that the table below does not allow, whether written
    `#include <pando/MODULE/...>` or `#include "..."` resolving into lib/pando;
  - an include of an unknown module, and a source folder under lib/pando that is no module
    (a new module is added here and to the architecture's table, or it is not one);
  - MPI (identifiers MPI_*, PMPI_*, MPIX_*, <mpi.h>) outside core and the MPI-IO files of io;
  - the HDF5 C API (identifiers H5*, hid_t, herr_t, ..., <hdf5.h>) outside io's .cpp files;
  - libcurl (identifiers curl_*, CURL*, <curl/...>) outside io's .cpp files;
  - an include of an internal header (one in a detail/ folder, which is not installed) in a
    header outside a detail/ folder: a user's build would miss it.
Comments and string literals are ignored when looking for identifiers, so a comment may still
say "H5Lmove" or "MPI_Bcast".

    check_modules.py [--root REPO]     check lib/pando, print each violation as file:line: ...
    check_modules.py --self-test       check the checker on small made-up sources
"""
import argparse
import os
import re
import sys

# ---- the rules (mirror docs/architecture.md §2: keep the two in step) -------------------------

# Module -> the other modules its files may include. A module may always include itself.
# core is at the bottom; io, expr and graph stand on core alone; array and frame are siblings
# over graph, io and expr and include neither each other; diag watches graph's runtime and
# writes with io. Apps, tests and bench are not checked: they may include anything.
MAY_INCLUDE = {
    "core": set(),
    "io": {"core"},
    "expr": {"core"},
    "graph": {"core"},
    "array": {"graph", "io", "expr", "core"},
    "frame": {"graph", "io", "expr", "core"},
    "diag": {"graph", "io", "core"},
}

# Files directly in lib/pando (not in a module folder) and what they may include.
# pando.hpp is the public API in one include: it sits above every module.
TOP_LEVEL_FILES = {"pando.hpp": set(MAY_INCLUDE)}

# Where MPI may be named: all of core (Comm wraps MPI for everyone else), and the io files that
# hand a communicator to MPI-IO (HDF5's MPI-IO driver, H5Pset_fapl_mpio).
MPI_MODULES = {"core"}
MPI_FILES = {"io/h5_file.cpp"}

# Where the HDF5 C API may be named: io only (the rest use pando::h5), and there in sources, not
# headers: HDF5 is a private dependency of libpando, so no installed header may need hdf5.h.
HDF5_MODULES = {"io"}
# Where libcurl may be named: io's sources (S3 over HTTP), so that it stays a private dependency.
CURL_MODULES = {"io"}
HEADER_SUFFIXES = (".hpp", ".h", ".hh", ".ipp", ".inl", ".tpp")

SOURCE_SUFFIXES = (".hpp", ".cpp", ".h", ".hh", ".cc", ".ipp", ".inl", ".tpp")

MPI_IDENTIFIER = re.compile(r"\b(?:P?MPIX?_\w+)")
HDF5_IDENTIFIER = re.compile(
    r"\b(?:H5[A-Za-z_]\w*|hid_t|herr_t|hsize_t|hssize_t|htri_t|haddr_t|hbool_t|hdset_reg_ref_t|"
    r"hobj_ref_t)\b")
CURL_IDENTIFIER = re.compile(r"\b(?:curl_\w+|CURL[A-Z_]*\w*)\b")
CURL_HEADER = re.compile(r"^curl/\w+\.h$")
MPI_HEADER = re.compile(r"^(?:mpi|mpio|mpi-ext)\.h$")
HDF5_HEADER = re.compile(r"^(?:hdf5|hdf5_hl|H5\w*)\.h$")

# ---- source text ---------------------------------------------------------------------------

STRING_PREFIXES = {"", "L", "u", "U", "u8"}
RAW_PREFIXES = {"R", "LR", "uR", "UR", "u8R"}


def strip(text, strings=True):
    """`text` with comments (and, with `strings`, the contents of string and character literals)
    replaced by spaces. Newlines stay where they were, so line numbers do not move."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = i
            while j < n and text[j] != "\n":
                # A backslash at the end of the line continues the comment.
                if text[j] == "\\" and text.startswith("\n", j + 1):
                    j += 2
                    continue
                j += 1
            blank(i, j)
            i = j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            # A pp-number: 1'000'000, 0x1p-3, 1.5e+10. Its ' are digit separators.
            j = i + 1
            while j < n:
                if text[j] in "eEpP" and j + 1 < n and text[j + 1] in "+-":
                    j += 2
                elif text[j].isalnum() or text[j] in "_.":
                    j += 1
                elif text[j] == "'" and j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_"):
                    j += 2
                else:
                    break
            i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if j < n and text[j] == '"' and word in RAW_PREFIXES:
                # R"delim( ... )delim"
                open_paren = text.find("(", j + 1)
                delim = text[j + 1:open_paren] if open_paren >= 0 else ""
                end = text.find(")" + delim + '"', open_paren + 1) if open_paren >= 0 else -1
                end = n if end < 0 else end + len(delim) + 2
                if strings:
                    blank(j + 1, end - 1)
                i = end
            else:
                # A prefix (L"...", u8'x') is left for the literal branch below to take.
                i = j if not (j < n and text[j] in "\"'" and word in STRING_PREFIXES) else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j, n - 1)
            if strings:
                blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]*)[>"]', re.MULTILINE)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


# ---- the check -----------------------------------------------------------------------------


def module_of(rel):
    """The module of a path relative to lib/pando ("io/atomic.cpp" -> "io"), or None for a file
    directly in lib/pando."""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else None


def is_internal(rel):
    """Whether a path relative to lib/pando lies in a detail/ folder ("io/detail/spool.hpp"):
    part of its module, but not installed."""
    return "detail" in rel.split("/")[:-1]


def included_path(lib_pando, source_dir, bracket, name):
    """The path relative to lib/pando that an include points to, None if not into lib/pando."""
    if bracket == "<":
        return name[len("pando/"):] if name.startswith("pando/") else None
    # "..." searches the including file's folder first, then the include path (lib/).
    for base in (source_dir, os.path.dirname(lib_pando)):
        path = os.path.normpath(os.path.join(base, name))
        if os.path.exists(path):
            rel = os.path.relpath(path, lib_pando)
            return None if rel.startswith("..") else rel.replace(os.sep, "/")
    return name[len("pando/"):] if name.startswith("pando/") else None


def check_file(lib_pando, rel, text, shown):
    """Violations in one source file, as lines "shown:line: ...". `rel` is the path relative to
    lib/pando, with '/' separators."""
    problems = []
    module = module_of(rel)
    if module is None:
        if rel not in TOP_LEVEL_FILES:
            return [f"{shown}:1: file directly in lib/pando that no rule covers "
                    f"(put it in a module, or add it to TOP_LEVEL_FILES)"]
        allowed = TOP_LEVEL_FILES[rel]
        who = rel
    elif module not in MAY_INCLUDE:
        return [f"{shown}:1: folder lib/pando/{module} is no module of docs/architecture.md "
                f"(add it to the table there and in MAY_INCLUDE here)"]
    else:
        allowed = MAY_INCLUDE[module] | {module}
        who = f"module {module}"

    code = strip(text, strings=False)  # includes: "..." is the name, not a string to drop
    bare = strip(text, strings=True)  # identifiers: no comments, no literals
    source_dir = os.path.join(lib_pando, os.path.dirname(rel))
    may_use_mpi = module in MPI_MODULES or rel in MPI_FILES
    header = rel.endswith(HEADER_SUFFIXES)
    may_use_hdf5 = module in HDF5_MODULES and not header
    # In io's headers the rule is about being a header, and the message says so.
    hdf5_who = f"a header of {who}" if module in HDF5_MODULES and header else who
    may_use_curl = module in CURL_MODULES and not header
    curl_who = f"a header of {who}" if module in CURL_MODULES and header else who

    for m in INCLUDE.finditer(code):
        bracket, name = m.group(1), m.group(2).strip()
        line = line_of(code, m.start())
        close = ">" if bracket == "<" else '"'
        spelled = f"#include {bracket}{name}{close}"
        if bracket == "<" and MPI_HEADER.match(name) and not may_use_mpi:
            problems.append(f"{shown}:{line}: {who} may not use MPI ({spelled})")
            continue
        if bracket == "<" and HDF5_HEADER.match(name) and not may_use_hdf5:
            problems.append(f"{shown}:{line}: {hdf5_who} may not use the HDF5 API "
                            f"({spelled})")
            continue
        if bracket == "<" and CURL_HEADER.match(name) and not may_use_curl:
            problems.append(f"{shown}:{line}: {curl_who} may not use libcurl ({spelled})")
            continue
        target_rel = included_path(lib_pando, source_dir, bracket, name)
        if target_rel is None:
            continue
        if header and is_internal(target_rel) and not is_internal(rel):
            problems.append(f"{shown}:{line}: a public header may not include an internal one "
                            f"(detail/ is not installed; {spelled})")
        target = module_of(target_rel) or ""  # "" for a file directly in lib/pando
        if target in allowed:
            continue
        if target == "":
            problems.append(f"{shown}:{line}: {who} may not include {name} ({spelled})")
        elif target not in MAY_INCLUDE:
            problems.append(f"{shown}:{line}: {who} includes {target}, which is no module "
                            f"({spelled})")
        else:
            problems.append(f"{shown}:{line}: {who} may not include module {target} ({spelled})")

    if not may_use_mpi:
        for m in MPI_IDENTIFIER.finditer(bare):
            problems.append(f"{shown}:{line_of(bare, m.start())}: {who} may not use MPI "
                            f"({m.group(0)})")
    if not may_use_hdf5:
        for m in HDF5_IDENTIFIER.finditer(bare):
            problems.append(f"{shown}:{line_of(bare, m.start())}: {hdf5_who} may not use "
                            f"the HDF5 API ({m.group(0)})")
    if not may_use_curl:
        for m in CURL_IDENTIFIER.finditer(bare):
            problems.append(f"{shown}:{line_of(bare, m.start())}: {curl_who} may not use "
                            f"libcurl ({m.group(0)})")
    return sorted(problems, key=lambda p: int(p[len(shown) + 1:].split(":", 1)[0]))


def check_tree(root):
    lib_pando = os.path.join(root, "lib", "pando")
    if not os.path.isdir(lib_pando):
        sys.exit(f"check_modules.py: no lib/pando under {root}")
    problems = []
    for folder, dirs, files in os.walk(lib_pando):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(folder, f)
            rel = os.path.relpath(path, lib_pando).replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            problems += check_file(lib_pando, rel, text, f"lib/pando/{rel}")
    return problems


# ---- the checker's own test ----------------------------------------------------------------


def self_test():
    """Each case: a file (path under lib/pando) and its text, and the violations expected, as
    (line, text the message must contain). A checker that silently passes would be worse than
    none."""
    cases = [
        ("graph/a.cpp", "#include <pando/core/comm.hpp>\n#include <pando/graph/key.hpp>\n", []),
        ("graph/a.cpp", "\n#include <pando/array/block.hpp>\n",
         [(2, "module graph may not include module array (#include <pando/array/block.hpp>)")]),
        ("io/a.hpp", "#  include   <pando/expr/dtype.hpp>\n",
         [(1, "module io may not include module expr")]),
        ("array/a.cpp", "#include <pando/frame/table.hpp>\n",
         [(1, "module array may not include module frame")]),
        ("frame/csv/a.cpp", "#include <pando/array/array.hpp>\n",
         [(1, "module frame may not include module array")]),
        ("core/a.cpp", "#include <pando/pando.hpp>\n",
         [(1, "module core may not include pando/pando.hpp")]),
        ("pando.hpp", "#include <pando/frame/table.hpp>\n#include <pando/array/array.hpp>\n", []),
        ("expr/a.cpp", "#include <pando/viz/trace.hpp>\n", [(1, "which is no module")]),
        ("viz/a.cpp", "", [(1, "no module of docs/architecture.md")]),
        ("b.cpp", "", [(1, "no rule covers")]),
        # Commented-out includes and identifiers in comments and strings do not count.
        ("graph/a.cpp",
         "// #include <pando/array/a.hpp>\n/* MPI_Bcast\n H5Dopen */ int x; // MPI_Send\n"
         "const char* s = \"MPI_Abort H5Fclose hid_t\"; char c = 'H';\n", []),
        ("graph/a.cpp", "int n = 1'000'000; MPI_Comm c;\n", [(1, "module graph may not use MPI (MPI_Comm)")]),
        ("graph/a.cpp", "auto s = R\"x(MPI_Bcast \" )\" H5Dopen)x\"; hid_t h;\n",
         [(1, "module graph may not use the HDF5 API (hid_t)")]),
        ("frame/a.cpp", "#include <mpi.h>\n", [(1, "module frame may not use MPI (#include <mpi.h>)")]),
        ("array/a.cpp", "x = H5P_DEFAULT;\n#include <hdf5.h>\n",
         [(1, "may not use the HDF5 API (H5P_DEFAULT)"), (2, "(#include <hdf5.h>)")]),
        ("io/h5_file.cpp", "#include <hdf5.h>\nH5Pset_fapl_mpio(p, c, MPI_INFO_NULL);\n", []),
        ("io/h.hpp", "#include <hdf5.h>\nhid_t id;\n",
         [(1, "a header of module io may not use the HDF5 API (#include <hdf5.h>)"),
          (2, "a header of module io may not use the HDF5 API (hid_t)")]),
        ("io/atomic.cpp", "MPI_Barrier(c);\n", [(1, "module io may not use MPI (MPI_Barrier)")]),
        ("io/http.cpp", "#include <curl/curl.h>\nCURL* h = curl_easy_init();\n", []),
        ("frame/a.cpp", "#include <curl/curl.h>\ncurl_easy_init();\n",
         [(1, "module frame may not use libcurl (#include <curl/curl.h>)"),
          (2, "module frame may not use libcurl (curl_easy_init)")]),
        ("io/detail/h.hpp", "CURLM* m;\n", [(1, "a header of module io may not use libcurl (CURLM)")]),
        ("core/a.cpp", "#include <mpi.h>\nMPI_Init(0, 0);\n H5open();\n",
         [(3, "module core may not use the HDF5 API (H5open)")]),
        ("graph/a.cpp", "#define X(a) \\\n  f(a) // c \\\n MPI_Foo\nint y;\n", []),
        # detail/ headers belong to their module; only sources and other detail/ headers
        # include them (they are not installed).
        ("io/detail/a.hpp", "#include <pando/graph/key.hpp>\n",
         [(1, "module io may not include module graph")]),
        ("frame/to_csv.cpp", "#include <pando/io/detail/spool.hpp>\n", []),
        ("graph/detail/a.hpp", "#include <pando/graph/detail/messenger.hpp>\n", []),
        ("frame/csv/parse.hpp", "#include <pando/frame/csv/detail/tokenize.hpp>\n",
         [(1, "a public header may not include an internal one")]),
        ("array/array.hpp", "#include <pando/io/detail/spool.hpp>\n",
         [(1, "a public header may not include an internal one")]),
    ]
    lib_pando = "/nonexistent/lib/pando"
    failed = 0
    for rel, text, expected in cases:
        got = check_file(lib_pando, rel, text, rel)
        ok = len(got) == len(expected) and all(
            g.startswith(f"{rel}:{line}: ") and want in g for g, (line, want) in zip(got, expected))
        if not ok:
            failed += 1
            print(f"self-test failed for {rel} {text!r}:\n  expected {expected}\n  got      {got}")
    # Quoted includes resolve relative to the including file, then to lib/.
    here = os.path.dirname(os.path.abspath(__file__))
    real = os.path.join(os.path.dirname(os.path.dirname(here)), "lib", "pando")
    if os.path.isdir(os.path.join(real, "core")):
        got = check_file(real, "graph/x.cpp", '#include "../array/array.hpp"\n'
                         '#include "pando/frame/table.hpp"\n#include "key.hpp"\n', "graph/x.cpp")
        if [g.split(": ", 1)[1].split(" (")[0] for g in got] != [
                "module graph may not include module array",
                "module graph may not include module frame"]:
            failed += 1
            print(f"self-test failed for quoted includes: got {got}")
    print(f"check_modules.py self-test: {len(cases) + 1 - failed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                        help="the repository (default: this script's)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    problems = check_tree(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} violation(s) of the module rules (docs/architecture.md §2)")
        return 1
    print("module rules hold (docs/architecture.md §2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
