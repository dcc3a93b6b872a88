"""The only format in which values cross between the grader and a learner's kernel: plain data.

A message is one JSON document plus binary blobs (numpy arrays as ``.npy`` written and read with
``allow_pickle=False``, raw ``bytes``), packed in one byte string::

    b"PETSWIRE1" | 8-byte big-endian length of the JSON | JSON | blob 0 | blob 1 | ...

What can cross: ``None``, bools, ints, floats, strings, lists, tuples, dicts, sets, bytes,
numpy arrays and scalars of numeric/bool/str/datetime dtypes, numpy ``Generator`` objects (their
PCG64 state), pandas ``Series``/``DataFrame``/``Index``/``Categorical`` (column by column),
``datetime``/``date``/``Timestamp`` values, and the library types in :data:`LIBRARY_TYPES`
(e.g. a ``PrivacyAccountant``, by its budget and ledger). Anything else (a TenSEAL object, a
generator, a class defined in the notebook) is refused with a message that says what to return
instead (TenSEAL objects cross as their ``serialize()`` bytes).

:func:`decode` never imports, evaluates or unpickles anything named in the message: every type
tag is looked up in fixed tables, sizes are bounded (:data:`MAX_BYTES`, :data:`MAX_NODES`,
:data:`MAX_DEPTH`), and anything malformed raises :class:`WireError`. The grader treats a
:class:`WireError` in an answer as a wrong answer, never as a right one.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math

import numpy as np

MAGIC = b"PETSWIRE1"
#: Largest message either side accepts (a TenSEAL context with Galois keys is ~60 MB at N=8192).
MAX_BYTES = 256 * 1024 * 1024
#: Most JSON nodes (values) in one message, and the deepest nesting.
MAX_NODES = 2_000_000
MAX_DEPTH = 64

_NUMERIC_KINDS = set("biufcMmUS")  # bool, ints, floats, complex, datetime, timedelta, str, bytes


class WireError(ValueError):
    """A value cannot be encoded as plain data, or a message is malformed or too large."""


# --- library types: how each crosses as plain data --------------------------------------------

def _accountant_to_data(acc) -> dict:
    return {"total_epsilon": acc.total_epsilon, "total_delta": acc.total_delta,
            "ledger": [list(entry) for entry in acc.ledger]}


def _accountant_from_data(data: dict):
    from ..accounting import PrivacyAccountant
    from ..accounting.accountant import LedgerEntry

    acc = PrivacyAccountant(data["total_epsilon"], data["total_delta"])
    entries = [LedgerEntry(*entry) for entry in data["ledger"]]
    for entry in entries:  # the entries as the learner's accountant recorded them
        if not (isinstance(entry.label, str) and isinstance(entry.kind, str)
                and all(type(x) in (int, float) for x in (entry.epsilon, entry.delta))):
            raise WireError("a malformed ledger entry")
    acc._ledger.extend(entries)
    acc._partitions.extend([None] * len(entries))
    return acc


def _arrayrecord_to_data(record) -> dict:
    return {"keys": list(record.keys()), "arrays": record.to_numpy_ndarrays()}


def _arrayrecord_from_data(data: dict):
    from flwr.app import Array, ArrayRecord

    keys, arrays = data.get("keys"), data.get("arrays")
    if not (isinstance(keys, list) and isinstance(arrays, list) and len(keys) == len(arrays)
            and all(isinstance(k, str) for k in keys)
            and all(isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in arrays)):
        raise WireError("a malformed ArrayRecord")
    if keys == [str(i) for i in range(len(keys))]:
        return ArrayRecord(arrays)
    return ArrayRecord({k: Array(a) for k, a in zip(keys, arrays)})


def _flower_record_from_data(cls_name: str):
    def from_data(data):
        import flwr.app

        if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
            raise WireError(f"a malformed {cls_name}")
        try:
            return getattr(flwr.app, cls_name)(data)
        except (TypeError, ValueError) as exc:
            raise WireError(f"a malformed {cls_name} ({exc})") from None
    return from_data


def _recorddict_from_data(data):
    from flwr.app import ArrayRecord, ConfigRecord, MetricRecord, RecordDict

    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, (ArrayRecord, ConfigRecord, MetricRecord))
            for k, v in data.items()):
        raise WireError("a malformed RecordDict")
    return RecordDict(data)


#: name → (module, class name, to_data, from_data). Only these library classes cross.
#: Flower's records (Lessons 04–06) cross as their arrays / plain dicts.
LIBRARY_TYPES = {
    "PrivacyAccountant": ("pets_helpers.accounting.accountant", "PrivacyAccountant",
                          _accountant_to_data, _accountant_from_data),
    "ArrayRecord": ("flwr.app.message.arrayrecord", "ArrayRecord", _arrayrecord_to_data,
                    _arrayrecord_from_data),
    "ConfigRecord": ("flwr.app.message.configrecord", "ConfigRecord", dict,
                     _flower_record_from_data("ConfigRecord")),
    "MetricRecord": ("flwr.app.message.metricrecord", "MetricRecord", dict,
                     _flower_record_from_data("MetricRecord")),
    "RecordDict": ("flwr.app.message.recorddict", "RecordDict", dict, _recorddict_from_data),
}


def _library_type_of(value):
    cls = type(value)
    for name, (module, clsname, to_data, _) in LIBRARY_TYPES.items():
        if cls.__module__ == module and cls.__name__ == clsname:
            return name, to_data
    return None


# --- encoding -----------------------------------------------------------------------------------

class _Encoder:
    def __init__(self):
        self.blobs: list[bytes] = []
        self.size = 0

    def blob(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > MAX_BYTES:
            raise WireError(f"the value is larger than {MAX_BYTES // 2**20} MiB")
        self.blobs.append(bytes(data))
        return len(self.blobs) - 1

    def array(self, arr: np.ndarray) -> dict:
        if arr.dtype.kind not in _NUMERIC_KINDS or arr.dtype.hasobject:
            raise WireError(f"a numpy array of dtype {arr.dtype} cannot be handed to the grader; "
                            "use numbers, booleans or strings")
        buf = io.BytesIO()
        np.save(buf, arr if arr.flags.c_contiguous else arr.copy(order="C"), allow_pickle=False)
        return {"$": "ndarray", "blob": self.blob(buf.getvalue())}

    def enc(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError(f"the value is nested deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and type(value) in (int,):
            return value if abs(value) < 2**63 else {"$": "bigint", "v": str(value)}
        if type(value) is float:
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"$": "bytes", "blob": self.blob(bytes(value))}
        if type(value) is list:
            return [self.enc(v, d) for v in value]
        if type(value) is tuple:
            return {"$": "tuple", "v": [self.enc(v, d) for v in value]}
        if type(value) in (set, frozenset):
            return {"$": "set", "v": [self.enc(v, d) for v in value]}
        if type(value) is dict:
            return {"$": "dict", "v": [[self.enc(k, d), self.enc(v, d)] for k, v in value.items()]}
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, np.generic):
            return {"$": "npscalar", "v": self.array(np.asarray(value))}
        if isinstance(value, np.random.Generator):
            bitgen = value.bit_generator
            if type(bitgen) is not np.random.PCG64:
                raise WireError("only numpy Generators with the default PCG64 bit generator can "
                                "be handed over")
            return {"$": "Generator", "state": self.enc(bitgen.state, d)}
        if isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
            return self.temporal(value)
        pandas = _pandas_kind(value)
        if pandas:
            return self.pandas(pandas, value, d)
        library = _library_type_of(value)
        if library:
            name, to_data = library
            return {"$": "lib", "type": name, "v": self.enc(to_data(value), d)}
        if isinstance(value, (int, float)):  # subclasses (e.g. IntEnum) cross as plain numbers
            return self.enc(int(value) if isinstance(value, int) else float(value), depth)
        kind = type(value).__name__
        advice = (" TenSEAL objects cross as bytes: return obj.serialize() (and decrypt() "
                  "results as lists)." if type(value).__module__.startswith("tenseal") else "")
        raise WireError(f"a {kind} cannot be handed to the grader; return plain numbers, strings, "
                        f"lists, dicts, bytes, numpy arrays or pandas objects.{advice}")

    def temporal(self, value):
        import pandas as pd

        if isinstance(value, pd.Timestamp):
            return {"$": "Timestamp", "v": value.isoformat()}
        if isinstance(value, pd.Timedelta) or isinstance(value, _dt.timedelta):
            return {"$": "timedelta", "v": pd.Timedelta(value).value}
        if isinstance(value, _dt.datetime):
            return {"$": "datetime", "v": value.isoformat()}
        if isinstance(value, _dt.date):
            return {"$": "date", "v": value.isoformat()}
        return {"$": "time", "v": value.isoformat()}

    def column(self, values, d):
        """A pandas column/index as an .npy array when numeric, else as a list of values."""
        import pandas as pd

        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cat = pd.Categorical(values)
            return {"$": "Categorical", "categories": self.column(cat.categories, d),
                    "codes": self.array(np.asarray(cat.codes)), "ordered": bool(cat.ordered)}
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
            return {"$": "col", "dtype": str(dtype), "v": self.array(np.asarray(values))}
        if isinstance(dtype, pd.DatetimeTZDtype):
            return {"$": "col", "dtype": str(dtype),
                    "v": self.array(np.asarray(values.tz_convert("UTC").tz_localize(None)
                                               if hasattr(values, "tz_convert") else values,
                                               dtype="datetime64[ns]"))}
        return {"$": "col", "dtype": str(dtype), "list": [self.enc(v, d) for v in list(values)]}

    def pandas(self, kind: str, value, d):
        if kind == "DataFrame":
            if not value.columns.is_unique:
                raise WireError("a DataFrame with duplicate column names cannot be handed over")
            return {"$": "DataFrame", "columns": self.index(value.columns, d),
                    "index": self.index(value.index, d),
                    "data": [self.column(value[c], d) for c in value.columns]}
        if kind == "Series":
            return {"$": "Series", "name": self.enc(value.name, d),
                    "index": self.index(value.index, d), "v": self.column(value, d)}
        if kind == "Categorical":
            return self.column(value, d)
        return self.index(value, d)

    def index(self, idx, d):
        import pandas as pd

        if isinstance(idx, pd.RangeIndex):
            return {"$": "RangeIndex", "v": [idx.start, idx.stop, idx.step],
                    "name": self.enc(idx.name, d)}
        if isinstance(idx, pd.MultiIndex):
            return {"$": "MultiIndex", "levels": [self.column(idx.get_level_values(i), d)
                                                  for i in range(idx.nlevels)],
                    "names": [self.enc(n, d) for n in idx.names]}
        return {"$": "Index", "v": self.column(idx, d), "name": self.enc(idx.name, d)}


def _pandas_kind(value) -> str | None:
    module = type(value).__module__
    if not module.startswith("pandas"):
        return None
    import pandas as pd

    for kind in ("DataFrame", "Series", "Categorical", "Index"):
        if isinstance(value, getattr(pd, kind)):
            return kind
    if isinstance(value, (pd.Timestamp, pd.Timedelta)):
        return None
    return None


def encode(value) -> bytes:
    """``value`` as one wire message; :class:`WireError` if it is not plain data."""
    encoder = _Encoder()
    try:
        tree = encoder.enc(value)
    except RecursionError:
        raise WireError("the value refers to itself (or is nested too deeply)") from None
    head = json.dumps({"tree": tree, "blobs": [len(b) for b in encoder.blobs]},
                      allow_nan=False, separators=(",", ":")).encode()
    return b"".join([MAGIC, len(head).to_bytes(8, "big"), head, *encoder.blobs])


# --- decoding (the grader's side: everything here is untrusted) -----------------------------

class _Decoder:
    def __init__(self, blobs: list[bytes]):
        self.blobs = blobs
        self.nodes = 0

    def blob(self, node) -> bytes:
        index = node.get("blob")
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise WireError("a blob reference is out of range")
        return self.blobs[index]

    def array(self, node) -> np.ndarray:
        if not isinstance(node, dict) or node.get("$") != "ndarray":
            raise WireError("expected an array")
        try:
            arr = np.load(io.BytesIO(self.blob(node)), allow_pickle=False)
        except WireError:
            raise
        except Exception as exc:
            raise WireError(f"a malformed array ({type(exc).__name__})") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
            raise WireError("a malformed array")
        return arr

    def dec(self, node, depth: int = 0):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise WireError("the value is too large or nested too deeply")
        d = depth + 1
        if node is None or isinstance(node, (bool, str)):
            return node
        if isinstance(node, int):
            return node
        if isinstance(node, float):
            return node
        if isinstance(node, list):
            return [self.dec(v, d) for v in node]
        if not isinstance(node, dict):
            raise WireError("a malformed value")
        tag = node.get("$")
        handler = _DECODERS.get(tag) if isinstance(tag, str) else None
        if handler is None:
            raise WireError(f"unknown value type {str(tag)[:40]!r}")
        try:
            return handler(self, node, d)
        except (WireError, RecursionError):
            raise
        except Exception as exc:
            raise WireError(f"a malformed {tag} ({type(exc).__name__}: {str(exc)[:120]})") \
                from None

    def column(self, node, d):
        import pandas as pd

        if node.get("$") == "Categorical":
            categories = self.column(node["categories"], d)
            codes = self.array(node["codes"])
            return pd.Categorical.from_codes(codes, categories=categories,
                                             ordered=bool(node["ordered"]))
        if node.get("$") != "col":
            raise WireError("a malformed column")
        dtype = _pandas_dtype(node.get("dtype"))
        if "v" in node:
            values = self.array(node["v"])
            if str(dtype).startswith("datetime64[ns, "):
                return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(dtype.tz)
            return values
        values = node.get("list")
        if not isinstance(values, list):
            raise WireError("a malformed column")
        out = [self.dec(v, d) for v in values]
        return pd.array(out, dtype=dtype) if dtype is not None else np.array(out, dtype=object)

    def index(self, node, d):
        import pandas as pd

        tag = node.get("$") if isinstance(node, dict) else None
        if tag == "RangeIndex":
            start, stop, step = (int(x) for x in node["v"])
            return pd.RangeIndex(start, stop, step, name=self.dec(node["name"], d))
        if tag == "MultiIndex":
            levels = [self.column(level, d) for level in node["levels"]]
            return pd.MultiIndex.from_arrays(levels, names=[self.dec(n, d) for n in node["names"]])
        if tag == "Index":
            return pd.Index(self.column(node["v"], d), name=self.dec(node["name"], d))
        raise WireError("a malformed index")


def _pandas_dtype(name):
    """A pandas/numpy dtype from its name, for the safe kinds only (never an arbitrary lookup)."""
    import pandas as pd

    if name in (None, "object"):
        return None
    if not isinstance(name, str) or len(name) > 40:
        raise WireError("a malformed dtype")
    if name in ("string", "str", "string[python]", "string[pyarrow]"):
        return pd.StringDtype()
    if name in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                "Float32", "Float64", "boolean"):
        return pd.api.types.pandas_dtype(name)
    if name.startswith("datetime64[ns, "):
        return pd.DatetimeTZDtype(tz=name[len("datetime64[ns, "):-1])
    dtype = np.dtype(name) if name.replace("[", "").replace("]", "").isalnum() else None
    if dtype is None or dtype.kind not in "biufcmM":
        raise WireError(f"unsupported column dtype {name[:40]!r}")
    return dtype


def _dec_generator(dec, node, d):
    state = dec.dec(node["state"], d)
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise WireError("only PCG64 generators cross")
    bitgen = np.random.PCG64()
    bitgen.state = state
    return np.random.Generator(bitgen)


def _dec_library(dec, node, d):
    name = node.get("type")
    if name not in LIBRARY_TYPES:
        raise WireError(f"unknown library type {str(name)[:40]!r}")
    return LIBRARY_TYPES[name][3](dec.dec(node["v"], d))


def _dec_float(dec, node, d):
    text = node["v"]
    if text not in ("nan", "inf", "-inf"):
        raise WireError("a malformed float")
    return float(text)


def _dec_bigint(dec, node, d):
    text = node["v"]
    if not isinstance(text, str) or len(text) > 4300 or not text.lstrip("-").isdigit():
        raise WireError("a malformed integer")
    return int(text)


def _dec_dict(dec, node, d):
    out = {}
    for pair in node["v"]:
        key, value = pair
        key = dec.dec(key, d)
        try:
            hash(key)
        except TypeError:
            raise WireError("a dict key that cannot be hashed") from None
        out[key] = dec.dec(value, d)
    return out


def _dec_hashables(dec, node, d):
    values = [dec.dec(v, d) for v in node["v"]]
    try:
        return set(values)
    except TypeError:
        raise WireError("a set of unhashable values") from None


def _dec_npscalar(dec, node, d):
    arr = dec.array(node["v"])
    if arr.shape != ():
        raise WireError("a malformed numpy scalar")
    return arr[()]


def _dec_frame(dec, node, d):
    import pandas as pd

    columns = dec.index(node["columns"], d)
    index = dec.index(node["index"], d)
    data = [dec.column(c, d) for c in node["data"]]
    if len(data) != len(columns):
        raise WireError("a malformed DataFrame")
    frame = pd.DataFrame({i: col for i, col in enumerate(data)}, index=index)
    frame.columns = columns
    return frame


def _dec_series(dec, node, d):
    import pandas as pd

    return pd.Series(dec.column(node["v"], d), index=dec.index(node["index"], d),
                     name=dec.dec(node["name"], d))


def _dec_temporal(kind):
    def decode(dec, node, d):
        import pandas as pd

        text = node["v"]
        if kind == "timedelta":
            return pd.Timedelta(int(text)).to_pytimedelta()
        if not isinstance(text, str) or len(text) > 64:
            raise WireError("a malformed date")
        if kind == "Timestamp":
            return pd.Timestamp(text)
        return {"datetime": _dt.datetime, "date": _dt.date, "time": _dt.time}[kind] \
            .fromisoformat(text)
    return decode


_DECODERS = {
    "bytes": lambda dec, node, d: dec.blob(node),
    "tuple": lambda dec, node, d: tuple(dec.dec(v, d) for v in node["v"]),
    "set": _dec_hashables,
    "dict": _dec_dict,
    "float": _dec_float,
    "bigint": _dec_bigint,
    "ndarray": lambda dec, node, d: dec.array(node),
    "npscalar": _dec_npscalar,
    "Generator": _dec_generator,
    "lib": _dec_library,
    "DataFrame": _dec_frame,
    "Series": _dec_series,
    "RangeIndex": lambda dec, node, d: dec.index(node, d),
    "MultiIndex": lambda dec, node, d: dec.index(node, d),
    "Index": lambda dec, node, d: dec.index(node, d),
    "Categorical": lambda dec, node, d: dec.column(node, d),
    "col": lambda dec, node, d: dec.column(node, d),
    "Timestamp": _dec_temporal("Timestamp"),
    "timedelta": _dec_temporal("timedelta"),
    "datetime": _dec_temporal("datetime"),
    "date": _dec_temporal("date"),
    "time": _dec_temporal("time"),
}


def decode(data: bytes):
    """The value in one wire message; :class:`WireError` if it is malformed or too large."""
    if not isinstance(data, (bytes, bytearray)):
        raise WireError("a wire message is bytes")
    if len(data) > MAX_BYTES + 2**20:
        raise WireError(f"the message is larger than {MAX_BYTES // 2**20} MiB")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        raise WireError("not a wire message")
    start = len(MAGIC) + 8
    head_len = int.from_bytes(data[len(MAGIC):start], "big")
    if head_len > len(data) - start:
        raise WireError("a truncated wire message")
    try:
        head = json.loads(bytes(data[start:start + head_len]))
    except (ValueError, RecursionError):
        raise WireError("a malformed wire message") from None
    if not isinstance(head, dict) or not isinstance(head.get("blobs"), list):
        raise WireError("a malformed wire message")
    blobs, offset = [], start + head_len
    for size in head["blobs"]:
        if type(size) is not int or size < 0 or offset + size > len(data):
            raise WireError("a truncated wire message")
        blobs.append(bytes(data[offset:offset + size]))
        offset += size
    if offset != len(data):
        raise WireError("trailing bytes after a wire message")
    try:
        return _Decoder(blobs).dec(head.get("tree"))
    except RecursionError:
        raise WireError("the value is nested too deeply") from None


def roundtrip(value):
    """``decode(encode(value))``: the copy a check sees (used by check cells in a notebook)."""
    return decode(encode(value))
