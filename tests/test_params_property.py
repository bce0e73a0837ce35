"""Property test: any params document is either accepted or rejected with a ParamsError naming the
key, the value and what is allowed; never a traceback from somewhere deeper."""
import copy
import dataclasses
import math
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthmix.params import Params, ParamsError, parse_params

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = yaml.safe_load((ROOT / "params.yaml").read_text())
KEYS = [(s, f.name) for s in SHIPPED for f in dataclasses.fields(type(getattr(Params(), s)))]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["dcgan", "wgan_gp", "cpu", "folder", "add", "balance", "0", ""]))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=4), scalars, max_size=3))


@st.composite
def documents(draw):
    doc = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["set", "set", "set", "drop", "unknown_key", "unknown_section", "section"]))
        section, key = draw(st.sampled_from(KEYS))
        if not isinstance(doc[section], dict) and kind != "section":
            continue  # the section itself was replaced by a non-mapping earlier
        if kind == "set":
            doc[section][key] = draw(values)
        elif kind == "drop":
            doc[section].pop(key, None)
        elif kind == "unknown_key":
            doc[section][draw(st.text(min_size=1, max_size=6))] = draw(scalars)
        elif kind == "unknown_section":
            doc[draw(st.text(min_size=1, max_size=6))] = {}
        else:
            doc[section] = draw(values)
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_every_document_is_accepted_or_rejected_clearly(doc):
    try:
        params = parse_params(doc)
    except ParamsError as e:
        msg = str(e)
        assert msg.startswith("params: "), msg
        # it names a section or a key of the document ...
        named = re.findall(r"[A-Za-z_]+(?:\.[A-Za-z_0-9]+)*", msg)
        assert any(n.split(".")[0] in doc or n in {s for s, _ in KEYS} for n in named), msg
        # ... and says what is allowed (or what is wrong with the combination)
        assert re.search(r"must|allowed|unknown|needs|cannot|repeated|contains", msg), msg
        return
    # accepted: every value is of its declared kind and within its range
    assert isinstance(params, Params)
    for section, key in KEYS:
        value = getattr(getattr(params, section), key)
        assert value is not None
        if isinstance(value, float):
            assert math.isfinite(value)
