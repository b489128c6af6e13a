#!/usr/bin/env python3
"""Print a SpecRouter results file (HDF5, docs/results-schema.md) as JSON.

Reads with h5py and numpy only (Debian: python3-h5py), so it runs with the system
Python; the tests use it to check what the C++ writer wrote.

    read_results.py run.h5            everything: metadata, tables (every value), summary, layout
    read_results.py --stats run.h5    tables as per-column statistics instead of values

JSON has no NaN: NaN and infinities are printed as null.

With pandas, a table is one line (see docs/results-schema.md):

    steps = pandas.DataFrame({k: c.asstr()[()] if c.dtype.kind == "O" else c[()]
                              for k, c in h5py.File("run.h5")["steps"].items()})
"""

import argparse
import collections
import json
import math
import sys

import h5py
import numpy as np

TABLES = ("requests", "steps", "step_levels", "model_calls", "estimates", "events", "output_tokens",
          "acceptance_by_position")


def plain(value):
    """A JSON-ready copy of an h5py attribute or element (numpy scalars, arrays, bytes)."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def is_string(dataset):
    return h5py.check_string_dtype(dataset.dtype) is not None


def column_values(dataset):
    if is_string(dataset):
        return [str(v) for v in dataset.asstr()[()]]
    return plain(dataset[()])


def column_stats(dataset):
    """Order-sensitive statistics of one column, cheap to print for millions of rows."""
    stats = {"rows": int(dataset.shape[0])}
    if is_string(dataset):
        counts = collections.Counter(dataset[()])  # count the raw bytes, decode each distinct value once
        stats["counts"] = {plain(k): n for k, n in sorted(counts.items())}
        return stats
    values = dataset[()]
    if values.dtype.kind == "i":
        positions = np.arange(values.size, dtype=np.int64)
        magnitude = np.abs(values.astype(np.float64))
        if float(magnitude.sum()) * max(values.size, 1) < 2.0**62:
            # Both sums fit in int64, so numpy's integer arithmetic is exact.
            stats["sum"] = int(values.sum(dtype=np.int64))
            stats["weighted_sum"] = int(np.dot(positions, values.astype(np.int64)))
        else:  # Python integers: exact, whatever the size, but slow
            as_ints = [int(v) for v in values]
            stats["sum"] = sum(as_ints)
            stats["weighted_sum"] = sum(i * v for i, v in enumerate(as_ints))
    else:
        finite = values[np.isfinite(values)]
        stats["sum"] = plain(float(finite.sum())) if finite.size else 0.0
        stats["weighted_sum"] = plain(float((np.arange(values.size)[np.isfinite(values)] * finite).sum()))
        stats["non_finite"] = int(values.size - finite.size)
    if values.size:
        stats["first"] = plain(values[0])
        stats["last"] = plain(values[-1])
    return stats


def layout(dataset):
    return {
        "dtype": "string" if is_string(dataset) else str(dataset.dtype),
        "shape": list(dataset.shape),
        "maxshape": list(dataset.maxshape),
        "chunks": list(dataset.chunks) if dataset.chunks else None,
        "compression": dataset.compression,
        "unit": plain(dataset.attrs.get("unit", "")),
        "description": plain(dataset.attrs.get("description", "")),
    }


def read(path, stats):
    out = {"tables": {}, "table_descriptions": {}, "layout": {}}
    with h5py.File(path, "r") as f:
        out["attributes"] = {k: plain(v) for k, v in f.attrs.items()}
        metadata = f["metadata"]
        out["metadata"] = {k: plain(v) for k, v in metadata.attrs.items()}
        out["metadata"]["library_versions"] = {
            k: plain(v) for k, v in metadata["library_versions"].attrs.items()}
        # A kept `.partial` file (ResultsWriterOptions::keep_partial_file) has no summary.
        out["summary"] = {k: plain(v) for k, v in f["summary"].attrs.items()} if "summary" in f else None
        out["groups"] = sorted(f.keys())
        for table in TABLES:
            if table not in f:  # files written before the table existed
                continue
            group = f[table]
            out["tables"][table] = {
                name: (column_stats(d) if stats else column_values(d)) for name, d in group.items()}
            out["table_descriptions"][table] = plain(group.attrs.get("description", ""))
            for name, dataset in group.items():
                out["layout"][f"/{table}/{name}"] = layout(dataset)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--stats", action="store_true", help="per-column statistics instead of values")
    args = parser.parse_args()
    json.dump(read(args.file, args.stats), sys.stdout, indent=1, sort_keys=True, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
