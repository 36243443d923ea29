"""Executes every notebook in notebooks/ through the installed kernel with
nbclient, as a reader would run them top to bottom.

--check: the test mode; fails on any error output in a cell not tagged
         `raises-exception` (nbclient's own rule).
--html:  also writes each executed notebook as HTML into out/notebooks/,
         for readers without a browser-based Jupyter.
"""

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail on untagged errors (the test mode)")
    parser.add_argument("--html", action="store_true", help="write HTML into out/notebooks/")
    parser.add_argument("--kernel", default="swift-ddpm")
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    args = parser.parse_args()

    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    out = ROOT / "out" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, kernel_name=args.kernel, timeout=1200,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.time()
        try:
            client.execute()
            print(f"{path.name}: ok in {time.time() - start:.1f} s")
        except CellExecutionError as error:
            failures += 1
            print(f"{path.name}: FAILED after {time.time() - start:.1f} s\n{error}", file=sys.stderr)
        nbformat.write(notebook, out / path.name)
        if args.html:
            from nbconvert import HTMLExporter
            html, _ = HTMLExporter().from_notebook_node(notebook)
            (out / path.with_suffix(".html").name).write_text(html)
    if not notebooks:
        print("no notebooks in notebooks/ yet")
    if args.check and failures:
        sys.exit(f"{failures} notebook(s) failed")


if __name__ == "__main__":
    main()
