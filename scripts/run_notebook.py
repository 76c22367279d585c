"""Execute one notebook through its real kernel (tslab) and report, as one JSON line, whether
every cell ran cleanly. tslab reports compile and runtime errors as stderr text rather than
`error` outputs, so any stderr output or error output counts as a failure.

usage: .venv/bin/python scripts/run_notebook.py NOTEBOOK [--timeout SECONDS] [--save OUT.ipynb]
"""
import argparse
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds")
    ap.add_argument("--save", help="write the executed notebook here")
    a = ap.parse_args()

    nb = nbformat.read(a.notebook, as_version=4)
    client = NotebookClient(nb, timeout=a.timeout, kernel_name="tslab", allow_errors=False,
                            resources={"metadata": {"path": __import__("os").path.dirname(a.notebook) or "."}})
    t0 = time.time()
    result = {"notebook": a.notebook, "ok": True, "cells": len(nb.cells)}
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        result.update(ok=False, error=f"{type(e).__name__}: {str(e)[:3000]}")
    result["seconds"] = round(time.time() - t0, 2)

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            bad = out.get("output_type") == "error" or (out.get("output_type") == "stream" and out.get("name") == "stderr")
            if bad and result["ok"]:
                text = out.get("text") or "\n".join(out.get("traceback", [])) or out.get("evalue", "")
                result.update(ok=False, error=f"cell {i} wrote an error:\n{text[:3000]}\n--- cell source ---\n{cell.source[:1500]}")
    result["codeCells"] = sum(1 for c in nb.cells if c.cell_type == "code")
    result["outputs"] = sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")
    if a.save:
        nbformat.write(nb, a.save)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
