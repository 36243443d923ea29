"""Executes every notebook in notebooks/ through the installed kernel with
nbclient, as a reader would run them top to bottom.

--check: the test mode; fails on any error output in a cell not tagged
         `raises-exception` (nbclient's own rule), and when a widget shown
         by a cell is missing from the widget state nbclient saves.
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


def missing_widget_state(notebook):
    """Why the executed notebook's widgets would not show in its HTML export,
    or None: every widget view in an output must have its model in the
    widget state nbclient saves (`metadata.widgets`), a picture's PNG included."""
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view["model_id"] not in state:
                return f"the widget {view['model_id']} shown by a cell is not in the saved widget state"
    for model_id, model in state.items():
        if model["model_name"] == "ImageModel" and not any(b["path"] == ["value"] for b in model.get("buffers", [])):
            return f"the saved widget state has no picture for the image {model_id}"
    return None


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
            problem = missing_widget_state(notebook)
            if problem:
                raise CellExecutionError(problem, "", "")
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
